#include "quant/bismooth.h"

#include <limits>
#include <stdexcept>

#include "quant/smoothquant.h"

namespace qs {

BlockQuantReport biSmoothBlock(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                               const QuantSpec& spec, const BiSmoothOptions& options) {
    if (options.gridSteps < 1) throw std::invalid_argument("bi-smoothing: the alpha grid needs at least one step");
    const auto search = [&](const SmoothingGroup& g, const GroupErrorMeter& meter, const ActivationStats& x,
                            const std::vector<float>& wAbsmax) {
        double best = 0, bestError = std::numeric_limits<double>::infinity();
        for (int i = 0; i <= options.gridSteps; ++i) {
            const double alpha = double(i) / options.gridSteps;
            const std::vector<double> s = smoothQuantScales(x, wAbsmax, alpha);
            const double e = meter.relativeError(scaledQuantizedWeights(block, g, s, spec), s,
                                                 calibratedInputQuant(spec.activation, x, s));
            if (e < bestError) {
                bestError = e;
                best = alpha;
            }
        }
        return best;
    };
    return smoothedW8A8Block(config, block, calib, spec, search);
}

}  // namespace qs
