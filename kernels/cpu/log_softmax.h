// The normaliser of log-softmax, log(sum_j exp(x_j)), per row of logits:
// log p(token t) = x_t - logSumExp(x). Computed as max + log(sum exp(x - max))
// so large logits cannot overflow.
#pragma once

#include <cstdint>

namespace qs {

// out[r] = log(sum_j exp(x[r * cols + j])) for each of `rows` rows.
void logSumExpRows(const float* x, int64_t rows, int64_t cols, double* out);

}  // namespace qs
