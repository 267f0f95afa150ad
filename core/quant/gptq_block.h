// GPTQ over one decoder block, true-sequentially (the reference's
// --true-sequential): the block's linear layers are quantized in the order
// their inputs arise, [q, k, v] (input: attention RMSNorm output), o, [gate,
// up] (MLP RMSNorm output), down, and each group's Hessian is captured by a
// forward pass in which every earlier group already computes with its
// quantized weights, so later layers correct for the error of earlier ones.
// A last pass through the fully quantized block gives the next block's inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cpu/rope.h"
#include "formats/model_config.h"
#include "jobs/job_control.h"
#include "model/decoder_block_weights.h"
#include "quant/gptq.h"

namespace qs {

struct GptqLayerReport {
    int block = -1;
    Projection projection = Projection::Q;
    std::string name;              // canonical tensor name
    double relativeError = 0.0;    // ||X Wᵀ - X Qᵀ||² / ||X Wᵀ||² on the calibration inputs X it saw
    double captureSeconds = 0.0;   // forward pass + Hessian of its input (shared by q/k/v, gate/up)
    double solveSeconds = 0.0;     // GPTQ on this layer
    int64_t deadColumns = 0;
};

// Sees each layer's packed result (codes, grids, g_idx) and Hessian as soon
// as it is quantized: an exporter writes them here instead of the whole
// model's codes being held in memory.
using GptqLayerHook =
    std::function<void(const GptqLayerReport& report, const GptqResult& result, const std::vector<double>& hessian)>;

struct GptqBlockOptions {
    GptqOptions quant;
    // Per-layer options (a plan's overrides); nullopt leaves that layer as it
    // is (unquantized, or quantized already by another method). Empty: `quant` for all.
    std::function<std::optional<GptqOptions>(Projection)> perLayer;
    GptqLayerHook onLayer;  // may be empty
    // Where the forward passes, the Hessians and GPTQ itself run (null: the CPU).
    const KernelBackend* backend = nullptr;
    // Progress over [progressBegin, progressEnd] by stage; JobCancelled between stages.
    const JobControl* job = nullptr;
    double progressBegin = 0.0;
    double progressEnd = 1.0;
};

// weights: the block's float weights, replaced by the quantized (dequantized)
// ones. hidden: [seqStarts.back(), hidden_size] row-major inputs of the block
// for every calibration sequence (sequence s in rows [seqStarts[s],
// seqStarts[s + 1])), replaced by the quantized block's outputs. The rope
// table must cover the longest sequence. Returns one report per projection,
// in quantization order.
std::vector<GptqLayerReport> gptqQuantizeBlock(const ModelConfig& config, DecoderBlockWeights& weights,
                                               const RopeTable& rope, RopeLayout layout, std::vector<float>& hidden,
                                               std::span<const int64_t> seqStarts, const GptqBlockOptions& options);

}  // namespace qs
