#include "cpu/log_softmax.h"

#include <cmath>

#include <Eigen/Core>

#include "cpu/compute_threads.h"

namespace qs {

void logSumExpRows(const float* x, int64_t rows, int64_t cols, double* out) {
#pragma omp parallel for num_threads(computeThreads()) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const Eigen::Map<const Eigen::ArrayXf> row(x + r * cols, cols);
        const float max = row.maxCoeff();
        // Every term is in (0, 1] and one is exactly 1: the float sum's rounding
        // stays far below the 1e-4 to which perplexities are reported.
        const double sum = double((row - max).exp().sum());
        out[r] = double(max) + std::log(sum);
    }
}

}  // namespace qs
