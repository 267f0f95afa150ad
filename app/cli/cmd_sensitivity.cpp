// quantscope-cli sensitivity: quantize one linear layer at a time with one
// spec and measure KL to the base and the NLL change on a small evaluation
// set, next to the cheap proxies and their Spearman against KL
// (core/analysis/sensitivity_scan.h). quantscope-cli suggest: a mixed plan
// from such a result, the most sensitive layers switched to per-group.
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
    const auto budget = args.option("--budget");
    const auto targetKl = args.option("--target-kl");
    const auto outPath = args.option("--out");
    const long long group = args.intOption("--group", 128);
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (!scanPath) throw UsageError("suggest needs --sensitivity RESULT.json (from quantscope-cli sensitivity --out)");
    if (!outPath) throw UsageError("suggest needs --out PLAN.json");
    if (budget && targetKl) throw UsageError("give --budget or --target-kl, not both");

    const SensitivityResult scan = loadSensitivity(*scanPath);
    const PlanSuggestion s = targetKl ? suggestForTarget(scan, nonNegativeNumber("--target-kl", *targetKl), int(group))
                                      : suggestTopK(scan, budget ? budgetFromArg(*budget) : 0.03, int(group));
    const auto ckpt = openCheckpoint(modelPath);
    checkAgainstModel(s.plan, ckpt->config);  // the scan was of this model: names and group sizes fit
    saveQuantPlan(s.plan, *outPath);
    if (json) {
        std::printf("%s\n", nlohmann::json{{"plan", *outPath},
                                           {"label", quantPlanLabel(s.plan)},
                                           {"upgraded", s.upgraded},
                                           {"predicted_kl", s.predictedKl},
                                           {"scan_total_kl", s.scanTotalKl}}
                                .dump(2)
                                .c_str());
    } else {
        std::printf("%s: %zu of %zu layers per-group g%lld, predicted KL %.6g (all per-channel %.6g)\n", outPath->c_str(),
                    s.upgraded.size(), scan.layers.size(), group, s.predictedKl, s.scanTotalKl);
        for (const std::string& name : s.upgraded) std::printf("  %s\n", name.c_str());
    }
    return 0;
}

static const CommandRegistration runSensitivityRegistration("sensitivity", runSensitivity,
    "  sensitivity MODEL QUANT --text FILE [--ctx N] [--max-windows N] [--calib FILE [--nsamples N] [--seqlen L]]\n"
    "           [--out RESULT.json] [--device cpu|cuda|auto] [--json]   (one layer quantized at a time: KL, dPPL, proxies)\n");
static const CommandRegistration runSuggestRegistration("suggest", runSuggest,
    "  suggest MODEL --sensitivity RESULT.json (--budget 3% | --target-kl X) [--group G] --out PLAN.json [--json]\n");

}  // namespace qs::cli
