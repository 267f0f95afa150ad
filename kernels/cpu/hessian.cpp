#include "cpu/hessian.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <Eigen/Core>

#include "cpu/compute_threads.h"

namespace qs {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

HessianAccumulator::HessianAccumulator(int64_t cols) : cols_(cols) {
    if (cols < 1) throw std::invalid_argument("HessianAccumulator: cols must be positive");
    lower_.assign(static_cast<size_t>(cols * cols), 0.0);
}

// Eigen's rank update (SYRK) runs on one thread, so the lower triangle is cut
// into kTile-wide column tiles and the tile pairs are shared among the
// compute threads: a diagonal pair is a rank update, the others a float32
// GEMM, and each is folded into the float64 H as soon as it is done, so no
// cols x cols float32 Gram matrix is ever held (3.3 GB at 28672 columns).
void HessianAccumulator::add(const float* x, int64_t rows) {
    if (rows < 0) throw std::invalid_argument("HessianAccumulator::add: negative row count");
    constexpr int64_t kTile = 256;
    const int64_t tiles = (cols_ + kTile - 1) / kTile;
    const int64_t pairs = tiles * (tiles + 1) / 2;
    Eigen::Map<Eigen::MatrixXd> h(lower_.data(), cols_, cols_);
    for (int64_t first = 0; first < rows; first += kHessianSlabRows) {
        const int64_t n = std::min(kHessianSlabRows, rows - first);
        const Eigen::Map<const RowMajorF> slab(x + first * cols_, n, cols_);
        const int64_t total = samples_ + n;
        const double keep = double(samples_) / double(total), add = 2.0 / double(total);
#pragma omp parallel num_threads(computeThreads())
        {
            Eigen::MatrixXf gram(kTile, kTile);
#pragma omp for schedule(dynamic)
            for (int64_t pair = 0; pair < pairs; ++pair) {
                int64_t ti = 0;  // pair -> (ti, tj), tj <= ti, row by row of the tile triangle
                while ((ti + 1) * (ti + 2) / 2 <= pair) ++ti;
                const int64_t tj = pair - ti * (ti + 1) / 2;
                const int64_t i0 = ti * kTile, j0 = tj * kTile;
                const int64_t ni = std::min(kTile, cols_ - i0), nj = std::min(kTile, cols_ - j0);
                auto g = gram.topLeftCorner(ni, nj);
                auto target = h.block(i0, j0, ni, nj);
                if (ti == tj) {
                    g.setZero();
                    g.selfadjointView<Eigen::Lower>().rankUpdate(slab.middleCols(i0, ni).transpose());
                    target.triangularView<Eigen::Lower>() = keep * target + add * g.cast<double>();
                } else {
                    g.noalias() = slab.middleCols(i0, ni).transpose() * slab.middleCols(j0, nj);
                    target = keep * target + add * g.cast<double>();
                }
            }
        }
        samples_ = total;
    }
}

std::vector<double> HessianAccumulator::matrix() const {
    std::vector<double> full(lower_.size());
    const Eigen::Map<const Eigen::MatrixXd> h(lower_.data(), cols_, cols_);
    // Row-major output of a symmetric matrix is its column-major lower triangle mirrored.
    Eigen::Map<Eigen::MatrixXd>(full.data(), cols_, cols_) = h.selfadjointView<Eigen::Lower>();
    return full;
}

std::vector<double> HessianAccumulator::takeMatrix() {
    Eigen::Map<Eigen::MatrixXd> h(lower_.data(), cols_, cols_);
    for (int64_t j = 1; j < cols_; ++j)
        for (int64_t i = 0; i < j; ++i) h(i, j) = h(j, i);
    samples_ = 0;
    return std::move(lower_);
}

}  // namespace qs
