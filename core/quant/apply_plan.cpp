#include "quant/apply_plan.h"

#include <stdexcept>
#include <string>

#include "cpu/fake_quant.h"
#include "formats/format_error.h"
#include "formats/tensor_names.h"

namespace qs {

namespace {

// The checks that do not need the weights: what makes a spec unusable on the fly.
void checkOnTheFly(const QuantSpec& spec, const std::string& layer, int64_t inFeatures) {
    if (spec.method != QuantMethod::Rtn)
        throw std::invalid_argument(layer + ": method " + std::string(methodName(spec.method)) +
                                    " needs calibration; use quantscope-cli quantize");
    validateQuantSpec(spec, layer, inFeatures);
    inputQuantFor(spec.activation, layer);
}

}  // namespace

InputQuant inputQuantFor(const ActivationSpec& a, const std::string& layer) {
    InputQuant q;
    if (a.format == ActivationFormat::None) return q;
    q.format = a.format == ActivationFormat::Int8 ? InputQuant::Format::Int8 : InputQuant::Format::F8E4M3;
    q.perToken = a.perToken;
    if (!a.perToken) {
        if (!a.scale)
            throw std::invalid_argument(layer +
                                        ": a static per-tensor activation scale needs calibration; give activation.scale "
                                        "in the plan or use quantscope-cli quantize");
        q.staticScale = *a.scale;
    }
    return q;
}

ActivationSpec activationSpecOf(const InputQuant& q) {
    ActivationSpec a;
    if (q.format == InputQuant::Format::None) return a;
    a.format = q.format == InputQuant::Format::Int8 ? ActivationFormat::Int8 : ActivationFormat::F8E4M3;
    a.perToken = q.perToken;
    if (!q.perToken) a.scale = q.staticScale;
    return a;
}

void fakeQuantizeWeights(const QuantSpec& spec, LinearWeights& l) {
    float* w = l.w.data();
    const int64_t rows = l.outFeatures, cols = l.inFeatures;
    if (spec.format == WeightFormat::F8E4M3) {
        if (spec.granularity == Granularity::PerTensor)
            fakeQuantizeF8Tensor(w, rows * cols);
        else
            fakeQuantizeF8Rows(w, rows, cols);
        return;
    }
    switch (spec.granularity) {
    case Granularity::PerTensor: fakeQuantizeIntTensor(w, rows * cols, spec.bits, spec.symmetric); break;
    case Granularity::PerChannel: fakeQuantizeIntRows(w, rows, cols, cols, spec.bits, spec.symmetric); break;
    case Granularity::PerGroup: fakeQuantizeIntRows(w, rows, cols, spec.groupSize, spec.bits, spec.symmetric); break;
    }
}

void applyPlanToBlock(const QuantPlan& plan, DecoderBlockWeights& block) {
    for (int p = 0; p < kProjectionCount; ++p) {
        const std::string name = linearTensorName(block.block, p);
        const auto spec = resolve(plan, name);
        if (!spec) continue;
        LinearWeights& l = block.linear[size_t(p)];
        checkOnTheFly(*spec, name, l.inFeatures);
        fakeQuantizeWeights(*spec, l);
        l.inputQuant = inputQuantFor(spec->activation, name);
    }
}

void requireUnquantizedHead(const QuantPlan& plan) {
    if (resolve(plan, "lm_head.weight"))
        throw FormatError(planSourceName(plan), "lm_head.weight: quantizing the output head is not supported yet; "
                                                "keep it in \"skip\"");
}

std::function<void(DecoderBlockWeights&)> onTheFlyBlockAdjuster(const QuantPlan& plan, const ModelConfig& config) {
    checkAgainstModel(plan, config);
    requireUnquantizedHead(plan);
    const std::string src = planSourceName(plan);
    for (int b = 0; b < int(config.numLayers); ++b)
        for (int p = 0; p < kProjectionCount; ++p) {
            const std::string name = linearTensorName(b, p);
            const auto spec = resolve(plan, name);
            try {
                if (spec) checkOnTheFly(*spec, name, linearInFeatures(config, p));
            } catch (const std::invalid_argument& e) {
                throw FormatError(src, e.what());
            }
        }
    return [plan](DecoderBlockWeights& block) { applyPlanToBlock(plan, block); };
}

}  // namespace qs
