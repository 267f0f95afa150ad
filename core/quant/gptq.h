// GPTQ on one linear layer (Frantar et al. 2022, "GPTQ: Accurate Post-Training
// Quantization for Generative Pre-trained Transformers", Alg. 1), in the step
// order of the authors' reference (gptq.py, fasterquant): dead columns, static
// group grids, act-order permutation, dampening, the upper Cholesky factor of
// H^-1, then column by column quantization with error feedback, applied
// lazily to the columns right of each block of block_size columns.
// Quantization uses the shared integer grid (cpu/int_grid.h), so GPTQ's codes
// are on the very grid RTN uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cpu/int_grid.h"
#include "model/decoder_block_weights.h"

namespace qs {

class KernelBackend;

struct GptqOptions {
    int bits = 4;               // 2..8
    bool symmetric = true;
    int64_t groupSize = 0;      // columns per group; 0: one grid per output channel (row)
    bool actOrder = false;      // quantize columns by descending H_ii ("desc_act")
    // Fit every group's grid on the original W before any update (needed by
    // act-order exports whose groups must stay contiguous in memory); else a
    // group's grid is fitted on the updated weights when its first column
    // is reached, as the reference does.
    bool staticGroups = false;
    double damp = 0.01;         // fraction of mean(diag H) added to the diagonal
    int64_t blockSize = 128;    // columns per lazy batch update (does not change the result)
    // Where the factorization and the column sweep run (kernels/backend.h);
    // null: the CPU backend. A GPU backend's own Cholesky
    // route and GEMMs round differently in the last bits, so a few codes at
    // rounding boundaries may differ from the CPU's (test_backend_parity).
    const KernelBackend* backend = nullptr;
};

// What a packed GPTQ export needs, plus the dequantized weights to compute with.
struct GptqResult {
    int64_t outFeatures = 0, inFeatures = 0, groups = 0;
    std::vector<float> dequantized;  // [out, in] row-major: scale * (code - zero)
    std::vector<uint8_t> codes;      // [out, in] row-major, 0..2^bits - 1
    std::vector<IntGrid> grids;      // [groups, out]: group g of row r at g * out + r
    std::vector<int32_t> gIdx;       // [in]: the group of each input column
    int64_t deadColumns = 0;         // columns with H_ii == 0 (never seen a non-zero input)
};

// Throws std::invalid_argument naming the options or shapes at fault, and
// std::runtime_error naming `layer` when H holds NaN/Inf or stays not
// positive definite after dampening. `hessian` [in, in] is taken by value so
// a caller can move a multi-gigabyte H in; it is used as work space.
GptqResult gptqQuantize(const LinearWeights& weights, std::vector<double> hessian, const GptqOptions& options,
                        const std::string& layer);

void validateGptqOptions(const GptqOptions& options);

}  // namespace qs
