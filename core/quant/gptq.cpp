#include "quant/gptq.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <stdexcept>

#include <Eigen/Core>

#include "backend.h"
#include "model/default_backend.h"

namespace qs {

namespace {

// Column-major, so a weight column (one input feature over all outputs) and
// a column of H are contiguous: GPTQ walks W column by column.
using Matrix = Eigen::MatrixXd;
using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void checkFinite(const std::vector<double>& h, int64_t n, const std::string& layer) {
    for (size_t k = 0; k < h.size(); ++k)
        if (!std::isfinite(h[k]))
            throw std::runtime_error("GPTQ " + layer + ": the Hessian holds " + (std::isnan(h[k]) ? "NaN" : "Inf") +
                                     " at [" + std::to_string(int64_t(k) / n) + ", " + std::to_string(int64_t(k) % n) +
                                     "]; the layer's calibration inputs are not finite");
}

// One grid per row over columns [first, first + count) of w, into out[row].
void fitGroupGrids(const Matrix& w, int64_t first, int64_t count, const GptqOptions& o, IntGrid* out) {
    for (int64_t r = 0; r < w.rows(); ++r) {
        const auto seg = w.row(r).segment(first, count);
        out[r] = fitIntGrid(seg.minCoeff(), seg.maxCoeff(), o.bits, o.symmetric);
    }
}

[[noreturn]] void throwNotPositiveDefinite(double dampAdded, const std::string& layer) {
    throw std::runtime_error("GPTQ " + layer + ": the Hessian is not positive definite even after adding " +
                             std::to_string(dampAdded) +
                             " to its diagonal; raise the dampening or use more calibration tokens");
}

// The upper triangular U with H^-1 = Uᵀ U, from the backend (cpu/cholesky_inverse.h;
// on a GPU, cuSOLVER), column-major. The backend's U comes back row-major,
// which read column-major is Uᵀ; H is symmetric, so either order goes in.
Matrix backendUpperCholeskyOfInverse(const KernelBackend& backend, Eigen::Map<Matrix>& h, double dampAdded,
                                     const std::string& layer) {
    if (!backend.upperCholeskyOfInverse(h.data(), h.rows())) throwNotPositiveDefinite(dampAdded, layer);
    return h.transpose();
}

// How the options group a layer's columns into grids.
struct GroupLayout {
    bool perChannel;     // one grid per row for all columns
    bool dynamicGroups;  // grids fitted when the sweep reaches a group, on updated weights
    int64_t groupCols;   // columns per group (cols when per channel)
};
GroupLayout groupLayoutOf(const GptqOptions& o, int64_t cols) {
    const bool perChannel = o.groupSize == 0;
    return {perChannel, !perChannel && !o.staticGroups, perChannel ? cols : o.groupSize};
}

// Quantizes the (permuted) columns block by block, fitting each dynamic
// group's grids on the sweep's current values when the group is reached, and
// puts the codes and values back in original column order (perm[k]: the
// original column quantized k-th).
void sweepColumns(GptqSweep& sweep, const GptqOptions& o, const std::vector<int64_t>& perm, GptqResult& r) {
    const int64_t rows = r.outFeatures, cols = r.inFeatures;
    const auto [perChannel, dynamicGroups, groupCols] = groupLayoutOf(o, cols);
    const int64_t maxBlock = std::min(o.blockSize, cols);
    std::vector<int32_t> setOfColumn(static_cast<size_t>(maxBlock));
    std::vector<uint8_t> blockCodes(static_cast<size_t>(rows * maxBlock));
    std::vector<float> blockValues(blockCodes.size());
    for (int64_t i1 = 0, i2 = 0; i1 < cols; i1 = i2) {
        i2 = std::min(i1 + o.blockSize, cols);
        // A dynamic group's grid is fitted on its columns' updated values: end
        // the block at the next group start so those values are all current
        // (blocking then never changes which values a grid sees), and a group
        // always starts at a block's first column.
        if (dynamicGroups) {
            i2 = std::min(i2, (i1 / groupCols + 1) * groupCols);
            if (i1 % groupCols == 0) {
                Matrix current(rows, std::min(groupCols, cols - i1));
                sweep.readColumns(i1, current.cols(), current.data());
                fitGroupGrids(current, 0, current.cols(), o, &r.grids[size_t((i1 / groupCols) * rows)]);
            }
        }
        const int64_t count = i2 - i1;
        // Dynamic act-order groups are runs of the quantization order; static ones runs of original columns.
        for (int64_t i = 0; i < count; ++i)
            setOfColumn[size_t(i)] =
                perChannel ? 0 : int32_t((dynamicGroups ? i1 + i : perm[size_t(i1 + i)]) / groupCols);
        sweep.quantizeBlock(i1, i2, r.grids.data(), r.groups, setOfColumn.data(), blockCodes.data(),
                            blockValues.data());
        for (int64_t i = 0; i < count; ++i) {
            const int64_t original = perm[size_t(i1 + i)];
            for (int64_t row = 0; row < rows; ++row) {
                r.codes[size_t(row * cols + original)] = blockCodes[size_t(i * rows + row)];
                r.dequantized[size_t(row * cols + original)] = blockValues[size_t(i * rows + row)];
            }
        }
    }
}

}  // namespace

void validateGptqOptions(const GptqOptions& o) {
    if (o.bits < 2 || o.bits > 8) throw std::invalid_argument("GPTQ: bits must be 2..8, not " + std::to_string(o.bits));
    if (o.groupSize < 0) throw std::invalid_argument("GPTQ: group size must be >= 0 (0: per channel)");
    if (o.blockSize < 1) throw std::invalid_argument("GPTQ: block size must be positive");
    if (!(o.damp >= 0.0) || !std::isfinite(o.damp)) throw std::invalid_argument("GPTQ: damp must be a finite value >= 0");
}

GptqResult gptqQuantize(const LinearWeights& weights, std::vector<double> hessian, const GptqOptions& o,
                        const std::string& layer) {
    validateGptqOptions(o);
    const int64_t rows = weights.outFeatures, cols = weights.inFeatures;
    if (rows < 1 || cols < 1 || int64_t(weights.w.size()) != rows * cols)
        throw std::invalid_argument("GPTQ " + layer + ": weights must be [out, in] with out, in >= 1");
    if (int64_t(hessian.size()) != cols * cols)
        throw std::invalid_argument("GPTQ " + layer + ": the Hessian must be [in, in] = [" + std::to_string(cols) + ", " +
                                    std::to_string(cols) + "]");
    checkFinite(hessian, cols, layer);

    Eigen::Map<Matrix> h(hessian.data(), cols, cols);
    Matrix w = Eigen::Map<const RowMajorF>(weights.w.data(), rows, cols).cast<double>();
    const auto [perChannel, dynamicGroups, groupCols] = groupLayoutOf(o, cols);

    GptqResult r;
    r.outFeatures = rows;
    r.inFeatures = cols;
    r.groups = (cols + groupCols - 1) / groupCols;
    r.grids.resize(static_cast<size_t>(r.groups * rows));
    // The reference fits per-channel grids on W as loaded, before dead columns are zeroed.
    if (perChannel) fitGroupGrids(w, 0, cols, o, r.grids.data());

    // A column no calibration input ever excited has H_ii = 0: its weight
    // cannot matter to the loss, so it is zeroed and H_ii set to 1 to keep H
    // invertible (reference).
    for (int64_t i = 0; i < cols; ++i)
        if (h(i, i) == 0.0) {
            h(i, i) = 1.0;
            w.col(i).setZero();
            ++r.deadColumns;
        }
    if (!perChannel && o.staticGroups)
        for (int64_t g = 0; g < r.groups; ++g)
            fitGroupGrids(w, g * groupCols, std::min(groupCols, cols - g * groupCols), o, &r.grids[size_t(g * rows)]);

    // perm[k]: the original column quantized k-th.
    std::vector<int64_t> perm(static_cast<size_t>(cols));
    std::iota(perm.begin(), perm.end(), int64_t(0));
    if (o.actOrder) {
        std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return h(a, a) > h(b, b); });
        Matrix permuted(rows, cols);
        for (int64_t k = 0; k < cols; ++k) permuted.col(k) = w.col(perm[size_t(k)]);
        w.swap(permuted);
        permuted.resize(cols, cols);
        for (int64_t j = 0; j < cols; ++j)
            for (int64_t i = 0; i < cols; ++i) permuted(i, j) = h(perm[size_t(i)], perm[size_t(j)]);
        h = permuted;
    }

    const double dampAdded = o.damp * h.diagonal().mean();
    h.diagonal().array() += dampAdded;
    const KernelBackend& backend = backendOrCpu(o.backend);
    const Matrix u = backendUpperCholeskyOfInverse(backend, h, dampAdded, layer);
    std::vector<double>().swap(hessian);  // h is dead from here; free its memory before the sweep

    r.dequantized.resize(static_cast<size_t>(rows * cols));
    r.codes.resize(static_cast<size_t>(rows * cols));
    // w becomes the sweep's work space (the CPU sweep updates it in place).
    const std::unique_ptr<GptqSweep> sweep = backend.makeGptqSweep(w.data(), rows, cols, u.data());
    sweepColumns(*sweep, o, perm, r);

    r.gIdx.resize(static_cast<size_t>(cols));
    for (int64_t k = 0; k < cols; ++k) {
        const int64_t original = perm[size_t(k)];
        // Dynamic act-order groups are runs of the quantization order; the others are runs of original columns.
        r.gIdx[size_t(original)] = int32_t((dynamicGroups ? k : original) / groupCols);
    }
    return r;
}

}  // namespace qs
