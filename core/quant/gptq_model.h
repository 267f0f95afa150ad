// GPTQ over a whole model, layer-major (ARCHITECTURE.md, "Scale"): embed the
// calibration set, then for each block load it, quantize it true-sequentially
// (gptq_block.h) and carry the quantized block's outputs to the next, so every
// block is calibrated on the inputs the quantized model will actually give it.
#pragma once

#include <vector>

#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "model/token_batch.h"
#include "quant/gptq_block.h"

namespace qs {

struct GptqModelResult {
    std::vector<DecoderBlockWeights> blocks;  // quantized (dequantized float) weights, by block index
    std::vector<GptqLayerReport> layers;      // every linear layer, in quantization order
    double seconds = 0.0;
};

// options.job (if any) gets progress over the whole model, a stage at a time,
// and its Cancel stops the work with JobCancelled between stages.
GptqModelResult gptqQuantizeModel(const LlamaModel& model, const TokenBatch& calibration,
                                  const GptqBlockOptions& options);

}  // namespace qs
