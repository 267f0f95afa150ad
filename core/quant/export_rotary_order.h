// Hugging Face LLaMA checkpoints rotate halves of each q/k head (rotate_half:
// x[i] pairs with x[i + d/2]); llama2.c and llama.cpp's GGUF keep Meta's
// interleaved pairs (x[2i], x[2i+1]), which QuantScope reads as they are
// (ModelConfig::ropeInterleaved). An export written as a Hugging Face
// directory from such a source reorders the q_proj / k_proj rows per head
// into the halves order: the inverse of LlamaModel.permute in llama.cpp's
// convert_hf_to_gguf.py, i.e. the permute of transformers'
// convert_llama_weights_to_hf.py. Rows are output channels; every grid and
// code belongs to one row, so reordering rows after quantization equals
// quantizing the reordered weights (per-group, per-channel and per-tensor).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "formats/checkpoint.h"
#include "quant/gptq.h"

namespace qs {

// For each destination row, the source row it takes: within every head of
// headDim rows, row t * headDim / 2 + i takes row 2 i + t (t = 0, 1).
std::vector<int64_t> interleavedToHalvesRows(int64_t heads, int64_t headDim);

// The row order a block linear needs in the export, or nullopt when its rows
// stay as they are (a Hugging Face source, or a projection other than q, k).
std::optional<std::vector<int64_t>> exportRowOrder(const ModelConfig& config, int projection);

// Rows of a [rows, cols] matrix taken in `order`.
std::vector<float> reorderRows(const std::vector<float>& w, int64_t cols, const std::vector<int64_t>& order);
// codes and grids ([groups, out]) of a quantized layer taken in `order`
// (`dequantized` too when present); g_idx is per input and stays.
void reorderRows(GptqResult& layer, const std::vector<int64_t>& order);

}  // namespace qs
