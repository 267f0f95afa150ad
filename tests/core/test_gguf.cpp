// GGUF reader: the real tiny llama and vocab-only files from ../shared, small
// fixtures written here for every supported tensor type, and one case per
// kind of bad input (each must be a FormatError naming the problem).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "check.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "formats/gguf_file.h"
#include "tensor/tensor_view.h"

namespace fs = std::filesystem;
using namespace qs;

namespace {

// Tolerances.
// Decoded values must match the plain decode exactly: an f16 scale (11
// significant bits) times an int8 or nibble fits a float's 24 bits.
constexpr double kExact = 0.0;
constexpr double kEpsTol = 1e-10;    // rms eps stored as f32 1e-5

std::string tinyPath() { return test::sharedDir() + "/models/gguf/llama-2-tiny-random.gguf"; }
std::string vocabPath() { return test::sharedDir() + "/models/gguf/ggml-vocab-llama-spm.gguf"; }

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string writeTemp(const std::string& name, const std::string& bytes) {
    const std::string path = test::tempDir() + "/" + name;
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
}

// IEEE half decoded plainly, independent of qs::f16ToFloat.
double plainF16(uint16_t h) {
    const int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
    const double mag = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1.0 + mant / 1024.0, exp - 15);
    return sign ? -mag : mag;
}

template <typename T>
T loadAt(const std::string& bytes, size_t offset) {
    T v;
    std::memcpy(&v, bytes.data() + offset, sizeof(T));
    return v;
}

// ---- a tiny GGUF writer (spec: ggml-org/ggml docs/gguf.md) ----

template <typename T>
void put(std::string& b, T v) {
    b.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
void putStr(std::string& b, std::string_view s) {
    put<uint64_t>(b, s.size());
    b.append(s);
}

struct Kv {
    std::string key;
    std::string typeAndValue;  // encoded value type + value
};
Kv kvU32(const std::string& key, uint32_t v) {
    std::string b;
    put<uint32_t>(b, 4);
    put(b, v);
    return {key, b};
}
Kv kvF32(const std::string& key, float v) {
    std::string b;
    put<uint32_t>(b, 6);
    put(b, v);
    return {key, b};
}
Kv kvStr(const std::string& key, const std::string& v) {
    std::string b;
    put<uint32_t>(b, 8);
    putStr(b, v);
    return {key, b};
}
Kv kvStrArray(const std::string& key, const std::vector<std::string>& v) {
    std::string b;
    put<uint32_t>(b, 9);
    put<uint32_t>(b, 8);
    put<uint64_t>(b, v.size());
    for (const auto& s : v) putStr(b, s);
    return {key, b};
}

struct FixtureTensor {
    std::string name;
    std::vector<uint64_t> dims;  // innermost first, as GGUF stores them
    uint32_t ggmlType = 0;
    std::string data;
    std::optional<uint64_t> offset;  // default: next aligned position
};

struct Fixture {
    uint32_t version = 3;
    uint32_t alignment = 32;  // must match general.alignment when that key is given
    std::vector<Kv> kvs;
    std::vector<FixtureTensor> tensors;
    size_t infoStart = 0;  // set by bytes(): where the tensor infos begin
    size_t dataStart = 0;  // and the data section

    std::string bytes() {
        std::string b = "GGUF";
        put(b, version);
        put<uint64_t>(b, tensors.size());
        put<uint64_t>(b, kvs.size());
        for (const Kv& kv : kvs) {
            putStr(b, kv.key);
            b += kv.typeAndValue;
        }
        infoStart = b.size();
        std::vector<uint64_t> offsets;
        uint64_t end = 0;
        for (const FixtureTensor& t : tensors) {
            const uint64_t off = t.offset.value_or((end + alignment - 1) / alignment * alignment);
            offsets.push_back(off);
            if (!t.data.empty()) end = std::max<uint64_t>(end, off + t.data.size());
            putStr(b, t.name);
            put<uint32_t>(b, uint32_t(t.dims.size()));
            for (uint64_t d : t.dims) put(b, d);
            put(b, t.ggmlType);
            put(b, off);
        }
        b.resize((b.size() + alignment - 1) / alignment * alignment, '\0');
        dataStart = b.size();
        std::string data(size_t(end), '\0');
        for (size_t i = 0; i < tensors.size(); ++i)
            if (!tensors[i].data.empty()) data.replace(offsets[i], tensors[i].data.size(), tensors[i].data);
        return b + data;
    }
};

std::string f32Bytes(const std::vector<float>& v) {
    std::string b(v.size() * 4, '\0');
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

// A valid little file: one F32 norm of 8 values 0.5 * i.
Fixture minimalFixture() {
    Fixture f;
    f.kvs = {kvStr("general.architecture", "llama"), kvStr("general.name", "fixture")};
    std::vector<float> v(8);
    for (int i = 0; i < 8; ++i) v[size_t(i)] = 0.5f * float(i);
    f.tensors = {{"blk.0.attn_norm.weight", {8}, 0, f32Bytes(v), std::nullopt}};
    return f;
}

std::string openFixture(Fixture& f, const std::string& name) { return writeTemp(name + ".gguf", f.bytes()); }

std::vector<float> decodeAll(const TensorView& t) {
    std::vector<float> out(size_t(t.numel()));
    decodeToFloat(t, 0, t.numel(), out.data());
    return out;
}

// A header with no tensors followed by `rest` (for hand-built bad metadata).
std::string headerThen(uint64_t tensors, uint64_t kvs, const std::string& rest) {
    std::string b = "GGUF";
    put<uint32_t>(b, 3);
    put(b, tensors);
    put(b, kvs);
    return b + rest;
}

}  // namespace

// ---- the real files ----

QS_TEST(tinyLlamaTensorsHaveCanonicalNamesAndShapes) {
    const auto ckpt = openGguf(tinyPath());
    QS_CHECK(ckpt->format == CheckpointFormat::Gguf);
    QS_CHECK_EQ(ckpt->tensors().size(), size_t(12));
    const std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
        {"model.embed_tokens.weight", {32000, 8}},
        {"model.layers.0.self_attn.q_proj.weight", {8, 8}},
        {"model.layers.0.self_attn.k_proj.weight", {8, 8}},
        {"model.layers.0.self_attn.v_proj.weight", {8, 8}},
        {"model.layers.0.self_attn.o_proj.weight", {8, 8}},
        {"model.layers.0.mlp.gate_proj.weight", {32, 8}},
        {"model.layers.0.mlp.up_proj.weight", {32, 8}},
        {"model.layers.0.mlp.down_proj.weight", {8, 32}},
        {"model.layers.0.input_layernorm.weight", {8}},
        {"model.layers.0.post_attention_layernorm.weight", {8}},
        {"model.norm.weight", {8}},
        {"lm_head.weight", {32000, 8}},
    };
    for (const auto& [name, shape] : expected) {
        const TensorView* t = ckpt->find(name);
        QS_CHECK(t != nullptr);
        if (t) QS_CHECK(t->shape == shape);
    }
    QS_CHECK(ckpt->at("model.embed_tokens.weight").dtype == DType::F16);
    QS_CHECK(ckpt->at("model.norm.weight").dtype == DType::F32);
    QS_CHECK_EQ(ckpt->tokenizerPath, tinyPath());
}

QS_TEST(tinyLlamaConfigAndMetadata) {
    const auto ckpt = openGguf(tinyPath());
    QS_CHECK(ckpt->hasConfig);
    const ModelConfig& c = ckpt->config;
    QS_CHECK_EQ(c.architecture, "llama");
    QS_CHECK_EQ(c.hiddenSize, 8);
    QS_CHECK_EQ(c.intermediateSize, 32);
    QS_CHECK_EQ(c.numLayers, 1);
    QS_CHECK_EQ(c.numHeads, 2);
    QS_CHECK_EQ(c.numKvHeads, 2);
    QS_CHECK_EQ(c.headDim, 4);
    QS_CHECK_EQ(c.vocabSize, 32000);
    QS_CHECK_EQ(c.maxPositions, 4096);
    QS_CHECK_NEAR(c.rmsNormEps, 1e-5, kEpsTol);
    QS_CHECK_NEAR(c.ropeTheta, 10000.0, kExact);
    QS_CHECK_EQ(c.bosTokenId, 1);
    QS_CHECK_EQ(c.eosTokenId, 2);
    QS_CHECK(!c.tieWordEmbeddings);
    QS_CHECK(c.ropeInterleaved);
    QS_CHECK(!c.ropeScaling);
    QS_CHECK_EQ(ckpt->metadata.at("general.name"), "LLaMA v2");
    QS_CHECK_EQ(ckpt->metadata.at("llama.block_count"), "1");
    QS_CHECK_EQ(ckpt->metadata.at("llama.attention.layer_norm_rms_epsilon"), "1e-05");
    QS_CHECK_EQ(ckpt->metadata.at("tokenizer.ggml.tokens"), "[array of 32000 string]");
    QS_CHECK_EQ(ckpt->metadata.at("tokenizer.ggml.scores"), "[array of 32000 f32]");
    QS_CHECK_EQ(ckpt->metadata.size(), size_t(18));
}

QS_TEST(tinyLlamaValuesDecodeFromTheMappingWithoutCopies) {
    const auto ckpt = openGguf(tinyPath());
    const std::string raw = readAll(tinyPath());
    QS_CHECK_EQ(raw.size(), size_t(1750560));
    const std::byte* base = ckpt->files().at(0)->data();
    // The tensor infos end at byte 724398; the data section starts at the next
    // multiple of 32, and each tensor's stored offset is relative to it.
    constexpr size_t kDataStart = 724416;
    struct Probe {
        const char* name;
        size_t storedOffset;
    };
    for (const Probe& p : {Probe{"model.embed_tokens.weight", 0}, Probe{"model.layers.0.self_attn.q_proj.weight", 512000},
                           Probe{"model.layers.0.mlp.down_proj.weight", 513536}, Probe{"lm_head.weight", 514144}}) {
        const TensorView& t = ckpt->at(p.name);
        QS_CHECK(t.data == base + kDataStart + p.storedOffset);  // a view into the mapping, not a copy
        QS_CHECK_EQ(t.nbytes, t.numel() * 2);
        // Row 1 (and, for the embedding, the <s> token) plus the last row.
        for (int64_t row : {int64_t(1), t.rows() - 1}) {
            std::vector<float> got(size_t(t.cols()));
            decodeRows(t, row, 1, got.data());
            for (int64_t j = 0; j < t.cols(); ++j) {
                const size_t at = kDataStart + p.storedOffset + size_t(row * t.cols() + j) * 2;
                QS_CHECK_NEAR(got[size_t(j)], plainF16(loadAt<uint16_t>(raw, at)), kExact);
            }
        }
    }
    const TensorView& norm = ckpt->at("model.norm.weight");
    const auto normValues = decodeAll(norm);
    for (size_t j = 0; j < normValues.size(); ++j)
        QS_CHECK_NEAR(normValues[j], loadAt<float>(raw, kDataStart + 514112 + j * 4), kExact);
    // Random weights are not all zero (a wrong offset into padding would be).
    const auto embed = decodeAll(ckpt->at("model.embed_tokens.weight"));
    double sumSq = 0;
    for (float x : embed) sumSq += double(x) * x;
    QS_CHECK(sumSq > 0);
}

QS_TEST(openCheckpointDispatchesGguf) {
    const auto ckpt = openCheckpoint(tinyPath());
    QS_CHECK(ckpt->format == CheckpointFormat::Gguf);
    QS_CHECK_EQ(ckpt->tensors().size(), size_t(12));
}

// The vocab-only file states the full Llama-2 7B hyper-parameters, so it has a
// config (of a model whose tensors are not in the file) and no tensors.
QS_TEST(vocabOnlyGgufOpens) {
    const auto ckpt = openGguf(vocabPath());
    QS_CHECK(ckpt->tensors().empty());
    QS_CHECK(ckpt->hasConfig);
    QS_CHECK_EQ(ckpt->config.hiddenSize, 4096);
    QS_CHECK_EQ(ckpt->config.numLayers, 32);
    QS_CHECK_EQ(ckpt->config.headDim, 128);
    QS_CHECK_EQ(ckpt->config.vocabSize, 32000);
    QS_CHECK(!ckpt->config.tieWordEmbeddings);
    QS_CHECK_EQ(ckpt->metadata.size(), size_t(22));
    QS_CHECK_EQ(ckpt->metadata.at("tokenizer.ggml.add_bos_token"), "true");
    QS_CHECK_EQ(ckpt->metadata.at("tokenizer.ggml.pre"), "default");
    QS_CHECK_EQ(ckpt->tokenizerPath, vocabPath());
}

QS_TEST(vocabArraysDecodeOnRequest) {
    const GgufFile g = GgufFile::open(vocabPath());
    QS_CHECK_EQ(g.version(), 3u);
    QS_CHECK_EQ(g.alignment(), 32u);
    const auto tokens = g.stringArray("tokenizer.ggml.tokens");
    const auto scores = g.floatArray("tokenizer.ggml.scores");
    const auto types = g.intArray("tokenizer.ggml.token_type");
    QS_CHECK_EQ(tokens.size(), size_t(32000));
    QS_CHECK_EQ(scores.size(), size_t(32000));
    QS_CHECK_EQ(types.size(), size_t(32000));
    // Known entries of the Llama-2 sentencepiece vocabulary.
    QS_CHECK_EQ(tokens[1], "<s>");
    QS_CHECK_EQ(tokens[3], "<0x00>");
    QS_CHECK_EQ(tokens[300], "et");
    QS_CHECK_EQ(tokens[31999], "\xe7\xbb\x99");
    QS_CHECK_NEAR(scores[300], -41.0, kExact);
    QS_CHECK_NEAR(scores[1000], -741.0, kExact);
    QS_CHECK_NEAR(scores[259], -1e9, kExact);
    QS_CHECK_EQ(types[0], 2);
    QS_CHECK_EQ(types[1], 3);
    QS_CHECK_EQ(types[3], 6);
    QS_CHECK_EQ(types[300], 1);
    QS_CHECK_EQ(g.integer("tokenizer.ggml.bos_token_id").value_or(-1), 1);
    QS_CHECK(!g.integer("no.such.key"));
    QS_CHECK_THROWS_WITH(g.stringArray("tokenizer.ggml.scores"), "expected an array of strings");
    QS_CHECK_THROWS_WITH(g.intArray("general.name"), "expected an array");
    QS_CHECK_THROWS_WITH(g.floatArray("tokenizer.ggml.tokens"), "expected an array of f32 or f64");
    QS_CHECK_THROWS_WITH(g.stringArray("no.such.key"), "no metadata no.such.key");
    QS_CHECK_THROWS_WITH(g.integer("general.name"), "expected an integer");
}

// Every prefix of the real files must be refused cleanly: byte by byte through
// the header and metadata, then every 997 bytes through the rest.
QS_TEST(truncatedRealFilesAlwaysThrowFormatError) {
    for (const std::string& source : {tinyPath(), vocabPath()}) {
        const std::string raw = readAll(source);
        std::vector<size_t> lengths;
        for (size_t n = 0; n < 2000; ++n) lengths.push_back(n);
        for (size_t n = 2000; n < raw.size(); n += 997) lengths.push_back(n);
        lengths.push_back(raw.size() - 1);
        // Write once and shrink the file in place, longest first.
        const std::string path = writeTemp("truncated.gguf", raw);
        int refused = 0;
        for (auto it = lengths.rbegin(); it != lengths.rend(); ++it) {
            fs::resize_file(path, *it);
            try {
                openGguf(path);
                test::fail(__FILE__, __LINE__, source + " truncated to " + std::to_string(*it) + " bytes opened");
            } catch (const FormatError&) {
                ++refused;
            }
        }
        QS_CHECK_EQ(refused, int(lengths.size()));
    }
}

// ---- fixtures: every supported tensor type ----

QS_TEST(fixtureTypesDecodeToPlainValues) {
    Fixture f;
    f.kvs = {kvStr("general.architecture", "llama")};
    // F32: 2 x 4.
    const std::vector<float> f32 = {1.5f, -2.25f, 0.0f, 3e-8f, 65504.0f, -1e30f, 0.1f, 7.0f};
    // F16: 2 x 16 bit patterns spread over normals, subnormals and signs.
    std::string f16;
    std::vector<uint16_t> f16Bits;
    for (uint32_t i = 0; i < 32; ++i) {
        const uint16_t bits = uint16_t((i * 2053u) % 0x7c00u | ((i & 1u) << 15));
        f16Bits.push_back(bits);
        put(f16, bits);
    }
    // BF16: the high halves of floats whose low halves are zero.
    const std::vector<float> bf16Values = {1.0f, -0.09375f, 3.5f, 1024.0f, -7.5e-3f, 0.0f, 2.0f, -1.0f};
    std::string bf16;
    std::vector<float> bf16Exact;
    for (float v : bf16Values) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        put<uint16_t>(bf16, uint16_t(bits >> 16));
        const uint32_t high = bits & 0xffff0000u;
        float exact;
        std::memcpy(&exact, &high, 4);
        bf16Exact.push_back(exact);
    }
    // Q8_0: 2 rows of one block: f16 d + 32 int8; x = d * q.
    std::string q8;
    std::vector<double> q8Expected;
    for (uint16_t d : {uint16_t(0x3400), uint16_t(0xae66)}) {  // 0.25, about -0.1
        put(q8, d);
        for (int i = 0; i < 32; ++i) {
            const int8_t q = int8_t((i * 37 + d) % 255 - 127);
            put(q8, q);
            q8Expected.push_back(plainF16(d) * q);
        }
    }
    // Q4_0: 1 row of two blocks: f16 d + 16 bytes; element i < 16 is the low
    // nibble of byte i, element i + 16 the high nibble; x = d * (nibble - 8).
    std::string q4;
    std::vector<double> q4Expected(64);
    for (int b = 0; b < 2; ++b) {
        const uint16_t d = b == 0 ? 0x3c00 : 0x3555;  // 1.0, about 1/3
        put(q4, d);
        for (int i = 0; i < 16; ++i) {
            const uint8_t byte = uint8_t(i * 29 + 7 + b * 101);
            put(q4, byte);
            q4Expected[size_t(b * 32 + i)] = plainF16(d) * ((byte & 15) - 8);
            q4Expected[size_t(b * 32 + i + 16)] = plainF16(d) * ((byte >> 4) - 8);
        }
    }
    f.tensors = {
        {"f32", {4, 2}, 0, f32Bytes(f32), std::nullopt},
        {"f16", {16, 2}, 1, f16, std::nullopt},
        {"bf16", {8}, 30, bf16, std::nullopt},
        {"q8", {32, 2}, 8, q8, std::nullopt},
        {"q4", {64, 1}, 2, q4, std::nullopt},
    };
    const auto ckpt = openGguf(openFixture(f, "types"));
    QS_CHECK(!ckpt->hasConfig);  // no llama.embedding_length
    QS_CHECK(ckpt->at("f32").shape == (std::vector<int64_t>{2, 4}));
    QS_CHECK(ckpt->at("q4").shape == (std::vector<int64_t>{1, 64}));
    const auto gotF32 = decodeAll(ckpt->at("f32"));
    for (size_t i = 0; i < f32.size(); ++i) QS_CHECK_NEAR(gotF32[i], f32[i], kExact);
    const auto gotF16 = decodeAll(ckpt->at("f16"));
    for (size_t i = 0; i < f16Bits.size(); ++i) QS_CHECK_NEAR(gotF16[i], plainF16(f16Bits[i]), kExact);
    const auto gotBf16 = decodeAll(ckpt->at("bf16"));
    for (size_t i = 0; i < bf16Exact.size(); ++i) QS_CHECK_NEAR(gotBf16[i], bf16Exact[i], kExact);
    const TensorView& q8View = ckpt->at("q8");
    QS_CHECK(q8View.dtype == DType::Q8_0);
    QS_CHECK_EQ(q8View.nbytes, int64_t(68));
    std::vector<float> row1(32);
    decodeRows(q8View, 1, 1, row1.data());
    for (size_t i = 0; i < 32; ++i) QS_CHECK_NEAR(row1[i], q8Expected[32 + i], kExact);
    const auto gotQ8 = decodeAll(q8View);
    for (size_t i = 0; i < 64; ++i) QS_CHECK_NEAR(gotQ8[i], q8Expected[i], kExact);
    const auto gotQ4 = decodeAll(ckpt->at("q4"));
    for (size_t i = 0; i < 64; ++i) QS_CHECK_NEAR(gotQ4[i], q4Expected[i], kExact);
}

QS_TEST(fixtureNamesConfigAndAlignment) {
    Fixture f;
    f.version = 2;
    f.alignment = 64;
    f.kvs = {kvStr("general.architecture", "llama"), kvU32("general.alignment", 64),
             kvU32("llama.embedding_length", 8), kvU32("llama.feed_forward_length", 16),
             kvU32("llama.block_count", 1), kvU32("llama.attention.head_count", 4),
             kvU32("llama.attention.head_count_kv", 2), kvF32("llama.rope.freq_base", 500000.0f),
             kvStrArray("tokenizer.ggml.tokens", {"a", "b", "c"})};
    const std::string norm = f32Bytes(std::vector<float>(8, 1.0f));
    f.tensors = {{"token_embd.weight", {8, 3}, 0, f32Bytes(std::vector<float>(24, 2.0f)), std::nullopt},
                 {"blk.0.ffn_norm.weight", {8}, 0, norm, std::nullopt},
                 {"output_norm.weight", {8}, 0, norm, std::nullopt},
                 {"blk.0.attn_q.bias", {8}, 0, norm, std::nullopt},
                 {"rope_freqs.weight", {2}, 0, f32Bytes({1.0f, 4.0f}), std::nullopt},
                 {"blk.x.attn_q.weight", {8}, 0, norm, std::nullopt}};
    const std::string path = openFixture(f, "names");
    const auto ckpt = openGguf(path);
    QS_CHECK(ckpt->find("model.embed_tokens.weight"));
    QS_CHECK(ckpt->find("model.layers.0.post_attention_layernorm.weight"));
    QS_CHECK(ckpt->find("model.norm.weight"));
    QS_CHECK(ckpt->find("model.layers.0.self_attn.q_proj.bias"));
    QS_CHECK(ckpt->find("rope_freqs.weight"));    // no Hugging Face counterpart: kept
    QS_CHECK(ckpt->find("blk.x.attn_q.weight"));  // not a block number: kept
    // The data section starts at a multiple of 64 and so does every tensor.
    const std::byte* base = ckpt->files().at(0)->data();
    QS_CHECK_EQ((ckpt->at("model.norm.weight").data - base) % 64, 0);
    QS_CHECK_EQ(ckpt->at("model.norm.weight").data - base, int64_t(f.dataStart + 192));
    const auto freqs = decodeAll(ckpt->at("rope_freqs.weight"));
    QS_CHECK_NEAR(freqs[1], 4.0, kExact);
    const ModelConfig& c = ckpt->config;
    QS_CHECK(ckpt->hasConfig);
    QS_CHECK_EQ(c.vocabSize, 3);  // rows of token_embd
    QS_CHECK_EQ(c.headDim, 2);    // 8 / 4 heads
    QS_CHECK_EQ(c.numKvHeads, 2);
    QS_CHECK_EQ(c.maxPositions, 2048);
    QS_CHECK_NEAR(c.ropeTheta, 500000.0, kExact);
    QS_CHECK(c.tieWordEmbeddings);  // no output.weight
    QS_CHECK_EQ(GgufFile::open(path).version(), 2u);
}

// ---- bad input: one case per problem ----

QS_TEST(badMagicAndVersion) {
    std::string b = headerThen(0, 0, "");
    b[3] = 'X';
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("magic.gguf", b)), "not a GGUF file");
    for (uint32_t v : {1u, 4u}) {
        Fixture f = minimalFixture();
        f.version = v;
        QS_CHECK_THROWS_WITH(openGguf(openFixture(f, "version")), "unsupported GGUF version " + std::to_string(v));
    }
    Fixture big = minimalFixture();
    big.version = 0x03000000u;  // 3 written big-endian
    QS_CHECK_THROWS_WITH(openGguf(openFixture(big, "bigendian")), "big-endian");
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("empty.gguf", "")), "truncated: magic");
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("nofile/x.gguf", "")), "cannot open");
}

QS_TEST(badTruncations) {
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("hdr.gguf", headerThen(0, 0, "").substr(0, 10))),
                         "truncated: tensor count needs 8 bytes at offset 8");
    // A key whose length runs past the end.
    std::string key;
    put<uint64_t>(key, 100);
    key += std::string(20, 'k');
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("key.gguf", headerThen(0, 1, key))),
                         "truncated: metadata key #0 needs 100 bytes");
    // A string array that ends after two of its three strings.
    std::string arr;
    putStr(arr, "tokens");
    put<uint32_t>(arr, 9);
    put<uint32_t>(arr, 8);
    put<uint64_t>(arr, 3);
    putStr(arr, "hello world");
    putStr(arr, "hello again");
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("arr.gguf", headerThen(0, 1, arr))),
                         "truncated: elements of metadata tokens");
    // Tensor infos cut inside the first name, and tensor data cut short.
    Fixture f = minimalFixture();
    const std::string bytes = f.bytes();
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("info.gguf", bytes.substr(0, f.infoStart + 10))),
                         "truncated: name of tensor #0");
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("data.gguf", bytes.substr(0, f.dataStart + 20))),
                         "lie past the end of the file");
}

QS_TEST(badLengthsAndCounts) {
    // Lengths and counts far beyond the file are refused before any allocation.
    std::string str;
    putStr(str, "general.name");
    put<uint32_t>(str, 8);
    put<uint64_t>(str, uint64_t(1) << 60);
    str += "abc";
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("strlen.gguf", headerThen(0, 1, str))),
                         "truncated: metadata general.name needs 1152921504606846976 bytes");
    for (uint32_t elem : {4u, 8u}) {
        std::string arr;
        putStr(arr, "big");
        put<uint32_t>(arr, 9);
        put<uint32_t>(arr, elem);
        put<uint64_t>(arr, uint64_t(1) << 40);
        arr += std::string(64, '\0');
        QS_CHECK_THROWS_WITH(openGguf(writeTemp("arrlen.gguf", headerThen(0, 1, arr))),
                             "metadata big claims 1099511627776 " + std::string(elem == 4 ? "u32" : "string") +
                                 " elements but only 64 bytes remain");
    }
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("ntensors.gguf", headerThen(uint64_t(1) << 62, 0, std::string(64, '\0')))),
                         "header claims 4611686018427387904 tensors");
    QS_CHECK_THROWS_WITH(openGguf(writeTemp("nkv.gguf", headerThen(0, uint64_t(1) << 40, std::string(64, '\0')))),
                         "header claims 1099511627776 metadata keys");
}

QS_TEST(badMetadataValues) {
    const auto withKv = [](const std::string& typeAndValue) {
        Fixture f = minimalFixture();
        f.kvs.push_back({"odd.key", typeAndValue});
        return openFixture(f, "kv");
    };
    std::string unknown;
    put<uint32_t>(unknown, 13);
    put<uint32_t>(unknown, 0);
    QS_CHECK_THROWS_WITH(openGguf(withKv(unknown)), "metadata odd.key has unknown value type 13");
    std::string unknownElem;
    put<uint32_t>(unknownElem, 9);
    put<uint32_t>(unknownElem, 99);
    put<uint64_t>(unknownElem, 0);
    QS_CHECK_THROWS_WITH(openGguf(withKv(unknownElem)), "elements of metadata odd.key has unknown value type 99");
    std::string nested;
    put<uint32_t>(nested, 9);
    put<uint32_t>(nested, 9);
    put<uint64_t>(nested, 0);
    QS_CHECK_THROWS_WITH(openGguf(withKv(nested)), "arrays of arrays are not supported");
    std::string badBool;
    put<uint32_t>(badBool, 7);
    put<uint8_t>(badBool, 2);
    QS_CHECK_THROWS_WITH(openGguf(withKv(badBool)), "must be 0 or 1");

    Fixture dup = minimalFixture();
    dup.kvs.push_back(kvStr("general.name", "again"));
    QS_CHECK_THROWS_WITH(openGguf(openFixture(dup, "dupkey")), "metadata key general.name appears twice");
    Fixture align = minimalFixture();
    align.kvs.push_back(kvU32("general.alignment", 48));
    QS_CHECK_THROWS_WITH(openGguf(openFixture(align, "align")), "general.alignment 48 is not a power of two");
    Fixture archType = minimalFixture();
    archType.kvs[0] = kvU32("general.architecture", 7);
    QS_CHECK_THROWS_WITH(openGguf(openFixture(archType, "archtype")), "general.architecture is u32 7, expected a string");
}

QS_TEST(badConfig) {
    Fixture missing = minimalFixture();
    missing.kvs.push_back(kvU32("llama.embedding_length", 8));
    missing.kvs.push_back(kvU32("llama.feed_forward_length", 16));
    QS_CHECK_THROWS_WITH(openGguf(openFixture(missing, "missing")), "missing metadata llama.block_count");
    Fixture heads = missing;
    heads.kvs.push_back(kvU32("llama.block_count", 1));
    heads.kvs.push_back(kvU32("llama.attention.head_count", 4));
    heads.kvs.push_back(kvU32("llama.attention.head_count_kv", 3));
    heads.kvs.push_back(kvU32("llama.vocab_size", 10));
    QS_CHECK_THROWS_WITH(openGguf(openFixture(heads, "heads")), "is not a multiple of attention.head_count_kv 3");
    Fixture zero = missing;
    zero.kvs.push_back(kvU32("llama.block_count", 0));
    QS_CHECK_THROWS_WITH(openGguf(openFixture(zero, "zero")), "llama.block_count is 0, not a sensible size");
}

QS_TEST(badTensorInfos) {
    Fixture unknownType = minimalFixture();
    unknownType.tensors[0].ggmlType = 12;
    QS_CHECK_THROWS_WITH(openGguf(openFixture(unknownType, "q4k")),
                         "tensor blk.0.attn_norm.weight has ggml type 12 (Q4_K), which is not supported");
    unknownType.tensors[0].ggmlType = 77;
    QS_CHECK_THROWS_WITH(openGguf(openFixture(unknownType, "t77")), "has ggml type 77, which is not supported");

    Fixture dims = minimalFixture();
    dims.tensors[0].dims = {2, 1, 1, 2, 1};
    QS_CHECK_THROWS_WITH(openGguf(openFixture(dims, "dims")),
                         "tensor blk.0.attn_norm.weight has 5 dimensions (GGUF allows at most 4)");

    Fixture past = minimalFixture();
    past.tensors[0].dims = {1000};
    QS_CHECK_THROWS_WITH(openGguf(openFixture(past, "past")), "lie past the end of the file");
    Fixture farOffset = minimalFixture();
    farOffset.tensors[0].offset = uint64_t(1) << 63;
    farOffset.tensors[0].data.clear();
    QS_CHECK_THROWS_WITH(openGguf(openFixture(farOffset, "far")), "data offset 9223372036854775808 lies past the end");

    Fixture misaligned = minimalFixture();
    misaligned.tensors[0].offset = 4;
    QS_CHECK_THROWS_WITH(openGguf(openFixture(misaligned, "misaligned")),
                         "data offset 4 is not a multiple of the alignment 32");

    Fixture overlap = minimalFixture();
    overlap.tensors.push_back({"blk.0.ffn_norm.weight", {8}, 0, overlap.tensors[0].data, uint64_t(0)});
    QS_CHECK_THROWS_WITH(openGguf(openFixture(overlap, "overlap")),
                         "tensors blk.0.attn_norm.weight and blk.0.ffn_norm.weight overlap");

    Fixture dupName = minimalFixture();
    dupName.tensors.push_back(dupName.tensors[0]);
    QS_CHECK_THROWS_WITH(openGguf(openFixture(dupName, "dupname")), "tensor blk.0.attn_norm.weight appears twice");
    Fixture dupCanonical = minimalFixture();
    dupCanonical.tensors.push_back(dupCanonical.tensors[0]);
    dupCanonical.tensors[1].name = "model.layers.0.input_layernorm.weight";
    QS_CHECK_THROWS_WITH(openGguf(openFixture(dupCanonical, "dupcanon")),
                         "tensor model.layers.0.input_layernorm.weight appears twice");

    Fixture rowLength = minimalFixture();
    rowLength.tensors[0] = {"q8", {16, 2}, 8, std::string(34, '\0'), std::nullopt};
    QS_CHECK_THROWS_WITH(openGguf(openFixture(rowLength, "rowlen")),
                         "row length 16 is not a multiple of the 32-element Q8_0 block");
    Fixture wrongBytes = minimalFixture();
    wrongBytes.tensors[0] = {"huge", {uint64_t(1) << 40, uint64_t(1) << 40}, 0, "", std::nullopt};
    QS_CHECK_THROWS_WITH(openGguf(openFixture(wrongBytes, "huge")), "tensor huge is impossibly large");
}
