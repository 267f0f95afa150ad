// The working set of a layer-major pass (ARCHITECTURE.md, "Scale"), by part,
// so that a run on a 70B model can be planned before it starts and a run on a
// small model can be compared with what the process really used. Peak memory
// while blocks run = two blocks of weights (the next one loads while the
// current one computes) + the hidden states + the block's work buffers +
// the quantization method's own buffers; the output head runs after the
// blocks are released, so its phase counts against the block phase, not on top.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "formats/model_config.h"
#include "quant/quant_spec.h"
#include "tensor/dtype.h"

namespace qs {

struct WorkingSetRequest {
    DType weights = DType::F32;      // how a loaded block is held (float32 on the CPU, BF16 on a GPU)
    int64_t tokens = 0;              // hidden-state rows of one pass (evaluation windows or calibration samples)
    int64_t longestSequence = 0;     // bounds the attention scores
    int64_t chunkRows = 4096;        // LayerMajorOptions::chunkRows
    int64_t logitsChunkBytes = int64_t(256) << 20;  // LayerMajorOptions::logitsChunkBytes
    std::span<const QuantMethod> methods;  // calibration methods the plan uses; empty: evaluation only
};

// Bytes of each part.
struct WorkingSet {
    int64_t blocks = 0;     // two decoder blocks' weights (double buffering)
    int64_t hidden = 0;     // [tokens, hidden] float32
    int64_t scratch = 0;    // BlockScratch for chunkRows rows: normed, q, k, v, attention, gate, up
    int64_t attention = 0;  // one sequence's scores [heads, L, L] float32, what a non-fused attention holds
    int64_t method = 0;     // the largest calibration method's own buffers (RTN: none)
    int64_t head = 0;       // output head weights + its normed rows + one logits chunk, after the blocks
    // hidden + the larger of the block phase and the head phase.
    int64_t total() const;
};

WorkingSet estimateWorkingSet(const ModelConfig& config, const WorkingSetRequest& request);

// The buffers one calibration method adds while it quantizes a block with
// `tokens` calibration rows (their derivation is in the .cpp).
int64_t methodWorkingSetBytes(const ModelConfig& config, QuantMethod method, int64_t tokens);

// "peak working set ≈ 12.30 GiB: blocks A, hidden B, scratch C, method D (head phase H)";
// scratch includes the attention scores.
std::string workingSetLine(const WorkingSet& w);
// {"total_bytes", "blocks_bytes", "hidden_bytes", "scratch_bytes", "attention_bytes", "method_bytes", "head_bytes"}.
nlohmann::json workingSetJson(const WorkingSet& w);

}  // namespace qs
