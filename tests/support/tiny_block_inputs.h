// Calibration inputs of qs-tiny-llama's first blocks, shared by the tests of
// the smoothing and scaling methods: `sequences` x `length` tokens sampled
// from the held-out book, block 0's inputs from the embedding and block b+1's
// from the float block b.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "check.h"
#include "formats/checkpoint.h"
#include "model/llama_model.h"
#include "quant/block_calibration.h"
#include "quant/calibration.h"
#include "tokenize/tokenizer.h"

namespace qs::test {

struct TinyBlockInputs {
    std::unique_ptr<Checkpoint> checkpoint = openCheckpoint(tinyModelDir() + "/model.safetensors");
    LlamaModel model{*checkpoint};
    TokenBatch calibration;
    RopeTable rope;
    std::vector<std::vector<float>> hidden;  // inputs of blocks 0 .. blocks-1

    TinyBlockInputs(int blocks, int64_t sequences, int64_t length) {
        const auto tokenizer = openTokenizer(tinyModelDir() + "/tokenizer.model");
        CalibrationOptions o;
        o.sequences = sequences;
        o.length = length;
        calibration = calibrationFromFile(*tokenizer, sharedDir() + "/data/text/frankenstein-heldout.txt", o,
                                          model.config());
        rope = makeRopeTable(model.ropeInverseFrequencies(), calibration.longest());
        hidden.emplace_back(static_cast<size_t>(calibration.rows() * model.config().hiddenSize));
        model.embed(calibration.tokens.data(), calibration.rows(), hidden.back().data());
        for (int b = 0; b + 1 < blocks; ++b)
            hidden.push_back(runBlock(model.config(), model.loadBlock(b), calib(b)));
    }

    BlockCalibration calib(int block) const {
        return {hidden[size_t(block)].data(), calibration.starts, &rope, model.ropeLayout()};
    }
};

}  // namespace qs::test
