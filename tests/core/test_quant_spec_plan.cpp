// QuantSpec and QuantPlan: JSON round trips, labels, resolution order
// (regex and exact overrides, last match wins, lm_head skipped by default,
// embeddings and norms never quantized), validation errors that name the
// file, the entry, its line and the layer, and atomic save/load.
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "check.h"
#include "quant/json_text_positions.h"
#include "quant/quant_plan.h"

using namespace qs;

namespace {

// qs-tiny-llama's shape (hidden 256, intermediate 512, 4 blocks).
ModelConfig smallConfig() {
    ModelConfig c;
    c.hiddenSize = 256;
    c.intermediateSize = 512;
    c.numLayers = 4;
    c.numHeads = 8;
    c.numKvHeads = 2;
    c.headDim = 32;
    c.vocabSize = 2048;
    return c;
}

std::string writeFile(const std::string& name, const std::string& text) {
    const std::string path = qs::test::tempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

QuantSpec w4g128Asym() {
    QuantSpec s;
    s.bits = 4;
    s.granularity = Granularity::PerGroup;
    s.groupSize = 128;
    s.symmetric = false;
    s.method = QuantMethod::Gptq;
    return s;
}

}  // namespace

QS_TEST(specJsonRoundTripKeepsEveryField) {
    QuantSpec s = w4g128Asym();
    s.activation = {ActivationFormat::F8E4M3, false, 0.125};
    s.smoothAlpha = 0.8;
    s.gptq = {0.05, 64, true, true};
    const QuantSpec back = quantSpecFromJson(nlohmann::json::parse(quantSpecToJson(s).dump()));
    QS_CHECK(back == s);
    QS_CHECK(quantSpecFromJson(quantSpecToJson(QuantSpec{})) == QuantSpec{});
    // Defaults a researcher expects.
    QS_CHECK_EQ(QuantSpec{}.smoothAlpha, 0.5);
    QS_CHECK_EQ(QuantSpec{}.gptq.damp, 0.01);
    QS_CHECK_EQ(QuantSpec{}.gptq.blockSize, 128);
}

QS_TEST(specLabels) {
    QS_CHECK_EQ(quantSpecLabel(w4g128Asym()), std::string("W4 g128 asym GPTQ"));
    QuantSpec w8a8;
    w8a8.bits = 8;
    w8a8.activation.format = ActivationFormat::Int8;
    QS_CHECK_EQ(quantSpecLabel(w8a8), std::string("W8A8 INT8 per-channel/per-token"));
    QuantSpec fp8;
    fp8.format = WeightFormat::F8E4M3;
    fp8.bits = 8;
    QS_CHECK_EQ(quantSpecLabel(fp8), std::string("W8 FP8 per-channel RTN"));
    fp8.activation = {ActivationFormat::F8E4M3, false, 0.5};
    QS_CHECK_EQ(quantSpecLabel(fp8), std::string("W8A8 FP8 per-channel/per-tensor"));
    QuantSpec w3;
    w3.bits = 3;
    w3.granularity = Granularity::PerTensor;
    QS_CHECK_EQ(quantSpecLabel(w3), std::string("W3 per-tensor RTN"));
}

QS_TEST(specValidation) {
    QuantSpec s;
    s.bits = 9;
    QS_CHECK_THROWS_WITH(validateQuantSpec(s, "model.layers.1.mlp.up_proj.weight", 256),
                         "model.layers.1.mlp.up_proj.weight: bits 9 out of range 2..8");
    s.bits = 1;
    QS_CHECK_THROWS_WITH(validateQuantSpec(s, "L", 256), "bits 1 out of range");
    s = w4g128Asym();
    s.groupSize = 256;
    QS_CHECK_THROWS_WITH(validateQuantSpec(s, "L", 384), "L: group_size 256 does not divide 384");
    validateQuantSpec(s, "L", 512);  // divides: no throw
    s.groupSize = 100;
    QS_CHECK_THROWS_WITH(validateQuantSpec(s, "L", 400), "group_size 100 is not one of 32, 64, 128, 256");
    QS_CHECK_THROWS_WITH(quantSpecFromJson(nlohmann::json::parse(R"({"weight": {"bitz": 4}})")), "unknown key \"bitz\"");
    QS_CHECK_THROWS_WITH(quantSpecFromJson(nlohmann::json::parse(R"({"method": "foo"})")), "method must be one of");
    QS_CHECK_THROWS_WITH(quantSpecFromJson(nlohmann::json::parse(R"({"weight": {"bits": 4294967300}})")),
                         "weight.bits is out of range");
}

QS_TEST(planResolvesLastMatchWinsAndSkipsLmHead) {
    const std::string text = R"({
  "default": {"weight": {"bits": 4, "group_size": 128}},
  "overrides": [
    {"regex": "model\\.layers\\.[0-9]+\\.mlp\\..*", "weight": {"bits": 8}},
    {"name": "model.layers.2.mlp.down_proj.weight", "weight": {"bits": 3}},
    {"regex": "model\\.layers\\.3\\..*", "quantize": false}
  ]
})";
    const QuantPlan plan = quantPlanFromJson(nlohmann::json::parse(text), "p.json", text);
    const auto q0 = resolve(plan, "model.layers.0.self_attn.q_proj.weight");
    QS_CHECK(q0 && q0->bits == 4 && q0->granularity == Granularity::PerGroup && q0->groupSize == 128);
    const auto up0 = resolve(plan, "model.layers.0.mlp.up_proj.weight");
    QS_CHECK(up0 && up0->bits == 8 && up0->groupSize == 128);  // fields it omits come from the default
    const auto down2 = resolve(plan, "model.layers.2.mlp.down_proj.weight");
    QS_CHECK(down2 && down2->bits == 3);  // the later, exact entry wins over the regex
    const auto down1 = resolve(plan, "model.layers.1.mlp.down_proj.weight");
    QS_CHECK(down1 && down1->bits == 8);
    QS_CHECK(!resolve(plan, "model.layers.3.self_attn.q_proj.weight"));
    QS_CHECK(!resolve(plan, "lm_head.weight"));
    QS_CHECK(!resolve(plan, "model.embed_tokens.weight"));
    QS_CHECK(!resolve(plan, "model.layers.0.input_layernorm.weight"));
    QS_CHECK_EQ(plan.overrides[0].line, 4);
    QS_CHECK_EQ(plan.overrides[2].line, 6);
    checkAgainstModel(plan, smallConfig());  // every override matches a layer, every group divides

    QuantPlan withHead = plan;
    withHead.skip.clear();
    const auto head = resolve(withHead, "lm_head.weight");
    QS_CHECK(head && head->bits == 4);
}

QS_TEST(planJsonAndFileRoundTrip) {
    QuantPlan plan = uniformPlan(w4g128Asym());
    QuantOverride o;
    o.regex = ".*\\.down_proj\\.weight";
    o.spec = plan.defaultSpec;
    o.spec.bits = 8;
    plan.overrides.push_back(o);
    o = {};
    o.name = "model.layers.0.self_attn.q_proj.weight";
    o.quantize = false;
    plan.overrides.push_back(o);
    const std::string path = qs::test::tempDir() + "/plan.json";
    saveQuantPlan(plan, path);
    const QuantPlan back = loadQuantPlan(path);
    QS_CHECK(back.defaultSpec == plan.defaultSpec);
    QS_CHECK_EQ(back.overrides.size(), size_t(2));
    QS_CHECK_EQ(back.overrides[0].regex, plan.overrides[0].regex);
    QS_CHECK(back.overrides[0].spec == plan.overrides[0].spec);
    QS_CHECK_EQ(back.overrides[1].name, plan.overrides[1].name);
    QS_CHECK(!back.overrides[1].quantize);
    QS_CHECK(back.skip == plan.skip);
    QS_CHECK_EQ(back.source, path);
    QS_CHECK(back.overrides[0].line > 0);
    QS_CHECK_EQ(quantPlanLabel(back), std::string("W4 g128 asym GPTQ (+2 overrides)"));
    // Saving again over the file gives the same bytes.
    saveQuantPlan(back, path + "2");
    std::ifstream a(path), b(path + "2");
    QS_CHECK(std::string(std::istreambuf_iterator<char>(a), {}) == std::string(std::istreambuf_iterator<char>(b), {}));
}

QS_TEST(planSyntaxErrorNamesTheLine) {
    const std::string path = writeFile("bad_syntax.json", "{\n  \"default\": {\"weight\": {\"bits\": 4}},\n"
                                                          "  \"overrides\": [\n    {\"name\": \"x\",}\n  ]\n}\n");
    const std::string msg = qs::test::thrownMessage([&] { loadQuantPlan(path); });
    QS_CHECK(msg.find(path + ": line 4: JSON syntax error") != std::string::npos);
}

QS_TEST(planSemanticErrorsNameEntryAndLine) {
    const std::string bits = writeFile("bad_bits.json", R"({
  "overrides": [
    {"name": "model.layers.0.mlp.up_proj.weight"},

    {"name": "model.layers.1.mlp.up_proj.weight",
     "weight": {"bits": 12}}
  ]
})");
    QS_CHECK_THROWS_WITH(loadQuantPlan(bits), bits + ": overrides[1] (line 5): bits 12 out of range 2..8");

    const std::string group = writeFile("bad_group.json", R"({
  "default": {"weight": {"bits": 4}},
  "overrides": [
    {"regex": ".*q_proj.*"},
    {"regex": ".*k_proj.*"},
    {"name": "model.layers.0.mlp.down_proj.weight", "weight": {"group_size": 256}},
    {"name": "model.layers.0.self_attn.o_proj.weight", "weight": {"group_size": 256}}
  ]
})");
    ModelConfig c = smallConfig();
    c.intermediateSize = 384;  // 256 does not divide down_proj's 384 inputs
    const QuantPlan plan = loadQuantPlan(group);
    QS_CHECK_THROWS_WITH(checkAgainstModel(plan, c),
                         group + ": overrides[2] (line 6): group_size 256 does not divide 384 for "
                                 "model.layers.0.mlp.down_proj.weight");
    checkAgainstModel(plan, smallConfig());  // 512 inputs: fine

    const std::string nothing = writeFile("bad_match.json", R"({"overrides": [
  {"regex": ".*q_proj.*"},
  {"name": "model.layers.9.mlp.up_proj.weight"}]})");
    QS_CHECK_THROWS_WITH(checkAgainstModel(loadQuantPlan(nothing), smallConfig()),
                         nothing + ": overrides[1] (line 3): name \"model.layers.9.mlp.up_proj.weight\" matches no layer");
    const std::string embed = writeFile("bad_embed.json", R"({"overrides": [{"name": "model.embed_tokens.weight"}]})");
    QS_CHECK_THROWS_WITH(checkAgainstModel(loadQuantPlan(embed), smallConfig()), "matches no layer");

    QS_CHECK_THROWS_WITH(loadQuantPlan(writeFile("bad_regex.json", R"({"overrides": [{"regex": "(("}]})")),
                         "overrides[0] (line 1): bad regex");
    QS_CHECK_THROWS_WITH(loadQuantPlan(writeFile("bad_key.json", R"({"defaults": {}})")), "unknown key \"defaults\"");
    QS_CHECK_THROWS_WITH(loadQuantPlan(writeFile("bad_default.json", R"({"default": {"weight": {"bits": 0}}})")),
                         "default: bits 0 out of range");
    QS_CHECK_THROWS_WITH(loadQuantPlan(qs::test::tempDir() + "/missing.json"), "cannot open the plan file");
}

QS_TEST(arrayElementOffsetsIgnoresStringsAndNesting) {
    const std::string t = R"({"a": ["overrides", {"x": [1, 2]}], "overrides": [ {"k": "],["}, [3, 4], "s" ]})";
    const auto offs = arrayElementOffsets(t, "overrides");
    QS_CHECK_EQ(offs.size(), size_t(3));
    if (offs.size() == 3) {
        QS_CHECK_EQ(t[offs[0]], '{');
        QS_CHECK_EQ(t[offs[1]], '[');
        QS_CHECK_EQ(t[offs[2]], '"');
    }
    QS_CHECK_EQ(lineAtOffset("a\nb\nc", 4), 3);
    QS_CHECK(arrayElementOffsets(R"({"overrides": []})", "overrides").empty());
}
