// What changed between two quantization plans on one model, layer by layer:
// the Runs table puts each evaluation next to the previous one of its kind
// with this diff, so a change in perplexity or KL can be read against the
// layers whose spec moved (a sensitivity-guided edit: "blocks 0,5 down_proj
// W8 per-channel -> W8 g128").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quant/quant_plan.h"

namespace qs {

// The label quantSpecLabel gives; kUnquantizedLabel for a layer left in full precision.
inline constexpr const char* kUnquantizedLabel = "none";

struct LayerSpecChange {
    std::string layer;   // canonical tensor name
    std::string before;  // quantSpecLabel of the spec, or kUnquantizedLabel
    std::string after;
};

// The layers of `layers` whose resolved spec differs from `before` to `after`,
// in the order given; a plan that is nullopt is the unquantized model. Specs
// are compared whole (knobs a label leaves out, such as GPTQ damping, count).
std::vector<LayerSpecChange> diffPlans(const std::optional<QuantPlan>& before, const std::optional<QuantPlan>& after,
                                       const std::vector<std::string>& layers);

// One line: "3 layers: blocks 0,5 down_proj W8 per-channel RTN -> W8 g128 RTN;
// block 2 q_proj,k_proj none -> W4 g128 GPTQ"; "no layer changes" when empty.
// Projections that changed the same way in the same blocks share an entry;
// block runs are written as ranges (0-3).
std::string planDiffSummary(const std::vector<LayerSpecChange>& changes);

// A few words for a table cell: "2 layers -> W8 g128 RTN" when every changed
// layer went to the same spec, "5 layers changed" otherwise, "same plan".
std::string planDiffHeadline(const std::vector<LayerSpecChange>& changes);

}  // namespace qs
