// Element types of checkpoint tensors and their scalar conversions to float.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace qs {

enum class DType : uint8_t {
    F32,
    F16,
    BF16,
    F8E4M3,
    I8,
    I32,
    Q8_0,  // GGUF block of 32: f16 scale + 32 int8
    Q4_0,  // GGUF block of 32: f16 scale + 16 bytes of nibbles (x - 8)
    // GPTQ packed weights (cpu/gptq_packing.h), only ever presented by the
    // Hugging Face reader for a qweight/qzeros/scales/g_idx set, never read
    // from a file as such: a "block" is one int32 word of 32 / bits codes.
    Gptq2,
    Gptq4,
    Gptq8,
};

std::string_view dtypeName(DType t);
// Accepts safetensors spellings ("F32", "BF16", "F8_E4M3", ...) and our own names.
std::optional<DType> dtypeFromName(std::string_view name);

// Elements per storage block (1 for plain types, 32 for the GGUF block formats)
// and bytes per block; byte size of n elements = n / blockElems * blockBytes.
int64_t dtypeBlockElems(DType t);
int64_t dtypeBlockBytes(DType t);
// Byte size of `elems` elements, or -1 when elems is not a whole number of blocks.
int64_t dtypeByteSize(DType t, int64_t elems);

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
