// HessianAccumulator against a float64 2/n·XᵀX computed here, over batches of
// different sizes and past the float32 slab size.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "cpu/hessian.h"

using namespace qs;

namespace {

constexpr double kRelTol = 2e-6;  // float32 products summed over <= kHessianSlabRows rows

std::vector<float> randomRows(int64_t rows, int64_t cols, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.5f, 1.0f);  // a non-zero mean, as activations have
    std::vector<float> x(static_cast<size_t>(rows * cols));
    for (float& v : x) v = normal(rng);
    return x;
}

// max |H - 2/n XᵀX| / max |2/n XᵀX|
double relativeDifference(const std::vector<double>& h, const std::vector<float>& x, int64_t rows, int64_t cols) {
    double maxRef = 0, maxDiff = 0;
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j) {
            double s = 0;
            for (int64_t t = 0; t < rows; ++t) s += double(x[size_t(t * cols + i)]) * double(x[size_t(t * cols + j)]);
            s *= 2.0 / double(rows);
            maxRef = std::max(maxRef, std::fabs(s));
            maxDiff = std::max(maxDiff, std::fabs(h[size_t(i * cols + j)] - s));
        }
    return maxDiff / maxRef;
}

}  // namespace

QS_TEST(batches_average_to_float64_gram) {
    const int64_t cols = 20;
    const std::vector<float> x = randomRows(300, cols, 1);
    HessianAccumulator acc(cols);
    acc.add(x.data(), 100);
    acc.add(x.data() + 100 * cols, 1);
    acc.add(x.data() + 101 * cols, 199);
    QS_CHECK_EQ(acc.samples(), 300);
    const std::vector<double> h = acc.matrix();
    QS_CHECK(relativeDifference(h, x, 300, cols) < kRelTol);
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j) QS_CHECK_EQ(h[size_t(i * cols + j)], h[size_t(j * cols + i)]);
    QS_CHECK(acc.takeMatrix() == h);
}

QS_TEST(rows_beyond_one_slab) {
    const int64_t cols = 6, rows = 2 * kHessianSlabRows + 37;
    const std::vector<float> x = randomRows(rows, cols, 2);
    HessianAccumulator acc(cols);
    acc.add(x.data(), rows);
    QS_CHECK(relativeDifference(acc.matrix(), x, rows, cols) < kRelTol);
}

// Wide enough for several column tiles, the last one partial, so the
// off-diagonal tiles and their placement in H are checked too.
QS_TEST(columns_beyond_one_tile) {
    const int64_t cols = 2 * 256 + 37, rows = 150;
    const std::vector<float> x = randomRows(rows, cols, 4);
    HessianAccumulator acc(cols);
    acc.add(x.data(), 70);
    acc.add(x.data() + 70 * cols, rows - 70);
    const std::vector<double> h = acc.matrix();
    QS_CHECK(relativeDifference(h, x, rows, cols) < kRelTol);
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < i; ++j) QS_CHECK_EQ(h[size_t(i * cols + j)], h[size_t(j * cols + i)]);
}

QS_TEST(zero_columns_stay_zero) {
    const int64_t cols = 5, rows = 40;
    std::vector<float> x = randomRows(rows, cols, 3);
    for (int64_t t = 0; t < rows; ++t) x[size_t(t * cols + 2)] = 0.f;
    HessianAccumulator acc(cols);
    acc.add(x.data(), rows);
    const std::vector<double> h = acc.matrix();
    for (int64_t j = 0; j < cols; ++j) QS_CHECK_EQ(h[size_t(2 * cols + j)], 0.0);
    QS_CHECK(h[0] > 0);
}
