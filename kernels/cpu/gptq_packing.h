// The packed integer layout of GPTQ checkpoints (AutoGPTQ's QuantLinear.pack
// and GPTQ-for-LLaMa's quant.py, which transformers, GPTQModel and vLLM read):
// a linear's codes [out, in] are stored transposed and packed along the input
// dimension, qweight int32 [in * bits / 32, out]; zero points are packed along
// the output dimension, qzeros int32 [groups, out * bits / 32].
//
// Along the packed dimension each column is one little-endian bit stream:
// code i occupies bits [bits * i, bits * i + bits) of the words read in
// order, word w holding stream bits [32 w, 32 w + 32). For 2, 4 and 8 bits
// that is 32 / bits whole codes per word, lowest bits first. For 3 bits it is
// AutoGPTQ's 32-codes-in-3-words block: codes 0..9 in word 0, code 10 split
// between bits 30-31 of word 0 and bit 0 of word 1 (stream bits 30-32),
// codes 11..20 from bit 1, code 21 split between bit 31 of word 1 and bits
// 0-1 of word 2 (stream bits 63-65), codes 22..31 from bit 2.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qs {

inline bool gptqSupportedBits(int bits) { return bits == 2 || bits == 3 || bits == 4 || bits == 8; }
// Whether n codes fill whole int32 words (for 3 bits: n a multiple of 32).
inline bool gptqPackable(int64_t n, int bits) { return gptqSupportedBits(bits) && n * bits % 32 == 0; }
inline int64_t gptqPackedWords(int64_t n, int bits) { return n * bits / 32; }

// Code `index` of a packed stream whose word w is the little-endian int32 at
// words + 4 * w * stride (stride 1: a qzeros row; stride out: a qweight
// column). Unaligned storage is fine (memory-mapped files).
uint32_t gptqPackedCode(const std::byte* words, int64_t stride, int64_t index, int bits);

// codes [out, in] row-major, each 0..2^bits - 1 -> qweight [in * bits / 32, out];
// gptqPackable(in, bits) must hold.
void packGptqWeight(const uint8_t* codes, int64_t out, int64_t in, int bits, uint32_t* qweight);
// values [groups, out] row-major, each 0..2^bits - 1 -> qzeros [groups, out * bits / 32];
// gptqPackable(out, bits) must hold.
void packGptqZeros(const uint32_t* values, int64_t groups, int64_t out, int bits, uint32_t* qzeros);

}  // namespace qs
