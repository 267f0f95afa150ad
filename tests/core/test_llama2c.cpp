// llama2.c checkpoints (legacy, version 1, version 2) and tokenizer.bin:
// the real files in shared/, small versioned fixtures written here the way
// karpathy/llama2.c export.py writes them, and one case per kind of bad input.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "check.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "formats/tensor_names.h"
#include "tokenize/llama2c_vocab.h"

using namespace qs;
namespace fs = std::filesystem;

namespace {

std::string sharedFile(const std::string& rel) { return qs::test::sharedDir() + "/" + rel; }
const std::string kTinyBin = "models/qs-tiny-llama/model.llama2c.bin";
const std::string kStories = "models/llama2c/stories260K.bin";
constexpr int64_t kStoriesBytes = 1056540;  // MANIFEST.md

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string writeTemp(const std::string& name, const std::string& bytes) {
    const std::string path = (fs::path(qs::test::tempDir()) / name).string();
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
}

std::string withI32(std::string bytes, size_t offset, int32_t v) {
    return bytes.replace(offset, 4, reinterpret_cast<const char*>(&v), 4);
}

std::vector<float> decodeAll(const TensorView& t) {
    std::vector<float> out(size_t(t.numel()));
    decodeToFloat(t, 0, t.numel(), out.data());
    return out;
}

// Index of the first element that differs bit for bit, -1 when none does.
int64_t firstMismatch(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return -2;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], 4) != 0) return int64_t(i);
    return -1;
}

bool insideMapping(const Checkpoint& c, const std::byte* p, int64_t n) {
    const MappedFile& f = *c.files().front();
    return p >= f.data() && p + n <= f.data() + f.size();
}

// --- versioned fixtures, written as export.py version1_export / version2_export do ---

struct TinyModel {
    int32_t dim = 16, hidden = 24, layers = 2, heads = 4, kvHeads = 2, vocab = 20, seqLen = 8;
    bool shared = false;
    int32_t groupSize = 8;  // version 2
};

struct ExpectedTensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;  // what decodeToFloat must give
    bool quantized = false;
};

struct ByteWriter {
    std::string bytes;
    template <typename T>
    void put(T v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof(T)); }
};

// Distinct values per tensor, both signs, several magnitudes.
std::vector<float> fixtureValues(int tensorIndex, int64_t n) {
    std::vector<float> v(size_t(n), 0.0f);
    for (int64_t i = 0; i < n; ++i) v[size_t(i)] = float(std::sin(0.37 * double(i) + 1.3 * tensorIndex) * (1.0 + 0.25 * double(i % 7)));
    return v;
}

std::string layerName(int l, const char* suffix) { return "model.layers." + std::to_string(l) + "." + suffix; }

std::string writeVersioned(const TinyModel& m, int version, std::vector<ExpectedTensor>& expected) {
    ByteWriter w;
    w.put(uint32_t(0x616b3432));
    w.put(int32_t(version));
    for (int32_t v : {m.dim, m.hidden, m.layers, m.heads, m.kvHeads, m.vocab, m.seqLen}) w.put(v);
    w.put(uint8_t(m.shared));
    if (version == 2) w.put(m.groupSize);
    w.bytes.resize(256, '\0');

    int index = 0;
    auto vector = [&](const std::string& name) {
        auto vals = fixtureValues(index++, m.dim);
        for (float x : vals) w.put(x);
        expected.push_back({name, {m.dim}, vals});
    };
    // Version 2 writes each matrix's int8 values, then its per-group scales (runq.c init_quantized_tensors).
    auto matrix = [&](const std::string& name, int64_t rows, int64_t cols) {
        auto vals = fixtureValues(index++, rows * cols);
        if (version == 1) {
            for (float x : vals) w.put(x);
            expected.push_back({name, {rows, cols}, vals});
            return;
        }
        std::vector<float> scales, dequant;
        for (size_t g = 0; g < vals.size(); g += size_t(m.groupSize)) {
            float amax = 0.0f;
            for (size_t i = g; i < g + size_t(m.groupSize); ++i) amax = std::max(amax, std::fabs(vals[i]));
            const float scale = amax / 127.0f;
            scales.push_back(scale);
            for (size_t i = g; i < g + size_t(m.groupSize); ++i) {
                const auto q = int8_t(std::nearbyint(vals[i] / scale));
                w.put(q);
                dequant.push_back(float(q) * scale);
            }
        }
        for (float s : scales) w.put(s);
        expected.push_back({name, {rows, cols}, dequant, true});
    };
    const int64_t hs = m.dim / m.heads;
    for (int l = 0; l < m.layers; ++l) vector(layerName(l, "input_layernorm.weight"));
    for (int l = 0; l < m.layers; ++l) vector(layerName(l, "post_attention_layernorm.weight"));
    vector("model.norm.weight");
    matrix("model.embed_tokens.weight", m.vocab, m.dim);
    for (int l = 0; l < m.layers; ++l) matrix(layerName(l, "self_attn.q_proj.weight"), m.heads * hs, m.dim);
    for (int l = 0; l < m.layers; ++l) matrix(layerName(l, "self_attn.k_proj.weight"), m.kvHeads * hs, m.dim);
    for (int l = 0; l < m.layers; ++l) matrix(layerName(l, "self_attn.v_proj.weight"), m.kvHeads * hs, m.dim);
    for (int l = 0; l < m.layers; ++l) matrix(layerName(l, "self_attn.o_proj.weight"), m.dim, m.heads * hs);
    for (int l = 0; l < m.layers; ++l) matrix(layerName(l, "mlp.gate_proj.weight"), m.hidden, m.dim);  // w1
    for (int l = 0; l < m.layers; ++l) matrix(layerName(l, "mlp.down_proj.weight"), m.dim, m.hidden);  // w2
    for (int l = 0; l < m.layers; ++l) matrix(layerName(l, "mlp.up_proj.weight"), m.hidden, m.dim);    // w3
    if (!m.shared) matrix("lm_head.weight", m.vocab, m.dim);
    return w.bytes;
}

std::string versionedFixture(int version, bool shared = false) {
    TinyModel m;
    m.shared = shared;
    std::vector<ExpectedTensor> unused;
    return writeVersioned(m, version, unused);
}

void checkVersionedFixture(int version, bool shared) {
    TinyModel m;
    m.shared = shared;
    std::vector<ExpectedTensor> expected;
    const std::string path = writeTemp("v" + std::to_string(version) + (shared ? "s" : "u") + ".bin",
                                       writeVersioned(m, version, expected));
    const auto ck = openLlama2c(path);
    const ModelConfig& c = ck->config;
    QS_CHECK_EQ(c.hiddenSize, m.dim);
    QS_CHECK_EQ(c.intermediateSize, m.hidden);
    QS_CHECK_EQ(c.numLayers, m.layers);
    QS_CHECK_EQ(c.numHeads, m.heads);
    QS_CHECK_EQ(c.numKvHeads, m.kvHeads);
    QS_CHECK_EQ(c.headDim, m.dim / m.heads);
    QS_CHECK_EQ(c.vocabSize, m.vocab);
    QS_CHECK_EQ(c.maxPositions, m.seqLen);
    QS_CHECK_EQ(c.tieWordEmbeddings, shared);
    QS_CHECK(c.ropeInterleaved);
    QS_CHECK_EQ(ck->metadata.at("llama2c.version"), std::to_string(version));
    if (version == 2) QS_CHECK_EQ(ck->metadata.at("llama2c.group_size"), std::to_string(m.groupSize));
    QS_CHECK_EQ(ck->tensors().size(), expected.size());
    QS_CHECK_EQ(ck->find("lm_head.weight") != nullptr, !shared);
    for (const ExpectedTensor& e : expected) {
        const TensorView* t = ck->find(e.name);
        QS_CHECK(t != nullptr);
        if (!t) continue;
        QS_CHECK(t->shape == e.shape);
        QS_CHECK(t->dtype == (e.quantized ? DType::I8 : DType::F32));
        QS_CHECK_EQ(t->groupSize, e.quantized ? int64_t(m.groupSize) : 0);
        QS_CHECK(insideMapping(*ck, t->data, t->nbytes));
        if (e.quantized) QS_CHECK(insideMapping(*ck, t->scales, t->numel() / t->groupSize * 4));
        QS_CHECK_EQ(firstMismatch(decodeAll(*t), e.values), -1);
        if (e.shape.size() == 2) {  // whole rows from the middle, as the layer-major code reads them
            std::vector<float> rows(size_t(2 * t->cols()));
            decodeRows(*t, 1, 2, rows.data());
            const auto from = e.values.begin() + t->cols();
            QS_CHECK_EQ(firstMismatch(rows, std::vector<float>(from, from + 2 * t->cols())), -1);
        }
    }
}

}  // namespace

// --- qs-tiny-llama: the same trained weights as model.f32.safetensors ---

QS_TEST(tinyLlamaConfigMatchesHfConfig) {
    const auto bin = openCheckpoint(sharedFile(kTinyBin));
    const auto hf = openCheckpoint(sharedFile("models/qs-tiny-llama/model.f32.safetensors"));
    const ModelConfig& c = bin->config;
    const ModelConfig& h = hf->config;
    QS_CHECK(bin->format == CheckpointFormat::Llama2c);
    QS_CHECK_EQ(c.hiddenSize, 256);
    QS_CHECK_EQ(c.intermediateSize, 512);
    QS_CHECK_EQ(c.numLayers, 4);
    QS_CHECK_EQ(c.numHeads, 8);
    QS_CHECK_EQ(c.numKvHeads, 2);
    QS_CHECK_EQ(c.vocabSize, 2048);
    QS_CHECK_EQ(c.maxPositions, 512);
    QS_CHECK_EQ(c.hiddenSize, h.hiddenSize);
    QS_CHECK_EQ(c.intermediateSize, h.intermediateSize);
    QS_CHECK_EQ(c.numLayers, h.numLayers);
    QS_CHECK_EQ(c.numHeads, h.numHeads);
    QS_CHECK_EQ(c.numKvHeads, h.numKvHeads);
    QS_CHECK_EQ(c.headDim, h.headDim);
    QS_CHECK_EQ(c.vocabSize, h.vocabSize);
    QS_CHECK_EQ(c.maxPositions, h.maxPositions);
    QS_CHECK_EQ(c.rmsNormEps, h.rmsNormEps);
    QS_CHECK_EQ(c.ropeTheta, h.ropeTheta);
    QS_CHECK_EQ(c.tieWordEmbeddings, h.tieWordEmbeddings);  // vocab_size -2048: unshared
    QS_CHECK(c.ropeInterleaved && !h.ropeInterleaved);
    QS_CHECK_EQ(c.torchDtype, "float32");
    QS_CHECK_EQ(bin->metadata.at("llama2c.version"), "0");
    QS_CHECK_EQ(bin->tokenizerPath, sharedFile("models/qs-tiny-llama/tokenizer.bin"));
}

QS_TEST(tinyLlamaTensorsEqualF32SafetensorsUpToRopePermutation) {
    const auto bin = openCheckpoint(sharedFile(kTinyBin));
    const auto hf = openCheckpoint(sharedFile("models/qs-tiny-llama/model.f32.safetensors"));
    QS_CHECK_EQ(bin->tensors().size(), hf->tensors().size());
    int permuted = 0;
    for (const TensorView& ref : hf->tensors()) {
        const TensorView* t = bin->find(ref.name);
        QS_CHECK(t != nullptr);
        if (!t) continue;
        QS_CHECK(t->dtype == DType::F32 && ref.dtype == DType::F32);
        QS_CHECK(t->shape == ref.shape);
        QS_CHECK_EQ(t->nbytes, ref.nbytes);
        if (t->shape != ref.shape) continue;
        const auto lin = parseLinearName(ref.name);
        if (!lin || lin->projection > 1) {
            QS_CHECK(std::memcmp(t->data, ref.data, size_t(ref.nbytes)) == 0);
            continue;
        }
        // HF's Meta->HF permute w.view(heads, hs/2, 2, in).transpose(1, 2) moves
        // Meta row h*hs + 2i + j to h*hs + j*hs/2 + i; llama2.c keeps Meta's rows.
        ++permuted;
        const int64_t hs = bin->config.headDim, heads = t->rows() / hs, rowBytes = t->cols() * 4;
        int mismatched = 0;
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t i = 0; i < hs / 2; ++i)
                for (int64_t j = 0; j < 2; ++j)
                    mismatched += std::memcmp(t->data + (h * hs + 2 * i + j) * rowBytes,
                                              ref.data + (h * hs + j * hs / 2 + i) * rowBytes, size_t(rowBytes)) != 0;
        QS_CHECK_EQ(mismatched, 0);
        QS_CHECK(std::memcmp(t->data, ref.data, size_t(ref.nbytes)) != 0);  // the permutation is not a no-op
    }
    QS_CHECK_EQ(permuted, 2 * 4);
}

// --- stories260K: legacy, shared classifier ---

QS_TEST(stories260KConfigAndTiedClassifier) {
    const auto ck = openCheckpoint(sharedFile(kStories));
    const ModelConfig& c = ck->config;
    QS_CHECK_EQ(c.hiddenSize, 64);
    QS_CHECK_EQ(c.intermediateSize, 172);
    QS_CHECK_EQ(c.numLayers, 5);
    QS_CHECK_EQ(c.numHeads, 8);
    QS_CHECK_EQ(c.numKvHeads, 4);
    QS_CHECK_EQ(c.headDim, 8);
    QS_CHECK_EQ(c.vocabSize, 512);
    QS_CHECK_EQ(c.maxPositions, 512);
    QS_CHECK_EQ(c.rmsNormEps, 1e-5);
    QS_CHECK(c.tieWordEmbeddings);
    QS_CHECK(ck->find("lm_head.weight") == nullptr);
    QS_CHECK_EQ(ck->tensors().size(), size_t(2 + 9 * 5));
    // The 32000-token Llama-2 tokenizer.bin sits beside it; matching is the tokenizer layer's job.
    QS_CHECK_EQ(ck->tokenizerPath, sharedFile("models/llama2c/tokenizer.bin"));
    const std::pair<const char*, std::vector<int64_t>> shapes[] = {
        {"model.embed_tokens.weight", {512, 64}},
        {"model.layers.4.self_attn.q_proj.weight", {64, 64}},
        {"model.layers.4.self_attn.k_proj.weight", {32, 64}},
        {"model.layers.4.self_attn.v_proj.weight", {32, 64}},
        {"model.layers.4.self_attn.o_proj.weight", {64, 64}},
        {"model.layers.4.mlp.gate_proj.weight", {172, 64}},
        {"model.layers.4.mlp.up_proj.weight", {172, 64}},
        {"model.layers.4.mlp.down_proj.weight", {64, 172}},
        {"model.layers.0.input_layernorm.weight", {64}},
        {"model.norm.weight", {64}},
    };
    for (const auto& [name, shape] : shapes) QS_CHECK(ck->at(name).shape == shape);
}

QS_TEST(stories260KValuesMatchRawBytes) {
    const std::string raw = readBytes(sharedFile(kStories));
    QS_CHECK_EQ(int64_t(raw.size()), kStoriesBytes);
    // Float offsets after the 7-int32 header, in run.c's order.
    const int64_t V = 512, D = 64, L = 5, H = 172, KV = 32, S = 512, HS = 8;
    const int64_t embed = 7, rmsAtt = embed + V * D, wq = rmsAtt + L * D, wk = wq + L * D * D, wv = wk + L * KV * D,
                  wo = wv + L * KV * D, rmsFfn = wo + L * D * D, w1 = rmsFfn + L * D, w2 = w1 + L * H * D,
                  w3 = w2 + L * D * H, rmsFinal = w3 + L * H * D, freqReal = rmsFinal + D, freqImag = freqReal + S * HS / 2;
    QS_CHECK_EQ((freqImag + S * HS / 2) * 4, kStoriesBytes);  // shared classifier: nothing after the RoPE tables
    auto rawAt = [&](int64_t floatIndex) {
        float f;
        std::memcpy(&f, raw.data() + floatIndex * 4, 4);
        return f;
    };
    // The offsets are right if the skipped tables hold cos/sin(pos * theta_0) = (1, 0) at pos 0 and (cos 1, sin 1) at pos 1.
    QS_CHECK_EQ(rawAt(freqReal), 1.0f);
    QS_CHECK_EQ(rawAt(freqImag), 0.0f);
    QS_CHECK_NEAR(rawAt(freqReal + HS / 2), std::cos(1.0), 1e-6);
    QS_CHECK_NEAR(rawAt(freqImag + HS / 2), std::sin(1.0), 1e-6);

    const auto ck = openLlama2c(sharedFile(kStories));
    const struct {
        const char* name;
        int64_t element, floatIndex;
    } spots[] = {
        {"model.embed_tokens.weight", 0, embed},
        {"model.embed_tokens.weight", 300 * D + 17, embed + 300 * D + 17},
        {"model.layers.0.input_layernorm.weight", 5, rmsAtt + 5},
        {"model.layers.2.self_attn.q_proj.weight", 3 * D + 5, wq + 2 * D * D + 3 * D + 5},
        {"model.layers.4.self_attn.k_proj.weight", 31 * D + 63, wk + 4 * KV * D + 31 * D + 63},
        {"model.layers.1.self_attn.v_proj.weight", 7, wv + KV * D + 7},
        {"model.layers.3.self_attn.o_proj.weight", 100, wo + 3 * D * D + 100},
        {"model.layers.4.post_attention_layernorm.weight", 63, rmsFfn + 4 * D + 63},
        {"model.layers.1.mlp.gate_proj.weight", 171 * D, w1 + H * D + 171 * D},
        {"model.layers.2.mlp.down_proj.weight", 63 * H + 171, w2 + 2 * D * H + 63 * H + 171},
        {"model.layers.4.mlp.up_proj.weight", H * D - 1, w3 + 4 * H * D + H * D - 1},
        {"model.norm.weight", 63, rmsFinal + 63},
    };
    for (const auto& s : spots) {
        float got = NAN;
        decodeToFloat(ck->at(s.name), s.element, 1, &got);
        QS_CHECK_EQ(got, rawAt(s.floatIndex));
        QS_CHECK(got != 0.0f);
    }
}

// --- tokenizer.bin ---

QS_TEST(llama2TokenizerBinVocabulary) {
    const Llama2cVocab v = readLlama2cVocab(sharedFile("models/llama2c/tokenizer.bin"));
    QS_CHECK_EQ(v.maxTokenLength, 27);
    QS_CHECK_EQ(v.pieces.size(), size_t(32000));
    QS_CHECK_EQ(v.scores.size(), size_t(32000));
    size_t longest = 0;
    for (const auto& p : v.pieces) longest = std::max(longest, p.size());
    QS_CHECK_EQ(longest, size_t(27));
    // tokenizer.py writes BOS/EOS as "\n<s>\n" / "\n</s>\n" and '▁' as a space.
    QS_CHECK_EQ(v.pieces[0], "<unk>");
    QS_CHECK_EQ(v.pieces[1], "\n<s>\n");
    QS_CHECK_EQ(v.pieces[2], "\n</s>\n");
    QS_CHECK_EQ(v.pieces[3], "<0x00>");
    QS_CHECK_EQ(v.pieces[258], "<0xFF>");
    QS_CHECK_EQ(v.pieces[259], "  ");
    QS_CHECK_EQ(v.scores[259], -1e9f);
    QS_CHECK_EQ(v.pieces[260], " t");
    QS_CHECK_EQ(v.scores[260], -1.0f);
    QS_CHECK_EQ(v.pieces[1000], "ied");
    QS_CHECK_EQ(v.scores[1000], -741.0f);
    QS_CHECK_EQ(v.pieces[31999], "\xe7\xbb\x99");
    QS_CHECK_EQ(v.scores[31999], -31740.0f);
}

QS_TEST(tinyLlamaTokenizerBinVocabulary) {
    const Llama2cVocab v = readLlama2cVocab(sharedFile("models/qs-tiny-llama/tokenizer.bin"));
    QS_CHECK_EQ(v.maxTokenLength, 11);
    QS_CHECK_EQ(v.pieces.size(), size_t(2048));
    QS_CHECK_EQ(v.pieces[1], "\n<s>\n");
    QS_CHECK_EQ(v.pieces[2], "\n</s>\n");
    QS_CHECK_EQ(v.pieces[10 + 3], "<0x0A>");  // byte_fallback pieces at ids 3..258
    QS_CHECK_EQ(v.pieces[259], " t");
    QS_CHECK_EQ(v.pieces[260], "he");
    QS_CHECK_EQ(v.scores[260], -1.0f);
    QS_CHECK_EQ(v.pieces[2047], "7");
    QS_CHECK_EQ(v.scores[2047], -1788.0f);
}

QS_TEST(tokenizerBinBadInput) {
    ByteWriter w;
    w.put(int32_t(5));
    w.put(1.5f);
    w.put(int32_t(3));
    w.bytes += "abc";
    const std::string good = w.bytes;
    const Llama2cVocab one = readLlama2cVocab(writeTemp("tok.bin", good));
    QS_CHECK(one.pieces == std::vector<std::string>{"abc"} && one.scores == std::vector<float>{1.5f});
    QS_CHECK_THROWS_WITH(readLlama2cVocab(writeTemp("tok.bin", "ab")), "truncated: 2 bytes");
    QS_CHECK_THROWS_WITH(readLlama2cVocab(writeTemp("tok.bin", good.substr(0, 4))), "no tokens");
    QS_CHECK_THROWS_WITH(readLlama2cVocab(writeTemp("tok.bin", withI32(good, 0, 0))), "max_token_length = 0");
    QS_CHECK_THROWS_WITH(readLlama2cVocab(writeTemp("tok.bin", good + "xyz")), "token 1 at byte 15 has only 3");
    QS_CHECK_THROWS_WITH(readLlama2cVocab(writeTemp("tok.bin", withI32(good, 8, -3))), "token 0 claims -3 bytes");
    QS_CHECK_THROWS_WITH(readLlama2cVocab(writeTemp("tok.bin", withI32(good, 8, 6))), "claims 6 bytes, outside 0..max_token_length = 5");
    QS_CHECK_THROWS_WITH(readLlama2cVocab(writeTemp("tok.bin", withI32(good, 8, 5))), "token 0 needs 5 bytes but 3 remain");
    // Every prefix of a real file is either a shorter, identical vocabulary or a FormatError.
    const std::string real = readBytes(sharedFile("models/qs-tiny-llama/tokenizer.bin"));
    const Llama2cVocab full = readLlama2cVocab(sharedFile("models/qs-tiny-llama/tokenizer.bin"));
    int bad = 0;
    for (size_t n = 0; n < real.size(); n += 97) {
        try {
            const Llama2cVocab v = readLlama2cVocab(writeTemp("tok.bin", real.substr(0, n)));
            bad += v.pieces.size() >= full.pieces.size() || !std::equal(v.pieces.begin(), v.pieces.end(), full.pieces.begin());
        } catch (const FormatError&) {
        }
    }
    QS_CHECK_EQ(bad, 0);
}

// --- versioned files ---

QS_TEST(version1UnsharedDecodesExactly) { checkVersionedFixture(1, false); }
QS_TEST(version1SharedDecodesExactly) { checkVersionedFixture(1, true); }
QS_TEST(version2UnsharedDequantizesPerGroup) { checkVersionedFixture(2, false); }
QS_TEST(version2SharedDequantizesPerGroup) { checkVersionedFixture(2, true); }

// --- bad input: each a FormatError naming the file and the problem ---

QS_TEST(badHeaderNonPositiveSizes) {
    const std::string good = readBytes(sharedFile(kStories));
    const char* fields[] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, 0, 0))), "legacy header's dim = 0 is outside");
    for (int f = 1; f < 7; ++f) {
        if (f != 5) QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, size_t(4 * f), -1))),
                                         std::string(fields[f]) + " = -1 must be positive");
        QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, size_t(4 * f), 0))),
                             std::string(fields[f]) + " = 0 must be positive");
    }
    // The path comes first, so the user sees which file.
    const std::string path = writeTemp("named.bin", withI32(good, 8, 0));
    QS_CHECK_THROWS_WITH(openLlama2c(path), path + ": header field n_layers");
}

QS_TEST(badHeaderAbsurdSizes) {
    const std::string good = readBytes(sharedFile(kStories));
    const char* fields[] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
    for (int f = 1; f < 7; ++f)
        QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, size_t(4 * f), 1 << 30))),
                             std::string(fields[f]) + " = 1073741824 is implausibly large");
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, 0, 1 << 30))), "dim = 1073741824 is outside 1..");
}

QS_TEST(badHeaderHeadsDoNotDivideDim) {
    const std::string good = readBytes(sharedFile(kStories));
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(withI32(good, 12, 7), 16, 7))),
                         "n_heads = 7 does not divide dim = 64");
}

QS_TEST(badHeaderKvHeadsDoNotDivideHeads) {
    const std::string good = readBytes(sharedFile(kStories));
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, 16, 3))), "n_kv_heads = 3 does not divide n_heads = 8");
}

QS_TEST(badHeaderOddHeadSize) {
    const std::string good = readBytes(sharedFile(kStories));
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, 12, 64))), "head size dim / n_heads = 1 is odd");
}

QS_TEST(badLegacyFileTooShortForHeader) {
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", "")), "truncated header: 0 bytes");
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", readBytes(sharedFile(kStories)).substr(0, 10))),
                         "truncated header: 10 bytes, a llama2.c legacy header has 28");
}

QS_TEST(badLegacyFileLonger) {
    const std::string good = readBytes(sharedFile(kStories));
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", good + "x")),
                         "legacy (version 0) layout needs 1056540 bytes but the file has 1056541 (1 bytes too many");
    // A shared-classifier header on an unshared file leaves the classifier over.
    const std::string tiny = readBytes(sharedFile(kTinyBin));
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(tiny, 20, 2048))), "(2097152 bytes too many");
}

QS_TEST(badLegacyFileTruncated) {
    const std::string good = readBytes(sharedFile(kStories));
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", good.substr(0, good.size() - 4))),
                         "truncated: the llama2.c legacy (version 0) layout needs 1056540 bytes but the file has 1056536; "
                         "the data stops inside freq_cis_real/imag");
    // 10 bytes into wv of layer 2: 7 header ints, embedding, norms, wq, wk, wv of layers 0-1.
    const int64_t wvLayer2 = 4 * (7 + 512 * 64 + 5 * 64 + 5 * 64 * 64 + 5 * 32 * 64 + 2 * 32 * 64);
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", good.substr(0, size_t(wvLayer2 + 10)))),
                         "stops inside wv of layer 2 (model.layers.2.self_attn.v_proj.weight)");
    // A legacy file with an unshared classifier needs the classifier too.
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, 20, -512))), "stops inside wcls (lm_head.weight)");
}

QS_TEST(badLegacyTruncationSweepAlwaysThrows) {
    const std::string good = readBytes(sharedFile(kStories));
    std::vector<size_t> lengths;
    for (size_t n = 0; n <= 64; ++n) lengths.push_back(n);
    for (size_t n = 65; n < good.size(); n += 9973) lengths.push_back(n);
    for (size_t back : {1, 2, 3, 4, 5, 2048, 2049}) lengths.push_back(good.size() - back);
    int notFormatError = 0;
    for (size_t n : lengths) {
        try {
            openLlama2c(writeTemp("cut.bin", good.substr(0, n)));
            ++notFormatError;
        } catch (const FormatError&) {
        } catch (...) {
            ++notFormatError;
        }
    }
    QS_CHECK_EQ(notFormatError, 0);
    QS_CHECK(lengths.size() > 150);
}

QS_TEST(badVersionUnknown) {
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(versionedFixture(1), 4, 3))),
                         "unsupported llama2.c checkpoint version 3");
}

QS_TEST(badVersionedMagic) {
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(versionedFixture(2), 0, 0x616b3433))),
                         "not a llama2.c checkpoint: no version magic 0x616b3432");
}

QS_TEST(badVersionedHeaderTruncated) {
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", versionedFixture(1).substr(0, 100))),
                         "truncated header: 100 bytes, a versioned llama2.c header has 256");
}

QS_TEST(badVersionedSharedFlag) {
    std::string bytes = versionedFixture(1);
    bytes[36] = 2;
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", bytes)), "shared_classifier flag byte is 2 (expected 0 or 1)");
}

QS_TEST(badVersionedNegativeVocab) {
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(versionedFixture(1), 28, -20))),
                         "vocab_size = -20 must be positive");
}

QS_TEST(badVersion2GroupSize) {
    const std::string good = versionedFixture(2);  // dim 16, hidden_dim 24, group_size 8 at byte 37
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, 37, 0))), "group_size = 0 must be positive");
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, 37, 32))), "group_size = 32 does not divide dim = 16");
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", withI32(good, 37, 16))), "group_size = 16 does not divide hidden_dim = 24");
}

QS_TEST(badVersionedFileSize) {
    const std::string v1 = versionedFixture(1), v2 = versionedFixture(2);
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", v1 + "abcd")), "version 1 layout needs");
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", v2 + "abcd")), "(4 bytes too many");
    // The last 2 bytes of the classifier's scales are missing.
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", v2.substr(0, v2.size() - 2))), "stops inside wcls (lm_head.weight)");
    // Cut inside the norms, the first data of a versioned file.
    QS_CHECK_THROWS_WITH(openLlama2c(writeTemp("bad.bin", v1.substr(0, 256 + 70))),
                         "stops inside rms_att_weight of layer 1 (model.layers.1.input_layernorm.weight)");
}
