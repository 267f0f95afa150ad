#include "model/block_prefetch.h"

#include <stdexcept>

namespace qs {

BlockPrefetcher::BlockPrefetcher(const LlamaModel& model, int first, int end)
    : model_(model), next_(first), end_(end) {
    startLoad();
}

BlockPrefetcher::~BlockPrefetcher() {
    if (pending_.valid()) pending_.wait();
}

void BlockPrefetcher::startLoad() {
    if (next_ >= end_) return;
    // loadBlock only reads the memory-mapped checkpoint, so it may run beside
    // the caller's compute; the callers' own block adjustments stay on their thread.
    pending_ = std::async(std::launch::async, [this, b = next_] { return model_.loadBlock(b); });
}

DecoderBlockWeights BlockPrefetcher::next() {
    if (!pending_.valid()) throw std::logic_error("BlockPrefetcher: no block left to load");
    DecoderBlockWeights block = pending_.get();  // rethrows the load's error
    ++next_;
    startLoad();
    return block;
}

}  // namespace qs
