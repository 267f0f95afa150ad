// Bi-smoothing (the LLaMA3-70B W8A8 study): SmoothQuant's per-channel
// smoothing and W8A8 scheme, but with the migration strength α of each
// smoothing group searched on a grid for the smallest error of the actual
// fake-quantized weights and activations, ||X Wᵀ - Q(X / s) Q(W s)ᵀ||², on
// the calibration inputs, instead of one fixed α for every layer.
#pragma once

#include "formats/model_config.h"
#include "quant/block_calibration.h"
#include "quant/quant_spec.h"
#include "quant/smoothing_groups.h"

namespace qs {

struct BiSmoothOptions {
    int gridSteps = 20;  // α in {0, 1/gridSteps, ..., 1}; 20 gives the 0.05 grid, which holds 0.5
};

// The α of the grid with the smallest group error (the first on ties);
// GroupReport::exponent is the chosen α per smoothed group.
BlockQuantReport biSmoothBlock(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib,
                               const QuantSpec& spec, const BiSmoothOptions& options = {});

}  // namespace qs
