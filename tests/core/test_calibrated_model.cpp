// Whole-model quantization block by block on qs-tiny-llama (8 x 256
// calibration tokens of the held-out book, perplexity on 16 windows of 256
// tokens of the same book, base 42.27): AWQ W3 g128 beats RTN W3 g128, and
// SmoothQuant W8A8 stays within a few percent of the float model; progress
// goes block by block.
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "check.h"
#include "eval/perplexity.h"
#include "quant/apply_plan.h"
#include "quant/awq.h"
#include "quant/calibrated_model.h"
#include "quant/smoothquant.h"
#include "tiny_block_inputs.h"

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

}  // namespace

QS_TEST(awq_w3_and_smoothquant_w8a8_perplexity) {
    const test::TinyBlockInputs in(1, 8, 256);
    const auto tokenizer = openTokenizer(test::tinyModelDir() + "/tokenizer.model");
    std::ifstream f(test::sharedDir() + "/data/text/frankenstein-heldout.txt", std::ios::binary);
    std::stringstream text;
    text << f.rdbuf();
    PerplexityOptions po;
    po.ctx = 256;
    po.maxWindows = 16;
    const TokenBatch windows = perplexityWindows(in.model, *tokenizer, text.str(), "book", po);
    const auto ppl = [&](std::function<void(DecoderBlockWeights&)> adjust) {
        PerplexityOptions o = po;
        o.adjustBlock = std::move(adjust);
        return evaluatePerplexity(in.model, windows, o).ppl;
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
        in.model, in.calibration,
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
        in.model, in.calibration, [&](const ModelConfig& c, DecoderBlockWeights& b, const BlockCalibration& calib) {
            smoothQuantBlock(c, b, calib, sqSpec);
        });
    const double sqPpl = ppl(substituteBlocks(sq));
    QS_CHECK(sqPpl < base * (1 + kSmoothQuantMaxRise));
    std::printf("base %.3f  RTN W3g128 %.3f  AWQ W3g128 %.3f  SmoothQuant W8A8 %.3f\n", base, rtn, awqPpl, sqPpl);
}
