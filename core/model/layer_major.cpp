#include "model/layer_major.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/block_prefetch.h"
#include "model/decoder_block.h"
#include "model/default_backend.h"

namespace qs {

namespace {

// Consecutive sequences grouped into chunks of at most maxRows rows (a longer
// sequence is a chunk of its own): chunk c is sequences [bounds[c], bounds[c + 1]).
std::vector<int64_t> chunkBounds(const TokenBatch& batch, int64_t maxRows) {
    std::vector<int64_t> bounds{0};
    for (int64_t s = 0; s < batch.sequences(); ++s) {
        const int64_t chunkFirstRow = batch.starts[size_t(bounds.back())];
        if (s > bounds.back() && batch.starts[size_t(s + 1)] - chunkFirstRow > maxRows) bounds.push_back(s);
    }
    bounds.push_back(batch.sequences());
    return bounds;
}

class Progress {
public:
    Progress(const LayerMajorOptions& o, int stages) : o_(o), stages_(stages) {}
    // `done` of `total` parts of stage `stage` are finished.
    void report(int stage, int64_t done, int64_t total, const std::string& what) const {
        if (!o_.job) return;
        const double within = total > 0 ? double(done) / double(total) : 0.0;
        o_.job->step(o_.progressBegin + (o_.progressEnd - o_.progressBegin) * (stage + within) / stages_, what);
    }

private:
    const LayerMajorOptions& o_;
    int stages_;
};

void runHead(const LlamaModel& model, const float* hidden, std::span<const int64_t> rows,
             const LogitsConsumer& consume, const LayerMajorOptions& options, const Progress& progress) {
    const ModelConfig& c = model.config();
    const KernelBackend& backend = backendOrCpu(options.backend);
    const OutputHeadWeights head = model.loadHead();
    const int64_t perChunk =
        std::max<int64_t>(1, std::min(options.chunkRows, options.logitsChunkBytes / (c.vocabSize * int64_t(sizeof(float)))));
    std::vector<float> normed, logits;
    const int64_t total = int64_t(rows.size());
    for (int64_t first = 0; first < total; first += perChunk) {
        progress.report(model.numBlocks(), first, total, "output head");
        const int64_t n = std::min(perChunk, total - first);
        normed.resize(size_t(n * c.hiddenSize));
        logits.resize(size_t(n * c.vocabSize));
        for (int64_t i = 0; i < n; ++i)
            std::copy_n(hidden + rows[size_t(first + i)] * c.hiddenSize, c.hiddenSize, normed.data() + i * c.hiddenSize);
        backend.rmsNormRows(normed.data(), head.norm.data(), normed.data(), n, c.hiddenSize, float(c.rmsNormEps));
        backend.linearForward(normed.data(), n, c.hiddenSize, head.lmHead.w.data(), c.vocabSize, logits.data(), false);
        consume(rows.data() + first, n, logits.data());
    }
}

}  // namespace

void runLayerMajor(const LlamaModel& model, const TokenBatch& batch, std::span<const int64_t> headRows,
                   const LogitsConsumer& consume, const LayerMajorOptions& options) {
    const ModelConfig& c = model.config();
    const int64_t rows = batch.rows();
    for (size_t i = 0; i < headRows.size(); ++i)
        if (headRows[i] < 0 || headRows[i] >= rows || (i > 0 && headRows[i] <= headRows[i - 1]))
            throw std::invalid_argument("runLayerMajor: head rows must be ascending indices into the batch");
    const Progress progress(options, model.numBlocks() + 1);

    if (options.firstBlock < 0 || options.firstBlock > model.numBlocks() || (options.firstBlock > 0 && !options.firstHidden))
        throw std::invalid_argument("runLayerMajor: resuming at a block needs that block's input hidden states");
    std::vector<float> hidden(static_cast<size_t>(rows * c.hiddenSize));
    if (options.firstHidden)
        std::copy_n(options.firstHidden, hidden.size(), hidden.begin());
    else
        model.embed(batch.tokens.data(), rows, hidden.data());
    const RopeTable rope = makeRopeTable(model.ropeInverseFrequencies(), batch.longest());
    const std::vector<int64_t> bounds = chunkBounds(batch, options.chunkRows);
    const int64_t chunks = int64_t(bounds.size()) - 1;

    {
        BlockScratch scratch;
        std::vector<int64_t> starts;  // the chunk's sequence starts, from 0
        BlockPrefetcher blocks(model, options.firstBlock, model.numBlocks());
        for (int b = options.firstBlock; b < model.numBlocks(); ++b) {
            if (options.observeBlockInput) options.observeBlockInput(b, hidden.data());
            const std::string stage = "block " + std::to_string(b + 1) + " of " + std::to_string(model.numBlocks());
            progress.report(b, 0, chunks, stage);
            DecoderBlockWeights weights = blocks.next();
            if (options.adjustBlock) options.adjustBlock(weights);
            for (int64_t ch = 0; ch < chunks; ++ch) {
                if (ch > 0) progress.report(b, ch, chunks, stage);
                const int64_t s0 = bounds[size_t(ch)], s1 = bounds[size_t(ch + 1)];
                const int64_t firstRow = batch.starts[size_t(s0)];
                starts.resize(size_t(s1 - s0 + 1));
                for (int64_t s = s0; s <= s1; ++s) starts[size_t(s - s0)] = batch.starts[size_t(s)] - firstRow;
                forwardDecoderBlock(c, weights, rope, model.ropeLayout(), hidden.data() + firstRow * c.hiddenSize,
                                    starts.data(), s1 - s0, scratch, {}, backendOrCpu(options.backend));
            }
        }
    }  // the block's weights and work buffers are released before the head is loaded

    if (headRows.empty()) {
        std::vector<int64_t> all(static_cast<size_t>(rows));
        std::iota(all.begin(), all.end(), int64_t(0));
        runHead(model, hidden.data(), all, consume, options, progress);
    } else {
        runHead(model, hidden.data(), headRows, consume, options, progress);
    }
    progress.report(model.numBlocks() + 1, 0, 0, "done");
}

}  // namespace qs
