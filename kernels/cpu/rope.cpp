#include "cpu/rope.h"

#include <cmath>

#include "cpu/compute_threads.h"

namespace qs {

RopeTable makeRopeTable(const std::vector<double>& invFreq, int64_t positions) {
    RopeTable t;
    t.positions = positions;
    t.pairs = int64_t(invFreq.size());
    t.cos.resize(size_t(positions * t.pairs));
    t.sin.resize(t.cos.size());
    for (int64_t p = 0; p < positions; ++p)
        for (int64_t i = 0; i < t.pairs; ++i) {
            const double angle = double(p) * invFreq[size_t(i)];
            t.cos[size_t(p * t.pairs + i)] = float(std::cos(angle));
            t.sin[size_t(p * t.pairs + i)] = float(std::sin(angle));
        }
    return t;
}

void applyRope(float* x, int64_t rows, int64_t rowStride, int64_t heads, int64_t headDim, const int32_t* positions,
               const RopeTable& table, RopeLayout layout) {
    checkRopeArguments(rows, headDim, positions, table);
    const int64_t half = headDim / 2;
    // Element offsets of the two members of pair i.
    const int64_t firstStep = layout == RopeLayout::SplitHalves ? 1 : 2;
    const int64_t secondOffset = layout == RopeLayout::SplitHalves ? half : 1;
#pragma omp parallel for num_threads(computeThreads()) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const float* c = table.cos.data() + positions[r] * half;
        const float* s = table.sin.data() + positions[r] * half;
        for (int64_t h = 0; h < heads; ++h) {
            float* v = x + r * rowStride + h * headDim;
            for (int64_t i = 0; i < half; ++i) {
                float& a = v[i * firstStep];
                float& b = v[i * firstStep + secondOffset];
                const float a0 = a, b0 = b;
                a = a0 * c[i] - b0 * s[i];
                b = b0 * c[i] + a0 * s[i];
            }
        }
    }
}

}  // namespace qs
