// Fake exports of weight-activation schemes on the real qs-tiny-llama: the
// export records each linear's input rounding (quant/activation_record.h) and
// the re-opened F32 export evaluates to exactly the in-memory perplexity for
// INT8 per-token (RTN W8A8), FP8 per-tensor static (a scale given in the plan)
// and calibrated SmoothQuant W8A8 with static per-tensor scales; a weight-only
// export records none; broken records are clear errors naming the file.
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "check.h"
#include "export_fixture.h"
#include "formats/format_error.h"
#include "quant/activation_record.h"
#include "quant/calibrated_model.h"
#include "quant/smoothquant.h"
#include "tiny_block_inputs.h"

using namespace qs;
using namespace qs::test;

namespace {

QuantSpec w8a8Int8PerToken() {
    QuantSpec s;
    s.bits = 8;
    s.granularity = Granularity::PerChannel;
    s.activation.format = ActivationFormat::Int8;
    return s;
}

QuantSpec w8a8Fp8Static(double scale) {
    QuantSpec s;
    s.format = WeightFormat::F8E4M3;
    s.bits = 8;
    s.granularity = Granularity::PerChannel;
    s.activation.format = ActivationFormat::F8E4M3;
    s.activation.perToken = false;
    s.activation.scale = scale;
    return s;
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

void writeText(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Every linear of every block carries the same rounding in both models.
void checkSameInputQuant(const LlamaModel& reopened, const std::function<DecoderBlockWeights(int)>& want) {
    for (int b = 0; b < reopened.numBlocks(); ++b) {
        const DecoderBlockWeights got = reopened.loadBlock(b), expected = want(b);
        for (int p = 0; p < kProjectionCount; ++p)
            QS_CHECK(got.linear[size_t(p)].inputQuant == expected.linear[size_t(p)].inputQuant);
    }
}

}  // namespace

QS_TEST(planned_w8a8_exports_reopen_to_the_in_memory_perplexity) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    const TokenBatch windows = heldoutWindows(*openTokenizer(tinyModelDir() + "/tokenizer.model"));
    QS_CHECK_EQ(model.recordedInputQuantCount(), int64_t(0));
    const struct {
        const char* name;
        QuantSpec spec;
    } cases[] = {{"int8-token", w8a8Int8PerToken()}, {"fp8-static", w8a8Fp8Static(0.0371)}};
    for (const auto& c : cases) {
        const std::string out = tempDir() + "/w8a8-" + c.name;
        writeFakeQuantExport(*src, fakeBlocks(model, c.spec), exportOptionsFor(c.spec, DType::F32), out);
        const auto record = readJson(out + "/quantscope_quantization.json")["activations"];
        QS_CHECK_EQ(record.size(), size_t(model.numBlocks() * kProjectionCount));

        const auto back = openCheckpoint(out);
        const LlamaModel reopened(*back);
        QS_CHECK_EQ(reopened.recordedInputQuantCount(), int64_t(model.numBlocks() * kProjectionCount));
        checkSameInputQuant(reopened, fakeBlocks(model, c.spec));
        const double inMemory = exportPerplexity(model, windows, [&](DecoderBlockWeights& b) {
            applyPlanToBlock(uniformPlan(c.spec), b);
        });
        const double exported = exportPerplexity(reopened, windows);
        std::printf("%s: in memory %.9f, re-opened export %.9f\n", c.name, inMemory, exported);
        QS_CHECK_EQ(exported, inMemory);
        // Without its input rounding the export is a different (weight-only) model.
        const double weightOnly = exportPerplexity(reopened, windows, [](DecoderBlockWeights& b) {
            for (LinearWeights& l : b.linear) l.inputQuant = {};
        });
        QS_CHECK(weightOnly != inMemory);
    }
}

QS_TEST(calibrated_smoothquant_static_scales_survive_the_export) {
    const TinyBlockInputs in(1, 4, 128);
    QuantSpec spec = w8a8Int8PerToken();
    spec.method = QuantMethod::SmoothQuant;
    spec.activation.perToken = false;  // per-tensor scales from calibration
    const CalibratedModel sq = quantizeModelByBlock(
        in.model, in.calibration, [&](const ModelConfig& c, DecoderBlockWeights& b, const BlockCalibration& calib) {
            smoothQuantBlock(c, b, calib, spec);
        });
    const std::string out = tempDir() + "/w8a8-smoothquant-static";
    writeFakeQuantExport(*in.checkpoint, [&](int b) { return sq.blocks.at(size_t(b)); },
                         exportOptionsFor(spec, DType::F32), out);

    const auto back = openCheckpoint(out);
    const LlamaModel reopened(*back);
    checkSameInputQuant(reopened, [&](int b) { return sq.blocks.at(size_t(b)); });
    for (int b = 0; b < reopened.numBlocks(); ++b)
        for (const LinearWeights& l : reopened.loadBlock(b).linear) QS_CHECK(!l.inputQuant.perToken && l.inputQuant.staticScale > 0);
    const TokenBatch windows = heldoutWindows(*openTokenizer(tinyModelDir() + "/tokenizer.model"));
    const double inMemory = exportPerplexity(in.model, windows, substituteBlocks(sq));
    const double exported = exportPerplexity(reopened, windows);
    std::printf("SmoothQuant W8A8 static: in memory %.9f, re-opened export %.9f\n", inMemory, exported);
    QS_CHECK_EQ(exported, inMemory);
}

QS_TEST(weight_only_export_records_no_rounding) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    const QuantSpec spec = groupSpec(4);
    const std::string out = tempDir() + "/w4-weight-only";
    writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, DType::F32), out);
    QS_CHECK(readJson(out + "/quantscope_quantization.json")["activations"].empty());
    const auto back = openCheckpoint(out);
    QS_CHECK_EQ(LlamaModel(*back).recordedInputQuantCount(), int64_t(0));
}

QS_TEST(broken_records_name_the_file_and_the_problem) {
    const auto src = openCheckpoint(tinyModelDir());
    const LlamaModel model(*src);
    const QuantSpec spec = w8a8Int8PerToken();
    const std::string out = tempDir() + "/w8a8-broken";
    writeFakeQuantExport(*src, fakeBlocks(model, spec), exportOptionsFor(spec, DType::F32), out);
    const std::string recordPath = out + "/quantscope_quantization.json";
    const nlohmann::json good = readJson(recordPath);
    const auto withActivations = [&](const nlohmann::json& activations) {
        nlohmann::json j = good;
        j["activations"] = activations;
        writeText(recordPath, j.dump());
    };
    const auto opening = [&] {
        const auto back = openCheckpoint(out);
        const LlamaModel reopened(*back);
    };
    withActivations({{"model.layers.99.mlp.down_proj.weight", {{"format", "int8"}}}});
    QS_CHECK_THROWS_WITH(opening(), "model.layers.99.mlp.down_proj.weight\" is not a block linear");
    withActivations({{"model.layers.0.mlp.down_proj.weight", {{"format", "int4"}}}});
    QS_CHECK_THROWS_WITH(opening(), "activation.format must be one of");
    withActivations({{"model.layers.0.mlp.down_proj.weight", {{"format", "int8"}, {"granularity", "per_tensor"}}}});
    QS_CHECK_THROWS_WITH(opening(), "needs a positive scale");
    withActivations({{"model.layers.0.mlp.down_proj.weight",
                      {{"format", "fp8_e4m3"}, {"granularity", "per_tensor"}, {"scale", -1.0}}}});
    QS_CHECK_THROWS_WITH(opening(), "needs a positive scale");
    withActivations(nlohmann::json::array());
    QS_CHECK_THROWS_WITH(opening(), "\"activations\" must be an object");
    writeText(recordPath, "{\"format\": \"fake\", \"activations\": {");
    QS_CHECK_THROWS_WITH(opening(), "quantscope_quantization.json: broken JSON");
}
