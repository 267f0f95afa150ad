#include "plan_presets.h"

namespace qs::views {

namespace {

QuantSpec intSpec(int bits, Granularity g, QuantMethod method, bool symmetric = true) {
    QuantSpec s;
    s.format = WeightFormat::Int;
    s.bits = bits;
    s.symmetric = symmetric;
    s.granularity = g;
    s.groupSize = 128;
    s.method = method;
    return s;
}

QuantSpec withActivations(QuantSpec s, ActivationFormat format) {
    s.activation.format = format;
    s.activation.perToken = true;
    return s;
}

QuantSpec fp8Spec() {
    QuantSpec s;
    s.format = WeightFormat::F8E4M3;
    s.bits = 8;
    s.granularity = Granularity::PerChannel;
    return withActivations(s, ActivationFormat::F8E4M3);
}

}  // namespace

const std::vector<PlanPreset>& planPresets() {
    static const std::vector<PlanPreset> presets = {
        {QStringLiteral("W8A8 INT8 per-channel/per-token"),
         withActivations(intSpec(8, Granularity::PerChannel, QuantMethod::Rtn), ActivationFormat::Int8)},
        {QStringLiteral("W4 g128 RTN"), intSpec(4, Granularity::PerGroup, QuantMethod::Rtn)},
        {QStringLiteral("W4 g128 asym RTN"), intSpec(4, Granularity::PerGroup, QuantMethod::Rtn, false)},
        {QStringLiteral("W3 g128 RTN"), intSpec(3, Granularity::PerGroup, QuantMethod::Rtn)},
        {QStringLiteral("FP8 E4M3 per-channel + FP8 per-token activations"), fp8Spec()},
        {QStringLiteral("W4 g128 GPTQ"), intSpec(4, Granularity::PerGroup, QuantMethod::Gptq)},
        // AWQ's reference quantizer uses a zero point (asymmetric grid).
        {QStringLiteral("W4 g128 AWQ"), intSpec(4, Granularity::PerGroup, QuantMethod::Awq, false)},
        {QStringLiteral("SmoothQuant W8A8"),
         withActivations(intSpec(8, Granularity::PerChannel, QuantMethod::SmoothQuant), ActivationFormat::Int8)},
    };
    return presets;
}

}  // namespace qs::views
