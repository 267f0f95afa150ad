// Sensitivity scan and plan suggestion (issue "Diagnosis"): Spearman against
// hand-computed values; the layer-major scan against brute force (the whole
// model evaluated with one layer quantized, through the plan machinery) on
// qs-tiny-llama; the JSON round trip; top-k and greedy suggestions.
#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "analysis/plan_suggestion.h"
#include "analysis/rank_correlation.h"
#include "analysis/sensitivity_scan.h"
#include "check.h"
#include <nlohmann/json.hpp>
#include "eval/kl_eval.h"
#include "formats/checkpoint.h"
#include "formats/tensor_names.h"
#include "quant/apply_plan.h"
#include "tokenize/tokenizer.h"

using namespace qs;

namespace {

std::string tinyDir() { return qs::test::sharedDir() + "/models/qs-tiny-llama"; }

QuantSpec w4PerChannel() {
    QuantSpec s;
    s.bits = 4;
    s.granularity = Granularity::PerChannel;
    return s;
}

// One scan shared by the tests: 4 windows of 128 tokens of the held-out book.
struct TinyScan {
    std::unique_ptr<Checkpoint> ckpt = openCheckpoint(tinyDir());
    LlamaModel model{*ckpt};
    PerplexityOptions eval;
    TokenBatch windows;
    SensitivityResult result;
    TinyScan() {
        eval.ctx = 128;
        eval.maxWindows = 4;
        const auto tokenizer = tokenizerForCheckpoint(*ckpt);
        const std::string path = qs::test::sharedDir() + "/data/text/frankenstein-heldout.txt";
        std::ifstream in(path, std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        windows = perplexityWindows(model, *tokenizer, text, path, eval);
        SensitivityOptions o;
        o.spec = w4PerChannel();
        o.eval = eval;
        result = scanSensitivity(model, windows, TokenBatch{}, o);
    }
};

const TinyScan& tinyScan() {
    static const TinyScan scan;
    return scan;
}

// Only `layer` quantized, by a plan: everything off, then the layer back on.
QuantPlan onlyLayer(const QuantSpec& spec, const std::string& layer) {
    QuantPlan plan = uniformPlan(spec);
    QuantOverride off;
    off.regex = ".*";
    off.quantize = false;
    off.spec = spec;
    QuantOverride on;
    on.name = layer;
    on.spec = spec;
    plan.overrides = {off, on};
    return plan;
}

// A scan result with given KLs, for the suggestions alone.
SensitivityResult syntheticScan(const std::vector<double>& kl) {
    SensitivityResult r;
    r.spec = w4PerChannel();
    for (size_t i = 0; i < kl.size(); ++i) {
        LayerSensitivity l;
        l.block = int(i) / kProjectionCount;
        l.projection = int(i) % kProjectionCount;
        l.name = linearTensorName(l.block, l.projection);
        l.klMean = kl[i];
        r.layers.push_back(l);
    }
    return r;
}

}  // namespace

QS_TEST(spearmanMatchesHandComputedValues) {
    const std::vector<double> a = {1, 2, 3, 4, 5};
    QS_CHECK_NEAR(spearman(a, std::vector<double>{10, 20, 30, 40, 50}), 1.0, 1e-15);
    QS_CHECK_NEAR(spearman(a, std::vector<double>{3, 1, -2, -7, -9}), -1.0, 1e-15);
    // Monotone but not linear: ranks only.
    QS_CHECK_NEAR(spearman(a, std::vector<double>{1, 4, 9, 100, 1e6}), 1.0, 1e-15);
    const std::vector<double> ranks = averageRanks(std::vector<double>{10, 20, 20, 30});
    QS_CHECK(ranks == (std::vector<double>{1, 2.5, 2.5, 4}));
    QS_CHECK(averageRanks(std::vector<double>{7, 7, 7}) == (std::vector<double>{2, 2, 2}));
    // Ties: ranks {1,2,3,4} vs {1,2.5,2.5,4}: 4.5 / sqrt(5 * 4.5) = 0.948683...
    QS_CHECK_NEAR(spearman(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 2, 2, 3}), 4.5 / std::sqrt(22.5), 1e-15);
    // No ties, 1 - 6 sum d² / (n (n² - 1)): {3,1,2} vs {1,3,2}, sum d² = 8: 1 - 48 / 24 = -1.
    QS_CHECK_NEAR(spearman(std::vector<double>{3, 1, 2}, std::vector<double>{1, 3, 2}), -1.0, 1e-15);
    // {1,2,3,4} vs {2,1,4,3}: sum d² = 4, 1 - 24 / 60 = 0.6.
    QS_CHECK_NEAR(spearman(std::vector<double>{1, 2, 3, 4}, std::vector<double>{2, 1, 4, 3}), 0.6, 1e-15);
    QS_CHECK(std::isnan(spearman(a, std::vector<double>{1, 1, 1, 1, 1})));
    QS_CHECK(std::isnan(spearman(a, std::vector<double>{1, 2})));
    QS_CHECK(std::isnan(spearman(std::vector<double>{1, 2}, std::vector<double>{1, NAN})));
}

QS_TEST(scanMatchesBruteForceEvaluationOfEachLayerAlone) {
    const TinyScan& s = tinyScan();
    const SensitivityResult& r = s.result;
    QS_CHECK_EQ(r.layers.size(), size_t(28));
    QS_CHECK_EQ(r.tokens, int64_t(4 * 127));
    // 4 blocks: the base pass plus 7 x (4 + 3 + 2 + 1) resumed blocks, against 29 whole passes.
    QS_CHECK_EQ(r.blockPasses, int64_t(74));
    QS_CHECK_EQ(r.bruteForceBlockPasses, int64_t(116));

    const BaseReference base = computeBaseReference(s.model, s.windows, s.eval, 0);
    QS_CHECK_NEAR(r.baseNll, base.perplexity.nll, 1e-12 * base.perplexity.nll);
    for (const char* name : {"model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight",
                             "model.layers.3.mlp.gate_proj.weight"}) {
        PerplexityOptions quantized = s.eval;
        quantized.adjustBlock = onTheFlyBlockAdjuster(onlyLayer(w4PerChannel(), name), s.model.config());
        const KlResult brute = compareWithBase(s.model, base, s.windows, quantized);
        const auto parsed = parseLinearName(name);
        const LayerSensitivity& l = r.layers[size_t(parsed->block * kProjectionCount + parsed->projection)];
        QS_CHECK_EQ(l.name, std::string(name));
        QS_CHECK(l.klMean > 1e-5);  // W4 per-channel on one layer is visible
        QS_CHECK_NEAR(l.klMean, brute.kl.meanKl, 1e-9 * brute.kl.meanKl);
        QS_CHECK_NEAR(l.deltaNll, brute.model.nll - brute.base.nll, 1e-9 * std::fabs(brute.model.nll));
        QS_CHECK_NEAR(l.deltaPpl, brute.deltaPpl, 1e-9 * brute.model.ppl);
    }
    for (const LayerSensitivity& l : r.layers) {
        // 4-bit per-channel RTN: ~6 dB per bit minus the absmax-grid loss.
        QS_CHECK(l.weightSnrDb > 10 && l.weightSnrDb < 30);
        QS_CHECK(l.outputError > 0 && l.outputError < 0.1);
        QS_CHECK(l.outlierRatioIn >= 1 && l.outlierRatioOut >= 1);
    }
    QS_CHECK_EQ(r.correlations.size(), size_t(5));
    for (const ProxyCorrelation& c : r.correlations) QS_CHECK(c.spearman >= -1 && c.spearman <= 1);
}

QS_TEST(sensitivityResultRoundTripsThroughJson) {
    const SensitivityResult& r = tinyScan().result;
    const std::string path = qs::test::tempDir() + "/scan.json";
    saveSensitivity(r, path);
    const SensitivityResult back = loadSensitivity(path);
    QS_CHECK(back.spec == r.spec);
    QS_CHECK_EQ(back.layers.size(), r.layers.size());
    for (size_t i = 0; i < r.layers.size(); ++i) {
        QS_CHECK_EQ(back.layers[i].name, r.layers[i].name);
        QS_CHECK_EQ(back.layers[i].block, r.layers[i].block);
        QS_CHECK_EQ(back.layers[i].klMean, r.layers[i].klMean);
        QS_CHECK_EQ(back.layers[i].outputError, r.layers[i].outputError);
    }
    QS_CHECK_EQ(back.basePpl, r.basePpl);
    QS_CHECK_EQ(back.correlations.size(), r.correlations.size());
    QS_CHECK_THROWS_WITH(sensitivityFromJson(nlohmann::json{{"spec", nlohmann::json::object()}}), "sensitivity result");
}

QS_TEST(topKSuggestionUpgradesTheMostSensitiveLayers) {
    std::vector<double> kl(28);
    for (size_t i = 0; i < kl.size(); ++i) kl[i] = 0.001 * double((i * 11) % 28);  // a permutation of 0..27
    const SensitivityResult scan = syntheticScan(kl);
    QS_CHECK_EQ(budgetLayerCount(0.03, 28), int64_t(1));
    QS_CHECK_EQ(budgetLayerCount(0.10, 28), int64_t(2));
    QS_CHECK_EQ(budgetLayerCount(1.0, 28), int64_t(28));

    const PlanSuggestion one = suggestTopK(scan);  // 3%: one layer
    // 27 = (i * 11) % 28 at i = 5 (55 = 28 + 27): block 0, projection 5 (up).
    QS_CHECK(one.upgraded == (std::vector<std::string>{linearTensorName(0, 5)}));
    const PlanSuggestion three = suggestTopK(scan, 0.11);  // floor(3.08) = 3
    // 26 at i = 10 (110 = 84 + 26), 25 at i = 15 (165 = 140 + 25).
    QS_CHECK(three.upgraded ==
             (std::vector<std::string>{linearTensorName(0, 5), linearTensorName(1, 3), linearTensorName(2, 1)}));
    double total = 0;
    for (double v : kl) total += v;
    QS_CHECK_NEAR(three.scanTotalKl, total, 1e-12);
    QS_CHECK_NEAR(three.predictedKl, total - 0.027 - 0.026 - 0.025, 1e-12);

    // The plan: per-group g128 for the upgraded layers, the scan's per-channel spec elsewhere.
    const auto ckpt = openCheckpoint(tinyDir());
    checkAgainstModel(three.plan, ckpt->config);
    const QuantPlan reread = quantPlanFromJson(quantPlanToJson(three.plan), "suggestion");
    for (int b = 0; b < 4; ++b)
        for (int p = 0; p < kProjectionCount; ++p) {
            const std::string name = linearTensorName(b, p);
            const bool upgraded = (b == 0 && p == 5) || (b == 1 && p == 3) || (b == 2 && p == 1);
            const auto spec = resolve(reread, name);
            QS_CHECK(spec.has_value());
            QS_CHECK(spec->granularity == (upgraded ? Granularity::PerGroup : Granularity::PerChannel));
            QS_CHECK_EQ(spec->bits, 4);
            if (upgraded) QS_CHECK_EQ(spec->groupSize, 128);
        }

    // On the real scan, the 3% suggestion is the layer of largest measured KL.
    const SensitivityResult& real = tinyScan().result;
    const PlanSuggestion top = suggestTopK(real);
    QS_CHECK_EQ(top.upgraded.size(), size_t(1));
    for (const LayerSensitivity& l : real.layers)
        if (l.name != top.upgraded[0]) QS_CHECK(l.klMean <= bySensitivity(real)[0]->klMean);
    QS_CHECK_EQ(top.upgraded[0], bySensitivity(real)[0]->name);
}

QS_TEST(greedySuggestionStopsAtTheTarget) {
    // KLs 0.010, 0.008, 0.004, 0.002, 0.001 (total 0.025) spread over layers.
    std::vector<double> kl(28, 0.0);
    kl[3] = 0.004, kl[9] = 0.010, kl[14] = 0.001, kl[20] = 0.008, kl[27] = 0.002;
    const SensitivityResult scan = syntheticScan(kl);
    // Target 0.008: dropping 0.010 leaves 0.015, then 0.008 leaves 0.007 <= 0.008: two layers.
    const PlanSuggestion two = suggestForTarget(scan, 0.008);
    QS_CHECK(two.upgraded == (std::vector<std::string>{scan.layers[9].name, scan.layers[20].name}));
    QS_CHECK_NEAR(two.predictedKl, 0.007, 1e-12);
    // 0.015 remains after one layer (0.0151 leaves float64 summation room).
    QS_CHECK_EQ(suggestForTarget(scan, 0.0151).upgraded.size(), size_t(1));
    QS_CHECK_EQ(suggestForTarget(scan, 0.0149).upgraded.size(), size_t(2));
    QS_CHECK_EQ(suggestForTarget(scan, 0.025).upgraded.size(), size_t(0));  // already within
    QS_CHECK_EQ(suggestForTarget(scan, 0.0).upgraded.size(), size_t(5));  // every layer with KL > 0
    QS_CHECK_THROWS_WITH(suggestForTarget(scan, -1.0), "target KL");
}
