// How far a quantized linear layer's outputs are from the original's on the
// calibration inputs, from the layer's Hessian alone: with inputs X (rows x)
// and H proportional to XᵀX, ||X Wᵀ - X Qᵀ||² = tr((W - Q) H (W - Q)ᵀ), so
// the relative error ||X Wᵀ - X Qᵀ||² / ||X Wᵀ||² needs no second pass over X
// (the proportionality constant cancels).
#pragma once

#include <cstddef>  // decoder_block_weights.h uses size_t unqualified
#include <vector>

#include "model/decoder_block_weights.h"

namespace qs {

// reference: the float layer; candidate: [out, in] like reference.w;
// hessian: [in, in] row-major (HessianAccumulator::matrix, before dampening).
double relativeOutputError(const LinearWeights& reference, const std::vector<float>& candidate,
                           const std::vector<double>& hessian);

}  // namespace qs
