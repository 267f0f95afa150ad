#include "quant/gptq.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include <Eigen/Cholesky>
#include <Eigen/Core>

namespace qs {

namespace {

// Column-major, so a weight column (one input feature over all outputs) and
// a column of H are contiguous: GPTQ walks W column by column.
using Matrix = Eigen::MatrixXd;
using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Columns per block of the blocked triangular inverse (a GEMM-sized panel).
constexpr int64_t kInversePanel = 256;

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

// The upper triangular U with H^-1 = Uᵀ U (the reference takes cholesky,
// cholesky_inverse, then cholesky(upper=True)). With J the reversal matrix,
// J H J = M Mᵀ (M lower), and U = J M^-1 J is upper with
// Uᵀ U = J M^-ᵀ M^-1 J = (J M Mᵀ J)^-1 = H^-1; the Cholesky factor being
// unique, this is the same U for one factorization and one triangular
// inverse (2/3 n³ flops instead of 5/3 n³). H is overwritten.
Matrix upperCholeskyOfInverse(Eigen::Map<Matrix>& h, double dampAdded, const std::string& layer) {
    const int64_t n = h.rows();
    h.reverseInPlace();
    Eigen::LLT<Eigen::Ref<Matrix>> llt(h);  // in place: M in the lower triangle
    if (llt.info() != Eigen::Success)
        throw std::runtime_error("GPTQ " + layer + ": the Hessian is not positive definite even after adding " +
                                 std::to_string(dampAdded) +
                                 " to its diagonal; raise the dampening or use more calibration tokens");
    // M^-1 panel by panel: panel columns [j0, j0 + b) are zero above row j0,
    // so each is one triangular solve of the trailing block (n³/3 flops).
    Matrix u = Matrix::Zero(n, n);
    for (int64_t j0 = 0; j0 < n; j0 += kInversePanel) {
        const int64_t b = std::min(kInversePanel, n - j0);
        auto panel = u.block(j0, j0, n - j0, b);
        panel.topRows(b).setIdentity();
        h.bottomRightCorner(n - j0, n - j0).triangularView<Eigen::Lower>().solveInPlace(panel);
    }
    u.reverseInPlace();
    return u;
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
    const bool perChannel = o.groupSize == 0;
    const bool dynamicGroups = !perChannel && !o.staticGroups;
    const int64_t groupCols = perChannel ? cols : o.groupSize;

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
    const Matrix u = upperCholeskyOfInverse(h, dampAdded, layer);
    std::vector<double>().swap(hessian);  // h is dead from here; free its memory before the sweep

    r.dequantized.resize(static_cast<size_t>(rows * cols));
    r.codes.resize(static_cast<size_t>(rows * cols));
    Matrix err(rows, std::min(o.blockSize, cols));
    const IntGrid* grid = r.grids.data();
    for (int64_t i1 = 0, i2 = 0; i1 < cols; i1 = i2) {
        i2 = std::min(i1 + o.blockSize, cols);
        // A dynamic group's grid is fitted on its columns' updated values: end
        // the block at the next group start so those values are all current
        // (blocking then never changes which values a grid sees).
        if (dynamicGroups) i2 = std::min(i2, (i1 / groupCols + 1) * groupCols);
        const int64_t count = i2 - i1;
        for (int64_t i = 0; i < count; ++i) {
            const int64_t col = i1 + i, original = perm[size_t(col)];
            if (dynamicGroups) {
                grid = &r.grids[size_t((col / groupCols) * rows)];
                if (col % groupCols == 0)
                    fitGroupGrids(w, col, std::min(groupCols, cols - col), o, &r.grids[size_t((col / groupCols) * rows)]);
            } else if (!perChannel) {
                grid = &r.grids[size_t((original / groupCols) * rows)];
            }
            const double d = u(col, col);
            for (int64_t row = 0; row < rows; ++row) {
                const double x = w(row, col);
                const int code = quantizeToCode(x, grid[row]);
                const double q = grid[row].scale * (double(code) - grid[row].zero);
                err(row, i) = (x - q) / d;
                r.codes[size_t(row * cols + original)] = uint8_t(code);
                r.dequantized[size_t(row * cols + original)] = float(q);
            }
            // Alg. 1: spread this column's error over the block's later columns.
            const int64_t rest = count - i - 1;
            if (rest > 0) w.middleCols(col + 1, rest).noalias() -= err.col(i) * u.row(col).segment(col + 1, rest);
        }
        // The lazy batch update of every column right of the block.
        if (i2 < cols) w.rightCols(cols - i2).noalias() -= err.leftCols(count) * u.block(i1, i2, count, cols - i2);
    }

    r.gIdx.resize(static_cast<size_t>(cols));
    for (int64_t k = 0; k < cols; ++k) {
        const int64_t original = perm[size_t(k)];
        // Dynamic act-order groups are runs of the quantization order; the others are runs of original columns.
        r.gIdx[size_t(original)] = int32_t((dynamicGroups ? k : original) / groupCols);
    }
    return r;
}

}  // namespace qs
