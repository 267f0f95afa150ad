// The calibration set GPTQ (and AWQ, SmoothQuant) see: `sequences` windows of
// `length` consecutive tokens cut at random offsets from one tokenized text,
// the way GPTQ's datautils.py builds its WikiText-2 and C4 sets (a uniform
// random start per sample, seeded), drawn with std::mt19937_64 so a seed
// gives the same set on every platform.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/model_config.h"
#include "model/token_batch.h"

namespace qs {

class Tokenizer;

struct CalibrationOptions {
    int64_t sequences = 128;  // the GPTQ paper's 128 samples
    int64_t length = 2048;    // tokens each; clipped to the model's max_position_embeddings
    uint64_t seed = 0;
};

// The sequence length actually used: options.length, at most the model's positions.
int64_t calibrationLength(const CalibrationOptions& options, const ModelConfig& config);

// Samples from token ids. Throws FormatError naming `source` and both token
// counts when ids cannot hold one sequence of `length` tokens.
TokenBatch sampleCalibration(const std::vector<int32_t>& ids, int64_t sequences, int64_t length, uint64_t seed,
                             const std::string& source);

// Reads and tokenizes a text file (no BOS, as GPTQ's loaders feed raw text
// through the tokenizer once) and samples from it.
TokenBatch calibrationFromFile(const Tokenizer& tokenizer, const std::string& path, const CalibrationOptions& options,
                               const ModelConfig& config);

}  // namespace qs
