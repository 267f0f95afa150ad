// GPTQ on single layers against the plain float64 reimplementation in
// gptq_reference.h (the textbook column loop of Alg. 1, no lazy blocks), code
// for code, at every block size. Also: H = c·I gives RTN exactly, and bad input
// (NaN/Inf in H, a Hessian that stays indefinite, bad options) is a clear error.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "cpu/fake_quant.h"
#include "cpu/int_grid.h"
#include "gptq_reference.h"
#include "quant/gptq.h"

using namespace qs;

namespace {

// Tolerances.
constexpr double kDequantTol = 1e-6;  // float(q) vs the reference's q; same codes, |q| < 10

LinearWeights randomWeights(int64_t rows, int64_t cols, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 0.05);
    LinearWeights l;
    l.outFeatures = rows;
    l.inFeatures = cols;
    l.w.resize(static_cast<size_t>(rows * cols));
    for (float& x : l.w) x = float(normal(rng));
    return l;
}

// 2/n XᵀX of n correlated input rows (x = z·A plus per-column scales that
// make act-order matter); `dead` columns of X are all zero.
std::vector<double> randomHessian(int64_t cols, uint64_t seed, std::vector<int64_t> dead = {}) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    const int64_t n = 3 * cols;
    std::vector<double> a(static_cast<size_t>(cols * cols)), x(static_cast<size_t>(n * cols), 0.0);
    for (double& v : a) v = normal(rng) * 0.3;
    for (int64_t i = 0; i < cols; ++i) a[size_t(i * cols + i)] += 1.0 + 0.1 * double(i % 7);
    for (int64_t t = 0; t < n; ++t) {
        std::vector<double> z(static_cast<size_t>(cols));
        for (double& v : z) v = normal(rng);
        for (int64_t c = 0; c < cols; ++c) {
            if (std::find(dead.begin(), dead.end(), c) != dead.end()) continue;
            double s = 0;
            for (int64_t k = 0; k < cols; ++k) s += z[size_t(k)] * a[size_t(k * cols + c)];
            x[size_t(t * cols + c)] = s;
        }
    }
    std::vector<double> h(static_cast<size_t>(cols * cols), 0.0);
    for (int64_t t = 0; t < n; ++t)
        for (int64_t i = 0; i < cols; ++i)
            for (int64_t j = 0; j < cols; ++j)
                h[size_t(i * cols + j)] += 2.0 / double(n) * x[size_t(t * cols + i)] * x[size_t(t * cols + j)];
    return h;
}

struct Case {
    int64_t rows, cols;
    int bits;
    bool symmetric;
    int64_t groupSize;
    bool actOrder, staticGroups;
    std::vector<int64_t> dead;
};

void checkAgainstReference(const Case& c, uint64_t seed) {
    const LinearWeights w = randomWeights(c.rows, c.cols, seed);
    const std::vector<double> h = randomHessian(c.cols, seed + 1, c.dead);
    GptqOptions o;
    o.bits = c.bits;
    o.symmetric = c.symmetric;
    o.groupSize = c.groupSize;
    o.actOrder = c.actOrder;
    o.staticGroups = c.staticGroups;
    const test::ReferenceGptq ref = test::referenceGptq(w.w, size_t(c.rows), size_t(c.cols), h, o);
    for (const int64_t block : {int64_t(1), int64_t(5), int64_t(8), int64_t(128)}) {
        o.blockSize = block;
        const GptqResult r = gptqQuantize(w, h, o, "test.layer");
        QS_CHECK_EQ(r.deadColumns, int64_t(c.dead.size()));
        int64_t codeMismatches = 0;
        double maxDiff = 0;
        for (size_t i = 0; i < ref.codes.size(); ++i) {
            codeMismatches += int(r.codes[i]) != ref.codes[i];
            maxDiff = std::max(maxDiff, double(std::fabs(r.dequantized[i] - ref.dequantized[i])));
        }
        QS_CHECK_EQ(codeMismatches, 0);
        QS_CHECK_NEAR(maxDiff, 0.0, kDequantTol);
        QS_CHECK(r.gIdx == ref.gIdx);
        // The packed form reproduces the dequantized weights.
        int64_t packMismatches = 0;
        for (int64_t row = 0; row < c.rows; ++row)
            for (int64_t col = 0; col < c.cols; ++col) {
                const IntGrid& g = r.grids[size_t(r.gIdx[size_t(col)] * c.rows + row)];
                const size_t i = size_t(row * c.cols + col);
                packMismatches += dequantizeCode(r.codes[i], g) != r.dequantized[i];
            }
        QS_CHECK_EQ(packMismatches, 0);
        for (const int64_t d : c.dead)
            for (int64_t row = 0; row < c.rows; ++row) QS_CHECK_EQ(r.dequantized[size_t(row * c.cols + d)], 0.0f);
    }
}

}  // namespace

QS_TEST(matches_float64_reference_per_channel) {
    checkAgainstReference({16, 24, 4, true, 0, false, false, {}}, 1);
    checkAgainstReference({16, 24, 4, false, 0, true, false, {}}, 2);
    checkAgainstReference({33, 64, 2, true, 0, true, false, {}}, 3);
    checkAgainstReference({33, 64, 8, false, 0, false, false, {5}}, 4);
}

QS_TEST(matches_float64_reference_dynamic_groups) {
    checkAgainstReference({16, 24, 4, false, 8, true, false, {}}, 5);
    checkAgainstReference({33, 64, 3, false, 16, false, false, {}}, 6);
    checkAgainstReference({33, 64, 4, true, 16, true, false, {7, 40}}, 7);
    checkAgainstReference({33, 64, 4, true, 24, false, false, {}}, 8);  // a group that does not divide in
}

QS_TEST(matches_float64_reference_static_groups) {
    checkAgainstReference({16, 24, 4, true, 8, true, true, {}}, 9);
    checkAgainstReference({33, 64, 4, true, 16, true, true, {}}, 10);
    checkAgainstReference({33, 64, 3, false, 32, true, true, {3}}, 11);
    checkAgainstReference({33, 64, 3, false, 16, false, true, {}}, 12);
}

// With H = c·I no column's error is correlated with another's, so every
// update is zero and GPTQ rounds W exactly as RTN does on the same grid.
QS_TEST(identity_hessian_is_rtn) {
    const int64_t rows = 17, cols = 48;
    const LinearWeights w = randomWeights(rows, cols, 20);
    std::vector<double> h(static_cast<size_t>(cols * cols), 0.0);
    for (int64_t i = 0; i < cols; ++i) h[size_t(i * cols + i)] = 3.5;
    for (const bool sym : {true, false})
        for (const int64_t group : {int64_t(0), int64_t(16)})
            for (const bool act : {false, true})
                for (const bool stat : {false, true}) {
                    GptqOptions o;
                    o.bits = 3;
                    o.symmetric = sym;
                    o.groupSize = group;
                    o.actOrder = act;
                    o.staticGroups = stat;
                    std::vector<float> rtn = w.w;
                    fakeQuantizeIntRows(rtn.data(), rows, cols, group == 0 ? cols : group, o.bits, sym);
                    const GptqResult r = gptqQuantize(w, h, o, "identity");
                    QS_CHECK(r.dequantized == rtn);
                }
}

// GPTQ's objective: the output error tr(D H Dᵀ) is below RTN's on a correlated H.
QS_TEST(lower_output_error_than_rtn) {
    const int64_t rows = 32, cols = 64;
    const LinearWeights w = randomWeights(rows, cols, 30);
    const std::vector<double> h = randomHessian(cols, 31);
    const auto outputError = [&](const std::vector<float>& q) {
        double e = 0;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t i = 0; i < cols; ++i)
                for (int64_t j = 0; j < cols; ++j)
                    e += double(w.w[size_t(r * cols + i)] - q[size_t(r * cols + i)]) * h[size_t(i * cols + j)] *
                         double(w.w[size_t(r * cols + j)] - q[size_t(r * cols + j)]);
        return e;
    };
    GptqOptions o;
    o.bits = 3;
    std::vector<float> rtn = w.w;
    fakeQuantizeIntRows(rtn.data(), rows, cols, cols, o.bits, o.symmetric);
    QS_CHECK(outputError(gptqQuantize(w, h, o, "x").dequantized) < 0.8 * outputError(rtn));
}

QS_TEST(non_finite_hessian_names_the_layer) {
    const LinearWeights w = randomWeights(4, 8, 40);
    std::vector<double> h = randomHessian(8, 41);
    h[3 * 8 + 5] = std::nan("");
    QS_CHECK_THROWS_WITH(gptqQuantize(w, h, {}, "model.layers.2.mlp.up_proj.weight"),
                         "GPTQ model.layers.2.mlp.up_proj.weight: the Hessian holds NaN at [3, 5]");
    h[3 * 8 + 5] = INFINITY;
    QS_CHECK_THROWS_WITH(gptqQuantize(w, h, {}, "L"), "holds Inf");
}

QS_TEST(indefinite_hessian_names_the_layer) {
    const LinearWeights w = randomWeights(4, 8, 50);
    std::vector<double> h(64, 0.0);
    for (int i = 0; i < 8; ++i) h[size_t(i * 8 + i)] = i == 6 ? -2.0 : 1.0;
    QS_CHECK_THROWS_WITH(gptqQuantize(w, h, {}, "model.layers.0.self_attn.o_proj.weight"),
                         "GPTQ model.layers.0.self_attn.o_proj.weight: the Hessian is not positive definite");
}

QS_TEST(bad_options_and_shapes) {
    const LinearWeights w = randomWeights(4, 8, 60);
    const std::vector<double> h = randomHessian(8, 61);
    GptqOptions o;
    o.bits = 9;
    QS_CHECK_THROWS_WITH(gptqQuantize(w, h, o, "L"), "bits must be 2..8");
    o = {};
    o.blockSize = 0;
    QS_CHECK_THROWS_WITH(gptqQuantize(w, h, o, "L"), "block size");
    QS_CHECK_THROWS_WITH(gptqQuantize(w, std::vector<double>(10, 1.0), {}, "L"), "[in, in] = [8, 8]");
}
