// The "fake" quantized export (`quantscope-cli quantize --format fake`): a
// Hugging Face directory any LLaMA loader reads, whose linear weights are the
// quantized-then-dequantized values the in-memory model computes with, stored
// as floats; everything else is the source's tensors, byte for byte when the
// storage dtype is the source's.
//
// Storage and agreement: with the default dtype of a BF16 model the fake
// weights are rounded to BF16, so a re-opened export equals the in-memory
// model only when the in-memory model rounds its quantized weights to BF16
// too (a W4 grid's values need not be BF16 numbers). Choose
// ExportOptions::dtype = F32 for an export that re-opens to exactly the
// in-memory weights (and perplexity); the tests check both.
#pragma once

#include <functional>
#include <string>

#include "model/decoder_block_weights.h"
#include "quant/export_directory.h"

namespace qs {

// Block index -> the block's float32 weights with fake-quantized linears
// (e.g. LlamaModel::loadBlock then applyPlanToBlock, or GptqModelResult::blocks).
// Called once per block, in block order.
using QuantizedBlockSource = std::function<DecoderBlockWeights(int block)>;

// Writes outDir/{config.json, model.safetensors, tokenizer files,
// quantscope_quantization.json} through a staging directory renamed into
// place at the end (formats/staged_directory.h): an error leaves no outDir.
// Throws FormatError naming the path and the problem (outDir inside a file,
// outDir a non-empty directory without options.overwrite, a block whose
// shapes do not match the source, a source without a tokenizer that can be
// exported), std::invalid_argument for an unsupported dtype. GGUF and
// llama2.c sources are written as Hugging Face directories
// (quant/export_directory.h).
void writeFakeQuantExport(const Checkpoint& src, const QuantizedBlockSource& blocks, const ExportOptions& options,
                          const std::string& outDir);

}  // namespace qs
