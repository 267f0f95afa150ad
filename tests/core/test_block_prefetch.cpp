// BlockPrefetcher on the real qs-tiny-llama: blocks come in index order,
// equal to LlamaModel::loadBlock's bit for bit (shapes, weights, norms,
// input roundings), from any first block; a load's error reaches the caller
// of next(); asking past the end is an error; and a prefetcher dropped at any
// point, with a load in flight or not, has handed out the right blocks until
// then (that the drop waits for the load is what ASan checks besides).
#include <cstring>

#include "check.h"
#include "formats/checkpoint.h"
#include "model/block_prefetch.h"

using namespace qs;

namespace {

bool sameBlock(const DecoderBlockWeights& a, const DecoderBlockWeights& b) {
    const auto same = [](const std::vector<float>& x, const std::vector<float>& y) {
        return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
    };
    bool ok = a.block == b.block && same(a.inputNorm, b.inputNorm) && same(a.postAttentionNorm, b.postAttentionNorm);
    for (int p = 0; p < kProjectionCount; ++p) {
        const LinearWeights &x = a.linear[size_t(p)], &y = b.linear[size_t(p)];
        ok = ok && x.outFeatures == y.outFeatures && x.inFeatures == y.inFeatures && same(x.w, y.w) &&
             x.inputQuant == y.inputQuant;
    }
    return ok;
}

// Takes the next block and checks it is block `expected`, equal to loadBlock's.
void expectNext(BlockPrefetcher& blocks, const LlamaModel& model, int expected) {
    const DecoderBlockWeights got = blocks.next();
    QS_CHECK_EQ(got.block, expected);
    QS_CHECK(sameBlock(got, model.loadBlock(expected)));
}

}  // namespace

QS_TEST(blocks_come_in_order_equal_to_load_block) {
    const auto ckpt = openCheckpoint(test::tinyModelDir());
    const LlamaModel model(*ckpt);
    QS_CHECK_EQ(model.numBlocks(), 4);
    // The comparison can tell blocks apart: no two of the model's blocks hold the same weights.
    for (int a = 0; a < model.numBlocks(); ++a)
        for (int b = a + 1; b < model.numBlocks(); ++b) {
            DecoderBlockWeights other = model.loadBlock(b);
            other.block = a;
            QS_CHECK(!sameBlock(model.loadBlock(a), other));
        }
    for (int first : {0, 2}) {
        BlockPrefetcher blocks(model, first, model.numBlocks());
        for (int b = first; b < model.numBlocks(); ++b) expectNext(blocks, model, b);
        QS_CHECK_THROWS_WITH(blocks.next(), "no block left");
    }
}

QS_TEST(a_load_error_reaches_the_caller) {
    const auto ckpt = openCheckpoint(test::tinyModelDir());
    const LlamaModel model(*ckpt);
    BlockPrefetcher blocks(model, 3, 5);  // block 4 does not exist
    expectNext(blocks, model, 3);
    QS_CHECK_THROWS_WITH(blocks.next(), "block 4 of a 4-block model");
}

QS_TEST(dropping_it_with_a_load_in_flight_waits) {
    const auto ckpt = openCheckpoint(test::tinyModelDir());
    const LlamaModel model(*ckpt);
    // Dropped after 0..4 blocks taken: with block 0, 1, 2 or 3 loading, or with nothing left to load.
    for (int i = 0; i < 20; ++i) {
        const int taken = i % (model.numBlocks() + 1);
        BlockPrefetcher blocks(model, 0, model.numBlocks());
        for (int b = 0; b < taken; ++b) expectNext(blocks, model, b);
    }
}
