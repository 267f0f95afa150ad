// Scalar reference fake quantization ("quantize then dequantize" in place):
// the values a quantized layer computes with, for weights [rows, cols]
// row-major (a torch Linear's [out, in]) and for activations [tokens, width].
//
// Integer schemes use the grid of cpu/int_grid.h, fitted to the [min, max] of
// each range (a whole tensor, a row, or a group of consecutive elements of a
// row). FP8 E4M3 schemes scale by absmax / 448 so the largest magnitude lands
// on E4M3's largest finite value, then round with cpu/fp8_e4m3.h.
//
// Non-finite inputs: NaN and ±inf are left unchanged and ignored when fitting
// a range, so one bad value does not wipe out its row. A range of only zeros
// (or only non-finite values) keeps its values.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "cpu/int_grid.h"

namespace qs {

// One grid per `groupSize` consecutive elements of each row; groupSize must
// divide cols (groupSize = cols is per-channel, i.e. per output row).
void fakeQuantizeIntRows(float* x, int64_t rows, int64_t cols, int64_t groupSize, int bits, bool symmetric);
// fakeQuantizeIntRows' check on every backend (std::invalid_argument); inline
// for the CUDA module, which does not link the CPU kernels.
inline void checkRowGroups(int64_t cols, int64_t groupSize) {
    if (groupSize <= 0 || cols % groupSize != 0)
        throw std::invalid_argument("fakeQuantizeIntRows: group size " + std::to_string(groupSize) +
                                    " does not divide the row length " + std::to_string(cols));
}
// One grid over all n values.
void fakeQuantizeIntTensor(float* x, int64_t n, int bits, bool symmetric);
// The grid the functions above fit to n values: over their finite [min, max]
// (only zeros or nothing finite: the all-zero grid of fitIntGrid). Exporters
// use it to turn RTN weights into the very codes fake quantization rounds to.
IntGrid fitIntGridToValues(const float* x, int64_t n, int bits, bool symmetric);
// A given grid (static activation scales).
void fakeQuantizeIntWithGrid(float* x, int64_t n, const IntGrid& grid);

// FP8 E4M3 with one scale per row (per-channel weights, per-token activations).
void fakeQuantizeF8Rows(float* x, int64_t rows, int64_t cols);
// FP8 E4M3 with one scale over all n values.
void fakeQuantizeF8Tensor(float* x, int64_t n);
// FP8 E4M3 with a given scale (static activation scales): x -> scale * e4m3(x / scale).
void fakeQuantizeF8WithScale(float* x, int64_t n, double scale);

// INT8 symmetric grid of a static per-tensor activation scale: codes -128..127 times scale.
inline IntGrid int8GridForScale(double scale) { return IntGrid{scale, 128.0, 255}; }

}  // namespace qs
