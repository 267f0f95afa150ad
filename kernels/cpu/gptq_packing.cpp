#include "cpu/gptq_packing.h"

namespace qs {

void packGptqWeight(const uint8_t* codes, int64_t out, int64_t in, int bits, uint32_t* qweight) {
    const int64_t per = gptqCodesPerWord(bits);
    for (int64_t k = 0; k < in / per; ++k)
        for (int64_t r = 0; r < out; ++r) {
            uint32_t word = 0;
            for (int64_t j = 0; j < per; ++j) word |= uint32_t(codes[r * in + k * per + j]) << (bits * j);
            qweight[k * out + r] = word;
        }
}

void packGptqZeros(const uint32_t* values, int64_t groups, int64_t out, int bits, uint32_t* qzeros) {
    const int64_t per = gptqCodesPerWord(bits);
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t w = 0; w < out / per; ++w) {
            uint32_t word = 0;
            for (int64_t j = 0; j < per; ++j) word |= values[g * out + w * per + j] << (bits * j);
            qzeros[g * (out / per) + w] = word;
        }
}

}  // namespace qs
