// quantscope-cli sensitivity: quantize one linear layer at a time with one
// spec and measure KL to the base and the NLL change on a small evaluation
// set, next to the cheap proxies and their Spearman against KL
// (core/analysis/sensitivity_scan.h). quantscope-cli suggest: a mixed plan
// from such a result, the most sensitive layers switched to per-group, with
// its KL predicted from a second scan of those layers at the per-group spec
// (core/analysis/plan_suggestion.h).
#include <cmath>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/plan_suggestion.h"
#include "analysis/sensitivity_scan.h"
#include "cli_commands.h"
#include "cli_io.h"
#include "cli_plan.h"
#include "formats/checkpoint.h"
#include "formats/tensor_names.h"
#include "quant/calibration.h"
#include "tokenize/tokenizer.h"

namespace qs::cli {

namespace {

// "3%" or "0.03".
double budgetFromArg(const std::string& v) {
    try {
        size_t used = 0;
        double x = std::stod(v, &used);
        if (used + 1 == v.size() && v.back() == '%') x /= 100.0, ++used;
        if (used == v.size() && x > 0 && x <= 1) return x;
    } catch (const std::exception&) {
    }
    throw UsageError("--budget expects a fraction of the linear layers in (0, 1] or a percentage such as 3%, got '" + v + "'");
}

double nonNegativeNumber(const std::string& name, const std::string& v) {
    try {
        size_t used = 0;
        const double x = std::stod(v, &used);
        if (used == v.size() && x >= 0) return x;
    } catch (const std::exception&) {
    }
    throw UsageError(name + " expects a non-negative number, got '" + v + "'");
}

void printScan(const SensitivityResult& r) {
    std::printf("%s, %lld windows of %lld tokens: base ppl %.4f\n", quantSpecLabel(r.spec).c_str(),
                (long long)r.windows, (long long)r.ctx, r.basePpl);
    std::printf("%-40s %12s %10s %9s %12s %8s %8s\n", "layer", "KL", "dPPL", "SNR dB", "out err", "out/in", "out/out");
    for (const LayerSensitivity& l : r.layers)
        std::printf("%-40s %12.6g %+10.4f %9.2f %12.4g %8.2f %8.2f\n", l.name.c_str(), l.klMean, l.deltaPpl, l.weightSnrDb,
                    l.outputError, l.outlierRatioIn, l.outlierRatioOut);
    std::printf("Spearman vs KL:");
    for (const ProxyCorrelation& c : r.correlations) std::printf(" %s %.3f", c.proxy.c_str(), c.spearman);
    std::printf("\n%lld block passes (brute force %lld), %.1f s\n", (long long)r.blockPasses,
                (long long)r.bruteForceBlockPasses, r.seconds);
}

}  // namespace

static int runSensitivity(Args& args) {
    const bool json = args.flag("--json");
    const auto textPath = args.option("--text");
    const auto outPath = args.option("--out");
    const auto tokenizerPath = args.option("--tokenizer");
    const long long topK = args.intOption("--top-k", 0);
    PerplexityOptions opts = perplexityOptionsFromArgs(args);
    const CliPlan plan = planFromArgs(args);
    const CliDevice device = deviceFromArgs(args);
    opts.backend = device.backend.get();
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (!textPath) throw UsageError("sensitivity needs --text FILE (a small evaluation set: --max-windows 8..16)");
    if (!plan.plan) throw UsageError("sensitivity needs the spec to scan: --plan SPEC.json or --method rtn --bits B ...");
    if (!plan.plan->overrides.empty())
        throw UsageError("sensitivity scans one spec: give a plan without overrides (its default spec is used)");
    if (topK < 0 || topK > (1 << 30)) throw UsageError("--top-k must be a non-negative count (0: automatic)");

    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*ckpt);
    const TokenBatch windows = perplexityWindows(model, *tokenizer, readTextFile(*textPath), *textPath, opts);
    const TokenBatch calibration =
        plan.calibPath ? calibrationFromFile(*tokenizer, *plan.calibPath, plan.calib, model.config()) : TokenBatch{};
    SensitivityOptions options;
    options.spec = plan.plan->defaultSpec;
    options.eval = opts;
    options.topK = int(topK);
    const JobControl job(terminalProgress());
    const SensitivityResult r = scanSensitivity(model, windows, calibration, options, &job);
    if (outPath) saveSensitivity(r, *outPath);
    if (json) {
        nlohmann::json j = sensitivityToJson(r);
        j["device"] = device.json();
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        printScan(r);
    }
    return 0;
}

static int runSuggest(Args& args) {
    const bool json = args.flag("--json");
    const auto scanPath = args.option("--sensitivity");
    const auto textPath = args.option("--text");
    const auto tokenizerPath = args.option("--tokenizer");
    const auto budget = args.option("--budget");
    const auto targetKl = args.option("--target-kl");
    const auto outPath = args.option("--out");
    const long long group = args.intOption("--group", 128);
    PerplexityOptions opts = perplexityOptionsFromArgs(args);
    const CliDevice device = deviceFromArgs(args);
    opts.backend = device.backend.get();
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (!scanPath) throw UsageError("suggest needs --sensitivity RESULT.json (from quantscope-cli sensitivity --out)");
    if (!textPath)
        throw UsageError("suggest needs --text FILE, the scan's evaluation text: the upgraded layers are scanned on it again at "
                         "their per-group spec to predict the plan's KL");
    if (!outPath) throw UsageError("suggest needs --out PLAN.json");
    if (budget && targetKl) throw UsageError("give --budget or --target-kl, not both");
    const double budgetFraction = budget ? budgetFromArg(*budget) : 0.03;
    const double target = targetKl ? nonNegativeNumber("--target-kl", *targetKl) : 0.0;

    const SensitivityResult scan = loadSensitivity(*scanPath);
    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*ckpt);
    // The scan's windows unless told otherwise; setUpgradedKl refuses other ones.
    if (opts.ctx == 0) opts.ctx = scan.ctx;
    if (opts.maxWindows == 0) opts.maxWindows = scan.windows;
    const TokenBatch windows = perplexityWindows(model, *tokenizer, readTextFile(*textPath), *textPath, opts);
    SensitivityOptions upgraded;
    upgraded.spec = upgradedSpec(scan.spec, int(group));
    upgraded.eval = opts;
    const JobControl job(terminalProgress());
    const UpgradedScanner scanUpgraded = [&](const std::vector<std::string>& layers) {
        upgraded.layers = layers;
        return scanSensitivity(model, windows, TokenBatch{}, upgraded, &job);
    };
    const PlanSuggestion s = targetKl ? suggestForTarget(scan, target, int(group), scanUpgraded)
                                      : suggestTopK(scan, budgetFraction, int(group), scanUpgraded);
    checkAgainstModel(s.plan, ckpt->config);  // the scan was of this model: names and group sizes fit
    saveQuantPlan(s.plan, *outPath);
    if (json) {
        nlohmann::json candidates = nlohmann::json::array();
        for (const UpgradeCandidate& c : s.candidates)
            candidates.push_back({{"name", c.name}, {"scan_kl", c.scanKl}, {"upgraded_kl", c.upgradedKl}});
        nlohmann::json out = {{"plan", *outPath},
                              {"label", quantPlanLabel(s.plan)},
                              {"scan_spec", quantSpecLabel(scan.spec)},
                              {"upgraded_spec", quantSpecLabel(upgraded.spec)},
                              {"upgraded", s.upgraded},
                              {"candidates", candidates},
                              {"predicted_kl", s.predictedKl},
                              {"scan_total_kl", s.scanTotalKl},
                              {"device", device.json()}};
        if (targetKl) out["target_kl"] = target;
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("%s: %zu of %zu layers at %s, the rest at %s\n", outPath->c_str(), s.upgraded.size(),
                    scan.layers.size(), quantSpecLabel(upgraded.spec).c_str(), quantSpecLabel(scan.spec).c_str());
        std::printf("predicted KL %.6g: each layer's KL measured alone at its spec, summed (all at %s: %.6g)\n",
                    s.predictedKl, quantSpecLabel(scan.spec).c_str(), s.scanTotalKl);
        if (targetKl && s.predictedKl > target) std::printf("the target KL %.6g is not reached\n", target);
        std::printf("  %-40s %12s %12s\n", "upgraded layer", "KL before", "KL after");
        for (const UpgradeCandidate& c : s.candidates)
            std::printf("  %-40s %12.6g %12.6g\n", c.name.c_str(), c.scanKl, c.upgradedKl);
    }
    return 0;
}

static const CommandRegistration runSensitivityRegistration("sensitivity", runSensitivity,
    "  sensitivity MODEL QUANT --text FILE [--ctx N] [--max-windows N] [--calib FILE [--nsamples N] [--seqlen L]]\n"
    "           [--out RESULT.json] [--device cpu|cuda|auto] [--json]   (one layer quantized at a time: KL, dPPL, proxies)\n");
static const CommandRegistration runSuggestRegistration("suggest", runSuggest,
    "  suggest MODEL --sensitivity RESULT.json --text FILE (--budget 3% | --target-kl X) [--group G] --out PLAN.json\n"
    "           [--device cpu|cuda|auto] [--json]   (the upgraded layers scanned again at their spec: predicted KL)\n");

}  // namespace qs::cli
