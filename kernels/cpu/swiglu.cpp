#include "cpu/swiglu.h"

#include <algorithm>

#include <Eigen/Core>

#include "cpu/compute_threads.h"

namespace qs {

void swigluInPlace(float* gate, const float* up, int64_t n) {
    // Blocks of a few thousand elements: Eigen vectorises exp within a block,
    // the blocks spread over the threads.
    constexpr int64_t kBlock = 4096;
    const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(computeThreads()) schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
        const int64_t first = b * kBlock, count = std::min(kBlock, n - first);
        Eigen::Map<Eigen::ArrayXf> g(gate + first, count);
        const Eigen::Map<const Eigen::ArrayXf> u(up + first, count);
        g = g / (1.0f + (-g).exp()) * u;
    }
}

}  // namespace qs
