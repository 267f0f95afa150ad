// SmoothQuant (Xiao et al. 2023): migrate activation outliers into the
// weights with a per-channel scale s_j = max|X_j|^α / max|W_j|^(1-α) (Eq. 4),
// folded into the RMSNorm before q/k/v and before gate/up (the reference's
// smooth_lm for LLaMA), then W8A8: per-channel weights and per-token dynamic
// or per-tensor static activations as the spec says. o and down are
// quantized W8A8 without smoothing, as the reference leaves them.
#pragma once

#include <functional>
#include <vector>

#include "formats/model_config.h"
#include "quant/activation_stats.h"
#include "quant/block_calibration.h"
#include "quant/quant_spec.h"
#include "quant/smoothing_groups.h"

namespace qs {

// smooth.py's smooth_ln_fcs: weight absmax clamped to >= 1e-5 before the
// power, and the scales to >= 1e-5 after.
std::vector<double> smoothQuantScales(const ActivationStats& x, const std::vector<float>& weightColumnAbsmax,
                                      double alpha);

// The activation rounding of a site whose input is divided by s (s empty: not
// smoothed): the spec's; a static per-tensor scale not given in the spec is
// calibrated as the smoothed input's absmax / 127 (INT8) or / 448 (FP8 E4M3).
InputQuant calibratedInputQuant(const ActivationSpec& a, const ActivationStats& x, const std::vector<double>& s);

// Chooses α for a smoothed group from its float input, the meter of its
// output error, its input statistics and weight column absmax.
using SmoothingAlphaChooser = std::function<double(const SmoothingGroup& group, const GroupErrorMeter& meter,
                                                    const ActivationStats& x, const std::vector<float>& wAbsmax)>;

// The SmoothQuant pipeline over one block with α per group from `chooseAlpha`
// (SmoothQuant: the spec's smoothAlpha; bi-smoothing: searched): statistics
// from one float forward pass, scales folded, every linear fake-quantized by
// `spec` and its inputQuant set. Reports every group of smoothQuantGroups().
BlockQuantReport smoothedW8A8Block(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                                   const QuantSpec& spec, const SmoothingAlphaChooser& chooseAlpha);

// SmoothQuant at α = spec.smoothAlpha.
BlockQuantReport smoothQuantBlock(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                                  const QuantSpec& spec);

// Only the smoothing (no quantization) of SmoothQuant's groups at α, from
// statistics of the block's inputs: X Wᵀ is unchanged up to float rounding.
// Returns the scales per group of smoothQuantGroups() (empty for o and down).
std::vector<std::vector<double>> smoothBlock(DecoderBlockWeights& block, const std::vector<ActivationStats>& stats,
                                             double alpha);

}  // namespace qs
