// GPTQ's column sweep (Frantar et al. 2022, Alg. 1 with the lazy batch
// updates of Sec. 3, "Step 2"), the numeric heart of core/quant/gptq.cpp as a
// backend op. Per block of columns [i1, i2) and per column j in it:
//   q = grid(w[:, j]);  err = (w[:, j] - q) / U[j, j];
//   W[:, j+1:i2] -= err · U[j, j+1:i2]                 (within the block)
// then, once per block, the lazy update of every column to the right:
//   W[:, i2:] -= Err[:, i1:i2] · U[i1:i2, i2:].
// Grids stay with the caller (gptq.cpp fits static groups up front and a
// dynamic group's grids when its first column is reached, on the values
// readColumns returns), so the sweep only applies the grids it is given.
// Layouts: W is [rows, cols] column-major (column j, one input feature over
// all output channels, is contiguous at w + j * rows), U [cols, cols] is the
// upper factor with H^-1 = Uᵀ U, column-major (U[i, j] at u[j * cols + i]).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "cpu/int_grid.h"

namespace qs {

class GptqSweep {
public:
    virtual ~GptqSweep() = default;

    // The current values of columns [first, first + count): out [rows, count]
    // column-major. Each block's lazy update has been applied to every column
    // right of it, so a group starting at a block's first column reads final values.
    virtual void readColumns(int64_t first, int64_t count, double* out) const = 0;

    // Quantizes columns [i1, i2) in order and applies both updates above.
    // Grids come in sets of one grid per row: gridSets [setCount, rows], set s
    // for row r at gridSets[s * rows + r], and column i1 + i uses set
    // setOfColumn[i] (per channel: one set; groups: the column's group).
    // Out, [i2 - i1, rows] (column i's rows contiguous): codes 0..maxq and the
    // dequantized values scale * (code - zero) as float.
    // Blocks must be swept left to right, each starting where the last ended.
    virtual void quantizeBlock(int64_t i1, int64_t i2, const IntGrid* gridSets, int64_t setCount,
                               const int32_t* setOfColumn, uint8_t* codes, float* dequantized) = 0;
};

// The checks every sweep makes (std::invalid_argument naming the fault):
// blocks in order, inside the layer, grid sets in range; columns read inside the layer.
inline void checkGptqBlock(int64_t expectedI1, int64_t i1, int64_t i2, int64_t cols, int64_t setCount,
                           const int32_t* setOfColumn) {
    if (i1 != expectedI1 || i2 <= i1 || i2 > cols)
        throw std::invalid_argument("GPTQ sweep: block [" + std::to_string(i1) + ", " + std::to_string(i2) +
                                    ") is not the next block of columns (expected to start at " +
                                    std::to_string(expectedI1) + " and end by " + std::to_string(cols) + ")");
    for (int64_t i = 0; i < i2 - i1; ++i)
        if (setOfColumn[i] < 0 || setOfColumn[i] >= setCount)
            throw std::invalid_argument("GPTQ sweep: column " + std::to_string(i1 + i) + " uses grid set " +
                                        std::to_string(setOfColumn[i]) + " of " + std::to_string(setCount));
}

inline void checkGptqColumns(int64_t first, int64_t count, int64_t cols) {
    if (first < 0 || count < 0 || first + count > cols)
        throw std::invalid_argument("GPTQ sweep: columns [" + std::to_string(first) + ", " +
                                    std::to_string(first + count) + ") are outside the layer's " + std::to_string(cols));
}

// The CPU sweep (Eigen, float64). It works in place: w [rows, cols] is the
// sweep's work space and u is read where it lies; both must outlive the sweep.
std::unique_ptr<GptqSweep> makeCpuGptqSweep(double* w, int64_t rows, int64_t cols, const double* u);

}  // namespace qs
