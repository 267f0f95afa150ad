// The INT8 W8A8 product (SmoothQuant, Xiao et al. 2023, Sec. 2; the integer
// GEMM that LLM.int8() and TensorRT-LLM run): activations quantized per token
// and weights per output channel, both symmetric int8 on cpu/int_grid.h's
// 8-bit grid (scale = absmax / 127, the grid fake quantization uses), an
// int32 accumulation of code products, and one float scale per row and per
// output channel applied afterwards:
//   y[r, o] = float(sum_k xq[r, k] * wq[o, k]) * xScale[r] * wScale[o].
// The int32 sums are exact, so this equals fake-quant(x) · fake-quant(W)ᵀ up to
// the float rounding of the scales and of the epilogue (~1e-7 relative).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace qs {

// An int32 sum of `in` products of int8 codes cannot overflow when
// in * 128 * 128 <= INT32_MAX: at most 131071 input features (LLaMA's widest,
// 28672, is well inside). Longer rows are refused, not wrapped.
inline constexpr int64_t kMaxInt8LinearDepth = int64_t(0x7fffffff) / (128 * 128);

inline void checkInt8LinearDepth(int64_t in) {
    if (in > kMaxInt8LinearDepth)
        throw std::invalid_argument("linearForwardInt8: " + std::to_string(in) +
                                    " input features overflow the int32 sum (at most " +
                                    std::to_string(kMaxInt8LinearDepth) + ")");
}

// Per-row int8 codes of x [rows, cols] row-major on the symmetric 8-bit grid
// fitted to each row's finite values (cpu/fake_quant.h fakeQuantizeIntRows
// with groupSize = cols, 8 bits, symmetric): codes[r, c] in -127..127 and
// x ≈ scales[r] * code; a row of zeros gets scale 1. A row holding NaN or ±Inf
// cannot be represented: its non-finite values get code 0 and its scale is
// NaN, so every output computed from it is NaN, as the float product's
// outputs would be non-finite.
void quantizeRowsInt8(const float* x, int64_t rows, int64_t cols, int8_t* codes, float* scales);

// y [rows, out] (= or += when accumulate) from xq [rows, in] with xScale [rows]
// and wq [out, in] (a torch Linear's layout) with wScale [out], as above.
// The epilogue is float(acc) * xScale, times wScale, plus y when
// accumulating: three separate float roundings (the CUDA twin spells them
// __fmul_rn / __fadd_rn so nvcc cannot fuse them; x86-64 builds without FMA
// cannot either), so both backends agree to the bit.
// Throws std::invalid_argument when in > kMaxInt8LinearDepth.
void linearForwardInt8(const int8_t* xq, const float* xScale, int64_t rows, int64_t in, const int8_t* wq,
                       const float* wScale, int64_t out, float* y, bool accumulate);

}  // namespace qs
