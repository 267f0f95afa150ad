// Reading GPTQ packed checkpoints (config.json "quantization_config" with
// "quant_method": "gptq", as AutoGPTQ, GPTQModel and transformers write
// them): every quantized linear `<prefix>` is stored as <prefix>.qweight,
// .qzeros, .scales and .g_idx (cpu/gptq_packing.h); the reader replaces the
// four by one logical `<prefix>.weight` [out, in] of dtype GPTQ<bits> that
// decodeToFloat dequantizes on demand, so the model, the layer table and the
// statistics see the weights they compute with.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace qs {

class Checkpoint;

// "checkpoint_format": "gptq" (the default, AutoGPTQ's classic layout)
// stores zero - 1 in qzeros; "gptq_v2" (GPTQModel) stores the zero itself.
inline constexpr const char* kGptqFormatV1 = "gptq";
inline constexpr const char* kGptqFormatV2 = "gptq_v2";

// Does nothing unless `config` holds a gptq quantization_config. Throws
// FormatError naming `configPath` for unsupported settings (bits other than
// 2, 3, 4, 8) and naming the checkpoint and the tensor for missing parts or
// parts whose dtype or shape do not fit together.
void presentGptqPackedWeights(Checkpoint& ckpt, const nlohmann::json& config, const std::string& configPath);

}  // namespace qs
