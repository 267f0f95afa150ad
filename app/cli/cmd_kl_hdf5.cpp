// quantscope-cli kl: KL divergence of MODEL's next-token distributions
// against BASE's on the perplexity windows of a text, with both perplexities.
// With a plan (--plan or --method ...) MODEL is evaluated quantized, and the
// base defaults to MODEL itself, unquantized.
// The base's top-k log-probabilities are cached in the project file, so
// comparing further models against the same base costs one pass each.
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_io.h"
#include "cli_plan.h"
#include "eval/kl_eval.h"
#include "formats/checkpoint.h"
#include "project/project_file.h"
#include "tokenize/tokenizer.h"

namespace qs::cli {

static int runKl(Args& args) {
    const bool json = args.flag("--json");
    const auto textPath = args.option("--text");
    const auto basePath = args.option("--base");
    const auto projectOption = args.option("--project");
    const auto tokenizerPath = args.option("--tokenizer");
    const long long topK = args.intOption("--top-k", 0);
    PerplexityOptions opts = perplexityOptionsFromArgs(args);
    const CliPlan plan = planFromArgs(args);
    const CliDevice device = deviceFromArgs(args);
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (!textPath) throw UsageError("kl needs --text FILE");
    if (!basePath && !plan.plan) throw UsageError("kl needs --base BASE_MODEL, or a plan (--plan / --method) to compare MODEL quantized against itself");
    if (topK < 0 || topK > (1 << 30)) throw UsageError("--top-k must be a non-negative count (0: automatic)");

    const auto started = std::chrono::steady_clock::now();
    const auto baseCkpt = openCheckpoint(basePath ? *basePath : modelPath);
    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel base(*baseCkpt);
    const LlamaModel model(*ckpt);
    printActivationRecord(model);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*baseCkpt);
    const std::string text = readTextFile(*textPath);
    const TokenBatch windows = perplexityWindows(base, *tokenizer, text, *textPath, opts);
    opts.backend = device.backend.get();
    const int k = int(topK > 0 ? topK : defaultTopK(base.config().vocabSize));

    const std::string project = projectOption ? *projectOption : defaultProjectPath(*baseCkpt);
    const std::string key = baseReferenceKey(*baseCkpt, windows, k);
    const JobControl job(terminalProgress());
    std::optional<BaseReference> ref = loadBaseReference(project, key);
    const bool cached = ref.has_value();
    if (!ref) {
        ref = computeBaseReference(base, windows, opts, k, &job);
        saveBaseReference(project, key, *ref);
    }
    PerplexityOptions quantized = opts;
    quantized.adjustBlock = adjusterFor(plan, model, *tokenizer, device.backend.get());
    const KlResult r = compareWithBase(model, *ref, windows, quantized, &job);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    RunRecord run;
    run.kind = "kl";
    run.model = ckpt->path;
    run.plan = plan.label();
    run.dataset = *textPath;
    run.seconds = seconds;
    run.settings = {{"base", baseCkpt->path}, {"ctx", r.model.ctx}, {"windows", r.model.windows}, {"top_k", r.topK},
                    {"device", std::string(deviceName(device.choice.device))}};
    run.metrics = klJson(r);
    const std::string id = addRun(project, run);

    if (json) {
        nlohmann::json out = klJson(r);
        out["base_cached"] = cached;
        out["project"] = project;
        out["run"] = id;
        out["plan"] = run.plan.empty() ? "none" : run.plan;
        out["device"] = device.json();
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("%s%s against %s on %s\n", ckpt->path.c_str(), plan.plan ? (" (" + run.plan + ")").c_str() : "",
                    baseCkpt->path.c_str(), textPath->c_str());
        std::printf("KL mean %.6g nats/token, p99 %.6g, top-1 agreement %.4f (%lld tokens, top-%d%s)\n", r.kl.meanKl,
                    r.kl.p99Kl, r.kl.top1Agreement, (long long)r.kl.tokens, r.topK,
                    r.topK == r.vocab ? ", exact" : " + tail, a lower bound");
        std::printf("perplexity %.4f (base %.4f, delta %+.4f)\n", r.model.ppl, r.base.ppl, r.deltaPpl);
        std::printf("base reference %s; run %s stored in %s\n", cached ? "read from the project" : "computed and cached",
                    id.c_str(), project.c_str());
    }
    return 0;
}

static const CommandRegistration runKlRegistration("kl", runKl,
    "  kl MODEL (--base BASE | QUANT | both) --text FILE [--project P] [--top-k K] [--ctx N] [--max-windows N]\n"
    "           [--device cpu|cuda|auto] [--json]\n");

}  // namespace qs::cli
