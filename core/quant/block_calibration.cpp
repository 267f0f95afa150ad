#include "quant/block_calibration.h"

#include "model/decoder_block.h"
#include "model/default_backend.h"

namespace qs {

InputSite inputSiteOf(Projection p) {
    switch (p) {
    case Projection::Q:
    case Projection::K:
    case Projection::V: return InputSite::Attention;
    case Projection::O: return InputSite::AttentionOutput;
    case Projection::Gate:
    case Projection::Up: return InputSite::Mlp;
    case Projection::Down: break;
    }
    return InputSite::MlpHidden;
}

std::vector<float> runBlock(const ModelConfig& config, const DecoderBlockWeights& weights,
                            const BlockCalibration& calib) {
    std::vector<float> hidden(calib.hidden, calib.hidden + calib.rows() * config.hiddenSize);
    BlockScratch scratch;
    forwardDecoderBlock(config, weights, *calib.rope, calib.layout, hidden.data(), calib.seqStarts.data(),
                        int64_t(calib.seqStarts.size()) - 1, scratch, {}, backendOrCpu(calib.backend));
    return hidden;
}

BlockInputs captureBlockInputs(const ModelConfig& config, const DecoderBlockWeights& weights,
                               const BlockCalibration& calib) {
    BlockInputs inputs;
    std::vector<float> hidden(calib.hidden, calib.hidden + calib.rows() * config.hiddenSize);
    BlockScratch scratch;
    // q/k/v (and gate/up) are observed with the same pointer: keep the first.
    const LinearInputObserver keep = [&](Projection p, const float* x, int64_t rows, int64_t cols) {
        SiteInput& site = inputs[size_t(inputSiteOf(p))];
        if (!site.x.empty()) return;
        site.rows = rows;
        site.cols = cols;
        site.x.assign(x, x + rows * cols);
    };
    forwardDecoderBlock(config, weights, *calib.rope, calib.layout, hidden.data(), calib.seqStarts.data(),
                        int64_t(calib.seqStarts.size()) - 1, scratch, keep, backendOrCpu(calib.backend));
    return inputs;
}

}  // namespace qs
