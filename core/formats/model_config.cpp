#include "formats/model_config.h"

#include <nlohmann/json.hpp>

#include "formats/format_error.h"

namespace qs {

namespace {
// Reads an integer field; `required` fields that are missing or not integers
// are errors naming the key.
int64_t intField(const nlohmann::json& j, const char* key, const std::string& path, bool required,
                 int64_t fallback = 0) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required) throw FormatError(path, std::string("config.json has no \"") + key + "\"");
        return fallback;
    }
    if (!it->is_number_integer())
        throw FormatError(path, std::string("config.json: \"") + key + "\" is not an integer");
    return it->get<int64_t>();
}

double numberField(const nlohmann::json& j, const char* key, const std::string& path, double fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_number()) throw FormatError(path, std::string("config.json: \"") + key + "\" is not a number");
    return it->get<double>();
}
// nlohmann's value() throws json::type_error for a key of another type; these
// name the key instead.
std::string stringField(const nlohmann::json& j, const char* key, const std::string& path, const std::string& fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_string()) throw FormatError(path, std::string("config.json: \"") + key + "\" is not a string");
    return it->get<std::string>();
}

bool boolField(const nlohmann::json& j, const char* key, const std::string& path, bool fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) throw FormatError(path, std::string("config.json: \"") + key + "\" is not true or false");
    return it->get<bool>();
}
}  // namespace

ModelConfig modelConfigFromHfJson(const nlohmann::json& j, const std::string& path) {
    if (!j.is_object()) throw FormatError(path, "config.json is not a JSON object");
    ModelConfig c;
    c.architecture = stringField(j, "model_type", path, "llama");
    c.hiddenSize = intField(j, "hidden_size", path, true);
    c.intermediateSize = intField(j, "intermediate_size", path, true);
    c.numLayers = intField(j, "num_hidden_layers", path, true);
    c.numHeads = intField(j, "num_attention_heads", path, true);
    c.numKvHeads = intField(j, "num_key_value_heads", path, false, c.numHeads);
    c.vocabSize = intField(j, "vocab_size", path, true);
    if (c.hiddenSize <= 0 || c.intermediateSize <= 0 || c.numLayers <= 0 || c.numHeads <= 0 ||
        c.numKvHeads <= 0 || c.vocabSize <= 0)
        throw FormatError(path, "config.json: sizes must be positive");
    if (c.hiddenSize % c.numHeads != 0 && !j.contains("head_dim"))
        throw FormatError(path, "config.json: hidden_size is not a multiple of num_attention_heads");
    if (c.numHeads % c.numKvHeads != 0)
        throw FormatError(path, "config.json: num_attention_heads is not a multiple of num_key_value_heads");
    c.headDim = intField(j, "head_dim", path, false, c.hiddenSize / c.numHeads);
    c.maxPositions = intField(j, "max_position_embeddings", path, false, 2048);
    c.ropeTheta = numberField(j, "rope_theta", path, 10000.0);
    c.rmsNormEps = numberField(j, "rms_norm_eps", path, 1e-6);
    c.tieWordEmbeddings = boolField(j, "tie_word_embeddings", path, false);
    if (auto it = j.find("torch_dtype"); it != j.end() && it->is_string()) c.torchDtype = it->get<std::string>();
    c.bosTokenId = j.contains("bos_token_id") && j["bos_token_id"].is_number_integer() ? j["bos_token_id"].get<int64_t>() : 1;
    c.eosTokenId = j.contains("eos_token_id") && j["eos_token_id"].is_number_integer() ? j["eos_token_id"].get<int64_t>() : 2;
    if (auto it = j.find("rope_scaling"); it != j.end() && it->is_object()) {
        RopeScaling s;
        // transformers accepts both "rope_type" (new) and "type" (old).
        s.type = stringField(*it, "rope_type", path, stringField(*it, "type", path, ""));
        s.factor = numberField(*it, "factor", path, 1.0);
        s.lowFreqFactor = numberField(*it, "low_freq_factor", path, 1.0);
        s.highFreqFactor = numberField(*it, "high_freq_factor", path, 4.0);
        s.originalMaxPositions = intField(*it, "original_max_position_embeddings", path, false, 8192);
        c.ropeScaling = s;
    }
    return c;
}

nlohmann::json modelConfigToJson(const ModelConfig& c) {
    nlohmann::json j = {
        {"model_type", c.architecture},
        {"hidden_size", c.hiddenSize},
        {"intermediate_size", c.intermediateSize},
        {"num_hidden_layers", c.numLayers},
        {"num_attention_heads", c.numHeads},
        {"num_key_value_heads", c.numKvHeads},
        {"head_dim", c.headDim},
        {"vocab_size", c.vocabSize},
        {"max_position_embeddings", c.maxPositions},
        {"rope_theta", c.ropeTheta},
        {"rms_norm_eps", c.rmsNormEps},
        {"tie_word_embeddings", c.tieWordEmbeddings},
        {"torch_dtype", c.torchDtype},
        {"bos_token_id", c.bosTokenId},
        {"eos_token_id", c.eosTokenId},
    };
    if (c.ropeScaling)
        j["rope_scaling"] = {{"rope_type", c.ropeScaling->type},
                             {"factor", c.ropeScaling->factor},
                             {"low_freq_factor", c.ropeScaling->lowFreqFactor},
                             {"high_freq_factor", c.ropeScaling->highFreqFactor},
                             {"original_max_position_embeddings", c.ropeScaling->originalMaxPositions}};
    else
        j["rope_scaling"] = nullptr;
    return j;
}

int64_t linearInFeatures(const ModelConfig& c, int projection) {
    if (projection == 3) return c.numHeads * c.headDim;  // o reads the attention heads
    if (projection == 6) return c.intermediateSize;       // down reads the MLP hidden
    return c.hiddenSize;
}

}  // namespace qs
