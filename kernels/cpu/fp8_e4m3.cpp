#include "cpu/fp8_e4m3.h"

#include <cmath>
#include <limits>

namespace qs {

float decodeF8e4m3(uint8_t code) {
    const bool neg = code & 0x80u;
    const int exp = (code >> 3) & 0xf;
    const int mant = code & 0x7;
    float mag;
    if (exp == 0xf && mant == 0x7)
        mag = std::numeric_limits<float>::quiet_NaN();
    else if (exp == 0)
        mag = std::ldexp(float(mant), -9);  // subnormal: mant/8 * 2^-6
    else
        mag = std::ldexp(float(8 + mant), exp - 10);  // (1 + mant/8) * 2^(exp-7)
    return neg ? -mag : mag;
}

uint8_t encodeF8e4m3(double x) {
    const uint8_t sign = std::signbit(x) ? 0x80u : 0x00u;
    if (std::isnan(x)) return sign | 0x7fu;
    const double a = std::fabs(x);
    if (a >= kF8e4m3Max) return sign | 0x7eu;
    if (a == 0.0) return sign;  // frexp gives no useful exponent for zero
    // Count in units of the spacing at a's binade: 2^-9 for subnormals and the
    // first normal binade [2^-6, 2^-5), 2^(e-3) above. Then code = units for
    // subnormals and (e + 6) * 8 + units for normals (units in [8, 16]); a
    // mantissa that rounds up to 16 carries into the exponent by itself.
    int e2 = 0;
    std::frexp(a, &e2);  // a = f * 2^e2, f in [0.5, 1): exponent e = e2 - 1
    const int e = e2 - 1;
    const int unitExp = e < -6 ? -9 : e - 3;
    const double units = std::nearbyint(std::ldexp(a, -unitExp));  // exact scaling; nearbyint is RNE
    const int code = e < -6 ? int(units) : (e + 6) * 8 + int(units);
    return sign | uint8_t(code > 0x7e ? 0x7e : code);
}

}  // namespace qs
