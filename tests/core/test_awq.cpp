// AWQ (core/quant/awq.cpp) on qs-tiny-llama blocks 0 and 1 (8 x 128
// calibration tokens of the held-out book) at W4 g128 and W3 g128 asymmetric,
// step by step against a plain float64 AWQ written here from the llm-awq
// reference (awq/quantize/auto_scale.py: _search_module_scale and
// apply_scale; auto_clip.py: auto_clip_layer; pre_quant.py: run_awq) on the
// same captured inputs:
//   1. scale search per group: s = mean|X_j|^r clamped to >= 1e-4, divided by
//      sqrt(max s · min s), r = i / 20 for i = 0 .. 19; the loss of Q(W s) / s;
//      the first r with the smallest loss;
//   2. the scales folded (norm / s, the previous linear's rows / s, W · s) and
//      the inputs divided by s;
//   3. clipping of every linear but q and k: per output row and weight group,
//      max = absmax · (1 - i / 20) for i = 0 .. 9, the first with the
//      smallest ||X_g (Q(clamp(w)) - w)||²;
//   4. RTN of the clipped weights.
// Compared: the ratio per group, the scales per channel (read back from the
// folded norms: s_j = norm_j / norm'_j), the clipping max of every (row,
// weight group) (read back from the grid step of the product's final weights,
// which is the clipped range / (2^b - 1)), the final weights code for code,
// and the three errors the product reports.
//
// Where the product departs from llm-awq's code by a documented choice, the
// reference follows the product and says so here:
//   - the loss of the scale search is the output error of the group's own
//     linears, sum_l ||X W_lᵀ - X Q(W_l s)ᵀ/s||², the objective of the AWQ
//     paper (Sec. 3.2, Eq. 4), which is what awq.h states; llm-awq scores the
//     output of a whole module for q/k/v (self_attn) and gate/up (mlp);
//   - clipping is scored on every calibration token (awq.cpp: the Gram
//     matrix makes them affordable); llm-awq takes every (n / 512)-th token;
//   - the asymmetric grid includes 0 (cpu/int_grid.h); llm-awq's
//     pseudo_quantize_tensor fits [min, max], which differs only for a weight
//     group of one sign.
// Stored values: the reference computes in float64 but rounds what the block
// stores to float32 where the product does (the folded weights, the clipping
// maxima). That matters: when both ends of a weight group are clipped, the
// asymmetric grid's -min / scale is 2^(b-1) - 1/2 exactly, so the zero point
// (7 or 8 at W4) is decided by the last bit of the computed scale, in llm-awq
// as here. With the folded weights and maxima left in float64, 800 of the
// 14,848 clipping choices below came out otherwise (212 with the maxima
// rounded), the tie moving a candidate's loss by up to 30%.
// Near ties: the product scores candidates in float32; where its choice is not
// the float64 argmin, it is accepted when its float64 loss is within a stated
// relative slack of the best, counted, and the reference goes on with the
// product's choice so the later steps stay comparable.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "calibration_reference64.h"
#include "check.h"
#include "quant/activation_stats.h"
#include "quant/awq.h"
#include "tiny_block_inputs.h"

using namespace qs;
using test::Matrix64;

namespace {

// Tolerances: the product works in float32 (captured inputs, W · s, GEMMs),
// the reference in float64 on the same float32 inputs and weights.
constexpr double kScaleRelTol = 1e-6;       // s_j read back from a float32 norm weight
constexpr double kErrorRelTol = 1e-5;       // a reported relative output error (~5e-3 .. 3e-2) vs float64
constexpr double kRatioTieRelTol = 1e-5;    // accepted excess loss of a ratio that is not the float64 argmin
constexpr double kClipTieRelTol = 1e-5;     // the same for a clipping max (the product's Gram matrix is float32)
constexpr double kClipStepRelTol = 1e-5;    // product grid step vs the candidate's clipped range / (2^b - 1)
constexpr double kSameCodeTol = 1e-3;       // |product - reference| / grid step of a weight on the same code
constexpr double kCodeFlipShare = 1e-5;     // share of final weights on a neighbouring code (a stored bit at a tie)

// The searches' grids (llm-awq: n_grid = 20 ratios; max_shrink = 0.5 over n_grid = 20 steps).
constexpr int kScaleGrid = 20;
constexpr int kClipGrid = 20;
constexpr int kClipSteps = 10;
constexpr double kMinScale = 1e-4;

using P = Projection;

// llm-awq's LLaMA groups (auto_scale_block): the op before each group's input.
enum class Previous { None, InputNorm, PostAttentionNorm, VRows, UpRows };
struct Group {
    const char* name;
    InputSite site;
    std::vector<Projection> linears;
    Previous previous;
};
std::vector<Group> llamaGroups(const ModelConfig& c) {
    return {{"qkv", InputSite::Attention, {P::Q, P::K, P::V}, Previous::InputNorm},
            {"o", InputSite::AttentionOutput, {P::O}, c.numKvHeads == c.numHeads ? Previous::VRows : Previous::None},
            {"gate_up", InputSite::Mlp, {P::Gate, P::Up}, Previous::PostAttentionNorm},
            {"down", InputSite::MlpHidden, {P::Down}, Previous::UpRows}};
}

int64_t weightGroupSize(const QuantSpec& spec, int64_t cols) {
    return spec.granularity == Granularity::PerGroup ? spec.groupSize : cols;
}
Matrix64 rtn(const Matrix64& w, const QuantSpec& spec) {
    return test::rtn64(w, weightGroupSize(spec, w.cols()), spec.bits, spec.symmetric);
}

// ||X Wᵀ - X Cᵀ||² as tr(D G Dᵀ), D = C - W, G = Xᵀ X.
double squaredError(const Matrix64& gram, const Matrix64& w, const Matrix64& c) {
    const Matrix64 d = c - w;
    return (d * gram).cwiseProduct(d).sum();
}
double relativeError(const Matrix64& gram, const std::vector<Matrix64>& w, const std::vector<Matrix64>& c) {
    double err = 0, ref = 0;
    for (size_t l = 0; l < w.size(); ++l) {
        err += squaredError(gram, w[l], c[l]);
        ref += (w[l] * gram).cwiseProduct(w[l]).sum();
    }
    return err / ref;
}

// auto_scale: s = mean|X_j|^ratio clamped, normalised by sqrt(max s · min s).
Eigen::RowVectorXd awqScales64(const Matrix64& x, double ratio) {
    const Eigen::RowVectorXd s = x.cwiseAbs().colwise().mean().array().pow(ratio).max(kMinScale).matrix();
    return s / std::sqrt(s.maxCoeff() * s.minCoeff());
}

// The loss of every ratio i / kScaleGrid: the relative error of Q(W s) / s.
std::vector<double> ratioLosses(const Matrix64& x, const Matrix64& gram, const std::vector<Matrix64>& w,
                                const QuantSpec& spec) {
    std::vector<double> losses;
    for (int i = 0; i < kScaleGrid; ++i) {
        const Eigen::RowVectorXd s = awqScales64(x, double(i) / kScaleGrid);
        std::vector<Matrix64> c;
        for (const Matrix64& wl : w) c.push_back(rtn(wl.array().rowwise() * s.array(), spec).array().rowwise() / s.array());
        losses.push_back(relativeError(gram, w, c));
    }
    return losses;
}

// The clipping max of shrink step i, absmax · (1 - i / 20), is a float32
// value like the weights it bounds.
double clipMax(const Eigen::RowVectorXd& w, int i) {
    return double(float(w.cwiseAbs().maxCoeff() * (1.0 - double(i) / kClipGrid)));
}
Eigen::RowVectorXd clamped(const Eigen::RowVectorXd& w, int i) {
    const double m = clipMax(w, i);
    return w.cwiseMax(-m).cwiseMin(m);
}

// auto_clip_layer's loss of every shrink step for the rows of one weight
// group `seg` [rows, gs] with its inputs' Gram matrix: losses[i][row].
std::vector<Eigen::VectorXd> clipLosses(const Matrix64& seg, const Matrix64& gram, const QuantSpec& spec) {
    std::vector<Eigen::VectorXd> losses;
    for (int i = 0; i < kClipSteps; ++i) {
        Matrix64 q(seg.rows(), seg.cols());
        for (int64_t r = 0; r < seg.rows(); ++r) q.row(r) = clamped(seg.row(r), i);
        const Matrix64 d = test::rtn64(q, seg.cols(), spec.bits, spec.symmetric) - seg;
        losses.push_back((d * gram).cwiseProduct(d).rowwise().sum());
    }
    return losses;
}

// The clipping step whose grid step, the clipped range / (2^b - 1), is the
// product's (the smallest gap between two of its final weights); -1 if none is.
int clipStepOf(const Eigen::RowVectorXd& w, const float* product, const QuantSpec& spec) {
    std::vector<double> values(product, product + w.size());
    std::sort(values.begin(), values.end());
    double step = std::numeric_limits<double>::infinity();  // the smallest gap between two codes
    for (size_t k = 1; k < values.size(); ++k)
        if (values[k] > values[k - 1]) step = std::min(step, values[k] - values[k - 1]);
    for (int i = 0; i < kClipSteps; ++i) {
        const Eigen::RowVectorXd c = clamped(w, i);
        const double candidate = (std::max(c.maxCoeff(), 0.0) - std::min(c.minCoeff(), 0.0)) / (std::ldexp(1.0, spec.bits) - 1);
        if (std::fabs(step - candidate) <= kClipStepRelTol * candidate) return i;
    }
    return -1;
}

struct Figures {
    test::ChoiceTally ratios, clips;
    int64_t weights = 0, codeFlips = 0;
    double worstScale = 0, worstError = 0;

    void compareError(double got, double want) {
        QS_CHECK_NEAR(got, want, kErrorRelTol * want);
        worstError = std::max(worstError, std::fabs(got - want) / want);
    }
};

// One group's scale search: the loss of every ratio (RTN alone where nothing
// is scaled) and the ratio the reference goes on with.
struct ScaleSearch {
    Matrix64 gram, scaledGram;  // Xᵀ X of the group's input, and of X / s
    std::vector<double> losses;
    int chosen = 0;
    Eigen::RowVectorXd s;
};

// Step 1 on the float block, compared with the product's ratio and errors.
ScaleSearch searchScales(const Group& g, const SiteInput& input, const std::array<Matrix64, kProjectionCount>& w,
                         const GroupReport& r, const QuantSpec& spec, Figures& fig) {
    ScaleSearch out;
    const Matrix64 x = test::toMatrix64(input);
    out.gram = x.transpose() * x;
    std::vector<Matrix64> wg, q;
    for (Projection p : g.linears) wg.push_back(w[size_t(p)]), q.push_back(rtn(w[size_t(p)], spec));
    out.losses = {relativeError(out.gram, wg, q)};
    QS_CHECK_EQ(r.group, std::string(g.name));
    if (g.previous == Previous::None) {
        QS_CHECK_EQ(r.exponent, 0.0);
    } else {
        out.losses = ratioLosses(x, out.gram, wg, spec);
        const int productChoice = int(std::lround(r.exponent * kScaleGrid));
        QS_CHECK_NEAR(r.exponent * kScaleGrid, productChoice, 1e-9);
        out.chosen = fig.ratios.record(out.losses, productChoice, kRatioTieRelTol) ? productChoice
                                                                                    : test::argmin(out.losses);
    }
    fig.compareError(r.baselineError, out.losses[0]);
    fig.compareError(r.errorBeforeClip, out.losses[size_t(out.chosen)]);
    out.s = awqScales64(x, double(out.chosen) / kScaleGrid);
    out.scaledGram = out.gram.array() / (out.s.transpose() * out.s).array();
    return out;
}

// Step 2: apply_scale on the float64 block, in group order.
void foldScales64(std::array<Matrix64, kProjectionCount>& w, const Group& g, const Eigen::RowVectorXd& s) {
    for (Projection p : g.linears) w[size_t(p)] = test::asStored(w[size_t(p)].array().rowwise() * s.array());
    const Projection rows = g.previous == Previous::VRows ? P::V : P::Up;
    if (g.previous == Previous::VRows || g.previous == Previous::UpRows)
        w[size_t(rows)] = test::asStored(w[size_t(rows)].array().colwise() / s.transpose().array());
}

// The product's s per channel: read back from the folded norm (s_j = norm_j /
// norm'_j); down's, folded into up's rows and lost in their rounding, from the
// product's awqScales at its ratio and statistics.
std::vector<double> productScales(const Group& g, const DecoderBlockWeights& original,
                                  const DecoderBlockWeights& product, const SiteInput& input, double ratio) {
    if (g.previous == Previous::InputNorm || g.previous == Previous::PostAttentionNorm) {
        const bool in = g.previous == Previous::InputNorm;
        const std::vector<float>& before = in ? original.inputNorm : original.postAttentionNorm;
        const std::vector<float>& after = in ? product.inputNorm : product.postAttentionNorm;
        std::vector<double> s;
        for (size_t j = 0; j < before.size(); ++j) s.push_back(double(before[j]) / after[j]);
        return s;
    }
    return awqScales(activationStats(input).channelMeanAbs, ratio);
}

// Steps 3 and 4 for one linear whose folded weights are wp and inputs' Gram
// matrix `gram`: each (row, weight group)'s clipping max compared with the
// one the product's final weights show, then RTN compared code for code.
Matrix64 clipAndQuantize(Projection p, Matrix64 wp, const Matrix64& gram, const std::vector<float>& got,
                         const QuantSpec& spec, Figures& fig) {
    const int64_t gs = weightGroupSize(spec, wp.cols());
    for (int64_t c0 = 0; p != P::Q && p != P::K && c0 < wp.cols(); c0 += gs) {  // auto_clip_block skips q, k
        const Matrix64 seg = wp.middleCols(c0, gs);
        const std::vector<Eigen::VectorXd> losses = clipLosses(seg, gram.block(c0, c0, gs, gs), spec);
        for (int64_t row = 0; row < wp.rows(); ++row) {
            std::vector<double> rowLosses;
            for (const Eigen::VectorXd& l : losses) rowLosses.push_back(l[row]);
            const int productStep = clipStepOf(seg.row(row), got.data() + row * wp.cols() + c0, spec);
            const int step = fig.clips.record(rowLosses, productStep, kClipTieRelTol) ? productStep
                                                                                       : test::argmin(rowLosses);
            wp.block(row, c0, 1, gs) = clamped(seg.row(row), step);
        }
    }
    const Matrix64 q = rtn(wp, spec);
    for (int64_t row = 0; row < q.rows(); ++row)
        for (int64_t c0 = 0; c0 < q.cols(); c0 += gs) {
            const auto ref = q.block(row, c0, 1, gs);
            const double step = (ref.maxCoeff() - ref.minCoeff()) / (std::ldexp(1.0, spec.bits) - 1);
            for (int64_t j = 0; j < gs; ++j)
                if (std::fabs(got[size_t(row * q.cols() + c0 + j)] - ref(0, j)) > kSameCodeTol * step) ++fig.codeFlips;
        }
    fig.weights += q.size();
    return q;
}

void compareBlock(const test::TinyBlockInputs& in, int b, const QuantSpec& spec, Figures& fig) {
    const ModelConfig& c = in.model.config();
    const DecoderBlockWeights original = in.model.loadBlock(b);
    DecoderBlockWeights product = original;
    const BlockQuantReport report = awqBlock(c, product, in.calib(b), spec);
    const BlockInputs inputs = captureBlockInputs(c, original, in.calib(b));
    const std::vector<Group> groups = llamaGroups(c);
    QS_CHECK_EQ(report.groups.size(), groups.size());
    if (report.groups.size() != groups.size()) return;

    std::array<Matrix64, kProjectionCount> w;  // the float64 block
    for (int p = 0; p < kProjectionCount; ++p) w[size_t(p)] = test::toMatrix64(original.linear[size_t(p)]);
    std::vector<ScaleSearch> searches;  // 1. every group's search on the float block (auto_scale_block) ...
    for (size_t gi = 0; gi < groups.size(); ++gi)
        searches.push_back(searchScales(groups[gi], inputs[size_t(groups[gi].site)], w, report.groups[gi], spec, fig));
    for (size_t gi = 0; gi < groups.size(); ++gi) {  // 2. ... then all folded (apply_scale)
        const Group& g = groups[gi];
        if (g.previous == Previous::None) continue;
        const Eigen::RowVectorXd& s = searches[gi].s;
        foldScales64(w, g, s);
        const std::vector<double> got =
            productScales(g, original, product, inputs[size_t(g.site)], report.groups[gi].exponent);
        for (int64_t j = 0; j < s.size(); ++j) {
            QS_CHECK_NEAR(got[size_t(j)], s[j], kScaleRelTol * s[j]);
            fig.worstScale = std::max(fig.worstScale, std::fabs(got[size_t(j)] - s[j]) / s[j]);
        }
    }
    std::array<Matrix64, kProjectionCount> quantized;  // 3., 4.
    for (size_t gi = 0; gi < groups.size(); ++gi)
        for (Projection p : groups[gi].linears)
            quantized[size_t(p)] = clipAndQuantize(p, w[size_t(p)], searches[gi].scaledGram, product[p].w, spec, fig);
    // The final error of each group on the float inputs, with the quantized
    // weights back in the float block's coordinates: columns / s, and v's and
    // up's rows times the scales of the group after them.
    for (size_t gi = 0; gi < groups.size(); ++gi) {
        const Group& g = groups[gi];
        std::vector<Matrix64> wg, back;
        for (Projection p : g.linears) {
            wg.push_back(test::toMatrix64(original[p]));
            back.push_back(quantized[size_t(p)].array().rowwise() / searches[gi].s.array());
            for (size_t k = 0; k < groups.size(); ++k)
                if ((groups[k].previous == Previous::VRows && p == P::V) ||
                    (groups[k].previous == Previous::UpRows && p == P::Up))
                    back.back() = back.back().array().colwise() * searches[k].s.transpose().array();
        }
        const double final = relativeError(searches[gi].gram, wg, back);
        fig.compareError(report.groups[gi].relativeError, final);
        const std::vector<double>& l = searches[gi].losses;
        std::printf("  W%d block %d %-7s ratio %.2f (reference %.2f), error RTN %.5g, scaled %.5g, clipped %.5g "
                    "(product %.5g)\n",
                    spec.bits, b, g.name, report.groups[gi].exponent, double(test::argmin(l)) / kScaleGrid, l[0],
                    l[size_t(searches[gi].chosen)], final, report.groups[gi].relativeError);
    }
}

}  // namespace

QS_TEST(awq_matches_float64_reference_step_by_step) {
    const test::TinyBlockInputs in(2, 8, 128);
    Figures fig;
    for (int bits : {4, 3}) {
        QuantSpec spec;
        spec.bits = bits;
        spec.symmetric = false;
        spec.granularity = Granularity::PerGroup;
        spec.groupSize = 128;
        spec.method = QuantMethod::Awq;
        for (int b = 0; b < 2; ++b) compareBlock(in, b, spec, fig);
    }
    QS_CHECK_EQ(fig.ratios.misses, 0);
    QS_CHECK_EQ(fig.clips.misses, 0);
    QS_CHECK(fig.codeFlips <= kCodeFlipShare * double(fig.weights));
    std::printf("  ratios: %d same, %d near ties (worst %.2g); clipping maxima: %d same, %d near ties (worst %.2g), "
                "%d misses; worst scale rel. diff %.2g, worst error rel. diff %.2g; %lld of %lld weights on "
                "another code\n",
                fig.ratios.same, fig.ratios.nearTies, fig.ratios.worstNearTie, fig.clips.same, fig.clips.nearTies,
                fig.clips.worstNearTie, fig.clips.misses, fig.worstScale, fig.worstError,
                static_cast<long long>(fig.codeFlips), static_cast<long long>(fig.weights));
}
