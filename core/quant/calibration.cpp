#include "quant/calibration.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>

#include "formats/format_error.h"
#include "tokenize/tokenizer.h"

namespace qs {

int64_t calibrationLength(const CalibrationOptions& options, const ModelConfig& config) {
    return config.maxPositions > 0 ? std::min(options.length, config.maxPositions) : options.length;
}

TokenBatch sampleCalibration(const std::vector<int32_t>& ids, int64_t sequences, int64_t length, uint64_t seed,
                             const std::string& source) {
    if (sequences < 1 || length < 1)
        throw std::invalid_argument("calibration: sequences and length must be positive");
    const int64_t available = int64_t(ids.size());
    if (available < length)
        throw FormatError(source, "the text has " + std::to_string(available) +
                                      " tokens, too few for one calibration sequence of " + std::to_string(length) +
                                      " tokens");
    std::mt19937_64 rng(seed);
    // Every start from 0 to available - length leaves a whole sequence. The
    // engine's output modulo the count (bias < 2^-40 for any text) rather than
    // std::uniform_int_distribution, whose algorithm differs between standard
    // libraries: a seed names the same set everywhere.
    const uint64_t starts = uint64_t(available - length + 1);
    TokenBatch batch;
    batch.tokens.reserve(static_cast<size_t>(sequences * length));
    for (int64_t s = 0; s < sequences; ++s)
        batch.add(std::span(ids).subspan(static_cast<size_t>(rng() % starts), static_cast<size_t>(length)));
    return batch;
}

TokenBatch calibrationFromFile(const Tokenizer& tokenizer, const std::string& path, const CalibrationOptions& options,
                               const ModelConfig& config) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path, "cannot open the calibration text");
    std::ostringstream text;
    text << in.rdbuf();
    return sampleCalibration(tokenizer.encode(text.str(), false), options.sequences,
                             calibrationLength(options, config), options.seed, path);
}

}  // namespace qs
