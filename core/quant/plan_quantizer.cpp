#include "quant/plan_quantizer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "formats/format_error.h"
#include "formats/tensor_names.h"
#include "quant/activation_stats.h"
#include "quant/apply_plan.h"
#include "quant/awq.h"
#include "quant/bismooth.h"
#include "quant/smoothquant.h"

namespace qs {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using BlockSpecs = std::array<std::optional<QuantSpec>, kProjectionCount>;

BlockSpecs specsOfBlock(const QuantPlan& plan, int block) {
    BlockSpecs specs;
    for (int p = 0; p < kProjectionCount; ++p) specs[size_t(p)] = resolve(plan, linearTensorName(block, p));
    return specs;
}

bool needsStaticScale(const QuantSpec& s) {
    return s.activation.format != ActivationFormat::None && !s.activation.perToken && !s.activation.scale;
}

// The block's calibration method (Rtn when none); throws when two are mixed.
QuantMethod blockMethod(const BlockSpecs& specs, int block, const std::string& source) {
    std::optional<QuantMethod> method;
    for (int p = 0; p < kProjectionCount; ++p) {
        const auto& s = specs[size_t(p)];
        if (!s || s->method == QuantMethod::Rtn) continue;
        if (method && *method != s->method)
            throw FormatError(source, "block " + std::to_string(block) + " mixes " +
                                          std::string(methodName(*method)) + " and " +
                                          std::string(methodName(s->method)) + ": one calibration method per block");
        method = s->method;
    }
    const bool smoothing = method && *method != QuantMethod::Gptq;
    if (smoothing)
        for (int p = 0; p < kProjectionCount; ++p)
            if (specs[size_t(p)] != specs[0])
                throw FormatError(source, linearTensorName(block, p) + ": " + std::string(methodName(*method)) +
                                              " folds scales across a block's layers, so all seven need the same spec");
    return method.value_or(QuantMethod::Rtn);
}

GptqOptions gptqOptionsOf(const QuantSpec& s) {
    GptqOptions o;
    o.bits = s.bits;
    o.symmetric = s.symmetric;
    o.groupSize = s.granularity == Granularity::PerGroup ? s.groupSize : 0;
    o.actOrder = s.gptq.actOrder;
    o.staticGroups = s.gptq.staticGroups;
    o.damp = s.gptq.damp;
    o.blockSize = s.gptq.blockSize;
    return o;
}

// Static activation scales the plan leaves open, from the block's inputs as
// its (already quantized) layers see them: absmax / 127 or / 448.
void calibrateStaticScales(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                           const BlockSpecs& specs) {
    bool any = false;
    for (const auto& s : specs) any = any || (s && needsStaticScale(*s));
    if (!any) return;
    const std::vector<ActivationStats> stats = activationStats(captureBlockInputs(config, block, calib));
    for (int p = 0; p < kProjectionCount; ++p)
        if (const auto& s = specs[size_t(p)]; s && needsStaticScale(*s))
            block.linear[size_t(p)].inputQuant =
                calibratedInputQuant(s->activation, stats[size_t(inputSiteOf(Projection(p)))], {});
}

void addGroupReports(const BlockQuantReport& r, int block, QuantMethod method, std::vector<LayerQuantReport>& out) {
    for (const GroupReport& g : r.groups)
        out.push_back({"block " + std::to_string(block) + " " + g.group, std::string(methodName(method)),
                       g.relativeError, g.baselineError, g.exponent, r.seconds / double(r.groups.size())});
}

}  // namespace

bool planNeedsCalibration(const QuantPlan& plan, const ModelConfig& config) {
    for (int b = 0; b < int(config.numLayers); ++b)
        for (const auto& s : specsOfBlock(plan, b))
            if (s && (s->method != QuantMethod::Rtn || needsStaticScale(*s))) return true;
    return false;
}

PlanQuantizeResult quantizePlanWithCalibration(const LlamaModel& model, const QuantPlan& plan,
                                               const TokenBatch& calibration, const PlanQuantizeOptions& options) {
    const ModelConfig& config = model.config();
    checkAgainstModel(plan, config);
    requireUnquantizedHead(plan);
    const std::string source = planSourceName(plan);
    std::vector<QuantMethod> methods;
    for (int b = 0; b < int(config.numLayers); ++b) methods.push_back(blockMethod(specsOfBlock(plan, b), b, source));

    PlanQuantizeResult result;
    const auto quantizeBlock = [&](const ModelConfig& c, DecoderBlockWeights& block, const BlockCalibration& calib) {
        const int b = block.block;
        const BlockSpecs specs = specsOfBlock(plan, b);
        const std::vector<ActivationStats> inputs = activationStats(captureBlockInputs(c, block, calib));
        for (int p = 0; p < kProjectionCount; ++p)
            result.activations.push_back({linearTensorName(b, p), inputs[size_t(inputSiteOf(Projection(p)))]});
        const auto t0 = std::chrono::steady_clock::now();
        // RTN layers first: they need no data, and GPTQ's later stages then see their error.
        for (int p = 0; p < kProjectionCount; ++p) {
            const auto& s = specs[size_t(p)];
            if (!s || s->method != QuantMethod::Rtn) continue;
            fakeQuantizeWeights(*s, block.linear[size_t(p)]);
            if (!needsStaticScale(*s)) block.linear[size_t(p)].inputQuant = inputQuantFor(s->activation, linearTensorName(b, p));
        }
        switch (methods[size_t(b)]) {
        case QuantMethod::Rtn: {
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            for (int p = 0; p < kProjectionCount; ++p)
                if (specs[size_t(p)]) result.layers.push_back({linearTensorName(b, p), "rtn", kNaN, kNaN, kNaN, seconds / 7});
            break;
        }
        case QuantMethod::Gptq: {
            GptqBlockOptions o;
            o.onLayer = options.onGptqLayer;
            o.backend = options.backend;
            o.perLayer = [&](Projection p) -> std::optional<GptqOptions> {
                const auto& s = specs[size_t(p)];
                if (!s || s->method != QuantMethod::Gptq) return std::nullopt;
                return gptqOptionsOf(*s);
            };
            std::vector<float> hidden(calib.hidden, calib.hidden + calib.rows() * c.hiddenSize);
            for (const GptqLayerReport& r :
                 gptqQuantizeBlock(c, block, *calib.rope, calib.layout, hidden, calib.seqStarts, o))
                result.layers.push_back({r.name, "gptq", r.relativeError, kNaN, kNaN, r.captureSeconds + r.solveSeconds});
            for (int p = 0; p < kProjectionCount; ++p)
                if (const auto& s = specs[size_t(p)]; s && s->method == QuantMethod::Gptq && !needsStaticScale(*s))
                    block.linear[size_t(p)].inputQuant = inputQuantFor(s->activation, linearTensorName(b, p));
            break;
        }
        case QuantMethod::Awq: addGroupReports(awqBlock(c, block, calib, *specs[0]), b, QuantMethod::Awq, result.layers); break;
        case QuantMethod::SmoothQuant:
            addGroupReports(smoothQuantBlock(c, block, calib, *specs[0]), b, QuantMethod::SmoothQuant, result.layers);
            return;  // its activation scales are calibrated on the smoothed inputs
        case QuantMethod::BiSmooth:
            addGroupReports(biSmoothBlock(c, block, calib, *specs[0]), b, QuantMethod::BiSmooth, result.layers);
            return;
        }
        calibrateStaticScales(c, block, calib, specs);
    };
    result.model = quantizeModelByBlock(model, calibration, quantizeBlock, options.job, options.backend);
    return result;
}

nlohmann::json planQuantizeJson(const PlanQuantizeResult& r) {
    const auto number = [](double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); };
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerQuantReport& l : r.layers)
        layers.push_back({{"name", l.name},
                          {"method", l.method},
                          {"relative_error", number(l.relativeError)},
                          {"baseline_error", number(l.baselineError)},
                          {"exponent", number(l.exponent)},
                          {"seconds", l.seconds}});
    return {{"seconds", r.model.seconds}, {"layers", layers}};
}

}  // namespace qs
