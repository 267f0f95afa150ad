// What the smoothing and scaling methods share: the groups of linears that
// read one input and the op before them that can absorb a per-channel scale
// (the LLaMA pairs of SmoothQuant's smooth.py and of AWQ's auto_scale), the
// folding of a scale (X' = X / s in the previous op, W' = W * s in the
// linears, so X Wᵀ is unchanged), the output-error meter every search
// minimises, and the per-block report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/model_config.h"
#include "model/decoder_block_weights.h"
#include "quant/block_calibration.h"
#include "quant/quant_spec.h"

namespace qs {

// The op whose output channels are the group's input channels.
enum class ScaledPrevious { None, InputNorm, PostAttentionNorm, VRows, UpRows };

struct SmoothingGroup {
    std::string name;                 // "qkv", "o", "gate_up", "down"
    InputSite site;
    std::vector<Projection> linears;  // all read the site's input
    ScaledPrevious previous = ScaledPrevious::None;
};

// SmoothQuant's LLaMA smoothing (smooth_lm): q/k/v after input_layernorm and
// gate/up after post_attention_layernorm; o and down as groups with no
// previous op (quantized, not smoothed). In block order.
std::vector<SmoothingGroup> smoothQuantGroups();
// AWQ's LLaMA scaling (auto_scale_block): q/k/v after input_layernorm, o after
// v when v's output and o's input have the same width (num_kv_heads ==
// num_heads, as the reference checks), gate/up after post_attention_layernorm,
// down after up. In block order.
std::vector<SmoothingGroup> awqGroups(const ModelConfig& config);

// W[:, j] *= s_j for the group's linears, the previous op's output channel j
// divided by s_j. Throws std::invalid_argument for a group with no previous op.
void foldScales(DecoderBlockWeights& block, const SmoothingGroup& group, const std::vector<double>& s);

// x[:, j] /= s_j: a captured input after its scales are folded.
void divideColumns(SiteInput& x, const std::vector<double>& s);

// ||X Wᵀ - Q_a(X / s) Cᵀ||² / ||X Wᵀ||² summed over the group's linears,
// with X and W the float input and weights it was made from, C the candidate
// weights (the scaled, quantized W * s) and Q_a the activation rounding. The
// reference outputs X Wᵀ are computed once, so a search pays one product per
// candidate. x is referenced, not copied (it may be large): once its columns
// are divided by s in place (divideColumns), score with s empty.
class GroupErrorMeter {
public:
    GroupErrorMeter(const SiteInput& x, const DecoderBlockWeights& block, const SmoothingGroup& group);

    // candidates: one [out, in] matrix per group linear, in group order; s
    // empty for no scaling.
    double relativeError(const std::vector<std::vector<float>>& candidates, const std::vector<double>& s,
                         const InputQuant& activation = {}) const;

private:
    const SiteInput& x_;
    std::vector<int64_t> outFeatures_;
    std::vector<std::vector<float>> reference_;  // X Wᵀ per linear
    double referenceSquares_ = 0;
};

// The group's weights W * s (s empty: W as they are), each fake-quantized by
// `spec` (apply_plan.h): the candidates a search scores.
std::vector<std::vector<float>> scaledQuantizedWeights(const DecoderBlockWeights& block, const SmoothingGroup& group,
                                                       const std::vector<double>& s, const QuantSpec& spec);

// A searched choice per group and the error it leaves.
struct GroupReport {
    std::string group;
    double exponent = 0;          // SmoothQuant / bi-smoothing alpha, AWQ ratio; NaN where nothing was searched
    double relativeError = 0;     // of the final fake-quantized group on the calibration inputs
    double errorBeforeClip = 0;   // AWQ: after scaling, before clipping (else = relativeError)
    double baselineError = 0;     // the same spec without smoothing/scaling (RTN / plain W8A8)
};

struct BlockQuantReport {
    int block = -1;
    std::vector<GroupReport> groups;
    double seconds = 0;
};

}  // namespace qs
