// Per-channel statistics of a linear layer's calibration inputs and of its
// weight's input columns: what SmoothQuant (max |X_j|, max |W_j|, Xiao et al.
// 2023 Eq. 4) and AWQ (mean |X_j|, Lin et al. 2024 Sec. 3.2) scale by, and the
// token ranges that decide whether per-token activation scales are needed.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/decoder_block_weights.h"
#include "quant/block_calibration.h"

namespace qs {

struct ActivationStats {
    int64_t tokens = 0;
    std::vector<float> channelAbsmax;    // max over tokens of |x_tj|, per input channel j
    std::vector<double> channelMeanAbs;  // mean over tokens of |x_tj|
    // The spread of per-token absmax (max_j |x_tj|) over tokens: a wide range is
    // what makes one per-tensor activation scale waste resolution.
    float tokenAbsmaxMin = 0, tokenAbsmaxMax = 0;

    float absmax() const;  // over every channel
};

ActivationStats activationStats(const SiteInput& input);

// Statistics of every input site of a block (indexed by InputSite).
std::vector<ActivationStats> activationStats(const BlockInputs& inputs);

// max over the output rows of every listed linear of |W_oj|, per input column j
// (the linears share their input, so they have the same column count).
std::vector<float> weightColumnAbsmax(const DecoderBlockWeights& block, std::span<const Projection> linears);

}  // namespace qs
