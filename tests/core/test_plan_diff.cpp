// Plan diffs on qs-tiny-llama's real configuration (4 blocks): which layers'
// resolved specs differ between two plans (either may be the unquantized
// model), in model order, with the one-line summary and the table headline
// the Runs dock shows; plans read back from their JSON diff the same.
#include <fstream>

#include <nlohmann/json.hpp>

#include "check.h"
#include "formats/model_config.h"
#include "formats/tensor_names.h"
#include "quant/plan_diff.h"

using namespace qs;
using qs::test::sharedDir;

namespace {

ModelConfig tinyLlamaConfig() {
    const std::string path = sharedDir() + "/models/qs-tiny-llama/config.json";
    return modelConfigFromHfJson(nlohmann::json::parse(std::ifstream(path)), path);
}

QuantPlan planFromJson(const char* text) { return quantPlanFromJson(nlohmann::json::parse(text), "test plan"); }

// W8 per-channel RTN everywhere (the default spec's other fields).
constexpr const char* kW8PerChannel = R"({"default": {"weight": {"bits": 8, "granularity": "per_channel"}}})";

// The same, with the down projections of blocks 0 and 3 moved to groups of
// 128 and block 2's q_proj left unquantized: an edit made from a sensitivity scan.
constexpr const char* kEdited = R"({
  "default": {"weight": {"bits": 8, "granularity": "per_channel"}},
  "overrides": [
    {"regex": "model\\.layers\\.[03]\\.mlp\\.down_proj\\.weight",
     "weight": {"granularity": "per_group", "group_size": 128}},
    {"name": "model.layers.2.self_attn.q_proj.weight", "quantize": false}
  ]
})";

}  // namespace

QS_TEST(layer_names_cover_every_block_projection_and_the_head) {
    const ModelConfig c = tinyLlamaConfig();
    QS_CHECK_EQ(c.numLayers, int64_t(4));
    const std::vector<std::string> names = planLayerNames(int(c.numLayers));
    QS_CHECK_EQ(names.size(), size_t(4 * 7 + 1));
    QS_CHECK_EQ(names.front(), std::string("model.layers.0.self_attn.q_proj.weight"));
    QS_CHECK_EQ(names[27], std::string("model.layers.3.mlp.down_proj.weight"));
    QS_CHECK_EQ(names.back(), std::string("lm_head.weight"));
}

QS_TEST(identical_plans_have_no_changes) {
    const auto layers = planLayerNames(int(tinyLlamaConfig().numLayers));
    const QuantPlan plan = planFromJson(kW8PerChannel);
    QS_CHECK(diffPlans(plan, plan, layers).empty());
    QS_CHECK(diffPlans(std::nullopt, std::nullopt, layers).empty());
    QS_CHECK_EQ(planDiffSummary({}), std::string("no layer changes"));
    QS_CHECK_EQ(planDiffHeadline({}), std::string("same plan"));
}

QS_TEST(edited_layers_are_listed_in_model_order_with_their_labels) {
    const ModelConfig c = tinyLlamaConfig();
    const QuantPlan before = planFromJson(kW8PerChannel);
    const QuantPlan after = planFromJson(kEdited);
    checkAgainstModel(after, c);  // g128 divides down_proj's 512 inputs
    const auto changes = diffPlans(before, after, planLayerNames(int(c.numLayers)));
    QS_CHECK_EQ(changes.size(), size_t(3));
    if (changes.size() != 3) return;
    QS_CHECK_EQ(changes[0].layer, linearTensorName(0, 6));
    QS_CHECK_EQ(changes[1].layer, linearTensorName(2, 0));
    QS_CHECK_EQ(changes[2].layer, linearTensorName(3, 6));
    QS_CHECK_EQ(changes[0].before, std::string("W8 per-channel RTN"));
    QS_CHECK_EQ(changes[0].after, std::string("W8 g128 RTN"));
    QS_CHECK_EQ(changes[1].after, std::string(kUnquantizedLabel));
    QS_CHECK_EQ(planDiffSummary(changes),
                std::string("3 layers: blocks 0,3 down_proj W8 per-channel RTN -> W8 g128 RTN; "
                            "block 2 q_proj W8 per-channel RTN -> none"));
    QS_CHECK_EQ(planDiffHeadline(changes), std::string("3 layers changed"));

    // Backwards, the same layers with before and after swapped.
    const auto back = diffPlans(after, before, planLayerNames(int(c.numLayers)));
    QS_CHECK_EQ(back.size(), size_t(3));
    if (back.size() == 3) QS_CHECK_EQ(back[2].before, changes[2].after);

    // A run records its plan as JSON: read back, it diffs the same.
    const QuantPlan stored = quantPlanFromJson(quantPlanToJson(after), "run-0002");
    QS_CHECK(diffPlans(after, stored, planLayerNames(int(c.numLayers))).empty());
}

QS_TEST(from_the_unquantized_model_every_quantized_layer_changes) {
    const auto layers = planLayerNames(int(tinyLlamaConfig().numLayers));
    const QuantPlan plan = planFromJson(kW8PerChannel);  // lm_head skipped by default
    const auto changes = diffPlans(std::nullopt, plan, layers);
    QS_CHECK_EQ(changes.size(), size_t(28));
    QS_CHECK_EQ(planDiffSummary(changes),
                std::string("28 layers: blocks 0-3 q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj "
                            "none -> W8 per-channel RTN"));
    QS_CHECK_EQ(planDiffHeadline(changes), std::string("28 layers -> W8 per-channel RTN"));
    QS_CHECK_EQ(diffPlans(plan, std::nullopt, layers).size(), size_t(28));
}

QS_TEST(summary_writes_block_runs_and_the_head) {
    const auto layers = planLayerNames(int(tinyLlamaConfig().numLayers));
    const QuantPlan before = planFromJson(kW8PerChannel);
    const QuantPlan after = planFromJson(R"({
      "default": {"weight": {"bits": 8, "granularity": "per_channel"}},
      "overrides": [{"regex": "model\\.layers\\.[012]\\.self_attn\\.v_proj\\.weight", "weight": {"bits": 4}},
                    {"regex": "model\\.layers\\.[01]\\.mlp\\.up_proj\\.weight", "weight": {"bits": 4}}],
      "skip": []})");
    const auto changes = diffPlans(before, after, layers);
    QS_CHECK_EQ(changes.size(), size_t(6));  // three v_proj, two up_proj, the head
    QS_CHECK_EQ(planDiffSummary(changes), std::string("6 layers: blocks 0-2 v_proj and blocks 0,1 up_proj "
                                                      "W8 per-channel RTN -> W4 per-channel RTN; "
                                                      "lm_head none -> W8 per-channel RTN"));
    QS_CHECK_EQ(planDiffHeadline(changes), std::string("6 layers changed"));
}

QS_TEST(knobs_the_label_leaves_out_still_count) {
    const auto layers = planLayerNames(int(tinyLlamaConfig().numLayers));
    const QuantPlan a = planFromJson(R"({"default": {"method": "gptq", "weight": {"bits": 4}}})");
    const QuantPlan b = planFromJson(R"({"default": {"method": "gptq", "weight": {"bits": 4}},
      "overrides": [{"name": "model.layers.1.mlp.gate_proj.weight", "gptq": {"damp": 0.1}}]})");
    const auto changes = diffPlans(a, b, layers);
    QS_CHECK_EQ(changes.size(), size_t(1));
    if (changes.size() == 1) {
        QS_CHECK_EQ(changes[0].layer, linearTensorName(1, 4));
        QS_CHECK_EQ(changes[0].before, changes[0].after);  // same label, different damping
    }
}
