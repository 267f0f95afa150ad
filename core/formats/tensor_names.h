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

}  // namespace qs
