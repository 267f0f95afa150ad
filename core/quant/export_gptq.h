// The packed GPTQ export (`quantscope-cli quantize --format gptq`): the
// layout AutoGPTQ writes and transformers / GPTQModel / vLLM load. Each block
// linear `<prefix>` becomes <prefix>.qweight int32 [in * bits / 32, out],
// .qzeros int32 [groups, out * bits / 32], .scales F16 [groups, out] and
// .g_idx int32 [in] (cpu/gptq_packing.h); embeddings, norms and lm_head stay
// floats in the export dtype. config.json gains "quantization_config" and
// quantize_config.json lies beside it, as GPTQ loaders read them.
//
// Zero points: symmetric grids are written in the classic format
// ("checkpoint_format": "gptq"), which stores zero - 1 and which every loader
// reads. Asymmetric grids can have a zero of 0, which that format cannot hold
// (the long-standing AutoGPTQ asymmetric bug), so they are written as
// "gptq_v2" (zeros as they are; GPTQModel and vLLM read it). The reader
// (formats/gptq_packed.h) honours both.
//
// Scales are stored as F16, so the re-opened weights are those of the grids
// with F16-rounded scales (gptqStoredGrid), not bit-equal to a float64-scale
// in-memory model; the relative difference per weight is at most 2^-11.
#pragma once

#include <functional>
#include <string>

#include "quant/export_directory.h"
#include "quant/gptq.h"
#include "quant/quant_spec.h"

namespace qs {

struct GptqLayout {
    int bits = 4;               // 2, 3, 4 or 8
    int64_t groupSize = 0;      // inputs per group; 0: one group per output channel (written as -1)
    bool symmetric = true;
    bool actOrder = false;      // "desc_act"
    bool staticGroups = false;
    double damp = 0.01;         // recorded as "damp_percent"
};

// The layout of an integer spec (RTN or GPTQ); per-tensor grids are written
// per channel. Throws std::invalid_argument for FP8 or bits other than 2, 3, 4, 8.
GptqLayout gptqLayoutFor(const QuantSpec& spec);

// (block, projection) -> the layer's codes, grids and g_idx (a GptqResult
// from gptq.h or rtnLayerCodes; `dequantized` is not used). Called once per
// layer.
using QuantizedLayerSource = std::function<GptqResult(int block, Projection projection)>;

// Throws FormatError naming the checkpoint and the first block linear whose
// shape the layout cannot pack (dimensions must fill whole words: multiples
// of 32 for 3 bits; inputs a multiple of the group size).
void checkGptqShapes(const Checkpoint& src, const GptqLayout& layout);

// Writes outDir as writeFakeQuantExport does (staged, nothing left on
// failure). Every block linear must be quantized with `layout`; a layer
// whose shapes, groups, grid width or zeros do not fit throws FormatError
// naming the layer.
void writeGptqExport(const Checkpoint& src, const QuantizedLayerSource& layers, const GptqLayout& layout,
                     const ExportOptions& options, const std::string& outDir);

// A grid as the export stores it: its scale rounded to F16.
IntGrid gptqStoredGrid(const IntGrid& g);

}  // namespace qs
