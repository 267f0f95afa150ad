// BlockPrefetcher on the real qs-tiny-llama: blocks come in order, equal to
// LlamaModel::loadBlock's bit for bit, from any first block; a load's error
// reaches the caller of next(); asking past the end is an error; and a
// prefetcher dropped with a load in flight waits for it.
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
    for (int p = 0; p < kProjectionCount; ++p) ok = ok && same(a.linear[size_t(p)].w, b.linear[size_t(p)].w);
    return ok;
}

}  // namespace

QS_TEST(blocks_come_in_order_equal_to_load_block) {
    const auto ckpt = openCheckpoint(test::tinyModelDir());
    const LlamaModel model(*ckpt);
    QS_CHECK_EQ(model.numBlocks(), 4);
    for (int first : {0, 2}) {
        BlockPrefetcher blocks(model, first, model.numBlocks());
        for (int b = first; b < model.numBlocks(); ++b) QS_CHECK(sameBlock(blocks.next(), model.loadBlock(b)));
        QS_CHECK_THROWS_WITH(blocks.next(), "no block left");
    }
}

QS_TEST(a_load_error_reaches_the_caller) {
    const auto ckpt = openCheckpoint(test::tinyModelDir());
    const LlamaModel model(*ckpt);
    BlockPrefetcher blocks(model, 3, 5);  // block 4 does not exist
    QS_CHECK(sameBlock(blocks.next(), model.loadBlock(3)));
    QS_CHECK_THROWS_WITH(blocks.next(), "block 4 of a 4-block model");
}

QS_TEST(dropping_it_with_a_load_in_flight_waits) {
    const auto ckpt = openCheckpoint(test::tinyModelDir());
    const LlamaModel model(*ckpt);
    for (int i = 0; i < 20; ++i) {
        BlockPrefetcher blocks(model, 0, model.numBlocks());
        if (i % 2) QS_CHECK_EQ(blocks.next().block, 0);
    }  // destroyed while block 0 or 1 loads: no crash, no use of a dead object (checked under ASan)
}
