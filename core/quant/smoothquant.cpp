#include "quant/smoothquant.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "quant/apply_plan.h"

namespace qs {

namespace {

constexpr double kMinScale = 1e-5;  // smooth.py's clamp(min=1e-5)

}  // namespace

std::vector<double> smoothQuantScales(const ActivationStats& x, const std::vector<float>& weightColumnAbsmax,
                                      double alpha) {
    std::vector<double> s(x.channelAbsmax.size());
    for (size_t j = 0; j < s.size(); ++j) {
        const double w = std::max(double(weightColumnAbsmax[j]), kMinScale);
        s[j] = std::max(std::pow(double(x.channelAbsmax[j]), alpha) / std::pow(w, 1.0 - alpha), kMinScale);
    }
    return s;
}

InputQuant calibratedInputQuant(const ActivationSpec& a, const ActivationStats& x, const std::vector<double>& s) {
    ActivationSpec calibrated = a;
    if (a.format != ActivationFormat::None && !a.perToken && !a.scale) {
        double absmax = 0;
        for (size_t j = 0; j < x.channelAbsmax.size(); ++j)
            absmax = std::max(absmax, double(x.channelAbsmax[j]) / (s.empty() ? 1.0 : s[j]));
        const double top = a.format == ActivationFormat::Int8 ? 127.0 : 448.0;
        calibrated.scale = absmax > 0 ? absmax / top : 1.0;
    }
    return inputQuantFor(calibrated, "activation");
}

BlockQuantReport smoothedW8A8Block(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                                   const QuantSpec& spec, const SmoothingAlphaChooser& chooseAlpha) {
    const auto t0 = std::chrono::steady_clock::now();
    const BlockInputs inputs = captureBlockInputs(config, block, calib);
    const std::vector<ActivationStats> stats = activationStats(inputs);
    BlockQuantReport report;
    report.block = block.block;
    for (const SmoothingGroup& g : smoothQuantGroups()) {
        const ActivationStats& x = stats[size_t(g.site)];
        const GroupErrorMeter meter(inputs[size_t(g.site)], block, g);
        GroupReport r;
        r.group = g.name;
        r.baselineError = meter.relativeError(scaledQuantizedWeights(block, g, {}, spec), {},
                                              calibratedInputQuant(spec.activation, x, {}));
        std::vector<double> s;
        r.exponent = std::numeric_limits<double>::quiet_NaN();
        if (g.previous != ScaledPrevious::None) {
            const std::vector<float> wAbsmax = weightColumnAbsmax(block, g.linears);
            r.exponent = chooseAlpha(g, meter, x, wAbsmax);
            s = smoothQuantScales(x, wAbsmax, r.exponent);
        }
        const InputQuant activation = calibratedInputQuant(spec.activation, x, s);
        r.relativeError = s.empty() ? r.baselineError
                                    : meter.relativeError(scaledQuantizedWeights(block, g, s, spec), s, activation);
        r.errorBeforeClip = r.relativeError;
        if (!s.empty()) foldScales(block, g, s);
        for (Projection p : g.linears) {
            fakeQuantizeWeights(spec, block[p]);
            block[p].inputQuant = activation;
        }
        report.groups.push_back(r);
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report;
}

BlockQuantReport smoothQuantBlock(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                                  const QuantSpec& spec) {
    return smoothedW8A8Block(config, block, calib, spec,
                             [&](const SmoothingGroup&, const GroupErrorMeter&, const ActivationStats&,
                                 const std::vector<float>&) { return spec.smoothAlpha; });
}

std::vector<std::vector<double>> smoothBlock(DecoderBlockWeights& block, const std::vector<ActivationStats>& stats,
                                             double alpha) {
    std::vector<std::vector<double>> scales;
    for (const SmoothingGroup& g : smoothQuantGroups()) {
        std::vector<double> s;
        if (g.previous != ScaledPrevious::None) {
            s = smoothQuantScales(stats[size_t(g.site)], weightColumnAbsmax(block, g.linears), alpha);
            foldScales(block, g, s);
        }
        scales.push_back(std::move(s));
    }
    return scales;
}

}  // namespace qs
