// Writes small safetensors files (and HF directories) for reader tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qs::test {

struct FixtureTensor {
    std::string name;
    std::string dtype;  // safetensors spelling
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

// Header JSON + data, offsets laid out back to back.
inline std::string safetensorsBytes(const std::vector<FixtureTensor>& tensors, nlohmann::json* headerOut = nullptr) {
    nlohmann::json header = nlohmann::json::object();
    std::string data;
    for (const auto& t : tensors) {
        header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
        data.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
    }
    if (headerOut) *headerOut = header;
    const std::string h = header.dump();
    const uint64_t n = h.size();
    std::string out(reinterpret_cast<const char*>(&n), 8);
    return out + h + data;
}

inline std::string rawSafetensors(const std::string& headerJson, const std::string& data) {
    const uint64_t n = headerJson.size();
    return std::string(reinterpret_cast<const char*>(&n), 8) + headerJson + data;
}

inline void writeFile(const std::filesystem::path& p, const std::string& bytes) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

inline nlohmann::json tinyConfig(int64_t hidden = 8, int64_t layers = 1) {
    return {{"model_type", "llama"},        {"hidden_size", hidden},     {"intermediate_size", 16},
            {"num_hidden_layers", layers},  {"num_attention_heads", 2}, {"num_key_value_heads", 1},
            {"vocab_size", 32},             {"rms_norm_eps", 1e-5},      {"rope_theta", 10000.0},
            {"max_position_embeddings", 64}, {"torch_dtype", "float32"}};
}

inline std::vector<uint8_t> f32Bytes(const std::vector<float>& v) {
    std::vector<uint8_t> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

}  // namespace qs::test
