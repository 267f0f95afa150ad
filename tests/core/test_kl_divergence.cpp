// KL divergence against a plain float64 computation over the full vocabulary:
// the accumulator on synthetic logits, and the product's KL evaluation
// (computeBaseReference + compareWithBase, what the CLI's kl and the
// project's KL runs compute) on real text through the demo model quantized,
// against a float64 forward pass (float64_llama_reference.h) with a float64
// log-softmax and KL per token.
//
// How the product approximates: with k < vocab kept base log-probabilities
// (256 by default past a 4096-token vocabulary) the rest of the vocabulary is
// one tail bucket on both sides. The KL of the merged distributions is below
// the exact KL by, per token, P_T KL(p|T || q|T) (P_T the base's tail mass,
// p|T and q|T the two distributions within the tail: the chain rule of KL),
// which is >= 0. The tests compute that merged KL in float64 too, so the
// expected difference is asserted, not only its sign.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include "check.h"
#include "eval/kl_divergence.h"
#include "eval/kl_eval.h"
#include "export_fixture.h"
#include "float64_llama_reference.h"
#include "formats/checkpoint.h"
#include "model/decoder_block.h"
#include "quant/apply_plan.h"
#include "tokenize/tokenizer.h"

using namespace qs;
using qs::test::Vec;

namespace {

// The demo model's two quantizations: weights alone, and weights with activations.
QuantSpec rtnW4g128() {
    QuantSpec s;
    s.bits = 4;
    s.granularity = Granularity::PerGroup;
    s.groupSize = 128;
    return s;
}

QuantSpec rtnW8A8() {
    QuantSpec s;
    s.bits = 8;
    s.granularity = Granularity::PerChannel;
    s.activation.format = ActivationFormat::Int8;
    s.activation.perToken = true;
    return s;
}

// ---- Tolerances ------------------------------------------------------------

constexpr int64_t kVocab = 300;
constexpr int kPositions = 50;
// The base log-probabilities are stored as float (4 bytes a token per kept entry),
// which bounds the agreement with float64 to ~1e-7 nats.
constexpr double kExactTol = 1e-6;
// The product on the demo model against float64 brute force, per quantization.
// The float32 engine's logits agree with the float64 forward's to ~1e-6
// relative (test_model_reference.cpp), so with weights alone quantized (a
// smooth function of the logits from there on) the figures agree to a few
// 1e-6: measured 1.0e-6 (mean KL), 3.0e-6 (p99), 1.1e-6 (top-256 KL), 7e-8
// (ppl), the same top-1 tokens. Per-token INT8 activations make the model
// discontinuous: an input element on a rounding boundary rounds to the other
// code when the two forwards' inputs differ in the 7th digit. Perturbing only
// the float64 reference's inputs by 1e-6 relative moves its own W8A8 figures
// by 2% (mean KL), 7% (p99) and 2 top-1 tokens, and by 1e-5: 2.4%, 3%, 3
// tokens, 1e-3 in ppl; the engine against it measured 0.14%, 4.9%, 1 token,
// 1.2e-4. The W8A8 tolerances cover that and still fail a KL in log base 2
// (+44%), a top-k KL without its tail bucket (+8%) or a reference without the
// activation rounding (12x smaller).
struct KlCase {
    const char* name;
    QuantSpec spec;
    double klRelTol;   // mean KL, exact and top-k, and the top-k shortfall (relative to itself)
    double p99RelTol;  // 99th percentile of the per-token KL
    int top1Flips;     // tokens whose argmax may differ (two near-equal best logits)
    double pplRelTol;  // the quantized model's perplexity
};
const KlCase kKlCases[] = {
    {"RTN W4 g128", rtnW4g128(), 1e-5, 1e-5, 1, 1e-6},
    {"RTN W8A8 per-channel / per-token", rtnW8A8(), 0.05, 0.15, 4, 2e-3},
};
// The base model's perplexity: unquantized, float32 engine against float64 (measured 2.6e-7).
constexpr double kBasePplRelTol = 1e-6;
// The base's top-k kept here, the product's default past 4096 tokens; the
// tail past it holds ~6% of these models' KL, so the shortfall is visible.
constexpr int kTopK = 256;

// ---- Float64 brute force --------------------------------------------------

Vec logSoftmax(const Vec& logits) {
    const double m = *std::max_element(logits.begin(), logits.end());
    double s = 0;
    for (double x : logits) s += std::exp(x - m);
    Vec out(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - m - std::log(s);
    return out;
}

struct TokenKl {
    double exact = 0;   // KL(p || q) over the whole vocabulary, nats
    double merged = 0;  // the same with everything outside p's k most probable tokens merged into one bucket
};

TokenKl bruteForceKl(const Vec& baseLogits, const Vec& modelLogits, int k) {
    const Vec lp = logSoftmax(baseLogits), lq = logSoftmax(modelLogits);
    std::vector<size_t> order(lp.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lp[a] > lp[b]; });
    TokenKl r;
    double pTail = 0, qTail = 0;
    for (size_t rank = 0; rank < order.size(); ++rank) {
        const size_t i = order[rank];
        const double term = std::exp(lp[i]) * (lp[i] - lq[i]);
        r.exact += term;
        if (rank < size_t(k)) {
            r.merged += term;
        } else {
            pTail += std::exp(lp[i]);
            qTail += std::exp(lq[i]);
        }
    }
    if (pTail > 0) r.merged += pTail * std::log(pTail / qTail);
    return r;
}

// Nearest-rank 99th percentile, as KlSummary defines it.
double p99(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[size_t(std::ceil(0.99 * double(v.size()))) - 1];
}

size_t argmax(const Vec& v) { return size_t(std::max_element(v.begin(), v.end()) - v.begin()); }

std::vector<float> randomLogits(std::mt19937& rng, double scale) {
    std::normal_distribution<float> n(0.0f, float(scale));
    std::vector<float> v(static_cast<size_t>(kVocab));
    for (auto& x : v) x = n(rng);
    return v;
}

// ---- The quantized demo model in float64 ------------------------------------

// The plan as reference hooks: each decoder linear's weight fake-quantized by the
// engine's quantizer (float64 parity in test_fake_quant.cpp; this test is about
// the forward and the KL, not the grid), its input rounded per token as the
// plan's activation spec says.
qs::test::ReferenceLinearHooks planHooks(const QuantPlan& plan) {
    qs::test::ReferenceLinearHooks hooks;
    hooks.weight = [plan](const std::string& name, size_t out, Vec& w) {
        const auto spec = resolve(plan, name);
        if (!spec) return;
        LinearWeights l;
        l.outFeatures = int64_t(out);
        l.inFeatures = int64_t(w.size() / out);
        l.w.assign(w.begin(), w.end());  // decoded floats: exact both ways
        fakeQuantizeWeights(*spec, l);
        w.assign(l.w.begin(), l.w.end());
    };
    hooks.input = [plan](const std::string& name, Vec& x) {
        const auto spec = resolve(plan, name);
        if (!spec || spec->activation.format == ActivationFormat::None) return;
        std::vector<float> f(x.begin(), x.end());
        fakeQuantizeInput(inputQuantFor(spec->activation, name), f.data(), 1, int64_t(f.size()));
        x.assign(f.begin(), f.end());
    };
    return hooks;
}

// Every scored position's float64 logits, window order (position i of a window predicts token i + 1).
std::vector<Vec> scoredLogits(const Checkpoint& ckpt, const TokenBatch& windows, const qs::test::ReferenceLinearHooks& hooks) {
    std::vector<Vec> out;
    for (int64_t s = 0; s < windows.sequences(); ++s) {
        const std::vector<int32_t> tokens(windows.tokens.begin() + windows.starts[size_t(s)],
                                          windows.tokens.begin() + windows.starts[size_t(s + 1)]);
        std::vector<Vec> logits = qs::test::referenceLogits(ckpt, tokens, hooks);
        logits.pop_back();  // the last position predicts nothing in its window
        for (Vec& row : logits) out.push_back(std::move(row));
    }
    return out;
}

std::vector<int32_t> scoredTargets(const TokenBatch& windows) {
    std::vector<int32_t> out;
    for (int64_t s = 0; s < windows.sequences(); ++s)
        for (int64_t i = windows.starts[size_t(s)] + 1; i < windows.starts[size_t(s + 1)]; ++i)
            out.push_back(windows.tokens[size_t(i)]);
    return out;
}

double perplexityOf(const std::vector<Vec>& logits, const std::vector<int32_t>& targets) {
    double nll = 0;
    for (size_t t = 0; t < logits.size(); ++t) nll -= logSoftmax(logits[t])[size_t(targets[t])];
    return std::exp(nll / double(logits.size()));
}

}  // namespace

QS_TEST(full_vocabulary_kl_is_exact_and_topk_is_the_merged_kl) {
    std::mt19937 rng(7);
    constexpr int kKept = 32;
    BaseLogProbs full{kVocab, int(kVocab), {}, {}}, top{kVocab, kKept, {}, {}};
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
    double sum = 0, gap = 0;
    for (int t = 0; t < kPositions; ++t) {
        exact.add(t, quant[size_t(t)].data());
        approx.add(t, quant[size_t(t)].data());
        const TokenKl ref = bruteForceKl(Vec(base[size_t(t)].begin(), base[size_t(t)].end()),
                                         Vec(quant[size_t(t)].begin(), quant[size_t(t)].end()), kKept);
        sum += ref.exact;
        gap += ref.exact - ref.merged;
        QS_CHECK_NEAR(exact.perToken()[size_t(t)], ref.exact, kExactTol);
        QS_CHECK_NEAR(approx.perToken()[size_t(t)], ref.merged, kExactTol);
    }
    QS_CHECK_NEAR(exact.summary().meanKl, sum / kPositions, kExactTol);
    // The tail (268 of 300 tokens) holds much of the mass here: the bound is visibly below.
    QS_CHECK(gap / kPositions > 100 * kExactTol);
    QS_CHECK(exact.summary().top1Agreement > 0.5);
}

// The demo model on 4 windows of 64 tokens of the held-out book, quantized by
// each KlCase: mean and p99 KL, top-1 agreement and both perplexities against
// float64 brute force, with the exact reference (the whole 2048-token
// vocabulary, the product's default here) and with the top-256 reference plus
// tail bucket, whose expected shortfall is computed too.
QS_TEST(kl_of_the_quantized_demo_model_matches_float64_brute_force) {
    const auto ckpt = openCheckpoint(qs::test::tinyModelDir());
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerForCheckpoint(*ckpt);
    const TokenBatch windows = cutWindows(tokenizer->encode(qs::test::heldoutText(), false), 64, 4, "frankenstein-heldout.txt");
    const PerplexityOptions plain;
    const BaseReference exactBase = computeBaseReference(model, windows, plain, 0);
    const BaseReference topBase = computeBaseReference(model, windows, plain, kTopK);
    QS_CHECK_EQ(exactBase.logProbs.k, 2048);  // the whole vocabulary: exact

    const std::vector<Vec> baseLogits = scoredLogits(*ckpt, windows, {});
    const std::vector<int32_t> targets = scoredTargets(windows);
    QS_CHECK_EQ(int64_t(baseLogits.size()), int64_t(4 * 63));
    const double basePpl = perplexityOf(baseLogits, targets);
    QS_CHECK_NEAR(exactBase.perplexity.ppl, basePpl, kBasePplRelTol * basePpl);

    for (const KlCase& c : kKlCases) {
        const QuantPlan plan = uniformPlan(c.spec);
        const std::vector<Vec> quantLogits = scoredLogits(*ckpt, windows, planHooks(plan));
        std::vector<double> exactKl, mergedKl;
        int agree = 0;
        for (size_t t = 0; t < baseLogits.size(); ++t) {
            const TokenKl kl = bruteForceKl(baseLogits[t], quantLogits[t], kTopK);
            exactKl.push_back(kl.exact);
            mergedKl.push_back(kl.merged);
            agree += argmax(baseLogits[t]) == argmax(quantLogits[t]);
        }
        const double n = double(exactKl.size());
        const double meanExact = std::accumulate(exactKl.begin(), exactKl.end(), 0.0) / n;
        const double meanMerged = std::accumulate(mergedKl.begin(), mergedKl.end(), 0.0) / n;
        const double shortfall = meanExact - meanMerged;
        const double quantPpl = perplexityOf(quantLogits, targets);

        PerplexityOptions quantized;
        quantized.adjustBlock = onTheFlyBlockAdjuster(plan, model.config());
        const KlResult exact = compareWithBase(model, exactBase, windows, quantized);
        const KlResult top = compareWithBase(model, topBase, windows, quantized);
        std::printf("%s: KL %.9g (float64 %.9g), p99 %.9g (%.9g), top-1 %.4f (%.4f), ppl %.9g (%.9g); "
                    "top-%d KL %.9g (float64 %.9g)\n",
                    c.name, exact.kl.meanKl, meanExact, exact.kl.p99Kl, p99(exactKl), exact.kl.top1Agreement, agree / n,
                    exact.model.ppl, quantPpl, kTopK, top.kl.meanKl, meanMerged);

        QS_CHECK_EQ(exact.kl.tokens, int64_t(n));
        QS_CHECK(meanExact > 1e-4);  // the quantization is visible
        QS_CHECK_NEAR(exact.kl.meanKl, meanExact, c.klRelTol * meanExact);
        QS_CHECK_NEAR(exact.kl.p99Kl, p99(exactKl), c.p99RelTol * p99(exactKl));
        QS_CHECK_NEAR(exact.kl.top1Agreement, agree / n, c.top1Flips / n);
        QS_CHECK_NEAR(exact.model.ppl, quantPpl, c.pplRelTol * quantPpl);
        QS_CHECK_NEAR(exact.deltaPpl, quantPpl - basePpl, c.pplRelTol * quantPpl);
        // The top-k reference measures the merged KL: below the exact one by the expected shortfall.
        QS_CHECK(shortfall > 0.01 * meanExact);
        QS_CHECK_NEAR(top.kl.meanKl, meanMerged, c.klRelTol * meanMerged);
        QS_CHECK_NEAR(exact.kl.meanKl - top.kl.meanKl, shortfall, c.klRelTol * shortfall);
        QS_CHECK_EQ(top.kl.top1Agreement, exact.kl.top1Agreement);
    }
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
