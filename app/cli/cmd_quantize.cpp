// quantscope-cli quantize: a model quantized by a plan, written as a Hugging
// Face directory that re-opens in QuantScope (and in other loaders):
//   --format fake  dequantized weights in the model's dtype (--dtype f32 for an
//                  export that equals the in-memory model exactly)
//   --format gptq  the AutoGPTQ packed layout (RTN or GPTQ integer plans)
// Methods that need calibration read --calib FILE; --json prints each layer's
// reconstruction error and time. The estimated peak working set of the
// calibration pass is printed to stderr (--json: "working_set"). --device
// chooses where the calibration forward passes, the Hessians and GPTQ run
// (--json: "device"); AWQ's and SmoothQuant's scale searches stay on the CPU.
#include <chrono>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_export.h"
#include "cli_io.h"
#include "cli_plan.h"
#include "formats/checkpoint.h"

namespace qs::cli {

namespace {

std::optional<DType> dtypeFromArg(const std::optional<std::string>& v) {
    if (!v) return std::nullopt;
    if (*v == "f32") return DType::F32;
    if (*v == "f16") return DType::F16;
    if (*v == "bf16") return DType::BF16;
    throw UsageError("--dtype must be f32, f16 or bf16");
}

// The methods the plan's quantized layers use: the largest one's buffers bound the working set.
std::vector<QuantMethod> planMethods(const QuantPlan& plan) {
    std::vector<QuantMethod> methods{plan.defaultSpec.method};
    for (const QuantOverride& o : plan.overrides)
        if (o.quantize) methods.push_back(o.spec.method);
    return methods;
}

// The calibration pass as plan_quantizer runs it: float32 blocks, the whole
// calibration set as hidden states; none for plans applied block by block.
WorkingSet calibrationWorkingSet(const CliPlan& plan, const ModelConfig& config) {
    WorkingSetRequest r;
    const std::vector<QuantMethod> methods = planMethods(*plan.plan);
    if (planNeedsCalibration(*plan.plan, config)) {
        r.longestSequence = calibrationLength(plan.calib, config);
        r.tokens = plan.calib.sequences * r.longestSequence;
        r.methods = methods;
    }
    WorkingSet w = estimateWorkingSet(config, r);
    w.head = 0;  // quantizing never runs the output head
    return w;
}

}  // namespace

static int runQuantize(Args& args) {
    const bool json = args.flag("--json");
    const auto out = args.option("--out");
    const std::string format = args.option("--format").value_or("fake");
    const auto tokenizerPath = args.option("--tokenizer");
    ExportOptions exportOptions;
    exportOptions.dtype = dtypeFromArg(args.option("--dtype"));
    exportOptions.overwrite = args.flag("--overwrite");
    const CliPlan plan = planFromArgs(args);
    const CliDevice device = deviceFromArgs(args);
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (!out) throw UsageError("quantize needs --out DIR");
    if (!plan.plan) throw UsageError("quantize needs a plan: --plan PLAN.json or --method M --bits B ...");
    const ExportFormat exportFormat = exportFormatFromArg(format);

    const auto started = std::chrono::steady_clock::now();
    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*ckpt);
    const WorkingSet workingSet = calibrationWorkingSet(plan, model.config());
    printWorkingSet(workingSet);
    const std::optional<PlanQuantizeResult> calibrated =
        writeQuantizedExport(*ckpt, model, *tokenizer, plan, exportFormat, exportOptions, *out,
                             device.backend.get());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (json) {
        nlohmann::json j = calibrated ? planQuantizeJson(*calibrated) : nlohmann::json{{"layers", nlohmann::json::array()}};
        j["plan"] = plan.label();
        j["format"] = format;
        j["out"] = *out;
        j["total_seconds"] = seconds;
        j["device"] = device.json();
        j["working_set"] = workingSetJson(workingSet);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%s (%s) written to %s as %s in %.1f s\n", ckpt->path.c_str(), plan.label().c_str(), out->c_str(),
                    format.c_str(), seconds);
        if (calibrated) {
            double sum = 0;
            int n = 0;
            for (const LayerQuantReport& l : calibrated->layers)
                if (l.relativeError == l.relativeError) sum += l.relativeError, ++n;
            if (n) std::printf("mean relative output error over %d layers/groups: %.5f\n", n, sum / n);
        }
    }
    return 0;
}

static const CommandRegistration runQuantizeRegistration("quantize", runQuantize,
    "  quantize MODEL QUANT [--calib FILE [--nsamples N] [--seqlen L] [--seed S]] --out DIR\n"
    "           [--format fake|gptq] [--dtype f32|f16|bf16] [--overwrite] [--device cpu|cuda|auto] [--json]\n");

}  // namespace qs::cli
