#include "cli_plan.h"

#include "cli_io.h"
#include "quant/plan_adjuster.h"

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
std::optional<QuantPlan> planOnlyFromArgs(Args& args) {
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

}  // namespace

CliPlan calibrationFromArgs(Args& args) {
    CliPlan p;
    p.calibPath = args.option("--calib");
    p.calib.sequences = args.intOption("--nsamples", p.calib.sequences);
    p.calib.length = args.intOption("--seqlen", p.calib.length);
    p.calib.seed = uint64_t(args.intOption("--seed", 0));
    if (p.calib.sequences < 1 || p.calib.length < 2) throw UsageError("--nsamples must be >= 1 and --seqlen >= 2");
    return p;
}

CliPlan planFromArgs(Args& args) {
    CliPlan p = calibrationFromArgs(args);
    p.plan = planOnlyFromArgs(args);
    if (p.calibPath && !p.plan) throw UsageError("--calib goes with a plan (--plan or --method ...)");
    return p;
}

std::string CliPlan::label() const { return plan ? quantPlanLabel(*plan) : std::string(); }

namespace {
TokenBatch calibrationOf(const CliPlan& p, const LlamaModel& model, const Tokenizer& tokenizer) {
    if (!p.calibPath)
        throw UsageError("the plan (" + p.label() + ") needs calibration data: give --calib FILE [--nsamples N --seqlen L]");
    return calibrationFromFile(tokenizer, *p.calibPath, p.calib, model.config());
}
}  // namespace

PlanQuantizeResult calibratedQuantization(const CliPlan& p, const LlamaModel& model, const Tokenizer& tokenizer,
                                          const GptqLayerHook& onGptqLayer, const KernelBackend* backend) {
    const TokenBatch calibration = calibrationOf(p, model, tokenizer);
    const JobControl job(terminalProgress());
    PlanQuantizeOptions o;
    o.job = &job;
    o.onGptqLayer = onGptqLayer;
    o.backend = backend;
    return quantizePlanWithCalibration(model, *p.plan, calibration, o);
}

std::function<void(DecoderBlockWeights&)> adjusterFor(const CliPlan& p, const LlamaModel& model,
                                                      const Tokenizer& tokenizer, const KernelBackend* backend) {
    if (!p.plan) return {};
    if (!planNeedsCalibration(*p.plan, model.config())) return planBlockAdjuster(model, *p.plan, nullptr);
    const TokenBatch calibration = calibrationOf(p, model, tokenizer);
    const JobControl job(terminalProgress());
    PlanQuantizeOptions o;
    o.job = &job;
    o.backend = backend;
    return planBlockAdjuster(model, *p.plan, &calibration, o);
}

}  // namespace qs::cli
