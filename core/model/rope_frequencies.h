// The rotary inverse frequencies of a model: theta^(-2i/d) for i < d/2
// (RoFormer; Llama's rope_theta), adjusted by the config's rope_scaling.
#pragma once

#include <vector>

#include "formats/model_config.h"

namespace qs {

// Supported rope_scaling types: none / "default", "linear" (positions divided
// by factor) and "llama3" (Llama 3.1's frequency-dependent interpolation, as
// transformers' _compute_llama3_parameters). Others throw std::invalid_argument.
std::vector<double> ropeInverseFrequencies(const ModelConfig& config);

}  // namespace qs
