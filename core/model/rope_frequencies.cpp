#include "model/rope_frequencies.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace qs {

namespace {

// Llama 3.1 (Meta's apply_scaling; transformers' _compute_llama3_parameters):
// wavelengths longer than original_max / low_freq_factor are stretched by
// `factor`, those shorter than original_max / high_freq_factor are kept, and
// the band between blends the two linearly in original_max / wavelength.
double llama3Scaled(double invFreq, const RopeScaling& s) {
    const double oldContext = double(s.originalMaxPositions);
    const double lowFreqWavelen = oldContext / s.lowFreqFactor;
    const double highFreqWavelen = oldContext / s.highFreqFactor;
    const double wavelen = 2.0 * std::numbers::pi / invFreq;
    if (wavelen < highFreqWavelen) return invFreq;
    if (wavelen > lowFreqWavelen) return invFreq / s.factor;
    const double smooth = (oldContext / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1.0 - smooth) * invFreq / s.factor + smooth * invFreq;
}

}  // namespace

std::vector<double> ropeInverseFrequencies(const ModelConfig& config) {
    const int64_t half = config.headDim / 2;
    std::vector<double> inv(static_cast<size_t>(half));
    for (int64_t i = 0; i < half; ++i)
        inv[size_t(i)] = 1.0 / std::pow(config.ropeTheta, double(2 * i) / double(config.headDim));
    if (!config.ropeScaling || config.ropeScaling->type.empty() || config.ropeScaling->type == "default") return inv;
    const RopeScaling& s = *config.ropeScaling;
    if (!(s.factor > 0)) throw std::invalid_argument("rope_scaling factor must be positive");
    if (s.type == "linear") {
        for (double& f : inv) f /= s.factor;
    } else if (s.type == "llama3") {
        if (!(s.highFreqFactor > s.lowFreqFactor))
            throw std::invalid_argument("llama3 rope_scaling needs high_freq_factor > low_freq_factor");
        for (double& f : inv) f = llama3Scaled(f, s);
    } else {
        throw std::invalid_argument("rope_scaling type \"" + s.type +
                                    "\" is not supported (supported: default, linear, llama3)");
    }
    return inv;
}

}  // namespace qs
