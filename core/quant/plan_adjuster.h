// The one way evaluation runs a model under a plan: what PerplexityOptions /
// TaskEvalOptions::adjustBlock receive. Plans of RTN and FP8 layers are
// applied on the fly as each block loads; plans that need calibration are
// quantized first, layer-major, and the adjuster hands out the quantized
// blocks. The CLI, the GUI and sweeps all go through here, so the same plan
// on the same calibration gives the same numbers everywhere.
#pragma once

#include <functional>

#include "model/llama_model.h"
#include "model/token_batch.h"
#include "quant/plan_quantizer.h"
#include "quant/quant_plan.h"

namespace qs {

using BlockAdjuster = std::function<void(DecoderBlockWeights&)>;

// `calibration` is read only when planNeedsCalibration(plan); it must then be
// given (std::invalid_argument naming the plan otherwise).
BlockAdjuster planBlockAdjuster(const LlamaModel& model, const QuantPlan& plan, const TokenBatch* calibration,
                                const PlanQuantizeOptions& options = {});

}  // namespace qs
