#include "quant/activation_stats.h"

#include <algorithm>
#include <cmath>

namespace qs {

float exactPercentile(std::vector<float>& values, double percent) {
    if (values.empty()) return 0.0f;
    const auto rank = std::ptrdiff_t(std::lround(percent / 100.0 * double(values.size() - 1)));
    const auto at = values.begin() + std::clamp<std::ptrdiff_t>(rank, 0, std::ptrdiff_t(values.size()) - 1);
    std::nth_element(values.begin(), at, values.end());
    return *at;
}

float ActivationStats::absmax() const {
    return channelAbsmax.empty() ? 0.0f : *std::max_element(channelAbsmax.begin(), channelAbsmax.end());
}

ActivationStats activationStats(const SiteInput& input) {
    ActivationStats s;
    s.tokens = input.rows;
    s.channelAbsmax.assign(size_t(input.cols), 0.0f);
    s.channelMeanAbs.assign(size_t(input.cols), 0.0);
    std::vector<float> tokenAbsmax(size_t(input.rows));
    for (int64_t r = 0; r < input.rows; ++r) {
        const float* x = input.row(r);
        float rowMax = 0;
        for (int64_t j = 0; j < input.cols; ++j) {
            const float a = std::fabs(x[j]);
            rowMax = std::max(rowMax, a);
            s.channelAbsmax[size_t(j)] = std::max(s.channelAbsmax[size_t(j)], a);
            s.channelMeanAbs[size_t(j)] += a;
        }
        tokenAbsmax[size_t(r)] = rowMax;
    }
    if (input.rows == 0) return s;
    for (double& m : s.channelMeanAbs) m /= double(input.rows);
    for (double p : kTokenAbsmaxPercents) s.tokenAbsmaxQuantiles.push_back(exactPercentile(tokenAbsmax, p));
    s.tokenAbsmaxMin = s.tokenAbsmaxQuantiles.front();
    s.tokenAbsmaxMax = s.tokenAbsmaxQuantiles.back();
    return s;
}

std::vector<ActivationStats> activationStats(const BlockInputs& inputs) {
    std::vector<ActivationStats> stats;
    for (const SiteInput& site : inputs) stats.push_back(activationStats(site));
    return stats;
}

std::vector<float> weightColumnAbsmax(const DecoderBlockWeights& block, std::span<const Projection> linears) {
    std::vector<float> m;
    for (Projection p : linears) {
        const LinearWeights* l = &block[p];
        m.resize(static_cast<size_t>(l->inFeatures), 0.0f);
        for (int64_t o = 0; o < l->outFeatures; ++o)
            for (int64_t j = 0; j < l->inFeatures; ++j)
                m[size_t(j)] = std::max(m[size_t(j)], std::fabs(l->w[size_t(o * l->inFeatures + j)]));
    }
    return m;
}

}  // namespace qs
