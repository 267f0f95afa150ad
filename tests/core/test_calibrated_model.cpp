// Whole-model quantization block by block on qs-tiny-llama, calibrated and
// evaluated on disjoint parts of the held-out book: perplexity on its first
// 16 windows of 256 tokens (base 42.27), calibration on 8 x 256 tokens
// sampled from its second half (checked: no calibration sequence occurs in
// the evaluated tokens). AWQ W3 g128 beats RTN W3 g128, and SmoothQuant
// W8A8 stays within a few percent of the float model; progress goes block by
// block.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "check.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "model/llama_model.h"
#include "quant/apply_plan.h"
#include "quant/awq.h"
#include "quant/calibrated_model.h"
#include "quant/calibration.h"
#include "quant/smoothquant.h"
#include "tokenize/tokenizer.h"

using namespace qs;

namespace {

constexpr double kBasePpl = 42.27;          // README / eval tests, 16 windows
constexpr double kBasePplTol = 0.01;
constexpr double kSmoothQuantMaxRise = 0.03;  // W8A8 within 3 % of base

QuantSpec w3g128(QuantMethod method) {
    QuantSpec s;
    s.bits = 3;
    s.symmetric = false;
    s.granularity = Granularity::PerGroup;
    s.groupSize = 128;
    s.method = method;
    return s;
}

// Where `sequence` occurs in `ids` (every start).
std::vector<int64_t> occurrences(const std::vector<int32_t>& ids, std::span<const int32_t> sequence) {
    std::vector<int64_t> at;
    for (auto it = ids.begin(); (it = std::search(it, ids.end(), sequence.begin(), sequence.end())) != ids.end(); ++it)
        at.push_back(int64_t(it - ids.begin()));
    return at;
}

}  // namespace

QS_TEST(awq_w3_and_smoothquant_w8a8_perplexity) {
    const auto checkpoint = openCheckpoint(test::tinyModelDir() + "/model.safetensors");
    const LlamaModel model(*checkpoint);
    const auto tokenizer = openTokenizer(test::tinyModelDir() + "/tokenizer.model");
    const std::string book = test::sharedDir() + "/data/text/frankenstein-heldout.txt";
    // Tokenized once without BOS, as both perplexityWindows and calibrationFromFile do.
    const std::vector<int32_t> ids = tokenizer->encode(readTextFile(book), false);
    const auto half = ids.begin() + std::ptrdiff_t(ids.size() / 2);
    PerplexityOptions po;
    po.ctx = 256;
    po.maxWindows = 16;
    const TokenBatch windows = cutWindows(std::vector<int32_t>(ids.begin(), half), po.ctx, po.maxWindows, book);
    const TokenBatch calibration = sampleCalibration(std::vector<int32_t>(half, ids.end()), 8, 256, 0, book);
    // The evaluated tokens are the book's first windows.rows(); no calibration sequence occurs among them.
    QS_CHECK_EQ(windows.sequences(), po.maxWindows);
    QS_CHECK(std::equal(windows.tokens.begin(), windows.tokens.end(), ids.begin()));
    for (int64_t s = 0; s < calibration.sequences(); ++s) {
        const std::span<const int32_t> sequence(calibration.tokens.data() + calibration.starts[size_t(s)],
                                                size_t(calibration.length(s)));
        const std::vector<int64_t> at = occurrences(ids, sequence);
        QS_CHECK(!at.empty());
        for (const int64_t start : at) QS_CHECK(start >= windows.rows());
    }
    const auto ppl = [&](std::function<void(DecoderBlockWeights&)> adjust) {
        PerplexityOptions o = po;
        o.adjustBlock = std::move(adjust);
        return evaluatePerplexity(model, windows, o).ppl;
    };
    const double base = ppl({});
    QS_CHECK_NEAR(base, kBasePpl, kBasePplTol);

    const QuantSpec rtnSpec = w3g128(QuantMethod::Rtn);
    const double rtn = ppl([&](DecoderBlockWeights& b) {
        for (LinearWeights& l : b.linear) fakeQuantizeWeights(rtnSpec, l);
    });

    std::vector<std::string> stages;
    JobControl job([&](double, const std::string& stage) { stages.push_back(stage); });
    std::vector<BlockQuantReport> reports;
    const QuantSpec awqSpec = w3g128(QuantMethod::Awq);
    const CalibratedModel awq = quantizeModelByBlock(
        model, calibration,
        [&](const ModelConfig& c, DecoderBlockWeights& b, const BlockCalibration& calib) {
            reports.push_back(awqBlock(c, b, calib, awqSpec));
        },
        &job);
    QS_CHECK_EQ(awq.blocks.size(), size_t(4));
    QS_CHECK_EQ(reports.size(), size_t(4));
    QS_CHECK_EQ(stages.size(), size_t(5));  // one per block, then done
    const double awqPpl = ppl(substituteBlocks(awq));
    QS_CHECK(awqPpl < rtn);
    QS_CHECK(awqPpl > base);

    QuantSpec sqSpec;
    sqSpec.bits = 8;
    sqSpec.method = QuantMethod::SmoothQuant;
    sqSpec.activation.format = ActivationFormat::Int8;
    const CalibratedModel sq = quantizeModelByBlock(
        model, calibration, [&](const ModelConfig& c, DecoderBlockWeights& b, const BlockCalibration& calib) {
            smoothQuantBlock(c, b, calib, sqSpec);
        });
    const double sqPpl = ppl(substituteBlocks(sq));
    QS_CHECK(sqPpl < base * (1 + kSmoothQuantMaxRise));
    std::printf("base %.3f  RTN W3g128 %.3f  AWQ W3g128 %.3f  SmoothQuant W8A8 %.3f\n", base, rtn, awqPpl, sqPpl);
}
