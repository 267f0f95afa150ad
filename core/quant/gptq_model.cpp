#include "quant/gptq_model.h"

#include <chrono>
#include <stdexcept>

namespace qs {

GptqModelResult gptqQuantizeModel(const LlamaModel& model, const TokenBatch& calibration,
                                  const GptqBlockOptions& options) {
    const ModelConfig& c = model.config();
    if (calibration.sequences() < 1) throw std::invalid_argument("GPTQ: the calibration set is empty");
    if (c.maxPositions > 0 && calibration.longest() > c.maxPositions)
        throw std::invalid_argument("GPTQ: calibration sequences of " + std::to_string(calibration.longest()) +
                                    " tokens exceed the model's " + std::to_string(c.maxPositions) + " positions");
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<float> hidden(static_cast<size_t>(calibration.rows() * c.hiddenSize));
    model.embed(calibration.tokens.data(), calibration.rows(), hidden.data());
    const RopeTable rope = makeRopeTable(model.ropeInverseFrequencies(), calibration.longest());

    GptqModelResult result;
    const int blocks = model.numBlocks();
    for (int b = 0; b < blocks; ++b) {
        GptqBlockOptions blockOptions = options;
        blockOptions.progressBegin = options.progressBegin + (options.progressEnd - options.progressBegin) * b / blocks;
        blockOptions.progressEnd = options.progressBegin + (options.progressEnd - options.progressBegin) * (b + 1) / blocks;
        DecoderBlockWeights weights = model.loadBlock(b);
        std::vector<GptqLayerReport> reports = gptqQuantizeBlock(c, weights, rope, model.ropeLayout(), hidden,
                                                                 calibration.starts, blockOptions);
        result.layers.insert(result.layers.end(), reports.begin(), reports.end());
        result.blocks.push_back(std::move(weights));
    }
    if (options.job) options.job->step(options.progressEnd, "GPTQ done");
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

}  // namespace qs
