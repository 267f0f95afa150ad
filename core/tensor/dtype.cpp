#include "tensor/dtype.h"

#include <cmath>
#include <limits>

namespace qs {

namespace {
struct DTypeInfo {
    DType type;
    std::string_view name;
    std::string_view altName;
    int64_t blockElems;
    int64_t blockBytes;
};

constexpr DTypeInfo kInfos[] = {
    {DType::F32, "F32", "F32", 1, 4},        {DType::F16, "F16", "F16", 1, 2},
    {DType::BF16, "BF16", "BF16", 1, 2},     {DType::F8E4M3, "F8_E4M3", "F8E4M3", 1, 1},
    {DType::I8, "I8", "I8", 1, 1},           {DType::I32, "I32", "I32", 1, 4},
    {DType::Q8_0, "Q8_0", "Q8_0", 32, 34},   {DType::Q4_0, "Q4_0", "Q4_0", 32, 18},
    {DType::Gptq2, "GPTQ2", "GPTQ2", 16, 4}, {DType::Gptq4, "GPTQ4", "GPTQ4", 8, 4},
    {DType::Gptq8, "GPTQ8", "GPTQ8", 4, 4},
};

const DTypeInfo& info(DType t) { return kInfos[static_cast<int>(t)]; }
}  // namespace

std::string_view dtypeName(DType t) { return info(t).name; }

std::optional<DType> dtypeFromName(std::string_view name) {
    for (const auto& i : kInfos)
        if (i.name == name || i.altName == name) return i.type;
    return std::nullopt;
}

int64_t dtypeBlockElems(DType t) { return info(t).blockElems; }
int64_t dtypeBlockBytes(DType t) { return info(t).blockBytes; }

int64_t dtypeByteSize(DType t, int64_t elems) {
    const auto& i = info(t);
    if (elems < 0 || elems % i.blockElems != 0) return -1;
    return elems / i.blockElems * i.blockBytes;
}

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
