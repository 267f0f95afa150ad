// Layer-major evaluation (ARCHITECTURE.md, "Scale"): every sequence passes
// block i before block i + 1 is loaded, so peak memory is one block's float32
// weights plus the hidden states; the output head then runs over the rows
// whose logits are wanted, a chunk at a time, so [tokens x vocab] logits are
// never all held. The GPU path and the 70B case run this same loop.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "backend.h"
#include "jobs/job_control.h"
#include "model/llama_model.h"
#include "model/token_batch.h"

namespace qs {

// Receives logits of `count` requested rows: logits + i * vocab belongs to
// row rows[i] of the batch (its index into batch.tokens). Called in row order.
using LogitsConsumer = std::function<void(const int64_t* rows, int64_t count, const float* logits)>;

struct LayerMajorOptions {
    // Called on each block's weights right after loading, before any sequence
    // passes through it: a quantization plan substitutes its weights here.
    std::function<void(DecoderBlockWeights&)> adjustBlock;
    // Rows (whole sequences, at least one) pushed through a block at once;
    // bounds the work buffers (the MLP's two [rows, intermediate] arrays).
    int64_t chunkRows = 4096;
    // Most bytes of logits held at once (also at most chunkRows rows).
    int64_t logitsChunkBytes = int64_t(256) << 20;
    // Progress by block over [progressBegin, progressEnd]; cancellation
    // (JobCancelled) is honoured between chunks.
    const JobControl* job = nullptr;
    double progressBegin = 0.0;
    double progressEnd = 1.0;
    // Sees the hidden states entering each block that runs ([batch rows,
    // hidden] row-major), before the block changes them: a sensitivity scan
    // caches them to resume from any block later.
    std::function<void(int block, const float* hidden)> observeBlockInput;
    // Resume at block `firstBlock` from `firstHidden`, the states entering it
    // ([batch rows, hidden], e.g. kept by observeBlockInput); the embedding
    // and the blocks before it are not run. nullptr: start from the embedding.
    int firstBlock = 0;
    const float* firstHidden = nullptr;
    // Where the blocks and the head compute (kernels/backend.h); the caller
    // keeps it alive for the run. nullptr: the CPU, the kernels/cpu reference.
    const KernelBackend* backend = nullptr;
};

// Runs the model over `batch` and hands the logits of `headRows` (indices into
// batch.tokens, ascending; empty means every row) to `consume`.
void runLayerMajor(const LlamaModel& model, const TokenBatch& batch, std::span<const int64_t> headRows,
                   const LogitsConsumer& consume, const LayerMajorOptions& options = {});

}  // namespace qs
