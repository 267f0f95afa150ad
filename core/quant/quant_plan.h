// Which spec each linear layer of a model gets: a default spec, ordered
// per-layer overrides (exact canonical name or regex), and layers left
// unquantized. Stored as JSON:
//   {"default": {spec},
//    "overrides": [{"name": "model.layers.0.mlp.down_proj.weight", <spec fields>},
//                  {"regex": "model\\.layers\\.[0-3]\\..*", "quantize": false}],
//    "skip": ["lm_head\\.weight"]}
// Only the decoder blocks' seven projections and lm_head.weight are ever
// quantized; embeddings and norms never are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "formats/model_config.h"
#include "quant/quant_spec.h"

namespace qs {

struct QuantOverride {
    // Exactly one of the two: an exact canonical name, or an ECMAScript
    // regex that must match the whole name.
    std::string name;
    std::string regex;
    bool quantize = true;  // false: matching layers stay unquantized
    // The default spec with this entry's fields applied (fields the entry
    // leaves out come from the default, as it was when the plan was read).
    QuantSpec spec;
    int line = 0;  // where the entry starts in its file; 0 when not read from one
};

struct QuantPlan {
    QuantSpec defaultSpec;
    // Matched in order; the LAST matching entry decides (later, more specific
    // entries refine earlier, broader ones, as in CSS or .gitignore).
    std::vector<QuantOverride> overrides;
    // Regexes (whole name) of layers never quantized, whatever the overrides
    // say. The output head stays in high precision by default, as in GPTQ/AWQ.
    std::vector<std::string> skip = {"lm_head\\.weight"};
    std::string source;  // the file it was read from, named in errors ("plan" when built in code)
};

// The file the plan was read from, or "plan", for error messages.
std::string planSourceName(const QuantPlan& plan);

// A plan applying `spec` to every block projection.
QuantPlan uniformPlan(const QuantSpec& spec);

// The linear layers a plan can quantize in a model of `numLayers` decoder
// blocks: each block's seven projections (kProjections order), then lm_head.
std::vector<std::string> planLayerNames(int numLayers);

// The spec of layer `canonicalName`, or nullopt when it stays unquantized
// (not a linear layer, skipped, or an override with "quantize": false).
std::optional<QuantSpec> resolve(const QuantPlan& plan, std::string_view canonicalName);

// `text` is the JSON the value came from, for line numbers (may be empty).
// Throws FormatError "<source>: overrides[2] (line 14): <problem>".
QuantPlan quantPlanFromJson(const nlohmann::json& j, const std::string& source, std::string_view text = {});
nlohmann::json quantPlanToJson(const QuantPlan& plan);

// A real plan, even one override per layer of a 70B model, is well under
// 1 MiB; larger files are refused rather than parsed into memory.
constexpr uintmax_t kMaxPlanFileBytes = uintmax_t(16) << 20;

// Reads and validates a plan file; JSON syntax errors name the line. Files
// over kMaxPlanFileBytes are refused with a FormatError naming the limit.
QuantPlan loadQuantPlan(const std::string& path);
// Writes a temporary file beside `path` and renames it over `path`, so a
// crash never leaves a half-written plan.
void saveQuantPlan(const QuantPlan& plan, const std::string& path);

// Every override must match a layer of the model, and every resolved spec
// must fit its layer (group size dividing the in-features); throws
// FormatError naming the entry, its line and the layer.
void checkAgainstModel(const QuantPlan& plan, const ModelConfig& config);

// The default spec's label, plus how many overrides refine it.
std::string quantPlanLabel(const QuantPlan& plan);

}  // namespace qs
