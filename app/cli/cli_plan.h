// The quantization plan of a command line, shared by eval, kl and quantize:
// --plan FILE, or the shorthand --method M --bits B [--group G] [--asym]
// [--act FORMAT [--act-scale S]] [--weight-format int|fp8]; and, for plans
// that need calibration, --calib FILE [--nsamples N] [--seqlen L] [--seed S].
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cli_commands.h"
#include "model/llama_model.h"
#include "quant/calibration.h"
#include "quant/plan_quantizer.h"
#include "quant/quant_plan.h"
#include "tokenize/tokenizer.h"

namespace qs::cli {

struct CliPlan {
    std::optional<QuantPlan> plan;       // none: the model as it is
    std::optional<std::string> calibPath;
    CalibrationOptions calib;            // GPTQ's defaults, 128 x 2048 (clipped to the model)
    std::string label() const;           // quantPlanLabel, "" without a plan
};

// Consumes the plan and calibration options.
CliPlan planFromArgs(Args& args);
// Only the calibration options, for commands whose plans come from a sweep grid.
CliPlan calibrationFromArgs(Args& args);

// Runs the calibrated quantization of the plan on `backend` (null: the CPU;
// progress on the terminal); UsageError when no --calib was given.
PlanQuantizeResult calibratedQuantization(const CliPlan& p, const LlamaModel& model, const Tokenizer& tokenizer,
                                          const GptqLayerHook& onGptqLayer, const KernelBackend* backend);

// What evaluation passes as adjustBlock: empty without a plan, the on-the-fly
// RTN/FP8 adjuster, or (for calibration methods) the blocks quantized first, on `backend`.
std::function<void(DecoderBlockWeights&)> adjusterFor(const CliPlan& p, const LlamaModel& model,
                                                      const Tokenizer& tokenizer, const KernelBackend* backend);

}  // namespace qs::cli
