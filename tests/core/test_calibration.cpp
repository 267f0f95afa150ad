// Calibration sampling: reproducible per seed, whole windows of the text,
// clipped to the model's positions, and a clear error for a too-short text.
#include <algorithm>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "check.h"
#include "formats/checkpoint.h"
#include "quant/calibration.h"
#include "tokenize/tokenizer.h"

using namespace qs;

QS_TEST(same_seed_same_set_and_whole_windows) {
    std::vector<int32_t> ids(1000);
    std::iota(ids.begin(), ids.end(), 0);
    const TokenBatch a = sampleCalibration(ids, 6, 100, 7, "ids");
    const TokenBatch b = sampleCalibration(ids, 6, 100, 7, "ids");
    const TokenBatch c = sampleCalibration(ids, 6, 100, 8, "ids");
    QS_CHECK(a.tokens == b.tokens);
    QS_CHECK(a.tokens != c.tokens);
    QS_CHECK_EQ(a.sequences(), 6);
    for (int64_t s = 0; s < a.sequences(); ++s) {
        QS_CHECK_EQ(a.length(s), 100);
        const int32_t first = a.tokens[size_t(a.starts[size_t(s)])];
        QS_CHECK(first >= 0 && first <= 900);
        for (int64_t k = 1; k < 100; ++k) QS_CHECK_EQ(a.tokens[size_t(a.starts[size_t(s)] + k)], first + int32_t(k));
    }
    // Starts spread over the text rather than piling up at one place.
    std::vector<int32_t> firsts;
    for (int64_t s = 0; s < a.sequences(); ++s) firsts.push_back(a.tokens[size_t(a.starts[size_t(s)])]);
    QS_CHECK(*std::max_element(firsts.begin(), firsts.end()) - *std::min_element(firsts.begin(), firsts.end()) > 100);
}

QS_TEST(text_of_exactly_one_window) {
    std::vector<int32_t> ids(50);
    std::iota(ids.begin(), ids.end(), 3);
    const TokenBatch a = sampleCalibration(ids, 3, 50, 1, "ids");
    for (int64_t s = 0; s < 3; ++s) QS_CHECK(std::equal(ids.begin(), ids.end(), a.tokens.begin() + s * 50));
}

QS_TEST(too_short_text_names_source_and_counts) {
    const std::vector<int32_t> ids(49, 1);
    QS_CHECK_THROWS_WITH(sampleCalibration(ids, 2, 50, 0, "short.txt"),
                         "short.txt: the text has 49 tokens, too few for one calibration sequence of 50 tokens");
    QS_CHECK_THROWS_WITH(sampleCalibration(ids, 0, 10, 0, "x"), "must be positive");
}

QS_TEST(from_file_with_the_model_tokenizer) {
    const std::string dir = qs::test::sharedDir() + "/models/qs-tiny-llama";
    const std::string text = qs::test::sharedDir() + "/data/text/frankenstein-heldout.txt";
    const auto ckpt = openCheckpoint(dir + "/model.safetensors");
    const auto tokenizer = openTokenizer(dir + "/tokenizer.model");
    CalibrationOptions o;
    o.sequences = 4;  // length 2048 is clipped to the model's 512 positions
    const TokenBatch batch = calibrationFromFile(*tokenizer, text, o, ckpt->config);
    QS_CHECK_EQ(batch.sequences(), 4);
    QS_CHECK_EQ(batch.longest(), 512);
    std::ifstream in(text, std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    const std::vector<int32_t> ids = tokenizer->encode(all.str(), false);
    for (int64_t s = 0; s < 4; ++s) {
        const auto first = batch.tokens.begin() + batch.starts[size_t(s)];
        QS_CHECK(std::search(ids.begin(), ids.end(), first, first + 512) != ids.end());
    }

    const std::string tiny = qs::test::tempDir() + "/tiny.txt";
    std::ofstream(tiny) << "It was a dark and stormy night.";
    QS_CHECK_THROWS_WITH(calibrationFromFile(*tokenizer, tiny, o, ckpt->config), tiny + ": the text has ");
    QS_CHECK_THROWS_WITH(calibrationFromFile(*tokenizer, tiny, o, ckpt->config), "sequence of 512 tokens");
    QS_CHECK_THROWS_WITH(calibrationFromFile(*tokenizer, tiny + ".missing", o, ckpt->config), "cannot open");
}
