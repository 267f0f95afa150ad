// How one linear layer is quantized: the weight format and its granularity,
// the method that chooses the quantized weights, the activation format for
// weight-activation schemes, and the methods' knobs. A plain value: plans
// (quant/quant_plan.h) map layer names to it, JSON stores it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace qs {

enum class WeightFormat { Int, F8E4M3 };
enum class Granularity { PerTensor, PerChannel, PerGroup };  // per-channel = per output row
enum class QuantMethod { Rtn, Gptq, Awq, SmoothQuant, BiSmooth };
enum class ActivationFormat { None, Int8, F8E4M3 };

struct ActivationSpec {
    ActivationFormat format = ActivationFormat::None;
    // Dynamic: one scale per token, computed at run time. Static: one
    // per-tensor scale fixed by calibration (or given in `scale`).
    bool perToken = true;
    std::optional<double> scale;  // static per-tensor scale, when known

    bool operator==(const ActivationSpec&) const = default;
};

// GPTQ (Frantar et al. 2022, Alg. 1 and the reference implementation's flags).
struct GptqKnobs {
    double damp = 0.01;        // percdamp: diagonal dampening as a fraction of mean(diag H)
    int blockSize = 128;       // columns updated lazily per block
    bool actOrder = false;     // process columns by decreasing diag(H)
    bool staticGroups = false; // fit group grids before act-order permutes columns

    bool operator==(const GptqKnobs&) const = default;
};

struct QuantSpec {
    WeightFormat format = WeightFormat::Int;
    int bits = 4;            // 2..8 for Int; always 8 for F8E4M3
    bool symmetric = true;   // Int only (cpu/int_grid.h)
    Granularity granularity = Granularity::PerChannel;
    int groupSize = 128;     // input elements per group, PerGroup only: 32, 64, 128 or 256
    QuantMethod method = QuantMethod::Rtn;
    ActivationSpec activation;
    double smoothAlpha = 0.5;  // SmoothQuant migration strength (Xiao et al. 2023, Sec. 4); also bi-smoothing's
    GptqKnobs gptq;

    bool operator==(const QuantSpec&) const = default;
};

std::string_view methodName(QuantMethod m);  // "rtn", "gptq", "awq", "smoothquant", "bismooth"

// {"method", "weight": {"format", "bits", "symmetric", "granularity", "group_size"},
//  "activation": {"format", "granularity", "scale"}, "smoothquant": {"alpha"},
//  "gptq": {"damp", "block_size", "act_order", "static_groups"}}; every key is
// optional when read: absent keys keep their value in `base`, so a plan's
// override names only what differs from the default spec. Unknown keys and
// bad values throw std::invalid_argument naming the key.
nlohmann::json quantSpecToJson(const QuantSpec& spec);
QuantSpec quantSpecFromJson(const nlohmann::json& j, const QuantSpec& base = {});
// The "activation" member alone: {"format", "granularity", "scale"}, read over `base`.
nlohmann::json activationSpecToJson(const ActivationSpec& activation);
ActivationSpec activationSpecFromJson(const nlohmann::json& j, const ActivationSpec& base = {});

// A short label: "W4 g128 asym GPTQ", "W8 per-channel RTN", "W8A8 INT8
// per-channel/per-token", "W8A8 FP8 per-channel/per-tensor". Symmetric is the
// unmarked case; RTN is left out of weight-activation labels.
std::string quantSpecLabel(const QuantSpec& spec);

// Checks the spec on its own (bits range, group size, knobs in range) and
// against a layer of `inFeatures` inputs (the group size must divide it);
// throws std::invalid_argument "<layer>: <problem>".
void validateQuantSpec(const QuantSpec& spec, const std::string& layer, int64_t inFeatures);
// The problem validateQuantSpec would report, without the layer name, or an
// empty string; inFeatures 0 skips the check that needs the layer.
std::string quantSpecProblem(const QuantSpec& spec, int64_t inFeatures = 0);

}  // namespace qs
