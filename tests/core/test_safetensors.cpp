// Hugging Face safetensors reader: the real qs-tiny-llama files, every dtype
// on small fixtures, sharded directories, and each kind of bad input.
#include <cmath>
#include <filesystem>

#include "check.h"
#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "safetensors_fixture.h"

using namespace qs;
using namespace qs::test;
namespace fs = std::filesystem;

namespace {
std::string tinyDir() { return sharedDir() + "/models/qs-tiny-llama"; }

fs::path fixtureDir(const std::string& name, const std::vector<FixtureTensor>& tensors) {
    const fs::path dir = fs::path(tempDir()) / name;
    writeFile(dir / "config.json", tinyConfig().dump());
    writeFile(dir / "model.safetensors", safetensorsBytes(tensors));
    return dir;
}

FixtureTensor f32Tensor(const std::string& name, std::vector<int64_t> shape, float start = 0.0f) {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[size_t(i)] = start + 0.5f * float(i);
    return {name, "F32", shape, f32Bytes(v)};
}

std::string openError(const fs::path& p) {
    return thrownMessage([&] { openCheckpoint(p.string()); });
}
}  // namespace

QS_TEST(real_bf16_directory_has_every_llama_tensor) {
    const auto ckpt = openCheckpoint(tinyDir());
    QS_CHECK_EQ(ckpt->tensors().size(), size_t(4 * 9 + 3));
    QS_CHECK_EQ(ckpt->config.hiddenSize, 256);
    QS_CHECK_EQ(ckpt->config.intermediateSize, 512);
    QS_CHECK_EQ(ckpt->config.numLayers, 4);
    QS_CHECK_EQ(ckpt->config.numHeads, 8);
    QS_CHECK_EQ(ckpt->config.numKvHeads, 2);
    QS_CHECK_EQ(ckpt->config.headDim, 32);
    QS_CHECK_EQ(ckpt->config.vocabSize, 2048);
    QS_CHECK(!ckpt->config.tieWordEmbeddings);
    QS_CHECK(!ckpt->config.ropeInterleaved);
    QS_CHECK_EQ(ckpt->config.torchDtype, std::string("bfloat16"));
    const auto& down = ckpt->at("model.layers.3.mlp.down_proj.weight");
    QS_CHECK(down.dtype == DType::BF16);
    QS_CHECK(down.shape == (std::vector<int64_t>{256, 512}));
    QS_CHECK_EQ(ckpt->at("model.norm.weight").shape.size(), size_t(1));
    QS_CHECK(ckpt->tokenizerPath.ends_with("tokenizer.model"));
    QS_CHECK_EQ(ckpt->metadata.at("format"), std::string("pt"));
}

// The README says the BF16 file is the F32 training weights rounded to nearest even.
QS_TEST(real_bf16_is_rounded_f32) {
    const auto bf = openCheckpoint(tinyDir());
    const auto f32 = openCheckpoint(tinyDir() + "/model.f32.safetensors");
    QS_CHECK_EQ(bf->tensors().size(), f32->tensors().size());
    for (const auto& t : bf->tensors()) {
        const auto& ref = f32->at(t.name);
        QS_CHECK(ref.dtype == DType::F32);
        QS_CHECK(ref.shape == t.shape);
        std::vector<float> a(size_t(t.numel())), b(size_t(t.numel()));
        decodeToFloat(t, 0, t.numel(), a.data());
        decodeToFloat(ref, 0, ref.numel(), b.data());
        int64_t mismatches = 0;
        for (size_t i = 0; i < a.size(); ++i) mismatches += bf16ToFloat(floatToBf16(b[i])) != a[i];
        QS_CHECK_EQ(mismatches, 0);
    }
}

QS_TEST(every_dtype_decodes) {
    // F16 1.5 = 0x3E00, -2 = 0xC000; BF16 1.5 = 0x3FC0; E4M3 0x38 = 1.0, 0xB8 = -1.0, 0x7E = 448.
    const std::vector<FixtureTensor> ts = {
        {"f16", "F16", {2}, {0x00, 0x3E, 0x00, 0xC0}},
        {"bf16", "BF16", {1}, {0xC0, 0x3F}},
        {"f8", "F8_E4M3", {3}, {0x38, 0xB8, 0x7E}},
        {"i8", "I8", {2}, {0x7F, 0x80}},
        {"i32", "I32", {1}, {0xFE, 0xFF, 0xFF, 0xFF}},
        f32Tensor("f32", {2, 2}),
    };
    const auto ckpt = openCheckpoint(fixtureDir("dtypes", ts).string());
    float v[4];
    decodeToFloat(ckpt->at("f16"), 0, 2, v);
    QS_CHECK_EQ(v[0], 1.5f);
    QS_CHECK_EQ(v[1], -2.0f);
    decodeToFloat(ckpt->at("bf16"), 0, 1, v);
    QS_CHECK_EQ(v[0], 1.5f);
    decodeToFloat(ckpt->at("f8"), 0, 3, v);
    QS_CHECK_EQ(v[0], 1.0f);
    QS_CHECK_EQ(v[1], -1.0f);
    QS_CHECK_EQ(v[2], 448.0f);
    decodeToFloat(ckpt->at("i8"), 0, 2, v);
    QS_CHECK_EQ(v[0], 127.0f);
    QS_CHECK_EQ(v[1], -128.0f);
    decodeToFloat(ckpt->at("i32"), 0, 1, v);
    QS_CHECK_EQ(v[0], -2.0f);
    decodeRows(ckpt->at("f32"), 1, 1, v);
    QS_CHECK_EQ(v[0], 1.0f);
    QS_CHECK_EQ(v[1], 1.5f);
}

QS_TEST(sharded_directory_opens_through_its_index) {
    const fs::path dir = fs::path(tempDir()) / "sharded";
    writeFile(dir / "config.json", tinyConfig().dump());
    writeFile(dir / "model-00001-of-00002.safetensors", safetensorsBytes({f32Tensor("a", {2, 3}), f32Tensor("b", {4})}));
    writeFile(dir / "model-00002-of-00002.safetensors", safetensorsBytes({f32Tensor("c", {3, 2}, 7.0f)}));
    const nlohmann::json index = {{"metadata", {{"total_size", 64}}},
                                  {"weight_map",
                                   {{"a", "model-00001-of-00002.safetensors"},
                                    {"b", "model-00001-of-00002.safetensors"},
                                    {"c", "model-00002-of-00002.safetensors"}}}};
    writeFile(dir / "model.safetensors.index.json", index.dump());
    const auto ckpt = openCheckpoint(dir.string());
    QS_CHECK_EQ(ckpt->tensors().size(), size_t(3));
    QS_CHECK_EQ(ckpt->files().size(), size_t(2));
    float v[6];
    decodeToFloat(ckpt->at("c"), 0, 6, v);
    QS_CHECK_EQ(v[5], 9.5f);

    nlohmann::json bad = index;
    bad["weight_map"]["d"] = "model-00002-of-00002.safetensors";
    writeFile(dir / "model.safetensors.index.json", bad.dump());
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "weight_map names d but model-00002-of-00002.safetensors does not hold it");
    bad = index;
    bad["weight_map"]["a"] = "../escape.safetensors";
    writeFile(dir / "model.safetensors.index.json", bad.dump());
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "points outside the directory");
    bad = index;
    bad["weight_map"]["a"] = "missing.safetensors";
    writeFile(dir / "model.safetensors.index.json", bad.dump());
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "missing.safetensors: cannot open");
}

// Each bad header gives one message naming the file and the problem.
QS_TEST(bad_headers_are_named) {
    const fs::path dir = fs::path(tempDir()) / "bad";
    writeFile(dir / "config.json", tinyConfig().dump());
    const fs::path file = dir / "model.safetensors";
    const std::string data(16, '\0');
    struct Case {
        std::string bytes;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"abc", "truncated: 3 bytes"},
        {rawSafetensors(std::string(40, ' '), "").substr(0, 20), "runs past the end of the file"},
        {std::string("\xff\xff\xff\xff\xff\xff\x00\x00", 8) + "{}", "exceeds the 100 MB limit"},
        {rawSafetensors("{\"a\": {", data), "broken JSON header"},
        {rawSafetensors("[1,2]", data), "header is not a JSON object"},
        {rawSafetensors(R"({"a": {"dtype": "F32", "shape": [2]}})", data), "entry needs dtype, shape and data_offsets"},
        {rawSafetensors(R"({"a": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 8]}})", data), "unsupported dtype Q9"},
        {rawSafetensors(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", data),
         "shape needs 12 bytes but 8 are given"},
        {rawSafetensors(R"({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", data), "not a non-negative integer"},
        {rawSafetensors(R"({"a": {"dtype": "F32", "shape": [2, 4], "data_offsets": [8, 40]}})", data),
         "lie past the end of the file"},
        {rawSafetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", data), "out of order"},
        {rawSafetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                        data),
         "tensors a and b overlap"},
        {rawSafetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": "0-8"}})", data), "not [begin, end]"},
    };
    for (const auto& c : cases) {
        writeFile(file, c.bytes);
        const std::string msg = openError(dir);
        if (msg.find(file.string()) == std::string::npos || msg.find(c.message) == std::string::npos)
            fail(__FILE__, __LINE__, "expected '" + c.message + "' naming the file, got: " + msg);
    }
}

QS_TEST(bad_configs_are_named) {
    const fs::path dir = fixtureDir("badconfig", {f32Tensor("a", {2})});
    fs::remove(dir / "config.json");
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "missing config.json");
    writeFile(dir / "config.json", "{\"hidden_size\": 8,");
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "broken JSON in config.json");
    auto cfg = tinyConfig();
    cfg.erase("num_hidden_layers");
    writeFile(dir / "config.json", cfg.dump());
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "config.json has no \"num_hidden_layers\"");
    cfg = tinyConfig();
    cfg["num_key_value_heads"] = 3;
    writeFile(dir / "config.json", cfg.dump());
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "not a multiple of num_key_value_heads");
    cfg = tinyConfig();
    cfg["hidden_size"] = "eight";
    writeFile(dir / "config.json", cfg.dump());
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "\"hidden_size\" is not an integer");
    fs::remove(dir / "model.safetensors");
    writeFile(dir / "config.json", tinyConfig().dump());
    QS_CHECK_THROWS_WITH(openCheckpoint(dir.string()), "no model.safetensors");
}

QS_TEST(llama3_rope_scaling_is_read) {
    auto cfg = tinyConfig();
    cfg["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                           {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
    cfg["rope_theta"] = 500000.0;
    cfg["tie_word_embeddings"] = true;
    const fs::path dir = fixtureDir("rope", {f32Tensor("a", {2})});
    writeFile(dir / "config.json", cfg.dump());
    const auto ckpt = openCheckpoint(dir.string());
    QS_CHECK(ckpt->config.ropeScaling.has_value());
    QS_CHECK_EQ(ckpt->config.ropeScaling->type, std::string("llama3"));
    QS_CHECK_EQ(ckpt->config.ropeScaling->factor, 8.0);
    QS_CHECK_EQ(ckpt->config.ropeScaling->originalMaxPositions, 8192);
    QS_CHECK_EQ(ckpt->config.ropeTheta, 500000.0);
    QS_CHECK(ckpt->config.tieWordEmbeddings);
}

// Cutting the real file anywhere must give a FormatError, never a crash.
QS_TEST(truncated_real_file_always_fails_cleanly) {
    const std::string src = tinyDir() + "/model.safetensors";
    std::ifstream in(src, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const fs::path dir = fs::path(tempDir()) / "trunc";
    writeFile(dir / "config.json", tinyConfig().dump());
    int checked = 0;
    for (size_t len = 0; len < bytes.size(); len += (len < 4300 ? 37 : 65537)) {
        writeFile(dir / "model.safetensors", bytes.substr(0, len));
        const std::string msg = openError(dir);
        if (msg.find("model.safetensors") == std::string::npos) fail(__FILE__, __LINE__, "len " + std::to_string(len) + ": " + msg);
        ++checked;
    }
    QS_CHECK(checked > 200);
}
