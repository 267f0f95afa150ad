// Quantized exports of the real qs-tiny-llama (BF16, 4 blocks) with RTN W4
// g128, symmetric and asymmetric: a fake F32 export re-opens to exactly the
// in-memory fake-quantized weights and perplexity; a BF16 one keeps the other
// tensors byte for byte and the weights within BF16 rounding; a GPTQ packed
// export re-opens to exactly the weights of the grids with F16-rounded scales
// (and perplexity), within F16 scale rounding of the in-memory model; bad
// output paths, bit widths GPTQ cannot pack and failures midway leave nothing
// behind (3 bits: test_export_gptq3.cpp; GGUF and llama2.c sources:
// test_export_sources.cpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
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
#include "quant/rtn_codes.h"
#include "tokenize/tokenizer.h"

using namespace qs;
using namespace qs::test;
namespace fs = std::filesystem;

namespace {

// F16 holds 11 significant bits: a stored scale is within 2^-11 (relative)
// of the float64 one, and so is every weight it scales; 1e-6 covers the
// float rounding of both products.
constexpr double kF16ScaleRelTol = 1.0 / 2048 + 1e-6;
// Perplexity of the GPTQ export against the float64-scale in-memory model
// (the README's figure; 4.4e-5 measured at W4 g128).
constexpr double kGptqPplRelTol = 1e-4;

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

bool sameFloats(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

std::vector<float> decoded(const TensorView& t) {
    std::vector<float> x(size_t(t.numel()));
    decodeToFloat(t, 0, t.numel(), x.data());
    return x;
}

}  // namespace

QS_TEST(fakeF32ExportReopensToTheInMemoryWeights) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    for (bool symmetric : {true, false}) {
        const QuantSpec spec = groupSpec(4, symmetric);
        const std::string out = qs::test::tempDir() + (symmetric ? "/fake-f32-sym" : "/fake-f32-asym");
        writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, DType::F32), out);

        const auto back = openCheckpoint(out);
        const LlamaModel reopened(*back);
        for (int b = 0; b < model.numBlocks(); ++b) {
            const DecoderBlockWeights want = fakeBlocks(model, spec)(b), got = reopened.loadBlock(b);
            for (int p = 0; p < kProjectionCount; ++p) QS_CHECK(sameFloats(got.linear[size_t(p)].w, want.linear[size_t(p)].w));
        }
        // Everything else: the BF16 source widened exactly to F32.
        for (const TensorView& t : src->tensors()) {
            const TensorView& e = back->at(t.name);
            QS_CHECK(e.dtype == DType::F32 && e.shape == t.shape);
            if (!parseLinearName(t.name)) QS_CHECK(sameFloats(decoded(e), decoded(t)));
        }
        QS_CHECK_EQ(back->tensors().size(), src->tensors().size());
        QS_CHECK_EQ(readJson(out + "/config.json")["torch_dtype"].get<std::string>(), std::string("float32"));
        const auto record = readJson(out + "/quantscope_quantization.json");
        QS_CHECK_EQ(record["format"].get<std::string>(), std::string("fake"));
        QS_CHECK_EQ(record["plan_label"].get<std::string>(), quantPlanLabel(uniformPlan(spec)));
        for (const char* f : {"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"})
            QS_CHECK(fs::file_size(out + "/" + f) == fs::file_size(tinyModelDir() + "/" + f));
    }
}

QS_TEST(fakeBf16ExportKeepsOtherTensorsAndRoundsWeights) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    const QuantSpec spec = groupSpec(4, true);
    const std::string out = qs::test::tempDir() + "/fake-bf16";
    writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, std::nullopt), out);
    const auto back = openCheckpoint(out);
    int64_t roundedAway = 0;
    for (const TensorView& t : src->tensors()) {
        const TensorView& e = back->at(t.name);
        QS_CHECK(e.dtype == DType::BF16 && e.nbytes == t.nbytes);
        const auto linear = parseLinearName(t.name);
        if (!linear) {
            QS_CHECK(std::memcmp(e.data, t.data, size_t(t.nbytes)) == 0);
            continue;
        }
        // The block is held here: a reference into the source's returned temporary would dangle.
        const DecoderBlockWeights block = fakeBlocks(model, spec)(linear->block);
        const auto& want = block.linear[size_t(linear->projection)].w;
        const auto got = decoded(e);
        for (size_t i = 0; i < want.size(); ++i) {
            QS_CHECK_EQ(got[i], bf16ToFloat(floatToBf16(want[i])));
            roundedAway += got[i] != want[i];
        }
    }
    // W4 grid values are not BF16 numbers in general: the rounding is real.
    QS_CHECK(roundedAway > 0);
}

QS_TEST(gptqExportReopensToTheStoredGrids) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    for (bool symmetric : {true, false}) {
        const QuantSpec spec = groupSpec(4, symmetric);
        const std::string out = qs::test::tempDir() + (symmetric ? "/gptq-sym" : "/gptq-asym");
        writeGptqExport(*src, rtnLayers(model, spec), gptqLayoutFor(spec), exportOptionsFor(spec, std::nullopt), out);

        const auto back = openCheckpoint(out);
        const TensorView& q = back->at("model.layers.0.self_attn.q_proj.weight");
        QS_CHECK(q.dtype == DType::Gptq4 && q.shape == (std::vector<int64_t>{256, 256}));
        QS_CHECK(!back->find("model.layers.0.self_attn.q_proj.qweight"));
        QS_CHECK_EQ(back->tensors().size(), src->tensors().size());
        const LlamaModel reopened(*back);
        double worst = 0;
        for (int b = 0; b < model.numBlocks(); ++b) {
            const DecoderBlockWeights fake = fakeBlocks(model, spec)(b);
            DecoderBlockWeights stored = model.loadBlock(b);
            toStoredGrids(spec, stored);
            const DecoderBlockWeights got = reopened.loadBlock(b);
            for (int p = 0; p < kProjectionCount; ++p) {
                QS_CHECK(sameFloats(got.linear[size_t(p)].w, stored.linear[size_t(p)].w));
                const auto& f = fake.linear[size_t(p)].w;
                for (size_t i = 0; i < f.size(); ++i)
                    if (f[i] != 0) worst = std::max(worst, std::fabs(double(got.linear[size_t(p)].w[i]) / f[i] - 1));
            }
            QS_CHECK(sameFloats(got.inputNorm, model.loadBlock(b).inputNorm));
        }
        QS_CHECK(worst > 0 && worst <= kF16ScaleRelTol);

        const auto config = readJson(out + "/config.json")["quantization_config"];
        QS_CHECK_EQ(config["quant_method"].get<std::string>(), std::string("gptq"));
        QS_CHECK_EQ(config["bits"].get<int>(), 4);
        QS_CHECK_EQ(config["group_size"].get<int>(), 128);
        QS_CHECK_EQ(config["sym"].get<bool>(), symmetric);
        QS_CHECK_EQ(config["checkpoint_format"].get<std::string>(), std::string(symmetric ? "gptq" : "gptq_v2"));
        QS_CHECK_EQ(readJson(out + "/quantize_config.json")["bits"].get<int>(), 4);
        if (symmetric) {
            // The classic format stores zero - 1: 8 - 1 in every nibble.
            uint32_t word;
            std::memcpy(&word, q.gptq.qzeros, 4);
            QS_CHECK_EQ(word, 0x77777777u);
            QS_CHECK_EQ(q.gptq.zeroOffset, 1);
        }
    }
}

QS_TEST(reopenedExportsGiveTheInMemoryPerplexity) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    const TokenBatch windows = heldoutWindows(*openTokenizer(tinyModelDir() + "/tokenizer.model"));
    const QuantSpec spec = groupSpec(4, true);
    const auto plan = onTheFlyBlockAdjuster(uniformPlan(spec), model.config());
    const double inMemory = exportPerplexity(model, windows, plan);

    const std::string fakeDir = qs::test::tempDir() + "/ppl-fake";
    writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, DType::F32), fakeDir);
    const auto fake = openCheckpoint(fakeDir);
    QS_CHECK_EQ(exportPerplexity(LlamaModel(*fake), windows), inMemory);

    const std::string gptqDir = qs::test::tempDir() + "/ppl-gptq";
    writeGptqExport(*src, rtnLayers(model, spec), gptqLayoutFor(spec), exportOptionsFor(spec, std::nullopt), gptqDir);
    const auto gptq = openCheckpoint(gptqDir);
    const double exported = exportPerplexity(LlamaModel(*gptq), windows);
    const double storedGrids = exportPerplexity(model, windows, [&](DecoderBlockWeights& w) { toStoredGrids(spec, w); });
    std::printf("ppl in-memory %.6f gptq export %.6f\n", inMemory, exported);
    QS_CHECK_EQ(exported, storedGrids);
    QS_CHECK_NEAR(exported / inMemory, 1.0, kGptqPplRelTol);
}

QS_TEST(badOutputsAreRefusedAndFailuresLeaveNothing) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    const QuantSpec spec = groupSpec(4, true);
    const std::string root = qs::test::tempDir() + "/bad";
    fs::create_directories(root + "/full");
    std::ofstream(root + "/full/keep.txt") << "x";
    std::ofstream(root + "/a-file") << "x";

    QS_CHECK_THROWS_WITH(writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, DType::F32), root + "/a-file/out"),
                         "is a file, not a directory");
    QS_CHECK_THROWS_WITH(writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, DType::F32), root + "/a-file"),
                         "exists and is a file");
    QS_CHECK_THROWS_WITH(writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, DType::F32), root + "/full"),
                         "directory exists and is not empty");
    QS_CHECK(fs::exists(root + "/full/keep.txt"));

    // Overwriting replaces the directory as a whole.
    ExportOptions overwrite = exportOptionsFor(spec, DType::F32);
    overwrite.overwrite = true;
    writeFakeQuantExport(*src, fakeBlocks(model, spec), overwrite, root + "/full");
    QS_CHECK(!fs::exists(root + "/full/keep.txt") && fs::exists(root + "/full/model.safetensors"));

    QuantSpec w5 = spec;
    w5.bits = 5;
    QS_CHECK_THROWS_WITH(gptqLayoutFor(w5), "packs 2, 3, 4 or 8 bits, not 5");
    GptqLayout layout5 = gptqLayoutFor(spec);
    layout5.bits = 5;
    QS_CHECK_THROWS_WITH(writeGptqExport(*src, rtnLayers(model, w5), layout5, exportOptionsFor(w5, std::nullopt), root + "/w5"),
                         "not 5");

    // A block source failing at block 2 leaves neither the target nor its stage.
    const auto failing = [&](int b) {
        if (b == 2) throw std::runtime_error("calibration ran out of memory");
        return fakeBlocks(model, spec)(b);
    };
    QS_CHECK_THROWS_WITH(writeFakeQuantExport(*src, failing, exportOptionsFor(spec, DType::F32), root + "/midway"),
                         "calibration ran out of memory");
    // Layer codes that do not fit the layout are refused naming the layer, also leaving nothing.
    GptqLayout wrongGroups = gptqLayoutFor(spec);
    wrongGroups.groupSize = 64;
    QS_CHECK_THROWS_WITH(writeGptqExport(*src, rtnLayers(model, spec), wrongGroups, exportOptionsFor(spec, std::nullopt), root + "/midway"),
                         "groups of grids given, the layout needs");
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(root)) left.push_back(e.path().filename().string());
    std::sort(left.begin(), left.end());
    QS_CHECK_EQ(left.size(), size_t(2));
    QS_CHECK_EQ(left[0], std::string("a-file"));
    QS_CHECK_EQ(left[1], std::string("full"));
}

QS_TEST(packedCheckpointWithUnsupportedBitsIsRefusedByTheReader) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    const QuantSpec spec = groupSpec(4, true);
    const std::string out = qs::test::tempDir() + "/gptq-5bit-config";
    writeGptqExport(*src, rtnLayers(model, spec), gptqLayoutFor(spec), exportOptionsFor(spec, std::nullopt), out);
    QS_CHECK_EQ(std::string(dtypeName(openCheckpoint(out)->at("model.layers.3.mlp.down_proj.weight").dtype)),
                std::string("GPTQ4"));
    auto config = readJson(out + "/config.json");
    config["quantization_config"]["bits"] = 5;
    std::ofstream(out + "/config.json") << config.dump(2);
    QS_CHECK_THROWS_WITH(openCheckpoint(out), "config.json: quantization_config: GPTQ with 5 bits is not supported");
}
