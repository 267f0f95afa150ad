// The engine's logits against a deliberately plain float64 LLaMA forward pass
// (float64_llama_reference.h: loops, no engine code, only the checkpoint
// readers supply the weights), on real checkpoints: qs-tiny-llama in F32,
// BF16, F16 (written here from the F32 weights), with Llama-3.1 "llama3"
// rope_scaling, and as a llama2.c file (interleaved RoPE), plus stories260K
// (llama2.c, tied head, GQA 8/4). Measure: max |engine - reference| / max |reference| over each
// sequence's logits.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.h"
#include "float64_llama_reference.h"
#include "formats/checkpoint.h"
#include "model/layer_major.h"
#include "model/llama_model.h"
#include "safetensors_fixture.h"
#include "tensor/dtype.h"

namespace fs = std::filesystem;
using namespace qs;

namespace {

// Tolerances, relative to the largest |logit| of a sequence.
constexpr double kLogitRelTol = 1e-5;          // float32 engine vs float64 reference
constexpr double kLayoutRelTol = 1e-5;         // llama2.c (interleaved) file vs HF F32 file, both in the engine
constexpr double kChunkingRelTol = 1e-6;       // the same sequences chunked differently

std::string tinyDir() { return qs::test::sharedDir() + "/models/qs-tiny-llama"; }

// Real text in qs-tiny-llama's tokenizer (tokenizer.model, no BOS):
// "It was on a dreary night of November that I beheld the accomplishment of my toils."
// "The old man looked at her and said, "I would be as happy to you; I think I must come""
// "Holmes laughed. "My dear Watson, the 3 letters were written in 1887."\nNext"
const std::vector<std::vector<int32_t>> kTinySequences = {
    {565, 326, 328, 261, 1110, 762, 753, 287, 1000, 312, 1979, 705, 320, 294,
     306, 260, 314, 265, 926, 1873, 1787, 710, 287, 377, 281, 387, 1974, 1988},
    {379, 623, 455, 831, 369, 351, 279, 409, 1985, 327, 1991, 461,
     306, 340, 1481, 281, 311, 1998, 294, 637, 294, 622, 634, 1992},
    {1614, 1118, 1984, 552, 1988, 327, 1903, 893, 368, 1008, 284, 1985, 265, 1966, 2040, 677,
     1189, 459, 792, 487, 282, 295, 1966, 2033, 2039, 2039, 2047, 404, 13, 2010, 1967, 1163},
};

// stories260K has no tokenizer here (tok512 is not available): fixed ids below 512, BOS first.
std::vector<std::vector<int32_t>> storiesSequences() {
    std::vector<std::vector<int32_t>> out;
    for (int s = 0; s < 3; ++s) {
        std::vector<int32_t> seq{1};
        for (int i = 1; i < 20 + 4 * s; ++i) seq.push_back(int32_t((i * 37 + s * 101 + 7) % 512));
        out.push_back(seq);
    }
    return out;
}

using qs::test::inverseFrequency;
using qs::test::referenceLogits;
using qs::test::Vec;

// ---- The engine and the comparison -----------------------------------------

// Logits of every row of the batch, [rows * vocab].
std::vector<float> engineLogits(const LlamaModel& model, const TokenBatch& batch, int64_t chunkRows = 4096) {
    const int64_t vocab = model.config().vocabSize;
    std::vector<float> out(static_cast<size_t>(batch.rows() * vocab));
    LayerMajorOptions o;
    o.chunkRows = chunkRows;
    runLayerMajor(model, batch, {},
                  [&](const int64_t* rows, int64_t n, const float* logits) {
                      for (int64_t i = 0; i < n; ++i) std::copy_n(logits + i * vocab, vocab, out.data() + rows[i] * vocab);
                  },
                  o);
    return out;
}

TokenBatch batchOf(const std::vector<std::vector<int32_t>>& sequences) {
    TokenBatch b;
    for (const auto& s : sequences) b.add(s);
    return b;
}

// max |a - b| / max |b| over sequence s's rows.
double sequenceRelError(const TokenBatch& batch, int64_t s, int64_t vocab, const std::vector<float>& a,
                        const std::vector<double>& b) {
    double diff = 0, scale = 0;
    for (int64_t i = batch.starts[size_t(s)] * vocab; i < batch.starts[size_t(s + 1)] * vocab; ++i) {
        diff = std::max(diff, std::fabs(double(a[size_t(i)]) - b[size_t(i)]));
        scale = std::max(scale, std::fabs(b[size_t(i)]));
    }
    return diff / scale;
}

std::vector<double> flatReference(const Checkpoint& ckpt, const std::vector<std::vector<int32_t>>& sequences) {
    std::vector<double> out;
    for (const auto& s : sequences)
        for (const Vec& row : referenceLogits(ckpt, s)) out.insert(out.end(), row.begin(), row.end());
    return out;
}

void checkAgainstReference(const std::string& path, const std::vector<std::vector<int32_t>>& sequences) {
    const auto ckpt = openCheckpoint(path);
    const LlamaModel model(*ckpt);
    const TokenBatch batch = batchOf(sequences);
    const std::vector<float> engine = engineLogits(model, batch);
    const std::vector<double> reference = flatReference(*ckpt, sequences);
    for (int64_t s = 0; s < batch.sequences(); ++s) {
        const double rel = sequenceRelError(batch, s, model.config().vocabSize, engine, reference);
        if (!(rel <= kLogitRelTol)) {
            std::ostringstream msg;
            msg << path << " sequence " << s << ": relative logit error " << rel << " > " << kLogitRelTol;
            qs::test::fail(__FILE__, __LINE__, msg.str());
        }
    }
}

}  // namespace

QS_TEST(tinyLlamaF32MatchesFloat64Reference) { checkAgainstReference(tinyDir() + "/model.f32.safetensors", kTinySequences); }

QS_TEST(tinyLlamaBf16MatchesFloat64Reference) { checkAgainstReference(tinyDir(), kTinySequences); }

QS_TEST(tinyLlamaLlama2cInterleavedMatchesFloat64Reference) {
    checkAgainstReference(tinyDir() + "/model.llama2c.bin", kTinySequences);
}

QS_TEST(stories260KTiedGqaMatchesFloat64Reference) {
    const std::string path = qs::test::sharedDir() + "/models/llama2c/stories260K.bin";
    const auto ckpt = openCheckpoint(path);
    QS_CHECK(ckpt->config.tieWordEmbeddings);
    QS_CHECK_EQ(ckpt->config.numKvHeads * 2, ckpt->config.numHeads);
    checkAgainstReference(path, storiesSequences());
}

// The llama2.c export permutes q/k rows for interleaved RoPE; the engine must
// compute the same function from it as from the HF F32 file.
QS_TEST(llama2cAndHfLayoutsGiveTheSameLogits) {
    const auto hf = openCheckpoint(tinyDir() + "/model.f32.safetensors");
    const auto l2c = openCheckpoint(tinyDir() + "/model.llama2c.bin");
    QS_CHECK(!hf->config.ropeInterleaved);
    QS_CHECK(l2c->config.ropeInterleaved);
    const TokenBatch batch = batchOf(kTinySequences);
    const std::vector<float> a = engineLogits(LlamaModel(*hf), batch);
    const std::vector<float> b = engineLogits(LlamaModel(*l2c), batch);
    const std::vector<double> bd(b.begin(), b.end());
    for (int64_t s = 0; s < batch.sequences(); ++s)
        QS_CHECK(sequenceRelError(batch, s, hf->config.vocabSize, a, bd) <= kLayoutRelTol);
}

// F16 weights: the tiny model's F32 weights rounded to F16 and written as an HF directory.
QS_TEST(f16WeightsMatchFloat64Reference) {
    const auto f32 = openCheckpoint(tinyDir() + "/model.f32.safetensors");
    std::vector<qs::test::FixtureTensor> tensors;
    for (const TensorView& t : f32->tensors()) {
        std::vector<float> v(static_cast<size_t>(t.numel()));
        decodeToFloat(t, 0, t.numel(), v.data());
        qs::test::FixtureTensor f{t.name, "F16", t.shape, std::vector<uint8_t>(v.size() * 2)};
        for (size_t i = 0; i < v.size(); ++i) {
            const uint16_t h = floatToF16(v[i]);
            std::memcpy(f.bytes.data() + 2 * i, &h, 2);
        }
        tensors.push_back(std::move(f));
    }
    const fs::path dir = fs::path(qs::test::tempDir()) / "tiny-f16";
    qs::test::writeFile(dir / "model.safetensors", qs::test::safetensorsBytes(tensors));
    std::ifstream in(tinyDir() + "/config.json");
    nlohmann::json config = nlohmann::json::parse(in);
    config["torch_dtype"] = "float16";
    qs::test::writeFile(dir / "config.json", config.dump());
    QS_CHECK(openCheckpoint(dir.string())->at("model.norm.weight").dtype == DType::F16);
    checkAgainstReference(dir.string(), kTinySequences);
}

// Llama-3.1 rope_scaling on the tiny weights: original context 256 puts the
// head's 16 frequencies in all three bands (kept, blended, divided by 8).
QS_TEST(llama3RopeScalingMatchesFloat64Reference) {
    const fs::path dir = fs::path(qs::test::tempDir()) / "tiny-llama3-rope";
    fs::create_directories(dir);
    fs::create_symlink(tinyDir() + "/model.f32.safetensors", dir / "model.safetensors");
    std::ifstream in(tinyDir() + "/config.json");
    nlohmann::json config = nlohmann::json::parse(in);
    config["rope_scaling"] = {{"rope_type", "llama3"},
                              {"factor", 8.0},
                              {"low_freq_factor", 1.0},
                              {"high_freq_factor", 4.0},
                              {"original_max_position_embeddings", 256}};
    qs::test::writeFile(dir / "config.json", config.dump());
    const auto ckpt = openCheckpoint(dir.string());
    const LlamaModel model(*ckpt);
    const std::vector<double>& inv = model.ropeInverseFrequencies();
    QS_CHECK_EQ(inv.size(), size_t(16));
    QS_CHECK_NEAR(inv[0], 1.0, 1e-15);                               // wavelength 2 pi: kept
    QS_CHECK_NEAR(inv[15], std::pow(10000.0, -30.0 / 32) / 8, 1e-15);  // wavelength 35333 > 256: divided
    for (size_t i = 0; i < inv.size(); ++i) QS_CHECK_NEAR(inv[i], inverseFrequency(ckpt->config, i), 1e-15);
    int blended = 0;
    for (size_t i = 0; i < inv.size(); ++i) {
        const double plain = std::pow(10000.0, -2.0 * double(i) / 32);
        blended += inv[i] < plain * 0.999 && inv[i] > plain / 8 * 1.001;
    }
    QS_CHECK_EQ(blended, 2);  // i = 5, 6: wavelengths 2 pi 10000^(i/16) between 64 and 256
    checkAgainstReference(dir.string(), kTinySequences);
}

// How sequences are grouped into chunks, and which rows reach the head, must
// not change any logit.
QS_TEST(chunkingAndHeadRowsDoNotChangeLogits) {
    const auto ckpt = openCheckpoint(tinyDir() + "/model.f32.safetensors");
    const LlamaModel model(*ckpt);
    const int64_t vocab = model.config().vocabSize;
    const TokenBatch batch = batchOf(kTinySequences);
    const std::vector<float> together = engineLogits(model, batch);
    const std::vector<float> oneByOne = engineLogits(model, batch, 1);
    const std::vector<double> ref(together.begin(), together.end());
    for (int64_t s = 0; s < batch.sequences(); ++s) QS_CHECK(sequenceRelError(batch, s, vocab, oneByOne, ref) <= kChunkingRelTol);

    // A sequence alone gives its logits in the batch.
    const TokenBatch alone = batchOf({kTinySequences[1]});
    const std::vector<float> single = engineLogits(model, alone);
    double diff = 0;
    for (int64_t i = 0; i < alone.rows() * vocab; ++i)
        diff = std::max(diff, std::fabs(double(single[size_t(i)]) - ref[size_t(batch.starts[1] * vocab + i)]));
    QS_CHECK(diff <= kChunkingRelTol * 20);

    // Only rows 3, 30 and 70: the same numbers, in that order, in small logit chunks.
    const std::vector<int64_t> rows{3, 30, 70};
    std::vector<int64_t> seen;
    LayerMajorOptions o;
    o.logitsChunkBytes = vocab * int64_t(sizeof(float)) * 2;
    runLayerMajor(model, batch, rows,
                  [&](const int64_t* r, int64_t n, const float* logits) {
                      QS_CHECK(n <= 2);
                      for (int64_t i = 0; i < n; ++i) {
                          seen.push_back(r[i]);
                          for (int64_t v = 0; v < vocab; v += 97)
                              QS_CHECK_NEAR(logits[i * vocab + v], together[size_t(r[i] * vocab + v)], 1e-5);
                      }
                  },
                  o);
    QS_CHECK(seen == rows);
}
