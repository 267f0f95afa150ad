#include "quant/calibrated_model.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include "model/block_prefetch.h"

namespace qs {

CalibratedModel quantizeModelByBlock(const LlamaModel& model, const TokenBatch& calibration,
                                     const BlockQuantizer& quantize, const JobControl* job,
                                     const KernelBackend* backend) {
    const ModelConfig& c = model.config();
    if (calibration.sequences() < 1) throw std::invalid_argument("calibration: the calibration set is empty");
    if (c.maxPositions > 0 && calibration.longest() > c.maxPositions)
        throw std::invalid_argument("calibration: sequences of " + std::to_string(calibration.longest()) +
                                    " tokens exceed the model's " + std::to_string(c.maxPositions) + " positions");
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<float> hidden(static_cast<size_t>(calibration.rows() * c.hiddenSize));
    model.embed(calibration.tokens.data(), calibration.rows(), hidden.data());
    const RopeTable rope = makeRopeTable(model.ropeInverseFrequencies(), calibration.longest());

    CalibratedModel result;
    const int blocks = model.numBlocks();
    BlockPrefetcher loads(model, 0, blocks);
    for (int b = 0; b < blocks; ++b) {
        if (job) job->step(double(b) / blocks, "block " + std::to_string(b));
        DecoderBlockWeights weights = loads.next();
        const BlockCalibration calib{hidden.data(), calibration.starts, &rope, model.ropeLayout(), backend};
        quantize(c, weights, calib);
        hidden = runBlock(c, weights, calib);
        result.blocks.push_back(std::move(weights));
    }
    if (job) job->step(1.0, "calibrated");
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

std::function<void(DecoderBlockWeights&)> substituteBlocks(const CalibratedModel& model) {
    return [&model](DecoderBlockWeights& block) { block = model.blocks.at(size_t(block.block)); };
}

}  // namespace qs
