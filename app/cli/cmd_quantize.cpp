// quantscope-cli quantize: a model quantized by a plan, written as a Hugging
// Face directory that re-opens in QuantScope (and in other loaders):
//   --format fake  dequantized weights in the model's dtype (--dtype f32 for an
//                  export that equals the in-memory model exactly)
//   --format gptq  the AutoGPTQ packed layout (RTN or GPTQ integer plans)
// Methods that need calibration read --calib FILE; --json prints each layer's
// reconstruction error and time.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "cli_plan.h"
#include "formats/checkpoint.h"
#include "formats/tensor_names.h"
#include "quant/apply_plan.h"
#include "quant/export_fake.h"
#include "quant/export_gptq.h"
#include "quant/rtn_codes.h"

namespace qs::cli {

namespace {

std::optional<DType> dtypeFromArg(const std::optional<std::string>& v) {
    if (!v) return std::nullopt;
    if (*v == "f32") return DType::F32;
    if (*v == "f16") return DType::F16;
    if (*v == "bf16") return DType::BF16;
    throw UsageError("--dtype must be f32, f16 or bf16");
}

// The packed export needs every block linear on one integer layout, chosen by RTN or GPTQ.
GptqLayout packedLayoutOf(const QuantPlan& plan, const ModelConfig& config) {
    const auto first = resolve(plan, linearTensorName(0, 0));
    for (int b = 0; b < int(config.numLayers); ++b)
        for (int p = 0; p < kProjectionCount; ++p) {
            const std::string name = linearTensorName(b, p);
            const auto s = resolve(plan, name);
            if (!s || !first || !(*s == *first))
                throw UsageError("--format gptq needs one spec for every block linear (" + name +
                                 " differs); use --format fake for mixed plans");
            if (s->method != QuantMethod::Rtn && s->method != QuantMethod::Gptq)
                throw UsageError("--format gptq stores RTN or GPTQ integer weights; " + std::string(methodName(s->method)) +
                                 " folds scales into other tensors: use --format fake");
        }
    return gptqLayoutFor(*first);
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
    const std::string modelPath = args.positional("MODEL");
    args.finish();
    if (!out) throw UsageError("quantize needs --out DIR");
    if (!plan.plan) throw UsageError("quantize needs a plan: --plan PLAN.json or --method M --bits B ...");
    if (format != "fake" && format != "gptq") throw UsageError("--format must be fake or gptq");

    const auto started = std::chrono::steady_clock::now();
    const auto ckpt = openCheckpoint(modelPath);
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerPath ? openTokenizer(*tokenizerPath) : tokenizerForCheckpoint(*ckpt);
    const QuantPlan& p = *plan.plan;
    exportOptions.planLabel = plan.label();
    exportOptions.plan = quantPlanToJson(p);
    const std::optional<GptqLayout> layout =
        format == "gptq" ? std::optional<GptqLayout>(packedLayoutOf(p, model.config())) : std::nullopt;

    // GPTQ's codes are kept as each layer is solved, for the packed export.
    std::map<std::pair<int, int>, GptqResult> gptqCodes;
    const GptqLayerHook keepCodes = [&](const GptqLayerReport& r, const GptqResult& result, const std::vector<double>&) {
        if (layout) gptqCodes[{r.block, int(r.projection)}] = result;
    };
    std::optional<PlanQuantizeResult> calibrated;
    if (planNeedsCalibration(p, model.config()))
        calibrated = calibratedQuantization(plan, model, *tokenizer, keepCodes);
    else
        onTheFlyBlockAdjuster(p, model.config());  // checks the whole plan before any output

    const QuantizedBlockSource blocks = [&](int b) {
        if (calibrated) return calibrated->model.blocks.at(size_t(b));
        DecoderBlockWeights w = model.loadBlock(b);
        applyPlanToBlock(p, w);
        return w;
    };
    if (layout) {
        const QuantizedLayerSource layers = [&](int b, Projection proj) {
            if (auto it = gptqCodes.find({b, int(proj)}); it != gptqCodes.end()) return it->second;
            const std::string name = linearTensorName(b, int(proj));
            return rtnLayerCodes(model.loadBlock(b)[proj], *resolve(p, name), name);
        };
        writeGptqExport(*ckpt, layers, *layout, exportOptions, *out);
    } else {
        writeFakeQuantExport(*ckpt, blocks, exportOptions, *out);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (json) {
        nlohmann::json j = calibrated ? planQuantizeJson(*calibrated) : nlohmann::json{{"layers", nlohmann::json::array()}};
        j["plan"] = plan.label();
        j["format"] = format;
        j["out"] = *out;
        j["total_seconds"] = seconds;
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
    "           [--format fake|gptq] [--dtype f32|f16|bf16] [--overwrite] [--json]\n");

}  // namespace qs::cli
