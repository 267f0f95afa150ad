// Hugging Face safetensors: an 8-byte little-endian header length N, N bytes
// of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the data; offsets are relative to the first byte after the header.
// Spec: huggingface/safetensors README ("Format").
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "formats/gptq_packed.h"

namespace fs = std::filesystem;

namespace qs {

namespace {

// The spec caps the header at 100 MB so a corrupt length cannot make a reader allocate wildly.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

nlohmann::json readJsonFile(const std::string& path, const char* what) {
    std::ifstream in(path);
    if (!in) throw FormatError(path, std::string("cannot read ") + what);
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path, std::string("broken JSON in ") + what + ": " + e.what());
    }
}

std::vector<int64_t> parseShape(const nlohmann::json& s, const std::string& path, const std::string& name) {
    if (!s.is_array()) throw FormatError(path, "tensor " + name + ": shape is not an array");
    std::vector<int64_t> shape;
    for (const auto& d : s) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0)
            throw FormatError(path, "tensor " + name + ": shape holds a value that is not a non-negative integer");
        shape.push_back(d.get<int64_t>());
    }
    return shape;
}

// Adds every tensor of one safetensors file to `ckpt`; `only` (if not empty)
// lists the names the index assigns to this shard.
void addSafetensorsFile(Checkpoint& ckpt, const std::string& file) {
    auto mapped = std::make_shared<MappedFile>(file);
    const int64_t size = mapped->size();
    if (size < 8) throw FormatError(file, "truncated: " + std::to_string(size) + " bytes, no header length");
    uint64_t headerLen;
    std::memcpy(&headerLen, mapped->data(), 8);
    if (headerLen > kMaxHeaderBytes)
        throw FormatError(file, "header length " + std::to_string(headerLen) + " exceeds the 100 MB limit (corrupt file?)");
    if (int64_t(headerLen) > size - 8)
        throw FormatError(file, "header length " + std::to_string(headerLen) + " runs past the end of the file (" +
                                    std::to_string(size) + " bytes): truncated?");
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(reinterpret_cast<const char*>(mapped->data()) + 8,
                                       reinterpret_cast<const char*>(mapped->data()) + 8 + headerLen);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(file, std::string("broken JSON header: ") + e.what());
    }
    if (!header.is_object()) throw FormatError(file, "header is not a JSON object");

    const int64_t dataStart = 8 + int64_t(headerLen);
    const int64_t dataSize = size - dataStart;
    std::vector<std::pair<int64_t, int64_t>> ranges;
    std::vector<std::string> rangeNames;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (entry.is_object())
                for (const auto& [k, v] : entry.items()) ckpt.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
            continue;
        }
        if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
            throw FormatError(file, "tensor " + name + ": entry needs dtype, shape and data_offsets");
        if (!entry["dtype"].is_string()) throw FormatError(file, "tensor " + name + ": dtype is not a string");
        const std::string dt = entry["dtype"].get<std::string>();
        const auto dtype = dtypeFromName(dt);
        if (!dtype || dtypeBlockElems(*dtype) != 1)
            throw FormatError(file, "tensor " + name + ": unsupported dtype " + dt);
        const auto shape = parseShape(entry["shape"], file, name);
        const auto& off = entry["data_offsets"];
        if (!off.is_array() || off.size() != 2 || !off[0].is_number_integer() || !off[1].is_number_integer())
            throw FormatError(file, "tensor " + name + ": data_offsets is not [begin, end]");
        const int64_t begin = off[0].get<int64_t>(), end = off[1].get<int64_t>();
        if (begin < 0 || end < begin) throw FormatError(file, "tensor " + name + ": data_offsets [begin, end] out of order");
        checkTensorBytes(file, name, *dtype, shape, begin, end - begin, dataSize);
        ranges.emplace_back(begin, end);
        rangeNames.push_back(name);

        TensorView t;
        t.name = name;
        t.dtype = *dtype;
        t.shape = shape;
        t.data = mapped->data() + dataStart + begin;
        t.nbytes = end - begin;
        ckpt.addTensor(std::move(t));
    }
    // Overlapping byte ranges mean a corrupt (or malicious) header.
    std::vector<size_t> order(ranges.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranges[a] < ranges[b]; });
    for (size_t i = 1; i < order.size(); ++i) {
        const auto& prev = ranges[order[i - 1]];
        const auto& cur = ranges[order[i]];
        if (cur.first < prev.second && cur.second > cur.first && prev.second > prev.first)
            throw FormatError(file, "tensors " + rangeNames[order[i - 1]] + " and " + rangeNames[order[i]] +
                                        " overlap in the file");
    }
    ckpt.addFile(std::move(mapped));
}

std::string findTokenizer(const fs::path& dir) {
    for (const char* name : {"tokenizer.model", "tokenizer.json", "tokenizer.bin"})
        if (fs::exists(dir / name)) return (dir / name).string();
    return {};
}

void readConfig(Checkpoint& ckpt, const std::string& configPath) {
    const auto j = readJsonFile(configPath, "config.json");
    ckpt.config = modelConfigFromHfJson(j, configPath);
    presentGptqPackedWeights(ckpt, j, configPath);
}

}  // namespace

std::unique_ptr<Checkpoint> openSafetensorsFile(const std::string& file, const std::string& configPath) {
    auto ckpt = std::make_unique<Checkpoint>();
    ckpt->format = CheckpointFormat::HfSafetensors;
    ckpt->path = file;
    addSafetensorsFile(*ckpt, file);
    if (configPath.empty())
        throw FormatError(file, "no config.json beside this safetensors file (a Hugging Face model directory needs one)");
    readConfig(*ckpt, configPath);
    ckpt->tokenizerPath = findTokenizer(fs::path(file).parent_path());
    return ckpt;
}

std::unique_ptr<Checkpoint> openHfDirectory(const std::string& dirPath) {
    const fs::path dir(dirPath);
    const fs::path config = dir / "config.json";
    if (!fs::exists(config)) throw FormatError(config.string(), "missing config.json (not a Hugging Face model directory?)");

    auto ckpt = std::make_unique<Checkpoint>();
    ckpt->format = CheckpointFormat::HfSafetensors;
    ckpt->path = dirPath;
    const fs::path index = dir / "model.safetensors.index.json";
    if (fs::exists(index)) {
        const auto j = readJsonFile(index.string(), "model.safetensors.index.json");
        if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
            throw FormatError(index.string(), "no \"weight_map\" object");
        std::vector<std::string> shards;
        for (const auto& [name, shard] : j["weight_map"].items()) {
            if (!shard.is_string()) throw FormatError(index.string(), "weight_map entry " + name + " is not a file name");
            const std::string s = shard.get<std::string>();
            if (s.find('/') != std::string::npos || s.find("..") != std::string::npos)
                throw FormatError(index.string(), "weight_map entry " + name + " points outside the directory: " + s);
            if (std::find(shards.begin(), shards.end(), s) == shards.end()) shards.push_back(s);
        }
        if (shards.empty()) throw FormatError(index.string(), "weight_map is empty");
        for (const auto& s : shards) addSafetensorsFile(*ckpt, (dir / s).string());
        for (const auto& [name, shard] : j["weight_map"].items())
            if (!ckpt->find(name))
                throw FormatError(index.string(), "weight_map names " + name + " but " + shard.get<std::string>() +
                                                      " does not hold it");
    } else if (fs::exists(dir / "model.safetensors")) {
        addSafetensorsFile(*ckpt, (dir / "model.safetensors").string());
    } else {
        throw FormatError(dirPath, "no model.safetensors or model.safetensors.index.json in the directory");
    }
    readConfig(*ckpt, config.string());
    ckpt->tokenizerPath = findTokenizer(dir);
    return ckpt;
}

}  // namespace qs
