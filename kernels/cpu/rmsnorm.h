// RMSNorm (Zhang & Sennrich 2019) as LLaMA applies it before attention, before
// the MLP and before the output head: y = x / sqrt(mean(x²) + eps) * weight,
// row by row, in float32 (transformers' LlamaRMSNorm upcasts to float32 too).
#pragma once

#include <cstdint>

namespace qs {

// x and y may be the same buffer.
void rmsNormRows(const float* x, const float* weight, float* y, int64_t rows, int64_t cols, float eps);

}  // namespace qs
