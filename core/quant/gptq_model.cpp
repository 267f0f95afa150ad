#include "quant/gptq_model.h"

#include "quant/calibrated_model.h"

namespace qs {

GptqModelResult gptqQuantizeModel(const LlamaModel& model, const TokenBatch& calibration,
                                  const GptqBlockOptions& options) {
    GptqModelResult result;
    const int blocks = model.numBlocks();
    const double span = options.progressEnd - options.progressBegin;
    // The layer-major loop is quantizeModelByBlock's; progress comes from each
    // block's stages, scaled into the block's share of the range.
    CalibratedModel quantized = quantizeModelByBlock(
        model, calibration, [&](const ModelConfig& c, DecoderBlockWeights& weights, const BlockCalibration& calib) {
            GptqBlockOptions o = options;
            o.progressBegin = options.progressBegin + span * weights.block / blocks;
            o.progressEnd = options.progressBegin + span * (weights.block + 1) / blocks;
            std::vector<float> hidden(calib.hidden, calib.hidden + calib.rows() * c.hiddenSize);
            const std::vector<GptqLayerReport> reports =
                gptqQuantizeBlock(c, weights, *calib.rope, calib.layout, hidden, calib.seqStarts, o);
            result.layers.insert(result.layers.end(), reports.begin(), reports.end());
        });
    if (options.job) options.job->step(options.progressEnd, "GPTQ done");
    result.blocks = std::move(quantized.blocks);
    result.seconds = quantized.seconds;
    return result;
}

}  // namespace qs
