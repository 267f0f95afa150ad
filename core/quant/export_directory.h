// What the two quantized exports (export_fake.h, export_gptq.h) share: their
// options, the Hugging Face directory around model.safetensors (config.json,
// tokenizer files, the record of the plan) and tensors re-encoded in the
// export's storage dtype. Any checkpoint QuantScope opens can be exported:
// Hugging Face, GGUF and llama2.c sources all become Hugging Face directories.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/checkpoint.h"
#include "formats/safetensors_writer.h"

namespace qs {

struct ExportOptions {
    // Storage of the tensors written as floats (fake-quantized weights, and
    // embeddings, norms and lm_head in both exports): F32, F16 or BF16;
    // unset: the model's own dtype (config "torch_dtype", else the embedding's).
    std::optional<DType> dtype;
    bool overwrite = false;       // replace an existing non-empty output directory
    std::string planLabel;        // quantPlanLabel of the plan, recorded in quantscope_quantization.json
    nlohmann::json plan;          // quantPlanToJson of the plan (may be null)
};

// The files an export copies from the source directory when present.
inline constexpr const char* kTokenizerFiles[] = {"tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                                                  "special_tokens_map.json", "generation_config.json"};
inline constexpr const char* kQuantizationRecordFile = "quantscope_quantization.json";

DType exportDtype(const Checkpoint& src, const ExportOptions& options);

// The config.json of the export, "torch_dtype" set to its dtype: a Hugging
// Face source's own; for GGUF and llama2.c sources, written from their
// ModelConfig, whose q/k rows the export reorders into the Hugging Face
// rotary order (quant/export_rotary_order.h).
nlohmann::json exportConfigJson(const Checkpoint& src, DType dtype);
// A Hugging Face source's tokenizer files (quant/export_tokenizer.h handles every source).
void copyTokenizerFiles(const Checkpoint& src, const std::string& outDir);
void writeJsonFile(const std::string& path, const nlohmann::json& j);
// {"format", "dtype", "plan_label", "plan"} into outDir/quantscope_quantization.json,
// and "activations" (quant/activation_record.h) when given.
void writeQuantizationRecord(const std::string& outDir, const std::string& format, DType dtype,
                             const ExportOptions& options, const nlohmann::json& activations = nullptr);

// n floats encoded as F32, F16 or BF16 bytes (round to nearest even).
std::vector<std::byte> encodeFloats(const float* x, int64_t n, DType dtype);
// A source tensor as it will be written: its own bytes when already in
// `dtype`, else decoded and re-encoded when written.
SafetensorsTensor sourceTensorAs(const TensorView& t, DType dtype);

}  // namespace qs
