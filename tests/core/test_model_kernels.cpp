// The CPU kernels of the forward pass against float64 loops written here, on
// deterministic data and awkward sizes (lengths around the attention's
// 64-row query tile, odd widths): the references later CUDA parity tests use.
#include <algorithm>
#include <cmath>
#include <vector>

#include "check.h"
#include "cpu/attention.h"
#include "cpu/compute_threads.h"
#include "cpu/log_softmax.h"
#include "cpu/matmul.h"
#include "cpu/rmsnorm.h"
#include "cpu/rope.h"
#include "cpu/swiglu.h"

using namespace qs;

namespace {

// Tolerances: max |kernel - float64| / max |float64|.
constexpr double kMatmulRelTol = 1e-6;
constexpr double kAttentionRelTol = 1e-6;
constexpr double kElementwiseRelTol = 1e-6;
constexpr double kLogSumExpAbsTol = 1e-5;

// Deterministic values in [-1, 1) (xorshift32).
std::vector<float> data(size_t n, uint32_t seed) {
    std::vector<float> v(n);
    uint32_t s = seed * 2654435761u + 1;
    for (float& x : v) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x = float(s % 20000) / 10000.0f - 1.0f;
    }
    return v;
}

double relError(const std::vector<float>& a, const std::vector<double>& b) {
    double diff = 0, scale = 0;
    for (size_t i = 0; i < b.size(); ++i) {
        diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
        scale = std::max(scale, std::fabs(b[i]));
    }
    return diff / scale;
}

}  // namespace

QS_TEST(linearForwardMatchesLoops) {
    for (const auto [rows, in, out] : {std::array<int64_t, 3>{1, 1, 1}, {3, 7, 17}, {33, 65, 31}, {130, 256, 64}}) {
        const auto x = data(size_t(rows * in), 1), w = data(size_t(out * in), 2), y0 = data(size_t(rows * out), 3);
        std::vector<double> ref(size_t(rows * out));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t o = 0; o < out; ++o) {
                double s = 0;
                for (int64_t i = 0; i < in; ++i) s += double(x[size_t(r * in + i)]) * w[size_t(o * in + i)];
                ref[size_t(r * out + o)] = s;
            }
        std::vector<float> y(size_t(rows * out));
        linearForward(x.data(), rows, in, w.data(), out, y.data());
        QS_CHECK(relError(y, ref) <= kMatmulRelTol);
        std::vector<float> acc = y0;
        linearForward(x.data(), rows, in, w.data(), out, acc.data(), true);
        for (size_t i = 0; i < ref.size(); ++i) ref[i] += y0[i];
        QS_CHECK(relError(acc, ref) <= kMatmulRelTol);
    }
}

// Sequences of 1, 63, 64, 65 and 130 rows back to back, 8 query heads on 2 kv heads.
QS_TEST(causalAttentionMatchesLoops) {
    const AttentionShape shape{8, 2, 16};
    const std::vector<int64_t> starts{0, 1, 64, 128, 193, 323};
    const int64_t rows = starts.back(), qDim = 8 * 16, kvDim = 2 * 16;
    const auto q = data(size_t(rows * qDim), 4), k = data(size_t(rows * kvDim), 5), v = data(size_t(rows * kvDim), 6);
    std::vector<float> out(size_t(rows * qDim));
    causalAttention(q.data(), k.data(), v.data(), out.data(), starts.data(), int64_t(starts.size()) - 1, shape);

    std::vector<double> ref(out.size(), 0.0);
    for (size_t s = 0; s + 1 < starts.size(); ++s)
        for (int64_t t = starts[s]; t < starts[s + 1]; ++t)
            for (int64_t h = 0; h < 8; ++h) {
                const int64_t g = h / 4;
                std::vector<double> p;
                for (int64_t j = starts[s]; j <= t; ++j) {
                    double dot = 0;
                    for (int64_t e = 0; e < 16; ++e) dot += double(q[size_t(t * qDim + h * 16 + e)]) * k[size_t(j * kvDim + g * 16 + e)];
                    p.push_back(dot / 4.0);
                }
                const double max = *std::max_element(p.begin(), p.end());
                double z = 0;
                for (double& x : p) z += (x = std::exp(x - max));
                for (int64_t j = starts[s]; j <= t; ++j)
                    for (int64_t e = 0; e < 16; ++e)
                        ref[size_t(t * qDim + h * 16 + e)] += p[size_t(j - starts[s])] / z * v[size_t(j * kvDim + g * 16 + e)];
            }
    QS_CHECK(relError(out, ref) <= kAttentionRelTol);
    // The first row of every sequence sees only itself: its output is its value row.
    QS_CHECK_NEAR(out[size_t(64 * qDim + 5 * 16 + 3)], v[size_t(64 * kvDim + 1 * 16 + 3)], 1e-7);
}

// Interleaved rotation of permuted rows equals split-halves rotation of the
// originals (the llama2.c / HF relation): x_hf[i] = x_l2c[2i], x_hf[i + d/2] = x_l2c[2i + 1].
QS_TEST(ropeLayoutsAgreeUnderThePermutation) {
    const int64_t rows = 70, heads = 3, d = 10, width = heads * d;
    std::vector<double> inv;
    for (int64_t i = 0; i < d / 2; ++i) inv.push_back(std::pow(10000.0, -2.0 * double(i) / double(d)));
    const RopeTable table = makeRopeTable(inv, 128);
    std::vector<int32_t> pos(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) pos[size_t(r)] = int32_t((r * 7) % 128);
    auto hf = data(size_t(rows * width), 7);
    std::vector<float> l2c(hf.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t i = 0; i < d / 2; ++i) {
                l2c[size_t(r * width + h * d + 2 * i)] = hf[size_t(r * width + h * d + i)];
                l2c[size_t(r * width + h * d + 2 * i + 1)] = hf[size_t(r * width + h * d + i + d / 2)];
            }
    const auto original = hf;
    applyRope(hf.data(), rows, width, heads, d, pos.data(), table, RopeLayout::SplitHalves);
    applyRope(l2c.data(), rows, width, heads, d, pos.data(), table, RopeLayout::InterleavedPairs);
    double diff = 0, rotationErr = 0;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t i = 0; i < d / 2; ++i) {
                const size_t a = size_t(r * width + h * d + i), b = a + size_t(d / 2);
                diff = std::max({diff, double(std::fabs(hf[a] - l2c[size_t(r * width + h * d + 2 * i)])),
                                 double(std::fabs(hf[b] - l2c[size_t(r * width + h * d + 2 * i + 1)]))});
                const double angle = double(pos[size_t(r)]) * inv[size_t(i)];
                const double ea = original[a] * std::cos(angle) - original[b] * std::sin(angle);
                rotationErr = std::max(rotationErr, std::fabs(hf[a] - ea));
            }
    QS_CHECK(diff == 0.0);
    QS_CHECK(rotationErr <= 1e-6);
    const int32_t outside = 128;
    QS_CHECK_THROWS_WITH(applyRope(hf.data(), 1, width, heads, d, &outside, table, RopeLayout::SplitHalves),
                         "outside the table");
}

QS_TEST(rmsNormSwigluLogSumExpMatchLoops) {
    const int64_t rows = 5, cols = 257;
    const auto x = data(size_t(rows * cols), 8), w = data(size_t(cols), 9);
    std::vector<float> y(x.size());
    rmsNormRows(x.data(), w.data(), y.data(), rows, cols, 1e-5f);
    std::vector<double> ref(x.size());
    for (int64_t r = 0; r < rows; ++r) {
        double ss = 0;
        for (int64_t c = 0; c < cols; ++c) ss += double(x[size_t(r * cols + c)]) * x[size_t(r * cols + c)];
        for (int64_t c = 0; c < cols; ++c)
            ref[size_t(r * cols + c)] = x[size_t(r * cols + c)] / std::sqrt(ss / double(cols) + 1e-5) * w[size_t(c)];
    }
    QS_CHECK(relError(y, ref) <= kElementwiseRelTol);

    auto gate = data(10001, 10);
    for (float& g : gate) g *= 12.0f;  // into silu's saturated ends
    const auto up = data(10001, 11);
    std::vector<double> sw(gate.size());
    for (size_t i = 0; i < gate.size(); ++i) sw[i] = double(gate[i]) / (1 + std::exp(-double(gate[i]))) * up[i];
    swigluInPlace(gate.data(), up.data(), int64_t(gate.size()));
    QS_CHECK(relError(gate, sw) <= kElementwiseRelTol);

    // Logits around 80: exp would overflow float without the max subtraction.
    auto logits = data(size_t(3 * 32000), 12);
    for (float& l : logits) l = l * 10.0f + 80.0f;
    std::vector<double> lse(3);
    logSumExpRows(logits.data(), 3, 32000, lse.data());
    for (int64_t r = 0; r < 3; ++r) {
        double max = -1e300, z = 0;
        for (int64_t c = 0; c < 32000; ++c) max = std::max(max, double(logits[size_t(r * 32000 + c)]));
        for (int64_t c = 0; c < 32000; ++c) z += std::exp(double(logits[size_t(r * 32000 + c)]) - max);
        QS_CHECK_NEAR(lse[size_t(r)], max + std::log(z), kLogSumExpAbsTol);
    }
}

QS_TEST(computeThreadsSetting) {
    const int before = computeThreads();
    setComputeThreads(1);
    QS_CHECK_EQ(computeThreads(), 1);
    setComputeThreads(2);
    QS_CHECK(computeThreads() == 2 || computeThreads() == 1);  // 1 in a build without OpenMP
    setComputeThreads(before);
}
