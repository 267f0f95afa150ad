// The activation rounding of a fake-quantized export. A fake export stores
// its weights as floats that any loader reads, but a weight-activation scheme
// (W8A8 INT8, FP8) also rounds each linear's input at run time, which no
// tensor can hold. The export therefore records, per linear, how its input is
// rounded ("activations" in quantscope_quantization.json, as the plan's
// activation specs, static scales included), and LlamaModel applies the
// record when it opens such a directory: the re-opened export evaluates to
// the numbers of the in-memory model it was written from.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "formats/checkpoint.h"
#include "model/decoder_block_weights.h"

namespace qs {

// Tensor name ("model.layers.0.self_attn.q_proj.weight") -> its input's
// rounding; linears whose input is not rounded are left out.
using ActivationRecord = std::map<std::string, InputQuant>;

// {name: {"format", "granularity", "scale"}} (quant_spec.h's activation JSON).
nlohmann::json activationRecordJson(const ActivationRecord& record);

// The record beside a Hugging Face checkpoint; empty when the directory has
// no quantscope_quantization.json or the record has no "activations" (a
// weight-only export). Throws FormatError naming the record file for broken
// JSON, an entry that is not an activation spec, a static rounding without a
// positive scale, or a name that is not one of the checkpoint's block linears.
ActivationRecord readActivationRecord(const Checkpoint& checkpoint);

}  // namespace qs
