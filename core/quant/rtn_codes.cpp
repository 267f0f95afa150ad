#include "quant/rtn_codes.h"

#include <cmath>
#include <stdexcept>

#include "cpu/fake_quant.h"

namespace qs {

GptqResult rtnLayerCodes(const LinearWeights& l, const QuantSpec& spec, const std::string& layer) {
    if (spec.format != WeightFormat::Int) throw std::invalid_argument(layer + ": only integer weights have codes");
    validateQuantSpec(spec, layer, l.inFeatures);
    for (float x : l.w)
        if (!std::isfinite(x)) throw std::invalid_argument(layer + ": a weight is NaN or infinite, which no code can hold");

    GptqResult r;
    r.outFeatures = l.outFeatures;
    r.inFeatures = l.inFeatures;
    const int64_t groupSize = spec.granularity == Granularity::PerGroup ? spec.groupSize : l.inFeatures;
    r.groups = l.inFeatures / groupSize;
    r.grids.resize(static_cast<size_t>(r.groups * r.outFeatures));
    const IntGrid tensorGrid = fitIntGridToValues(l.w.data(), static_cast<int64_t>(l.w.size()), spec.bits, spec.symmetric);
    for (int64_t row = 0; row < r.outFeatures; ++row)
        for (int64_t g = 0; g < r.groups; ++g)
            r.grids[static_cast<size_t>(g * r.outFeatures + row)] =
                spec.granularity == Granularity::PerTensor
                    ? tensorGrid
                    : fitIntGridToValues(l.w.data() + row * l.inFeatures + g * groupSize, groupSize, spec.bits,
                                         spec.symmetric);
    r.gIdx.resize(static_cast<size_t>(r.inFeatures));
    for (int64_t c = 0; c < r.inFeatures; ++c) r.gIdx[static_cast<size_t>(c)] = static_cast<int32_t>(c / groupSize);
    r.codes.resize(l.w.size());
    r.dequantized.resize(l.w.size());
    for (int64_t row = 0; row < r.outFeatures; ++row)
        for (int64_t c = 0; c < r.inFeatures; ++c) {
            const size_t i = static_cast<size_t>(row * r.inFeatures + c);
            const IntGrid& grid = r.grids[static_cast<size_t>(c / groupSize * r.outFeatures + row)];
            const int code = quantizeToCode(l.w[i], grid);
            r.codes[i] = static_cast<uint8_t>(code);
            r.dequantized[i] = dequantizeCode(code, grid);
        }
    return r;
}

}  // namespace qs
