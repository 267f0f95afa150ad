// Decoder blocks in order, each read and decoded on a worker thread while the
// caller computes on the block before it: the layer-major loops' streaming
// (ARCHITECTURE.md, "Scale"). A cold 70B checkpoint spends seconds per block
// reading and decoding 1.7 GB of BF16; with the next block loading behind
// the current one's compute, that time hides instead of adding up. At most
// two blocks are held, which is what model/memory_estimate.h counts.
#pragma once

#include <future>

#include "model/llama_model.h"

namespace qs {

class BlockPrefetcher {
public:
    // Blocks [first, end) of `model` (which must outlive this); block
    // `first` starts loading at once.
    BlockPrefetcher(const LlamaModel& model, int first, int end);
    // Waits for a load still in flight (its result and any error are dropped).
    ~BlockPrefetcher();
    BlockPrefetcher(const BlockPrefetcher&) = delete;
    BlockPrefetcher& operator=(const BlockPrefetcher&) = delete;

    // The next block, waiting for its load and rethrowing its error; the
    // load of the block after it starts before this returns.
    // std::logic_error past the last block.
    DecoderBlockWeights next();

private:
    void startLoad();

    const LlamaModel& model_;
    int next_;  // the block `pending_` loads
    int end_;
    std::future<DecoderBlockWeights> pending_;
};

}  // namespace qs
