#include "cpu/cholesky_inverse.h"

#include <algorithm>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "cpu/compute_threads.h"

namespace qs {

namespace {
// Columns per panel of the triangular inverse (a GEMM-sized block).
constexpr int64_t kInversePanel = 256;
}  // namespace

bool upperCholeskyOfInverse(double* h, int64_t n) {
    Eigen::Map<Eigen::MatrixXd> m(h, n, n);  // symmetric: row- and column-major alike
    m.reverseInPlace();
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(m);  // in place: M in the lower triangle
    if (llt.info() != Eigen::Success) return false;
    // M^-1 panel by panel: panel columns [j0, j0 + b) are zero above row j0,
    // so each is one triangular solve of the trailing block (n³/3 flops in
    // all). The panels are independent, so they are shared among the threads
    // (Eigen's triangular solve runs on one).
    Eigen::MatrixXd inverse = Eigen::MatrixXd::Zero(n, n);
    const int64_t panels = (n + kInversePanel - 1) / kInversePanel;
#pragma omp parallel for schedule(dynamic, 1) num_threads(computeThreads())
    for (int64_t p = 0; p < panels; ++p) {
        const int64_t j0 = p * kInversePanel, b = std::min(kInversePanel, n - j0);
        auto panel = inverse.block(j0, j0, n - j0, b);
        panel.topRows(b).setIdentity();
        m.bottomRightCorner(n - j0, n - j0).triangularView<Eigen::Lower>().solveInPlace(panel);
    }
    inverse.reverseInPlace();  // U, column-major
    m = inverse.transpose();   // row-major U is the column-major buffer of Uᵀ
    return true;
}

}  // namespace qs
