#include "formats/tensor_names.h"

#include <charconv>

namespace qs {

namespace {
constexpr std::array<std::string_view, 7> kSuffixes = {
    "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
    "mlp.gate_proj.weight",    "mlp.up_proj.weight",      "mlp.down_proj.weight"};
constexpr std::string_view kPrefix = "model.layers.";
}  // namespace

namespace {
// "model.layers.7.<rest>" -> 7 with `name` left at <rest>; nullopt for other names.
std::optional<int> takeBlockPrefix(std::string_view& name) {
    if (!name.starts_with(kPrefix)) return std::nullopt;
    name.remove_prefix(kPrefix.size());
    int block = -1;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), block);
    if (ec != std::errc() || ptr == name.data() || ptr == name.data() + name.size() || *ptr != '.') return std::nullopt;
    name.remove_prefix(size_t(ptr - name.data()) + 1);
    return block;
}
}  // namespace

std::optional<LinearName> parseLinearName(std::string_view name) {
    const auto block = takeBlockPrefix(name);
    if (!block) return std::nullopt;
    for (size_t i = 0; i < kSuffixes.size(); ++i)
        if (name == kSuffixes[i]) return LinearName{*block, int(i)};
    return std::nullopt;
}

std::optional<BlockNormName> parseBlockNormName(std::string_view name) {
    const auto block = takeBlockPrefix(name);
    if (!block) return std::nullopt;
    if (name == "input_layernorm.weight") return BlockNormName{*block, false};
    if (name == "post_attention_layernorm.weight") return BlockNormName{*block, true};
    return std::nullopt;
}

std::string linearTensorName(int block, int projection) {
    return std::string(kPrefix) + std::to_string(block) + "." + std::string(kSuffixes[size_t(projection)]);
}

}  // namespace qs
