// quantscope-cli eval: perplexity of a model on a text file (--text), the
// numbers the quantization papers report, --json printing
// {"ppl", "nll", "tokens", "windows", "stderr", ...}; or zero-shot accuracy on
// a task file (--task, --task-type), --json printing {"acc", "acc_norm", "n", "acc_stderr", ...}.
// Either can run a quantized model: --plan PLAN.json, or the shorthand
// --method rtn --bits B [--group G] [--asym] [--act A] [--weight-format fp8]
// for one spec on every block projection; --json then adds "plan" (its label).
#include <cstdio>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_io.h"
#include "eval/perplexity.h"
#include "eval/task_eval.h"
#include "eval/task_readers.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "quant/apply_plan.h"
#include "quant/quant_plan.h"
#include "tokenize/tokenizer.h"

namespace qs::cli {

namespace {

// --act values: format and whether the scale is per token (dynamic).
ActivationSpec activationFromArg(const std::string& v) {
    if (v == "int8-token") return {ActivationFormat::Int8, true, std::nullopt};
    if (v == "int8-tensor") return {ActivationFormat::Int8, false, std::nullopt};
    if (v == "fp8-token") return {ActivationFormat::F8E4M3, true, std::nullopt};
    if (v == "fp8-tensor") return {ActivationFormat::F8E4M3, false, std::nullopt};
    throw UsageError("--act must be one of int8-token, int8-tensor, fp8-token, fp8-tensor");
}

double positiveNumber(const std::string& name, const std::string& v) {
    try {
        size_t used = 0;
        const double x = std::stod(v, &used);
        if (used == v.size() && x > 0) return x;
    } catch (const std::exception&) {
    }
    throw UsageError(name + " expects a positive number, got '" + v + "'");
}

// The plan of --plan FILE, or of the shorthand options; nullopt for none.
std::optional<QuantPlan> planFromArgs(Args& args) {
    const auto planPath = args.option("--plan");
    const auto method = args.option("--method");
    const long long bits = args.intOption("--bits", 0);
    const long long group = args.intOption("--group", 0);
    const bool asym = args.flag("--asym");
    const auto act = args.option("--act");
    const auto actScale = args.option("--act-scale");
    const auto weightFormat = args.option("--weight-format");
    const bool shorthand = method || bits || group || asym || act || actScale || weightFormat;
    if (planPath) {
        if (shorthand) throw UsageError("--plan cannot be combined with --method/--bits/--group/--asym/--act/--weight-format");
        return loadQuantPlan(*planPath);
    }
    if (!shorthand) return std::nullopt;
    QuantSpec spec;
    if (method) {
        bool known = false;
        for (QuantMethod m : {QuantMethod::Rtn, QuantMethod::Gptq, QuantMethod::Awq, QuantMethod::SmoothQuant,
                              QuantMethod::BiSmooth})
            if (*method == methodName(m)) spec.method = m, known = true;
        if (!known) throw UsageError("--method must be one of rtn, gptq, awq, smoothquant, bismooth");
    }
    if (weightFormat && *weightFormat == "fp8") {
        spec.format = WeightFormat::F8E4M3;
        spec.bits = 8;
        if (bits && bits != 8) throw UsageError("--weight-format fp8 has 8 bits");
    } else if (weightFormat && *weightFormat != "int") {
        throw UsageError("--weight-format must be int or fp8");
    } else {
        if (!bits) throw UsageError("integer weights need --bits B (2..8)");
        spec.bits = int(bits);
    }
    spec.symmetric = !asym;
    spec.granularity = group ? Granularity::PerGroup : Granularity::PerChannel;
    if (group) spec.groupSize = int(group);
    if (act) spec.activation = activationFromArg(*act);
    if (actScale) {
        if (!act || spec.activation.perToken) throw UsageError("--act-scale goes with --act int8-tensor or fp8-tensor");
        spec.activation.scale = positiveNumber("--act-scale", *actScale);
    }
    if (const std::string problem = quantSpecProblem(spec); !problem.empty()) throw UsageError(problem);
    return uniformPlan(spec);
}

std::function<void(DecoderBlockWeights&)> adjusterFor(const std::optional<QuantPlan>& plan, const LlamaModel& model) {
    return plan ? onTheFlyBlockAdjuster(*plan, model.config()) : std::function<void(DecoderBlockWeights&)>{};
}

void addPlanLabel(nlohmann::json& j, const std::optional<QuantPlan>& plan) {
    j["plan"] = plan ? quantPlanLabel(*plan) : "none";
}

int runTaskEval(const std::string& modelPath, const std::string& taskPath, const std::string& typeName, int limit,
                const std::optional<std::string>& tokenizerPath, const std::optional<QuantPlan>& plan, bool json) {
    const auto type = taskTypeFromName(typeName);
    if (!type) throw UsageError("--task-type must be one of hellaswag, arc, piqa, winogrande, boolq, lambada, mmlu, openbookqa");
    const auto items = readTaskFile(taskPath, *type, limit);
    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*ckpt);
    const JobControl job(terminalProgress());
    TaskEvalOptions options;
    options.adjustBlock = adjusterFor(plan, model);
    const TaskScore s = evaluateTask(model, *tokenizer, items, options, &job);
    if (json) {
        nlohmann::json j = taskScoreJson(s);
        addPlanLabel(j, plan);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%s on %s (%s, %lld items)\n", ckpt->path.c_str(), taskPath.c_str(), typeName.c_str(), (long long)s.n);
        if (plan) std::printf("plan     %s\n", quantPlanLabel(*plan).c_str());
        std::printf("acc      %.4f +- %.4f\nacc_norm %.4f +- %.4f\n", s.acc, s.accStderr, s.accNorm, s.accNormStderr);
    }
    return 0;
}
}  // namespace

int runEval(Args& args) {
    const bool json = args.flag("--json");
    const auto textPath = args.option("--text");
    const auto taskPath = args.option("--task");
    const auto taskType = args.option("--task-type");
    const auto tokenizerPath = args.option("--tokenizer");
    const long long limit = args.intOption("--limit", 0);
    PerplexityOptions opts;
    opts.ctx = args.intOption("--ctx", 0);
    opts.maxWindows = args.intOption("--max-windows", 0);
    opts.addBos = args.flag("--bos");
    const std::optional<QuantPlan> plan = planFromArgs(args);
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (taskPath) {
        if (!taskType) throw UsageError("--task needs --task-type");
        if (limit < 0 || limit > 1 << 30) throw UsageError("--limit must be a non-negative count");
        return runTaskEval(modelPath, *taskPath, *taskType, int(limit), tokenizerPath, plan, json);
    }
    if (!textPath) throw UsageError("eval needs --text FILE or --task FILE --task-type T");
    if (opts.ctx < 0 || opts.ctx == 1) throw UsageError("--ctx must be at least 2 tokens");
    if (opts.maxWindows < 0) throw UsageError("--max-windows must not be negative");

    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*ckpt);
    opts.adjustBlock = adjusterFor(plan, model);
    const std::string text = readTextFile(*textPath);
    const JobControl job(terminalProgress());
    const PerplexityResult r = perplexityOfText(model, *tokenizer, text, *textPath, opts, &job);

    if (json) {
        nlohmann::json j = perplexityJson(r);
        addPlanLabel(j, plan);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%s on %s\n", ckpt->path.c_str(), textPath->c_str());
        if (plan) std::printf("plan %s\n", quantPlanLabel(*plan).c_str());
        std::printf("perplexity %.4f +- %.4f  (nll %.6f +- %.6f nats/token)\n", r.ppl, r.pplStderr, r.nll, r.nllStderr);
        std::printf("%lld tokens scored in %lld windows of %lld\n", (long long)r.tokens, (long long)r.windows,
                    (long long)r.ctx);
    }
    return 0;
}

}  // namespace qs::cli
