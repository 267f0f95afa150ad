#include "quant/awq.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include <Eigen/Core>

#include "cpu/fake_quant.h"
#include "quant/activation_stats.h"
#include "quant/apply_plan.h"

namespace qs {

namespace {

constexpr double kMinScale = 1e-4;  // auto_scale's clamp(min=1e-4)

int64_t weightGroupSize(const QuantSpec& spec, int64_t inFeatures) {
    return spec.granularity == Granularity::PerGroup ? spec.groupSize : inFeatures;
}

// auto_clip for one linear: for each output row and weight group, the
// clipping max = absmax · (1 - i / clipGrid) whose RTN has the smallest
// output error on the group's inputs, (q - w)ᵀ (X_gᵀ X_g) (q - w) with X_g
// the inputs' columns of that group; the weights are clamped in place. The
// reference samples tokens to bound memory; the Gram matrix makes every
// calibration token affordable.
void clipWeights(LinearWeights& l, const SiteInput& x, const QuantSpec& spec, const AwqOptions& o) {
    const int64_t gs = weightGroupSize(spec, l.inFeatures);
    const int steps = std::max(1, int(o.maxShrink * o.clipGrid));
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const RowMajor> X(x.x.data(), x.rows, x.cols);
    std::vector<float> q(static_cast<size_t>(gs));
    Eigen::VectorXd d(gs);
    for (int64_t g0 = 0; g0 < l.inFeatures; g0 += gs) {
        const Eigen::MatrixXd gram = (X.middleCols(g0, gs).transpose() * X.middleCols(g0, gs)).cast<double>();
        for (int64_t row = 0; row < l.outFeatures; ++row) {
            float* w = l.w.data() + row * l.inFeatures + g0;
            float absmax = 0;
            for (int64_t j = 0; j < gs; ++j) absmax = std::max(absmax, std::fabs(w[j]));
            double bestError = std::numeric_limits<double>::infinity();
            float bestMax = absmax;
            for (int i = 0; i < steps; ++i) {
                const float m = float(absmax * (1.0 - double(i) / o.clipGrid));
                for (int64_t j = 0; j < gs; ++j) q[size_t(j)] = std::clamp(w[j], -m, m);
                fakeQuantizeIntRows(q.data(), 1, gs, gs, spec.bits, spec.symmetric);
                for (int64_t j = 0; j < gs; ++j) d[j] = double(q[size_t(j)]) - double(w[j]);
                const double e = d.dot(gram * d);
                if (e < bestError) {
                    bestError = e;
                    bestMax = m;
                }
            }
            for (int64_t j = 0; j < gs; ++j) w[j] = std::clamp(w[j], -bestMax, bestMax);
        }
    }
}

}  // namespace

std::vector<double> awqScales(const std::vector<double>& meanAbs, double ratio) {
    std::vector<double> s(meanAbs.size());
    for (size_t j = 0; j < s.size(); ++j) s[j] = std::max(std::pow(meanAbs[j], ratio), kMinScale);
    const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
    const double norm = std::sqrt(*lo * *hi);
    for (double& v : s) v /= norm;
    return s;
}

BlockQuantReport awqBlock(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                          const QuantSpec& spec, const AwqOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    BlockInputs inputs = captureBlockInputs(config, block, calib);
    const std::vector<ActivationStats> stats = activationStats(inputs);
    const std::vector<SmoothingGroup> groups = awqGroups(config);
    BlockQuantReport report;
    report.block = block.block;

    // Search every group's scales on the float block (auto_scale_block) ...
    std::vector<std::unique_ptr<GroupErrorMeter>> meters;
    std::vector<std::vector<double>> scales;
    for (const SmoothingGroup& g : groups) {
        meters.push_back(std::make_unique<GroupErrorMeter>(inputs[size_t(g.site)], block, g));
        GroupReport r;
        r.group = g.name;
        r.baselineError = meters.back()->relativeError(scaledQuantizedWeights(block, g, {}, spec), {});
        r.exponent = 0;
        r.errorBeforeClip = r.baselineError;
        std::vector<double> best;
        if (g.previous != ScaledPrevious::None)
            for (int i = 1; i < options.scaleGrid; ++i) {  // i = 0 is s = 1: the RTN baseline
                const double ratio = double(i) / options.scaleGrid;
                std::vector<double> s = awqScales(stats[size_t(g.site)].channelMeanAbs, ratio);
                const double e = meters.back()->relativeError(scaledQuantizedWeights(block, g, s, spec), s);
                if (e < r.errorBeforeClip) {
                    r.errorBeforeClip = e;
                    r.exponent = ratio;
                    best = std::move(s);
                }
            }
        scales.push_back(std::move(best));
        report.groups.push_back(r);
    }
    // ... then fold them all (apply_scale), the captured inputs with them, so
    // clipping sees the scaled weights and their actual inputs.
    for (size_t i = 0; i < groups.size(); ++i)
        if (!scales[i].empty()) {
            foldScales(block, groups[i], scales[i]);
            divideColumns(inputs[size_t(groups[i].site)], scales[i]);
        }
    // The meters' inputs are now divided by s: score the block's own weights unscaled.
    for (size_t i = 0; i < groups.size(); ++i) {
        const SmoothingGroup& g = groups[i];
        for (Projection p : g.linears)
            if (options.clip && p != Projection::Q && p != Projection::K)
                clipWeights(block[p], inputs[size_t(g.site)], spec, options);
        for (Projection p : g.linears) {
            fakeQuantizeWeights(spec, block[p]);
            block[p].inputQuant = inputQuantFor(spec.activation, "awq");
        }
        // v and up also had their rows divided by the next group's scales;
        // undo that here so their outputs compare with the float ones.
        std::vector<std::vector<float>> quantized;
        for (Projection p : g.linears) {
            quantized.push_back(block[p].w);
            for (size_t k = 0; k < groups.size(); ++k) {
                const ScaledPrevious prev = groups[k].previous;
                if (scales[k].empty() || !((prev == ScaledPrevious::VRows && p == Projection::V) ||
                                           (prev == ScaledPrevious::UpRows && p == Projection::Up)))
                    continue;
                const int64_t cols = block[p].inFeatures;
                for (int64_t r = 0; r < block[p].outFeatures; ++r) {
                    float* row = quantized.back().data() + r * cols;
                    for (int64_t j = 0; j < cols; ++j) row[j] = float(row[j] * scales[k][size_t(r)]);
                }
            }
        }
        report.groups[i].relativeError = meters[i]->relativeError(quantized, {});
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report;
}

}  // namespace qs
