#include "cli_export.h"

#include <map>
#include <stdexcept>
#include <utility>

#include "formats/tensor_names.h"
#include "quant/apply_plan.h"
#include "quant/export_fake.h"
#include "quant/export_gptq.h"
#include "quant/rtn_codes.h"

namespace qs::cli {

ExportFormat exportFormatFromArg(const std::string& v) {
    if (v == "fake") return ExportFormat::Fake;
    if (v == "gptq") return ExportFormat::Gptq;
    throw UsageError("--format must be fake or gptq");
}

const char* exportFormatName(ExportFormat format) { return format == ExportFormat::Gptq ? "gptq" : "fake"; }

// The packed export needs every block linear on one integer layout, chosen by RTN or GPTQ.
std::string packedFormatProblem(const QuantPlan& plan, const ModelConfig& config) {
    const auto first = resolve(plan, linearTensorName(0, 0));
    for (int b = 0; b < int(config.numLayers); ++b)
        for (int p = 0; p < kProjectionCount; ++p) {
            const std::string name = linearTensorName(b, p);
            const auto s = resolve(plan, name);
            if (!s || !first || !(*s == *first))
                return "--format gptq needs one spec for every block linear (" + name +
                       " differs); use --format fake for mixed plans";
            if (s->activation.format != ActivationFormat::None)
                return "--format gptq stores integer weights only and cannot carry the plan's activation "
                       "quantization (" + name + "); use --format fake, which records it";
            if (s->method != QuantMethod::Rtn && s->method != QuantMethod::Gptq)
                return "--format gptq stores RTN or GPTQ integer weights; " + std::string(methodName(s->method)) +
                       " folds scales into other tensors: use --format fake";
        }
    try {
        gptqLayoutFor(*first);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

std::optional<PlanQuantizeResult> writeQuantizedExport(const Checkpoint& ckpt, const LlamaModel& model,
                                                       const Tokenizer& tokenizer, const CliPlan& plan,
                                                       ExportFormat format, ExportOptions options,
                                                       const std::string& outDir, const KernelBackend* backend) {
    if (!plan.plan) throw UsageError("an export needs a plan: --plan PLAN.json or --method M --bits B ...");
    const QuantPlan& p = *plan.plan;
    options.planLabel = plan.label();
    options.plan = quantPlanToJson(p);
    std::optional<GptqLayout> layout;
    if (format == ExportFormat::Gptq) {
        if (const std::string problem = packedFormatProblem(p, model.config()); !problem.empty()) throw UsageError(problem);
        layout = gptqLayoutFor(*resolve(p, linearTensorName(0, 0)));
        checkGptqShapes(ckpt, *layout);  // before calibrating, which can take long
    }

    // GPTQ's codes are kept as each layer is solved, for the packed export.
    std::map<std::pair<int, int>, GptqResult> gptqCodes;
    const GptqLayerHook keepCodes = [&](const GptqLayerReport& r, const GptqResult& result, const std::vector<double>&) {
        if (layout) gptqCodes[{r.block, int(r.projection)}] = result;
    };
    std::optional<PlanQuantizeResult> calibrated;
    if (planNeedsCalibration(p, model.config()))
        calibrated = calibratedQuantization(plan, model, tokenizer, keepCodes, backend);
    else
        onTheFlyBlockAdjuster(p, model.config());  // checks the whole plan before any output

    if (layout) {
        const QuantizedLayerSource layers = [&](int b, Projection proj) {
            if (auto it = gptqCodes.find({b, int(proj)}); it != gptqCodes.end()) return it->second;
            const std::string name = linearTensorName(b, int(proj));
            return rtnLayerCodes(model.loadBlock(b)[proj], *resolve(p, name), name);
        };
        writeGptqExport(ckpt, layers, *layout, options, outDir);
    } else {
        const QuantizedBlockSource blocks = [&](int b) {
            if (calibrated) return calibrated->model.blocks.at(size_t(b));
            DecoderBlockWeights w = model.loadBlock(b);
            applyPlanToBlock(p, w);
            return w;
        };
        writeFakeQuantExport(ckpt, blocks, options, outDir);
    }
    return calibrated;
}

}  // namespace qs::cli
