// The quantization plan of a command line, shared by eval and kl:
// --plan FILE, or the shorthand --method M --bits B [--group G] [--asym]
// [--act FORMAT [--act-scale S]] [--weight-format int|fp8].
#pragma once

#include <functional>
#include <optional>

#include "cli_commands.h"
#include "model/llama_model.h"
#include "quant/quant_plan.h"

namespace qs::cli {

// Consumes the plan options; nullopt when none was given.
std::optional<QuantPlan> planFromArgs(Args& args);

// The block adjuster that applies `plan` while evaluating (empty for none).
std::function<void(DecoderBlockWeights&)> adjusterFor(const std::optional<QuantPlan>& plan, const LlamaModel& model);

}  // namespace qs::cli
