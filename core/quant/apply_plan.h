// Applying a plan while a model is evaluated, block by block, for the
// methods that need no calibration: RTN integer and FP8 E4M3 weights are
// fake-quantized (quantized and dequantized back to float32) as each block is
// loaded, and activation quantization is set on each linear's input. GPTQ,
// AWQ, SmoothQuant and bi-smoothing need calibration data and run in the
// quantization pipeline instead.
#pragma once

#include <functional>
#include <string>

#include "formats/model_config.h"
#include "model/decoder_block_weights.h"
#include "quant/quant_plan.h"

namespace qs {

// What the forward pass needs to round a layer's input as `a` says; a static
// per-tensor scale must be given (a.scale), else std::invalid_argument naming `layer`.
InputQuant inputQuantFor(const ActivationSpec& a, const std::string& layer);
// The inverse: the activation spec that gives `q` (a static scale as its scale).
ActivationSpec activationSpecOf(const InputQuant& q);
// Fake-quantizes l.w in place (RTN integer or FP8 at the spec's granularity);
// the calibration methods end with it once they have chosen their weights.
void fakeQuantizeWeights(const QuantSpec& spec, LinearWeights& l);

// Quantizes `block` in place by the plan. Throws std::invalid_argument naming
// the layer for a method that needs calibration, a static activation scale
// that is not given, or a spec that does not fit the layer.
void applyPlanToBlock(const QuantPlan& plan, DecoderBlockWeights& block);

// Evaluation and the calibrated pipeline quantize decoder blocks only:
// throws FormatError naming the plan when it quantizes lm_head.weight.
void requireUnquantizedHead(const QuantPlan& plan);

// What to pass as PerplexityOptions / TaskEvalOptions / LayerMajorOptions
// ::adjustBlock. Checks the whole plan against the model first (see
// checkAgainstModel; plus the conditions above, and the output head must stay
// unquantized), so a bad plan fails before any work.
std::function<void(DecoderBlockWeights&)> onTheFlyBlockAdjuster(const QuantPlan& plan, const ModelConfig& config);

}  // namespace qs
