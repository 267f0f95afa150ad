// Round-to-nearest as codes: the grids and integer codes behind RTN's
// fake-quantized weights, in GPTQ's result form, so `--format gptq` packs RTN
// plans exactly like GPTQ ones.
#pragma once

#include <string>

#include "quant/gptq.h"
#include "quant/quant_spec.h"

namespace qs {

// The grids fakeQuantizeWeights fits (cpu/fake_quant.h), so scale * (code -
// zero) equals the fake-quantized weights, which `dequantized` holds. A
// per-tensor grid is repeated for every row (one group). Integer specs only;
// a non-finite weight (no code can hold it) throws std::invalid_argument
// naming `layer`.
GptqResult rtnLayerCodes(const LinearWeights& l, const QuantSpec& spec, const std::string& layer);

}  // namespace qs
