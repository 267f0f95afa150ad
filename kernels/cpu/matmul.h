// The linear layer every LLaMA projection is: y = x · Wᵀ, with W stored as
// torch's nn.Linear weight [out, in] row-major (the layout of every
// checkpoint format QuantScope reads), x [rows, in] and y [rows, out] row-major.
// It is Eigen's sgemm; the GEMM FLOP/s bound of the benchmarks is measured
// with this same function.
#pragma once

#include <cstdint>

namespace qs {

// accumulate = true adds to y instead (y += x · Wᵀ): the residual connections.
void linearForward(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y,
                   bool accumulate = false);

}  // namespace qs
