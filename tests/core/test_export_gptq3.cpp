// 3-bit GPTQ packing in AutoGPTQ's layout (32 codes in 3 int32 words, codes
// 10 and 21 straddling word boundaries): random codes of every width round
// trip through pack and unpack, one column packs to the words AutoGPTQ's
// QuantLinear.pack makes (hand-computed below), and qs-tiny-llama exported
// with RTN W3 g128 re-opens to exactly the weights of the F16-scale grids and
// their perplexity; shapes that do not fill whole words are refused.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "check.h"
#include "export_fixture.h"
#include "cpu/gptq_packing.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "formats/tensor_names.h"
#include "quant/apply_plan.h"
#include "quant/export_gptq.h"
#include "quant/rtn_codes.h"
#include "tokenize/tokenizer.h"

using namespace qs;
using namespace qs::test;

namespace {

// Perplexity of the F16-scale export against the float64-scale in-memory model
// (the README's 1e-4; 3.7e-5 measured at W3 g128).
constexpr double kPplRelTol = 1e-4;


std::vector<uint32_t> unpackColumn(const std::vector<uint32_t>& words, int64_t stride, int64_t first, int64_t n,
                                   int bits) {
    std::vector<uint32_t> out;
    for (int64_t i = 0; i < n; ++i)
        out.push_back(gptqPackedCode(reinterpret_cast<const std::byte*>(words.data() + first), stride, i, bits));
    return out;
}

}  // namespace

QS_TEST(randomCodesRoundTripAtEveryWidth) {
    std::mt19937 rng(5);
    for (int bits : {2, 3, 4, 8}) {
        const int64_t out = 64, in = 96, groups = 3;
        std::vector<uint8_t> codes(size_t(out * in));
        for (auto& c : codes) c = uint8_t(rng() % (1u << bits));
        std::vector<uint32_t> qweight(size_t(gptqPackedWords(in, bits) * out));
        packGptqWeight(codes.data(), out, in, bits, qweight.data());
        int64_t mismatches = 0;
        for (int64_t r = 0; r < out; ++r) {
            const auto column = unpackColumn(qweight, out, r, in, bits);
            for (int64_t c = 0; c < in; ++c) mismatches += column[size_t(c)] != codes[size_t(r * in + c)];
        }
        QS_CHECK_EQ(mismatches, int64_t(0));

        std::vector<uint32_t> zeros(size_t(groups * out));
        for (auto& z : zeros) z = rng() % (1u << bits);
        const int64_t words = gptqPackedWords(out, bits);
        std::vector<uint32_t> qzeros(size_t(groups * words));
        packGptqZeros(zeros.data(), groups, out, bits, qzeros.data());
        for (int64_t g = 0; g < groups; ++g)
            QS_CHECK(unpackColumn(qzeros, 1, g * words, out, bits) ==
                     std::vector<uint32_t>(zeros.begin() + g * out, zeros.begin() + (g + 1) * out));
    }
}

QS_TEST(threeBitColumnPacksAsAutoGptq) {
    // Codes j % 8, except code 10 = 7 (0b111) and code 21 = 5 (0b101), the two that straddle words.
    std::vector<uint8_t> codes(32);
    for (int j = 0; j < 32; ++j) codes[size_t(j)] = uint8_t(j % 8);
    codes[10] = 7;
    codes[21] = 5;
    std::vector<uint32_t> words(3);
    packGptqWeight(codes.data(), 1, 32, 3, words.data());
    // word 0: codes 0..9 at bits 0..29 = 001 000 111 110 101 100 011 010 001 000 (code 9 first),
    //         bits 30-31 = low bits 11 of code 10
    QS_CHECK_EQ(words[0], 0b11'001'000'111'110'101'100'011'010'001'000u);
    // word 1: bit 31 = low bit 1 of code 21; codes 11..20 (3 4 5 6 7 0 1 2 3 4) at bits 1..30;
    //         bit 0 = high bit 1 of code 10
    QS_CHECK_EQ(words[1], 0b1'100'011'010'001'000'111'110'101'100'011'1u);
    // word 2: codes 22..31 (6 7 0 1 2 3 4 5 6 7) at bits 2..31; bits 0-1 = high bits 10 of code 21
    QS_CHECK_EQ(words[2], 0b111'110'101'100'011'010'001'000'111'110'10u);
    QS_CHECK_EQ(words[0], 0xc8fac688u);  // as AutoGPTQ's loop computes them
    QS_CHECK_EQ(words[1], 0xc688fac7u);
    QS_CHECK_EQ(words[2], 0xfac688fau);
    QS_CHECK_EQ(gptqPackedCode(reinterpret_cast<const std::byte*>(words.data()), 1, 10, 3), 7u);
    QS_CHECK_EQ(gptqPackedCode(reinterpret_cast<const std::byte*>(words.data()), 1, 21, 3), 5u);
}

QS_TEST(threeBitExportOfTheDemoModelReopensToItsPerplexity) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    const QuantSpec spec = groupSpec(3);
    const std::string out = qs::test::tempDir() + "/gptq-w3";
    ExportOptions options;
    options.planLabel = quantPlanLabel(uniformPlan(spec));
    writeGptqExport(*src,
                    [&](int b, Projection p) {
                        return rtnLayerCodes(model.loadBlock(b)[p], spec, linearTensorName(b, int(p)));
                    },
                    gptqLayoutFor(spec), options, out);

    const auto back = openCheckpoint(out);
    const TensorView& down = back->at("model.layers.3.mlp.down_proj.weight");
    QS_CHECK_EQ(std::string(dtypeName(down.dtype)), std::string("GPTQ3"));
    // qweight [in * 3 / 32, out] int32: 3 words for every 32 inputs of each output.
    QS_CHECK_EQ(down.nbytes, down.cols() / 32 * 3 * down.rows() * 4);
    std::ifstream configFile(out + "/config.json");
    QS_CHECK_EQ(nlohmann::json::parse(configFile)["quantization_config"]["bits"].get<int>(), 3);

    const LlamaModel reopened(*back);
    for (int b = 0; b < model.numBlocks(); ++b) {
        DecoderBlockWeights stored = model.loadBlock(b);
        toStoredGrids(spec, stored);
        const DecoderBlockWeights got = reopened.loadBlock(b);
        for (int p = 0; p < kProjectionCount; ++p) QS_CHECK(got.linear[size_t(p)].w == stored.linear[size_t(p)].w);
    }

    const TokenBatch windows = heldoutWindows(*openTokenizer(tinyModelDir() + "/tokenizer.model"));
    const double exported = exportPerplexity(reopened, windows);
    const double storedGrids = exportPerplexity(model, windows, [&](DecoderBlockWeights& w) { toStoredGrids(spec, w); });
    const double inMemory = exportPerplexity(model, windows, onTheFlyBlockAdjuster(uniformPlan(spec), model.config()));
    std::printf("W3 g128 RTN: ppl in-memory %.6f gptq export %.6f\n", inMemory, exported);
    QS_CHECK_EQ(exported, storedGrids);
    QS_CHECK_NEAR(exported / inMemory, 1.0, kPplRelTol);
}

QS_TEST(threeBitNeedsDimensionsInMultiplesOf32) {
    // stories260K: hidden 64, MLP 172, which 3-bit words (32 codes) cannot hold.
    const auto src = openCheckpoint(qs::test::sharedDir() + "/models/llama2c/stories260K.bin");
    QuantSpec spec = groupSpec(3);
    spec.granularity = Granularity::PerChannel;
    QS_CHECK_THROWS_WITH(checkGptqShapes(*src, gptqLayoutFor(spec)), "(both dimensions multiples of 32)");
    spec.bits = 4;
    QS_CHECK_THROWS_WITH(checkGptqShapes(*src, gptqLayoutFor(spec)), "172");
}
