// Element types of checkpoint tensors and their scalar conversions to float.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "cpu/half_float.h"  // bf16ToFloat, floatToBf16, f16ToFloat, floatToF16

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
    // from a file as such: a "block" is the fewest whole int32 words, one
    // word of 32 / bits codes, or for 3 bits 32 codes in 3 words.
    Gptq2,
    Gptq3,
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


}  // namespace qs
