// The packed integer layout of GPTQ checkpoints (AutoGPTQ's QuantLinear.pack,
// which transformers, GPTQModel and vLLM read): a linear's codes [out, in] are
// stored transposed and packed along the input dimension, qweight int32
// [in * bits / 32, out], where word (k, r) holds codes (r, k * per ...
// k * per + per - 1), lowest bits first (per = 32 / bits); zero points are
// packed along the output dimension, qzeros int32 [groups, out * bits / 32].
// Only bits that divide 32 (2, 4, 8) are supported: AutoGPTQ's 3-bit layout
// lets codes straddle word boundaries.
#pragma once

#include <cstdint>

namespace qs {

inline bool gptqPackableBits(int bits) { return bits == 2 || bits == 4 || bits == 8; }
inline int gptqCodesPerWord(int bits) { return 32 / bits; }

// Field `index` (0 = lowest bits) of a packed word.
inline uint32_t gptqField(uint32_t word, int64_t index, int bits) {
    return (word >> (uint32_t(bits) * uint32_t(index))) & ((1u << bits) - 1u);
}

// codes [out, in] row-major, each 0..2^bits - 1 -> qweight [in / per, out];
// in must be a multiple of per.
void packGptqWeight(const uint8_t* codes, int64_t out, int64_t in, int bits, uint32_t* qweight);
// values [groups, out] row-major, each 0..2^bits - 1 -> qzeros [groups, out / per];
// out must be a multiple of per.
void packGptqZeros(const uint32_t* values, int64_t groups, int64_t out, int bits, uint32_t* qzeros);

}  // namespace qs
