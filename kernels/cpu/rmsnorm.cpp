#include "cpu/rmsnorm.h"

#include <cmath>

#include "cpu/compute_threads.h"

namespace qs {

void rmsNormRows(const float* x, const float* weight, float* y, int64_t rows, int64_t cols, float eps) {
#pragma omp parallel for num_threads(computeThreads()) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        // The sum of squares in double: wide rows (8192) would otherwise lose digits.
        double ss = 0.0;
        for (int64_t c = 0; c < cols; ++c) ss += double(xr[c]) * xr[c];
        const float inv = float(1.0 / std::sqrt(ss / double(cols) + double(eps)));
        for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] * inv * weight[c];
    }
}

}  // namespace qs
