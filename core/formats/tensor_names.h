// Canonical (Hugging Face LLaMA) tensor names and their parts.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace qs {

// The seven linear projections of a LLaMA decoder block, in heatmap order.
inline constexpr std::array<std::string_view, 7> kProjections = {"q", "k", "v", "o", "gate", "up", "down"};

struct LinearName {
    int block = -1;
    int projection = -1;  // index into kProjections
};

// "model.layers.7.mlp.down_proj.weight" -> {7, 6}; other names -> nullopt.
std::optional<LinearName> parseLinearName(std::string_view canonical);
std::string linearTensorName(int block, int projection);

struct BlockNormName {
    int block = -1;
    bool postAttention = false;  // post_attention_layernorm (before the MLP), else input_layernorm
};
// "model.layers.7.post_attention_layernorm.weight" -> {7, true}; other names -> nullopt.
std::optional<BlockNormName> parseBlockNormName(std::string_view canonical);

}  // namespace qs
