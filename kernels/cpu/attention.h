// Causal scaled dot-product attention (Vaswani et al. 2017) with grouped-query
// heads (Ainslie et al. 2023, GQA): query head h reads key/value head
// h / (heads / kvHeads). Softmax in float32 after subtracting the row maximum.
#pragma once

#include <cstdint>

namespace qs {

struct AttentionShape {
    int64_t heads = 0;
    int64_t kvHeads = 0;
    int64_t headDim = 0;
};

// q and out are [rows, heads * headDim], k and v [rows, kvHeads * headDim],
// row-major, q and k already rotated. Sequences lie back to back: sequence s
// is rows [seqStarts[s], seqStarts[s + 1]) and attends only within itself,
// each row to itself and the rows before it. Scores are 1 / sqrt(headDim)
// scaled dot products.
void causalAttention(const float* q, const float* k, const float* v, float* out, const int64_t* seqStarts, int64_t nseq,
                     const AttentionShape& shape);

}  // namespace qs
