#include "cpu/matmul.h"

#include <Eigen/Core>

#include "cpu/compute_threads.h"

namespace qs {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void linearForward(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y,
                   bool accumulate) {
    const Eigen::Map<const RowMatrix> X(x, rows, in);
    const Eigen::Map<const RowMatrix> W(w, out, in);
    Eigen::Map<RowMatrix> Y(y, rows, out);
    Eigen::setNbThreads(computeThreads());
    if (accumulate)
        Y.noalias() += X * W.transpose();
    else
        Y.noalias() = X * W.transpose();
}

}  // namespace qs
