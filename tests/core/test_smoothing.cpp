// SmoothQuant and bi-smoothing on qs-tiny-llama blocks 0 and 1 (8 x 128
// calibration tokens of the held-out book): smoothing alone (SmoothQuant's
// and AWQ's folding) leaves the block's function unchanged; SmoothQuant's
// scales are the paper's formula recomputed in float64 from the captured
// inputs; bi-smoothing's search is recomputed in float64 and compared choice
// for choice (the rule of bismooth.h, written here from its definition):
//   per smoothed group (q/k/v after input_layernorm, gate/up after
//   post_attention_layernorm), for alpha = i / 20, i = 0 .. 20:
//     s_j = max(max|X_j|^alpha / max(max|W_j|, 1e-5)^(1 - alpha), 1e-5)
//       (SmoothQuant Eq. 4 with smooth.py's clamps, max|W_j| over the
//       group's linears);
//     error = sum_l ||X W_lᵀ - Q_a(X / s) Q_w(W_l s)ᵀ||² / sum_l ||X W_lᵀ||²,
//       Q_w INT8 symmetric per output channel, Q_a INT8 per token, or per
//       tensor with the static scale max_j(max|X_j| / s_j) / 127;
//   the first alpha with the smallest error; o and down W8A8 unsmoothed.
// Compared: alpha per group, s per channel (read back from the folded norm),
// the static activation scale, the final weights code for code, and the
// errors reported (bi-smoothing's, and SmoothQuant's at alpha = 0.5). The
// folded weights are rounded to float32 as the block stores them; where the
// product's float32 search picks another alpha, it is accepted when its
// float64 error is within a stated slack of the best, and counted.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "calibration_reference64.h"
#include "check.h"
#include "quant/activation_stats.h"
#include "quant/awq.h"
#include "quant/bismooth.h"
#include "quant/smoothquant.h"
#include "tiny_block_inputs.h"

using namespace qs;

namespace {

constexpr double kFoldRelTol = 1e-5;     // ||out - out'|| / ||out||: float32 rounding of the folded weights
constexpr double kScaleRelTol = 1e-6;    // float32 statistics and norm weights vs the float64 recomputation
// A W8A8 error is 2e-5 .. 5e-3 of ||X Wᵀ||², so the float32 rounding of the
// outputs (~1e-7 of them) and activation codes at rounding ties leave its
// float32 value ~5e-5 relative from float64 (measured); the search's
// near-equal alphas are judged at the same precision.
constexpr double kErrorRelTol = 3e-4;    // a reported W8A8 relative output error vs float64
constexpr double kAlphaTieRelTol = 3e-4; // accepted excess error of an alpha that is not the float64 argmin
constexpr double kSameCodeTol = 1e-3;    // |product - reference| / grid step of a weight on the same code
constexpr double kCodeFlipShare = 1e-5;  // share of final weights on a neighbouring code (a rounding tie)
constexpr int kAlphaGrid = 20;           // bismooth.h: alpha in {0, 0.05, ..., 1}
constexpr double kSmoothClamp = 1e-5;    // smooth.py's clamp(min=1e-5)

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

namespace {

using test::Matrix64;
using P = Projection;

// SmoothQuant's LLaMA groups (smooth_lm): q/k/v and gate/up are smoothed (the
// norm before them absorbs 1 / s); o and down are W8A8 as they are.
struct W8A8Group {
    const char* name;
    InputSite site;
    std::vector<Projection> linears;
    bool smoothed;
};
const std::vector<W8A8Group> kW8A8Groups = {{"qkv", InputSite::Attention, {P::Q, P::K, P::V}, true},
                                            {"o", InputSite::AttentionOutput, {P::O}, false},
                                            {"gate_up", InputSite::Mlp, {P::Gate, P::Up}, true},
                                            {"down", InputSite::MlpHidden, {P::Down}, false}};

Eigen::RowVectorXd smoothScales64(const Eigen::RowVectorXd& xmax, const Eigen::RowVectorXd& wmax, double alpha) {
    Eigen::RowVectorXd s(xmax.size());
    for (int64_t j = 0; j < s.size(); ++j)
        s[j] = std::max(std::pow(xmax[j], alpha) / std::pow(std::max(wmax[j], kSmoothClamp), 1 - alpha), kSmoothClamp);
    return s;
}

// One group under W8A8 with smoothing s: its float inputs x, float weights w
// and their outputs x wᵀ; the weights each linear computes with.
struct W8A8Outcome {
    double error = 0;        // sum_l ||x w_lᵀ - Q_a(x / s) Q_w(w_l s)ᵀ||² / sum_l ||x w_lᵀ||²
    double staticScale = 0;  // per-tensor activations: max_j(max|x_j| / s_j) / 127
    std::vector<Matrix64> weights;
};
W8A8Outcome w8a8(const Matrix64& x, const std::vector<Matrix64>& w, const std::vector<Matrix64>& outputs,
                 const Eigen::RowVectorXd& s, bool perToken) {
    W8A8Outcome r;
    const Matrix64 smoothed = x.array().rowwise() / s.array();
    Matrix64 xq;
    if (perToken) {
        xq = test::int8PerToken64(smoothed);
    } else {
        r.staticScale = (x.cwiseAbs().colwise().maxCoeff().array() / s.array()).maxCoeff() / 127;
        xq = test::int8PerTensor64(smoothed, r.staticScale);
    }
    double reference = 0;
    for (size_t l = 0; l < w.size(); ++l) {
        r.weights.push_back(test::rtn64(test::asStored(w[l].array().rowwise() * s.array()), w[l].cols(), 8, true));
        r.error += (outputs[l] - xq * r.weights.back().transpose()).squaredNorm();
        reference += outputs[l].squaredNorm();
    }
    r.error /= reference;
    return r;
}

struct SmoothingFigures {
    test::ChoiceTally alphas;
    int64_t weights = 0, codeFlips = 0;
    double worstScale = 0, worstError = 0;

    void compareError(double got, double want) {
        QS_CHECK_NEAR(got, want, kErrorRelTol * want);
        worstError = std::max(worstError, std::fabs(got - want) / want);
    }
    void compareScale(double got, double want) {
        QS_CHECK_NEAR(got, want, kScaleRelTol * want);
        worstScale = std::max(worstScale, std::fabs(got - want) / want);
    }
};

// Bi-smoothing and SmoothQuant (alpha 0.5) on block b against the float64 search.
void compareSmoothedBlock(int b, const QuantSpec& spec, SmoothingFigures& fig) {
    const auto& in = inputs();
    const ModelConfig& c = in.model.config();
    const DecoderBlockWeights original = in.model.loadBlock(b);
    DecoderBlockWeights bi = original, sq = original;
    const BlockQuantReport rb = biSmoothBlock(c, bi, in.calib(b), spec);
    const BlockQuantReport rs = smoothQuantBlock(c, sq, in.calib(b), spec);
    const BlockInputs x32 = captureBlockInputs(c, original, in.calib(b));
    QS_CHECK_EQ(rb.groups.size(), kW8A8Groups.size());
    QS_CHECK_EQ(rs.groups.size(), kW8A8Groups.size());
    if (rb.groups.size() != kW8A8Groups.size() || rs.groups.size() != kW8A8Groups.size()) return;
    const bool perToken = spec.activation.perToken;
    for (size_t gi = 0; gi < kW8A8Groups.size(); ++gi) {
        const W8A8Group& g = kW8A8Groups[gi];
        const GroupReport& r = rb.groups[gi];
        QS_CHECK_EQ(r.group, std::string(g.name));
        const Matrix64 x = test::toMatrix64(x32[size_t(g.site)]);
        std::vector<Matrix64> w, outputs;
        Eigen::RowVectorXd wmax = Eigen::RowVectorXd::Zero(x.cols());
        for (Projection p : g.linears) {
            w.push_back(test::toMatrix64(original[p]));
            outputs.push_back(x * w.back().transpose());
            wmax = wmax.cwiseMax(w.back().cwiseAbs().colwise().maxCoeff());
        }
        const Eigen::RowVectorXd ones = Eigen::RowVectorXd::Ones(x.cols());
        const double unsmoothed = w8a8(x, w, outputs, ones, perToken).error;
        fig.compareError(r.baselineError, unsmoothed);
        Eigen::RowVectorXd s = ones;
        if (!g.smoothed) {
            QS_CHECK(std::isnan(r.exponent) && std::isnan(rs.groups[gi].exponent));
            std::printf("  %s block %d %-7s not smoothed, error %.5g\n", perToken ? "per-token " : "per-tensor", b,
                        g.name, unsmoothed);
        } else {
            const Eigen::RowVectorXd xmax = x.cwiseAbs().colwise().maxCoeff();
            std::vector<double> losses;
            for (int i = 0; i <= kAlphaGrid; ++i)
                losses.push_back(w8a8(x, w, outputs, smoothScales64(xmax, wmax, double(i) / kAlphaGrid), perToken).error);
            const int productChoice = int(std::lround(r.exponent * kAlphaGrid));
            QS_CHECK_NEAR(r.exponent * kAlphaGrid, productChoice, 1e-9);
            const int chosen = fig.alphas.record(losses, productChoice, kAlphaTieRelTol) ? productChoice
                                                                                         : test::argmin(losses);
            s = smoothScales64(xmax, wmax, double(chosen) / kAlphaGrid);
            QS_CHECK_EQ(rs.groups[gi].exponent, 0.5);
            fig.compareError(rs.groups[gi].relativeError, losses[size_t(kAlphaGrid / 2)]);
            const bool inputNorm = g.site == InputSite::Attention;
            const std::vector<float>& before = inputNorm ? original.inputNorm : original.postAttentionNorm;
            const std::vector<float>& after = inputNorm ? bi.inputNorm : bi.postAttentionNorm;
            for (int64_t j = 0; j < s.size(); ++j) fig.compareScale(double(before[size_t(j)]) / after[size_t(j)], s[j]);
            std::printf("  %s block %d %-7s alpha %.2f (reference %.2f), error unsmoothed %.5g, alpha 0.5 %.5g, "
                        "chosen %.5g (product %.5g)\n",
                        perToken ? "per-token " : "per-tensor", b, g.name, r.exponent,
                        double(test::argmin(losses)) / kAlphaGrid, unsmoothed,
                        losses[size_t(kAlphaGrid / 2)], losses[size_t(chosen)], r.relativeError);
        }
        const W8A8Outcome ref = w8a8(x, w, outputs, s, perToken);
        fig.compareError(r.relativeError, ref.error);
        if (!g.smoothed) fig.compareError(rs.groups[gi].relativeError, ref.error);
        for (size_t l = 0; l < g.linears.size(); ++l) {
            const LinearWeights& got = bi[g.linears[l]];
            QS_CHECK(got.inputQuant.format == InputQuant::Format::Int8);
            QS_CHECK_EQ(got.inputQuant.perToken, perToken);
            if (perToken) QS_CHECK_EQ(got.inputQuant.staticScale, 0.0);
            else fig.compareScale(got.inputQuant.staticScale, ref.staticScale);
            const Matrix64& q = ref.weights[l];
            for (int64_t row = 0; row < q.rows(); ++row) {
                const double step = q.row(row).cwiseAbs().maxCoeff() / 127;
                for (int64_t j = 0; j < q.cols(); ++j)
                    if (std::fabs(got.w[size_t(row * q.cols() + j)] - q(row, j)) > kSameCodeTol * step) ++fig.codeFlips;
            }
            fig.weights += q.size();
        }
    }
}

}  // namespace

QS_TEST(bismooth_matches_float64_search) {
    QuantSpec spec;
    spec.bits = 8;
    spec.granularity = Granularity::PerChannel;
    spec.method = QuantMethod::BiSmooth;
    spec.activation.format = ActivationFormat::Int8;
    SmoothingFigures fig;
    for (bool perToken : {true, false}) {
        spec.activation.perToken = perToken;
        for (int b = 0; b < 2; ++b) compareSmoothedBlock(b, spec, fig);
    }
    QS_CHECK_EQ(fig.alphas.misses, 0);
    QS_CHECK(fig.codeFlips <= kCodeFlipShare * double(fig.weights));
    std::printf("  alphas: %d same, %d near ties (worst %.2g); worst scale rel. diff %.2g, worst error rel. diff "
                "%.2g; %lld of %lld weights on another code\n",
                fig.alphas.same, fig.alphas.nearTies, fig.alphas.worstNearTie, fig.worstScale, fig.worstError,
                static_cast<long long>(fig.codeFlips), static_cast<long long>(fig.weights));
}
