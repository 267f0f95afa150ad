// BF16 and F16 to and from F32: the conversions of every reader, writer and
// kernel backend, here in kernels/ so the backends (which cannot include
// core/) decode with the same code as core/tensor/dtype.h.
#pragma once

#include <cstdint>
#include <cstring>

namespace qs {

inline float bf16ToFloat(uint16_t h) {
    uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Round-to-nearest-even, NaN kept quiet (the conversion torch and ggml use).
inline uint16_t floatToBf16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return uint16_t(bits >> 16);
}

float f16ToFloat(uint16_t h);
uint16_t floatToF16(float f);  // round-to-nearest-even, overflow to inf

}  // namespace qs
