#include "cpu/hessian.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <Eigen/Core>

namespace qs {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

HessianAccumulator::HessianAccumulator(int64_t cols) : cols_(cols) {
    if (cols < 1) throw std::invalid_argument("HessianAccumulator: cols must be positive");
    lower_.assign(static_cast<size_t>(cols * cols), 0.0);
}

void HessianAccumulator::add(const float* x, int64_t rows) {
    if (rows < 0) throw std::invalid_argument("HessianAccumulator::add: negative row count");
    Eigen::Map<Eigen::MatrixXd> h(lower_.data(), cols_, cols_);
    Eigen::MatrixXf gram(cols_, cols_);
    for (int64_t first = 0; first < rows; first += kHessianSlabRows) {
        const int64_t n = std::min(kHessianSlabRows, rows - first);
        const Eigen::Map<const RowMajorF> slab(x + first * cols_, n, cols_);
        gram.setZero();
        gram.selfadjointView<Eigen::Lower>().rankUpdate(slab.transpose());
        const int64_t total = samples_ + n;
        const double keep = double(samples_) / double(total), add = 2.0 / double(total);
        h.triangularView<Eigen::Lower>() = keep * h + add * gram.cast<double>();
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
