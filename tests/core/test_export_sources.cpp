// Exports from llama2.c and GGUF sources become Hugging Face directories:
// q/k rows reordered into the halves rotary order, config.json from the
// source's ModelConfig, a tokenizer QuantScope re-opens. qs-tiny-llama's
// llama2.c file (the F32 training weights of model.f32.safetensors, q/k rows
// interleaved) exported with RTN W4 g128 gives the export of the F32
// safetensors weight for weight, and the perplexity of the in-memory llama2.c model up to float
// rounding (attention sums run in another order); the GGUF fixture's
// sentencepiece vocabulary comes back as a tokenizer.model that encodes alike.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "check.h"
#include "export_fixture.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "formats/tensor_names.h"
#include "quant/apply_plan.h"
#include "quant/export_fake.h"
#include "quant/export_gptq.h"
#include "quant/export_rotary_order.h"
#include "quant/rtn_codes.h"
#include "tokenize/tokenizer.h"

using namespace qs;
using namespace qs::test;

namespace {

// Perplexities of one quantized model computed in the two rotary layouts.
constexpr double kLayoutPplRelTol = 1e-5;

}  // namespace

QS_TEST(rowOrderTakesEachHeadsPairsApart) {
    // Two heads of 4: halves order takes rows 0 2 1 3 of each head.
    QS_CHECK(interleavedToHalvesRows(2, 4) == (std::vector<int64_t>{0, 2, 1, 3, 4, 6, 5, 7}));
    GptqResult layer;
    layer.outFeatures = 4;
    layer.inFeatures = 1;
    layer.groups = 2;
    layer.codes = {10, 11, 12, 13};
    for (int i = 0; i < 8; ++i) layer.grids.push_back(IntGrid{double(i), 0, 15});
    reorderRows(layer, interleavedToHalvesRows(1, 4));
    QS_CHECK(layer.codes == (std::vector<uint8_t>{10, 12, 11, 13}));
    QS_CHECK_EQ(layer.grids[1].scale, 2.0);
    QS_CHECK_EQ(layer.grids[5].scale, 6.0);  // group 1, row 1 <- source row 2
}

QS_TEST(llama2cExportMatchesTheHfExportAndTheInMemoryModel) {
    const QuantSpec spec = groupSpec(4);
    const auto l2c = openCheckpoint(tinyModelDir() + "/model.llama2c.bin");
    const LlamaModel l2cModel(*l2c);
    const std::string out = qs::test::tempDir() + "/from-llama2c";
    writeFakeQuantExport(*l2c, fakeBlocks(l2cModel, spec), exportOptionsFor(spec, DType::F32), out);

    const auto hf = openSafetensorsFile(tinyModelDir() + "/model.f32.safetensors", tinyModelDir() + "/config.json");
    const LlamaModel hfModel(*hf);
    const std::string hfOut = qs::test::tempDir() + "/from-hf";
    writeFakeQuantExport(*hf, fakeBlocks(hfModel, spec), exportOptionsFor(spec, DType::F32), hfOut);

    const auto back = openCheckpoint(out), hfBack = openCheckpoint(hfOut);
    QS_CHECK(back->format == CheckpointFormat::HfSafetensors && !back->config.ropeInterleaved);
    QS_CHECK(back->tokenizerPath == out + "/tokenizer.bin");
    QS_CHECK_EQ(back->config.numLayers, hf->config.numLayers);
    QS_CHECK_EQ(back->config.numKvHeads, hf->config.numKvHeads);
    std::ifstream configFile(out + "/config.json");
    QS_CHECK_EQ(nlohmann::json::parse(configFile)["torch_dtype"].get<std::string>(), std::string("float32"));
    // The same F32 weights: reordered q/k rows give the same grids, so every
    // tensor equals the Hugging Face export's.
    int64_t differing = 0;
    for (const TensorView& t : hfBack->tensors()) {
        const TensorView& e = back->at(t.name);
        QS_CHECK(e.shape == t.shape);
        std::vector<float> a(size_t(t.numel())), b(size_t(t.numel()));
        decodeToFloat(t, 0, t.numel(), a.data());
        decodeToFloat(e, 0, e.numel(), b.data());
        differing += a != b;
    }
    QS_CHECK_EQ(differing, int64_t(0));

    const auto tokenizer = tokenizerForCheckpoint(*back);
    const TokenBatch windows = heldoutWindows(*tokenizer);
    const double inMemory = exportPerplexity(l2cModel, windows, onTheFlyBlockAdjuster(uniformPlan(spec), l2cModel.config()));
    const double exported = exportPerplexity(LlamaModel(*back), windows);
    const double hfExported = exportPerplexity(LlamaModel(*hfBack), windows);
    std::printf("llama2.c W4 g128: ppl in-memory %.7f export %.7f HF export %.7f\n", inMemory, exported, hfExported);
    QS_CHECK_NEAR(exported / inMemory, 1.0, kLayoutPplRelTol);
    QS_CHECK_EQ(exported, hfExported);
    QS_CHECK(std::fabs(exported / exportPerplexity(l2cModel, windows) - 1.0) > kLayoutPplRelTol);  // W4 is not a no-op
}

QS_TEST(llama2cGptqExportReopensWithTheSourcePerplexity) {
    const QuantSpec spec = groupSpec(4);
    const auto l2c = openCheckpoint(tinyModelDir() + "/model.llama2c.bin");
    const LlamaModel model(*l2c);
    const std::string out = qs::test::tempDir() + "/gptq-from-llama2c";
    writeGptqExport(*l2c,
                    [&](int b, Projection p) {
                        return rtnLayerCodes(model.loadBlock(b)[p], spec, linearTensorName(b, int(p)));
                    },
                    gptqLayoutFor(spec), exportOptionsFor(spec, DType::F32), out);
    const auto back = openCheckpoint(out);
    const auto tokenizer = tokenizerForCheckpoint(*back);
    const TokenBatch windows = heldoutWindows(*tokenizer);
    const double inMemory = exportPerplexity(model, windows, onTheFlyBlockAdjuster(uniformPlan(spec), model.config()));
    const double exported = exportPerplexity(LlamaModel(*back), windows);
    std::printf("llama2.c W4 g128 gptq: ppl in-memory %.7f export %.7f\n", inMemory, exported);
    QS_CHECK_NEAR(exported / inMemory, 1.0, 1e-3);  // F16 scales, as for Hugging Face sources
}

QS_TEST(ggufExportCarriesItsVocabularyAsTokenizerModel) {
    const auto src = openCheckpoint(qs::test::sharedDir() + "/models/gguf/llama-2-tiny-random.gguf");
    const LlamaModel model(*src);
    QuantSpec spec = groupSpec(4);
    spec.granularity = Granularity::PerChannel;
    const std::string out = qs::test::tempDir() + "/from-gguf";
    writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, DType::F32), out);
    const auto back = openCheckpoint(out);
    QS_CHECK(back->tokenizerPath == out + "/tokenizer.model");
    const auto want = tokenizerForCheckpoint(*src), got = tokenizerForCheckpoint(*back);
    QS_CHECK_EQ(got->vocabSize(), want->vocabSize());
    const std::string text = heldoutText().substr(0, 4000);
    const std::vector<int32_t> ids = want->encode(text, true);
    QS_CHECK(ids.size() > 500);
    QS_CHECK(got->encode(text, true) == ids);
    QS_CHECK(got->encode("  Hello\n\tworld  \xE2\x9C\x93", true) == want->encode("  Hello\n\tworld  \xE2\x9C\x93", true));

    const int64_t ctx = std::min<int64_t>(64, src->config.maxPositions);
    const TokenBatch windows = cutWindows(ids, ctx, 4, "heldout");
    const double inMemory = exportPerplexity(model, windows, onTheFlyBlockAdjuster(uniformPlan(spec), model.config()));
    const double exported = exportPerplexity(LlamaModel(*back), windows);
    std::printf("gguf W4 per-channel: ppl in-memory %.7f export %.7f\n", inMemory, exported);
    QS_CHECK_NEAR(exported / inMemory, 1.0, kLayoutPplRelTol);
}
