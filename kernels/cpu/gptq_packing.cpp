#include "cpu/gptq_packing.h"

#include <cstring>

namespace qs {

namespace {

uint32_t loadWord(const std::byte* words, int64_t stride, int64_t w) {
    uint32_t v;
    std::memcpy(&v, words + 4 * w * stride, 4);
    return v;
}

// ORs `code` into the stream of words[w * stride] at position `index`; the
// words must start zeroed.
void putCode(uint32_t* words, int64_t stride, int64_t index, uint32_t code, int bits) {
    const int64_t bit = index * bits, w = bit / 32;
    const int shift = int(bit % 32);
    words[w * stride] |= code << shift;
    if (shift + bits > 32) words[(w + 1) * stride] |= code >> (32 - shift);  // the part past the word's top
}

}  // namespace

uint32_t gptqPackedCode(const std::byte* words, int64_t stride, int64_t index, int bits) {
    const int64_t bit = index * bits, w = bit / 32;
    const int shift = int(bit % 32);
    uint64_t pair = loadWord(words, stride, w) >> shift;
    if (shift + bits > 32) pair |= uint64_t(loadWord(words, stride, w + 1)) << (32 - shift);
    return uint32_t(pair) & ((1u << bits) - 1u);
}

void packGptqWeight(const uint8_t* codes, int64_t out, int64_t in, int bits, uint32_t* qweight) {
    std::memset(qweight, 0, size_t(gptqPackedWords(in, bits) * out) * 4);
    for (int64_t r = 0; r < out; ++r)
        for (int64_t c = 0; c < in; ++c) putCode(qweight + r, out, c, codes[r * in + c], bits);
}

void packGptqZeros(const uint32_t* values, int64_t groups, int64_t out, int bits, uint32_t* qzeros) {
    const int64_t words = gptqPackedWords(out, bits);
    std::memset(qzeros, 0, size_t(groups * words) * 4);
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t r = 0; r < out; ++r) putCode(qzeros + g * words, 1, r, values[g * out + r], bits);
}

}  // namespace qs
