// SmoothQuant and bi-smoothing on qs-tiny-llama blocks 0 and 1 (8 x 128
// calibration tokens of the held-out book): smoothing alone (SmoothQuant's
// and AWQ's folding) leaves the block's function unchanged; SmoothQuant's
// scales are the paper's formula recomputed in float64 from the captured
// inputs; bi-smoothing's searched alpha is never worse than alpha = 0.5.
#include <algorithm>
#include <cmath>
#include <vector>

#include "check.h"
#include "quant/activation_stats.h"
#include "quant/awq.h"
#include "quant/bismooth.h"
#include "quant/smoothquant.h"
#include "tiny_block_inputs.h"

using namespace qs;

namespace {

constexpr double kFoldRelTol = 1e-5;     // ||out - out'|| / ||out||: float32 rounding of the folded weights
constexpr double kScaleRelTol = 1e-6;    // float32 statistics vs the float64 recomputation
constexpr double kSearchSlack = 1e-12;   // bi-smoothing's grid holds 0.5: equal at worst

const test::TinyBlockInputs& inputs() {
    static const test::TinyBlockInputs in(2, 8, 128);
    return in;
}

double relativeDifference(const std::vector<float>& a, const std::vector<float>& b) {
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        den += double(a[i]) * a[i];
    }
    return std::sqrt(num / den);
}

}  // namespace

QS_TEST(smoothing_alone_leaves_block_output_unchanged) {
    const auto& in = inputs();
    const ModelConfig& c = in.model.config();
    for (int b = 0; b < 2; ++b) {
        const DecoderBlockWeights original = in.model.loadBlock(b);
        const std::vector<float> reference = runBlock(c, original, in.calib(b));
        const auto stats = activationStats(captureBlockInputs(c, original, in.calib(b)));
        for (double alpha : {0.0, 0.5, 0.85, 1.0}) {  // SmoothQuant's and bi-smoothing's folding
            DecoderBlockWeights smoothed = original;
            smoothBlock(smoothed, stats, alpha);
            QS_CHECK(smoothed.inputNorm != original.inputNorm);
            QS_CHECK(relativeDifference(reference, runBlock(c, smoothed, in.calib(b))) < kFoldRelTol);
        }
        DecoderBlockWeights scaled = original;  // AWQ's folding, into norms and up's rows
        int folded = 0;
        for (const SmoothingGroup& g : awqGroups(c)) {
            if (g.previous == ScaledPrevious::None) continue;
            foldScales(scaled, g, awqScales(stats[size_t(g.site)].channelMeanAbs, 0.5));
            ++folded;
        }
        QS_CHECK_EQ(folded, 3);  // qkv, gate_up, down (8 heads / 2 kv heads: no v -> o)
        QS_CHECK(relativeDifference(reference, runBlock(c, scaled, in.calib(b))) < kFoldRelTol);
    }
}

QS_TEST(smoothquant_scales_match_float64_formula) {
    const auto& in = inputs();
    const ModelConfig& c = in.model.config();
    const DecoderBlockWeights original = in.model.loadBlock(1);
    const BlockInputs x = captureBlockInputs(c, original, in.calib(1));
    DecoderBlockWeights smoothed = original;
    const double alpha = 0.5;
    const auto scales = smoothBlock(smoothed, activationStats(x), alpha);
    const auto groups = smoothQuantGroups();
    for (size_t gi = 0; gi < groups.size(); ++gi) {
        const SmoothingGroup& g = groups[gi];
        if (g.previous == ScaledPrevious::None) {
            QS_CHECK(scales[gi].empty());
            continue;
        }
        const SiteInput& site = x[size_t(g.site)];
        const std::vector<float>& norm = g.previous == ScaledPrevious::InputNorm ? original.inputNorm
                                                                                 : original.postAttentionNorm;
        const std::vector<float>& normAfter = g.previous == ScaledPrevious::InputNorm ? smoothed.inputNorm
                                                                                      : smoothed.postAttentionNorm;
        QS_CHECK_EQ(int64_t(scales[gi].size()), site.cols);
        for (int64_t j = 0; j < site.cols; ++j) {
            double xmax = 0, wmax = 0;
            for (int64_t r = 0; r < site.rows; ++r) xmax = std::max(xmax, std::fabs(double(site.row(r)[j])));
            for (Projection p : g.linears)
                for (int64_t o = 0; o < original[p].outFeatures; ++o)
                    wmax = std::max(wmax, std::fabs(double(original[p].w[size_t(o * site.cols + j)])));
            const double expected =
                std::max(std::pow(xmax, alpha) / std::pow(std::max(wmax, 1e-5), 1 - alpha), 1e-5);
            QS_CHECK_NEAR(scales[gi][size_t(j)], expected, kScaleRelTol * expected);
            const double folded = norm[size_t(j)] / expected;  // X / s in the norm weight
            QS_CHECK_NEAR(normAfter[size_t(j)], folded, kScaleRelTol * std::fabs(folded));
        }
    }
}

QS_TEST(bismooth_is_never_worse_than_alpha_half) {
    const auto& in = inputs();
    const ModelConfig& c = in.model.config();
    QuantSpec spec;
    spec.bits = 8;
    spec.granularity = Granularity::PerChannel;
    spec.method = QuantMethod::BiSmooth;
    spec.activation.format = ActivationFormat::Int8;
    for (bool perToken : {true, false}) {
        spec.activation.perToken = perToken;
        for (int b = 0; b < 2; ++b) {
            DecoderBlockWeights sq = in.model.loadBlock(b), bi = in.model.loadBlock(b);
            const BlockQuantReport rs = smoothQuantBlock(c, sq, in.calib(b), spec);
            const BlockQuantReport rb = biSmoothBlock(c, bi, in.calib(b), spec);
            QS_CHECK_EQ(rs.groups.size(), size_t(4));
            QS_CHECK_EQ(rb.groups.size(), size_t(4));
            for (size_t i = 0; i < rb.groups.size(); ++i) {
                const GroupReport& s = rs.groups[i];
                const GroupReport& r = rb.groups[i];
                QS_CHECK(r.relativeError > 0 && r.relativeError < 0.05);
                if (std::isnan(r.exponent)) {  // o, down: W8A8 unsmoothed in both
                    QS_CHECK_EQ(r.relativeError, s.relativeError);
                    continue;
                }
                QS_CHECK_EQ(s.exponent, 0.5);
                QS_CHECK_NEAR(r.exponent * 20, std::round(r.exponent * 20), 1e-9);
                QS_CHECK(r.relativeError <= s.relativeError * (1 + kSearchSlack));
            }
            for (const LinearWeights& l : bi.linear) {
                QS_CHECK(l.inputQuant.format == InputQuant::Format::Int8);
                QS_CHECK_EQ(l.inputQuant.perToken, perToken);
                QS_CHECK(perToken ? l.inputQuant.staticScale == 0 : l.inputQuant.staticScale > 0);
            }
        }
    }
}
