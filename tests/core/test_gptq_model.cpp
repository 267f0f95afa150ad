// True-sequential GPTQ over qs-tiny-llama (4 blocks, 28 linear layers) on 16
// calibration windows of 256 tokens from the held-out book: on every layer
// GPTQ's output error on its calibration inputs is below RTN's at the same
// spec; the reported error equals ||X Wᵀ - X Qᵀ||² / ||X Wᵀ||² computed from
// the captured inputs; progress and Cancel work.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "check.h"
#include "cpu/fake_quant.h"
#include "formats/checkpoint.h"
#include "model/decoder_block.h"
#include "quant/calibration.h"
#include "quant/gptq_model.h"
#include "quant/output_error.h"
#include "tokenize/tokenizer.h"

using namespace qs;

namespace {

constexpr double kReportedErrorRelTol = 1e-4;  // float32 Hessian slabs vs float64 outputs

std::string tinyDir() { return qs::test::sharedDir() + "/models/qs-tiny-llama"; }

TokenBatch calibration(const ModelConfig& config) {
    const auto tokenizer = openTokenizer(tinyDir() + "/tokenizer.model");
    CalibrationOptions o;
    o.sequences = 16;
    o.length = 256;
    return calibrationFromFile(*tokenizer, qs::test::sharedDir() + "/data/text/frankenstein-heldout.txt", o, config);
}

// Runs GPTQ at `spec` and checks every layer's error against RTN's (the
// project's fakeQuantizeIntRows on the same grid) under the same Hessian.
void checkBeatsRtn(const LlamaModel& model, const TokenBatch& calib, const GptqOptions& spec, const char* label) {
    std::map<int, DecoderBlockWeights> original;
    int layers = 0, better = 0;
    GptqBlockOptions o;
    o.quant = spec;
    o.onLayer = [&](const GptqLayerReport& report, const GptqResult&, const std::vector<double>& h) {
        if (!original.count(report.block)) original[report.block] = model.loadBlock(report.block);
        const LinearWeights& w = original[report.block][report.projection];
        std::vector<float> rtn = w.w;
        fakeQuantizeIntRows(rtn.data(), w.outFeatures, w.inFeatures, spec.groupSize == 0 ? w.inFeatures : spec.groupSize,
                            spec.bits, spec.symmetric);
        const double rtnError = relativeOutputError(w, rtn, h);
        ++layers;
        if (report.relativeError < rtnError && report.relativeError > 0)
            ++better;
        else
            qs::test::fail(__FILE__, __LINE__,
                           std::string(label) + " " + report.name + ": GPTQ " + std::to_string(report.relativeError) +
                               " not below RTN " + std::to_string(rtnError));
    };
    const GptqModelResult r = gptqQuantizeModel(model, calib, o);
    QS_CHECK_EQ(layers, 28);
    QS_CHECK_EQ(better, 28);
    QS_CHECK_EQ(int(r.blocks.size()), 4);
    QS_CHECK_EQ(int(r.layers.size()), 28);
}

}  // namespace

QS_TEST(gptq_beats_rtn_on_every_layer) {
    const auto ckpt = openCheckpoint(tinyDir() + "/model.safetensors");
    const LlamaModel model(*ckpt);
    const TokenBatch calib = calibration(model.config());
    GptqOptions w4;
    checkBeatsRtn(model, calib, w4, "W4 per-channel");
    GptqOptions w3g128;
    w3g128.bits = 3;
    w3g128.groupSize = 128;
    checkBeatsRtn(model, calib, w3g128, "W3 g128");
    GptqOptions w4g128act;
    w4g128act.groupSize = 128;
    w4g128act.actOrder = true;
    checkBeatsRtn(model, calib, w4g128act, "W4 g128 act-order");
}

// The reported error of block 0's q_proj and gate_proj recomputed from the
// inputs themselves: gate's input is captured with q, k, v, o quantized.
QS_TEST(reported_error_is_output_error_on_captured_inputs) {
    const auto ckpt = openCheckpoint(tinyDir() + "/model.safetensors");
    const LlamaModel model(*ckpt);
    const ModelConfig& c = model.config();
    const TokenBatch calib = calibration(c);
    GptqBlockOptions o;
    o.quant.bits = 3;
    std::vector<float> hidden(static_cast<size_t>(calib.rows() * c.hiddenSize));
    model.embed(calib.tokens.data(), calib.rows(), hidden.data());
    const std::vector<float> input = hidden;
    const RopeTable rope = makeRopeTable(model.ropeInverseFrequencies(), calib.longest());
    const DecoderBlockWeights original = model.loadBlock(0);
    DecoderBlockWeights quantized = original;
    const std::vector<GptqLayerReport> reports =
        gptqQuantizeBlock(c, quantized, rope, model.ropeLayout(), hidden, calib.starts, o);
    QS_CHECK_EQ(int(reports.size()), 7);

    for (const Projection p : {Projection::Q, Projection::Gate}) {
        // Gate sees the attention output of quantized q, k, v, o.
        DecoderBlockWeights mixed = original;
        if (p == Projection::Gate)
            for (const Projection e : {Projection::Q, Projection::K, Projection::V, Projection::O}) mixed[e] = quantized[e];
        std::vector<float> captured;
        std::vector<float> h = input;
        BlockScratch scratch;
        forwardDecoderBlock(c, mixed, rope, model.ropeLayout(), h.data(), calib.starts.data(), calib.sequences(), scratch,
                            [&](Projection q, const float* x, int64_t rows, int64_t cols) {
                                if (q == p) captured.assign(x, x + rows * cols);
                            });
        using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        const LinearWeights& w = original[p];
        const Eigen::MatrixXd x = Eigen::Map<const RowMajorF>(captured.data(), calib.rows(), w.inFeatures).cast<double>();
        const Eigen::MatrixXd wd = Eigen::Map<const RowMajorF>(w.w.data(), w.outFeatures, w.inFeatures).cast<double>();
        const Eigen::MatrixXd qd =
            Eigen::Map<const RowMajorF>(quantized[p].w.data(), w.outFeatures, w.inFeatures).cast<double>();
        const double expected = (x * (wd - qd).transpose()).squaredNorm() / (x * wd.transpose()).squaredNorm();
        const double reported = reports[size_t(p == Projection::Q ? 0 : 4)].relativeError;
        QS_CHECK_NEAR(reported, expected, kReportedErrorRelTol * expected);
        QS_CHECK(expected > 1e-4 && expected < 0.5);
    }
    // The block's outputs are the quantized block's forward pass over the inputs.
    std::vector<float> expectedOut = input;
    BlockScratch scratch;
    forwardDecoderBlock(c, quantized, rope, model.ropeLayout(), expectedOut.data(), calib.starts.data(), calib.sequences(),
                        scratch);
    double maxDiff = 0;
    for (size_t i = 0; i < hidden.size(); ++i) maxDiff = std::max(maxDiff, double(std::fabs(hidden[i] - expectedOut[i])));
    QS_CHECK(maxDiff < 1e-4);
}

QS_TEST(progress_and_cancel) {
    const auto ckpt = openCheckpoint(tinyDir() + "/model.safetensors");
    const LlamaModel model(*ckpt);
    TokenBatch calib = calibration(model.config());
    calib = sampleCalibration(calib.tokens, 2, 64, 0, "calibration");
    std::vector<double> fractions;
    JobControl job([&](double f, const std::string&) { fractions.push_back(f); });
    GptqBlockOptions o;
    o.job = &job;
    gptqQuantizeModel(model, calib, o);
    QS_CHECK(fractions.size() >= 4 * 5);
    QS_CHECK(std::is_sorted(fractions.begin(), fractions.end()));
    QS_CHECK_EQ(fractions.back(), 1.0);

    // Cancel asked during block 1: the next stage boundary stops the work.
    JobControl cancelling([&](double f, const std::string&) {
        QS_CHECK(f < 0.5);
        if (f >= 0.25) cancelling.requestCancel();
    });
    o.job = &cancelling;
    QS_CHECK_THROWS_WITH(gptqQuantizeModel(model, calib, o), "cancelled");
}
