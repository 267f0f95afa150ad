// KL divergence against a plain float64 computation over the full vocabulary.
#include <cmath>
#include <random>

#include "check.h"
#include "eval/kl_divergence.h"

using namespace qs;

namespace {
constexpr int64_t kVocab = 300;
constexpr int kPositions = 50;
// The base log-probabilities are stored as float (4 bytes a token per kept entry),
// which bounds the agreement with float64 to ~1e-7 nats.
constexpr double kExactTol = 1e-6;

std::vector<float> randomLogits(std::mt19937& rng, double scale) {
    std::normal_distribution<float> n(0.0f, float(scale));
    std::vector<float> v(static_cast<size_t>(kVocab));
    for (auto& x : v) x = n(rng);
    return v;
}

double plainKl(const std::vector<float>& p, const std::vector<float>& q) {
    double zp = 0, zq = 0;
    for (int64_t i = 0; i < kVocab; ++i) {
        zp += std::exp(double(p[size_t(i)]));
        zq += std::exp(double(q[size_t(i)]));
    }
    double kl = 0;
    for (int64_t i = 0; i < kVocab; ++i) {
        const double pi = std::exp(double(p[size_t(i)])) / zp, qi = std::exp(double(q[size_t(i)])) / zq;
        kl += pi * std::log(pi / qi);
    }
    return kl;
}
}  // namespace

QS_TEST(full_vocabulary_kl_is_exact_and_topk_is_a_close_lower_bound) {
    std::mt19937 rng(7);
    BaseLogProbs full{kVocab, int(kVocab), {}, {}}, top{kVocab, 32, {}, {}};
    std::vector<std::vector<float>> base, quant;
    for (int t = 0; t < kPositions; ++t) {
        base.push_back(randomLogits(rng, 3.0));
        auto q = base.back();
        const auto noise = randomLogits(rng, 0.3);
        for (size_t i = 0; i < q.size(); ++i) q[i] += noise[i];
        quant.push_back(q);
        appendBaseRow(base.back().data(), kVocab, full);
        appendBaseRow(base.back().data(), kVocab, top);
    }
    KlAccumulator exact(full), approx(top);
    double sum = 0;
    for (int t = 0; t < kPositions; ++t) {
        exact.add(t, quant[size_t(t)].data());
        approx.add(t, quant[size_t(t)].data());
        const double ref = plainKl(base[size_t(t)], quant[size_t(t)]);
        sum += ref;
        QS_CHECK_NEAR(exact.perToken()[size_t(t)], ref, kExactTol);
        QS_CHECK(approx.perToken()[size_t(t)] <= ref + kExactTol);
        QS_CHECK(approx.perToken()[size_t(t)] >= 0.5 * ref);
    }
    QS_CHECK_NEAR(exact.summary().meanKl, sum / kPositions, kExactTol);
    QS_CHECK(exact.summary().top1Agreement > 0.5);
}

QS_TEST(identical_models_have_zero_kl_and_full_agreement) {
    std::mt19937 rng(3);
    BaseLogProbs b{kVocab, 8, {}, {}};
    std::vector<std::vector<float>> rows;
    for (int t = 0; t < 10; ++t) {
        rows.push_back(randomLogits(rng, 2.0));
        appendBaseRow(rows.back().data(), kVocab, b);
    }
    KlAccumulator acc(b);
    for (int t = 0; t < 10; ++t) acc.add(t, rows[size_t(t)].data());
    const auto s = acc.summary();
    QS_CHECK_NEAR(s.meanKl, 0.0, 1e-6);
    QS_CHECK_NEAR(s.top1Agreement, 1.0, 0.0);
    QS_CHECK_EQ(s.tokens, 10);
}

// Nearest-rank 99th percentile of 1..200 is 198.
QS_TEST(p99_is_the_nearest_rank) {
    BaseLogProbs b{2, 2, {}, {}};
    const float even[2] = {0.0f, 0.0f};
    for (int t = 0; t < 200; ++t) appendBaseRow(even, 2, b);
    KlAccumulator acc(b);
    // KL(uniform || q) for q = softmax(0, -x) grows with x; feed increasing x.
    std::vector<double> expected;
    for (int t = 0; t < 200; ++t) {
        const float q[2] = {0.0f, -0.01f * float(t + 1)};
        acc.add(t, q);
    }
    const auto& per = acc.perToken();
    QS_CHECK_NEAR(acc.summary().p99Kl, per[197], 0.0);
}
