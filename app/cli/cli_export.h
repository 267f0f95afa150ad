// Quantizing a model by a plan and writing the result as a Hugging Face
// directory: what `quantize` does for one plan and `export-jobs` for every
// cell of a sweep.
//   fake  dequantized weights in the model's dtype (ExportOptions::dtype F32:
//         an export that equals the in-memory model exactly)
//   gptq  the AutoGPTQ packed layout (RTN or GPTQ integer plans of 2, 3, 4 or
//         8 bits), which vLLM and transformers load
// Any source QuantScope opens (Hugging Face, GGUF, llama2.c) is written as a
// Hugging Face directory.
#pragma once

#include <optional>
#include <string>

#include "cli_plan.h"
#include "formats/checkpoint.h"
#include "quant/export_directory.h"

namespace qs::cli {

enum class ExportFormat { Fake, Gptq };
ExportFormat exportFormatFromArg(const std::string& v);  // "fake" or "gptq"; UsageError otherwise
const char* exportFormatName(ExportFormat format);

// Why the packed layout cannot hold the plan on this model: a mixed plan, a
// method that folds scales into other tensors (AWQ, SmoothQuant), a bit width
// other than 2, 3, 4, 8. Empty when it can.
std::string packedFormatProblem(const QuantPlan& plan, const ModelConfig& config);

// Quantizes `model` by plan.plan (calibrating first on `backend` when the plan
// needs it, progress on the terminal) and writes the export to outDir through a staging
// directory, so an error or a crash leaves no outDir. Returns the calibrated
// quantization (its per-layer report), none for plans applied block by block.
// UsageError when the plan is missing or the packed format cannot hold it.
std::optional<PlanQuantizeResult> writeQuantizedExport(const Checkpoint& ckpt, const LlamaModel& model,
                                                       const Tokenizer& tokenizer, const CliPlan& plan,
                                                       ExportFormat format, ExportOptions options,
                                                       const std::string& outDir, const KernelBackend* backend);

}  // namespace qs::cli
