#include "cpu/half_float.h"

#include <cmath>
#include <limits>

namespace qs {

float f16ToFloat(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    float mag;
    if (exp == 0)
        mag = std::ldexp(float(mant), -24);  // zero and subnormals
    else if (exp == 31)
        mag = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    else
        mag = std::ldexp(float(mant | 0x400u), int(exp) - 25);
    float out;
    uint32_t bits;
    std::memcpy(&bits, &mag, 4);
    bits |= sign;
    std::memcpy(&out, &bits, 4);
    return out;
}

uint16_t floatToF16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
    const float a = std::fabs(f);
    if (std::isnan(f)) return sign | 0x7e00u;
    if (a >= 65520.0f) return sign | 0x7c00u;  // rounds to inf
    if (a < std::ldexp(1.0f, -14)) {
        // subnormal: value = m * 2^-24, round half to even
        const float m = std::nearbyint(a * std::ldexp(1.0f, 24));
        return sign | uint16_t(m);
    }
    int e;
    const float frac = std::frexp(a, &e);  // a = frac * 2^e, frac in [0.5, 1)
    float m = std::nearbyint(std::ldexp(frac, 11));  // 11 significant bits
    if (m >= 2048.0f) {
        m /= 2.0f;
        ++e;
    }
    const uint16_t exp = uint16_t(e - 1 + 15);
    return sign | uint16_t(exp << 10) | (uint16_t(m) & 0x3ffu);
}

}  // namespace qs
