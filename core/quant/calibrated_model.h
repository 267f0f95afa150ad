// The model-level loop of every block-wise calibration method (SmoothQuant,
// bi-smoothing, AWQ; GPTQ can plug in too), layer-major: embed the
// calibration set, then for each block load it, let the method quantize it on
// its inputs, and run the quantized block to get the next block's inputs, so
// every block is calibrated on what the quantized model will feed it. The
// quantized blocks are kept (fake-quantized float32) for evaluation.
#pragma once

#include <functional>
#include <vector>

#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "model/token_batch.h"
#include "quant/block_calibration.h"

namespace qs {

// Quantizes `block` in place given its calibration inputs; a method's reports
// are collected by the function itself (e.g. into a captured vector).
using BlockQuantizer =
    std::function<void(const ModelConfig& config, DecoderBlockWeights& block, const BlockCalibration& calib)>;

struct CalibratedModel {
    std::vector<DecoderBlockWeights> blocks;  // by block index
    double seconds = 0;
};

// Progress per block on `job` (if any); JobCancelled between blocks. The
// blocks' forward passes run on `backend` (null: the CPU). Throws
// std::invalid_argument for an empty calibration set or sequences longer than
// the model's positions.
CalibratedModel quantizeModelByBlock(const LlamaModel& model, const TokenBatch& calibration,
                                     const BlockQuantizer& quantize, const JobControl* job = nullptr,
                                     const KernelBackend* backend = nullptr);

// What to pass as PerplexityOptions::adjustBlock (or LayerMajorOptions'):
// replaces each loaded block by the stored quantized one. `model` must
// outlive the function.
std::function<void(DecoderBlockWeights&)> substituteBlocks(const CalibratedModel& model);

}  // namespace qs
