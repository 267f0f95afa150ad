// Per-channel statistics of a linear layer's calibration inputs and of its
// weight's input columns: what SmoothQuant (max |X_j|, max |W_j|, Xiao et al.
// 2023 Eq. 4) and AWQ (mean |X_j|, Lin et al. 2024 Sec. 3.2) scale by, and the
// token ranges that decide whether per-token activation scales are needed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "model/decoder_block_weights.h"
#include "quant/block_calibration.h"

namespace qs {

// Where the distribution of per-token absmax is kept, in percent of the tokens.
inline constexpr std::array<double, 9> kTokenAbsmaxPercents = {0, 1, 5, 25, 50, 75, 95, 99, 100};

// The p-th percentile of `values` as one of its own elements: the value at
// rank round(p / 100 * (n - 1)) in ascending order (p 0: the minimum, 100: the
// maximum), so it is exact, never interpolated. Reorders `values`; 0 when empty.
float exactPercentile(std::vector<float>& values, double percent);

struct ActivationStats {
    int64_t tokens = 0;
    std::vector<float> channelAbsmax;    // max over tokens of |x_tj|, per input channel j
    std::vector<double> channelMeanAbs;  // mean over tokens of |x_tj|
    // The spread of per-token absmax (max_j |x_tj|) over tokens: a wide range is
    // what makes one per-tensor activation scale waste resolution.
    float tokenAbsmaxMin = 0, tokenAbsmaxMax = 0;
    // Per-token absmax at kTokenAbsmaxPercents (the first and last are
    // tokenAbsmaxMin / Max); empty when not recorded (projects saved before).
    std::vector<float> tokenAbsmaxQuantiles;

    float absmax() const;  // over every channel
};

ActivationStats activationStats(const SiteInput& input);

// Statistics of every input site of a block (indexed by InputSite).
std::vector<ActivationStats> activationStats(const BlockInputs& inputs);

// max over the output rows of every listed linear of |W_oj|, per input column j
// (the linears share their input, so they have the same column count).
std::vector<float> weightColumnAbsmax(const DecoderBlockWeights& block, std::span<const Projection> linears);

}  // namespace qs
