// AWQ (Lin et al. 2024, and the llm-awq reference's run_awq for LLaMA): per
// group of linears sharing an input, scale input channel j by
// s_j = mean|X_j|^r (normalised by sqrt(max s · min s)), choosing r on a grid
// for the smallest output error of Q(W s)/s (Sec. 3.2), fold s into the op
// before (auto_scale then apply_scale), then shrink each weight group's range
// for the smallest output error (auto_clip; not for q and k, whose error the
// attention scores rather than the outputs decide), and finally RTN-quantize
// the weights at the spec (usually W4 g128 asymmetric).
#pragma once

#include <vector>

#include "formats/model_config.h"
#include "quant/block_calibration.h"
#include "quant/quant_spec.h"
#include "quant/smoothing_groups.h"

namespace qs {

struct AwqOptions {
    int scaleGrid = 20;      // r in {0, 1/20, ..., 19/20} (n_grid)
    bool clip = true;
    int clipGrid = 20;       // shrink steps of 1/clipGrid of the range ...
    double maxShrink = 0.5;  // ... over [1, 1 - maxShrink): ratios 1.0, 0.95, ..., 0.55 (max_shrink)
};

// s_j = max(mean|X_j|^ratio, 1e-4) / sqrt(max s · min s), as auto_scale.
std::vector<double> awqScales(const std::vector<double>& meanAbs, double ratio);

// Quantizes `block` in place. GroupReport: exponent = chosen r,
// errorBeforeClip = the error after scaling, relativeError = after clipping,
// baselineError = RTN at the same spec; all on the block's float inputs.
BlockQuantReport awqBlock(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                          const QuantSpec& spec, const AwqOptions& options = {});

}  // namespace qs
