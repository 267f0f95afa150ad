// quantscope-cli eval: perplexity of a model on a text file (--text), the
// numbers the quantization papers report, --json printing
// {"ppl", "nll", "tokens", "windows", "stderr", ...}; or zero-shot accuracy on
// a task file (--task, --task-type), --json printing {"acc", "acc_norm", "n", "acc_stderr", ...}.
// Either can run a quantized model: --plan PLAN.json, or the shorthand
// --method rtn --bits B [--group G] [--asym] [--act A] [--weight-format fp8]
// for one spec on every block projection; --json then adds "plan" (its label).
// --device cpu|cuda|auto picks where it computes (--json: "device"); perplexity
// also prints its estimated peak working set (--json: "working_set").
#include <cstdio>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_io.h"
#include "cli_plan.h"
#include "eval/memory_benchmark.h"
#include "eval/perplexity.h"
#include "eval/task_eval.h"
#include "eval/task_readers.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "tokenize/tokenizer.h"

namespace qs::cli {

namespace {

void addPlanLabel(nlohmann::json& j, const CliPlan& plan) {
    j["plan"] = plan.plan ? plan.label() : "none";
}

int runTaskEval(const std::string& modelPath, const std::string& taskPath, const std::string& typeName, int limit,
                const std::optional<std::string>& tokenizerPath, const CliPlan& plan, const CliDevice& device,
                bool json) {
    const auto type = taskTypeFromName(typeName);
    if (!type) throw UsageError("--task-type must be one of hellaswag, arc, piqa, winogrande, boolq, lambada, mmlu, openbookqa");
    const auto items = readTaskFile(taskPath, *type, limit);
    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    printActivationRecord(model);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*ckpt);
    const JobControl job(terminalProgress());
    TaskEvalOptions options;
    options.adjustBlock = adjusterFor(plan, model, *tokenizer, device.backend.get());
    options.backend = device.backend.get();
    const TaskScore s = evaluateTask(model, *tokenizer, items, options, &job);
    if (json) {
        nlohmann::json j = taskScoreJson(s);
        addPlanLabel(j, plan);
        j["device"] = device.json();
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%s on %s (%s, %lld items)\n", ckpt->path.c_str(), taskPath.c_str(), typeName.c_str(), (long long)s.n);
        if (plan.plan) std::printf("plan     %s\n", plan.label().c_str());
        std::printf("acc      %.4f +- %.4f\nacc_norm %.4f +- %.4f\n", s.acc, s.accStderr, s.accNorm, s.accNormStderr);
    }
    return 0;
}
}  // namespace

static int runEval(Args& args) {
    const bool json = args.flag("--json");
    const auto textPath = args.option("--text");
    const auto taskPath = args.option("--task");
    const auto taskType = args.option("--task-type");
    const auto tokenizerPath = args.option("--tokenizer");
    const long long limit = args.intOption("--limit", 0);
    PerplexityOptions opts = perplexityOptionsFromArgs(args);
    const CliPlan plan = planFromArgs(args);
    const CliDevice device = deviceFromArgs(args);
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (taskPath) {
        if (!taskType) throw UsageError("--task needs --task-type");
        if (limit < 0 || limit > 1 << 30) throw UsageError("--limit must be a non-negative count");
        return runTaskEval(modelPath, *taskPath, *taskType, int(limit), tokenizerPath, plan, device, json);
    }
    if (!textPath) throw UsageError("eval needs --text FILE or --task FILE --task-type T");

    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    printActivationRecord(model);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*ckpt);
    opts.adjustBlock = adjusterFor(plan, model, *tokenizer, device.backend.get());
    opts.backend = device.backend.get();
    const TokenBatch windows = perplexityWindows(model, *tokenizer, readTextFile(*textPath), *textPath, opts);
    const WorkingSet workingSet = perplexityWorkingSet(model.config(), windows, opts);
    printWorkingSet(workingSet);
    const JobControl job(terminalProgress());
    const PerplexityResult r = evaluatePerplexity(model, windows, opts, &job);

    if (json) {
        nlohmann::json j = perplexityJson(r);
        addPlanLabel(j, plan);
        j["device"] = device.json();
        j["working_set"] = workingSetJson(workingSet);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%s on %s\n", ckpt->path.c_str(), textPath->c_str());
        if (plan.plan) std::printf("plan %s\n", plan.label().c_str());
        std::printf("perplexity %.4f +- %.4f  (nll %.6f +- %.6f nats/token)\n", r.ppl, r.pplStderr, r.nll, r.nllStderr);
        std::printf("%lld tokens scored in %lld windows of %lld\n", (long long)r.tokens, (long long)r.windows,
                    (long long)r.ctx);
    }
    return 0;
}

static const CommandRegistration runEvalRegistration("eval", runEval,
    "  eval MODEL --text FILE [--ctx N] [--max-windows N] [QUANT] [--device cpu|cuda|auto] [--json]\n"
    "  eval MODEL --task FILE --task-type T [--limit N] [QUANT] [--device cpu|cuda|auto] [--json]\n"
    "    QUANT: --plan PLAN.json, or --method rtn --bits B [--group G] [--asym]\n"
    "           [--act int8-token|int8-tensor|fp8-token|fp8-tensor [--act-scale S]]\n"
    "           [--weight-format int|fp8]; methods gptq, awq, smoothquant, bismooth\n"
    "           (and static activation scales) also need --calib FILE [--nsamples N] [--seqlen L]\n");

}  // namespace qs::cli
