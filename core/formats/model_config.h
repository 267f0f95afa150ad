// The LLaMA-family hyper-parameters every reader fills, whatever the format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace qs {

// Llama-3.1 "llama3" rope_scaling (frequency-dependent interpolation).
struct RopeScaling {
    std::string type;  // "llama3", "linear", ... (empty: none)
    double factor = 1.0;
    double lowFreqFactor = 1.0;
    double highFreqFactor = 4.0;
    int64_t originalMaxPositions = 8192;
};

struct ModelConfig {
    std::string architecture = "llama";
    int64_t hiddenSize = 0;
    int64_t intermediateSize = 0;
    int64_t numLayers = 0;
    int64_t numHeads = 0;
    int64_t numKvHeads = 0;
    int64_t headDim = 0;  // hiddenSize / numHeads unless given
    int64_t vocabSize = 0;
    int64_t maxPositions = 0;
    double ropeTheta = 10000.0;
    std::optional<RopeScaling> ropeScaling;
    double rmsNormEps = 1e-5;
    bool tieWordEmbeddings = false;
    std::string torchDtype;  // as the source states it ("bfloat16", ...), may be empty
    int64_t bosTokenId = 1;
    int64_t eosTokenId = 2;
    // Hugging Face checkpoints rotate halves (rotate_half); llama2.c and GGUF
    // rotate interleaved pairs (Meta's original order, which llama.cpp's
    // converter restores). The forward pass needs to know.
    bool ropeInterleaved = false;
};

// In-features of a block's projection (index into kProjections: q, k, v, o,
// gate, up, down), W being [out, in] with y = x · Wᵀ.
int64_t linearInFeatures(const ModelConfig& c, int projection);

// Parse a Hugging Face config.json; throws FormatError naming `path`.
ModelConfig modelConfigFromHfJson(const nlohmann::json& j, const std::string& path);
nlohmann::json modelConfigToJson(const ModelConfig& c);

}  // namespace qs
