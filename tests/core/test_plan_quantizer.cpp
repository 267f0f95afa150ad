// A plan quantized on calibration data (quant/plan_quantizer.h) on the real
// qs-tiny-llama: which plans need calibration, that the calibrated path and
// the on-the-fly path agree where both apply, per-layer GPTQ overrides and
// skipped layers, static activation scales calibrated from the block inputs,
// and the plans it must refuse, named.
#include <cmath>

#include "check.h"
#include "formats/tensor_names.h"
#include "quant/activation_stats.h"
#include "quant/apply_plan.h"
#include "quant/plan_quantizer.h"
#include "tiny_block_inputs.h"

using namespace qs;
using namespace qs::test;

namespace {

QuantSpec spec(QuantMethod m, int bits, int group = 0) {
    QuantSpec s;
    s.method = m;
    s.bits = bits;
    s.granularity = group ? Granularity::PerGroup : Granularity::PerChannel;
    if (group) s.groupSize = group;
    return s;
}

QuantOverride exact(const std::string& name, const QuantSpec& s, bool quantize = true) {
    QuantOverride o;
    o.name = name;
    o.spec = s;
    o.quantize = quantize;
    return o;
}

}  // namespace

QS_TEST(which_plans_need_calibration) {
    TinyBlockInputs in(1, 2, 32);
    const ModelConfig& c = in.model.config();
    QS_CHECK(!planNeedsCalibration(uniformPlan(spec(QuantMethod::Rtn, 4, 128)), c));
    QS_CHECK(planNeedsCalibration(uniformPlan(spec(QuantMethod::Gptq, 4, 128)), c));
    QuantSpec staticAct = spec(QuantMethod::Rtn, 8);
    staticAct.activation = {ActivationFormat::Int8, false, std::nullopt};
    QS_CHECK(planNeedsCalibration(uniformPlan(staticAct), c));
    staticAct.activation.scale = 0.05;
    QS_CHECK(!planNeedsCalibration(uniformPlan(staticAct), c));
    QuantPlan one = uniformPlan(spec(QuantMethod::Rtn, 4));
    one.overrides.push_back(exact("model.layers.2.mlp.up_proj.weight", spec(QuantMethod::Awq, 4, 128)));
    QS_CHECK(planNeedsCalibration(one, c));
}

QS_TEST(calibrated_rtn_equals_on_the_fly_rtn) {
    TinyBlockInputs in(1, 4, 64);
    const QuantPlan plan = uniformPlan(spec(QuantMethod::Rtn, 3, 128));
    const PlanQuantizeResult r = quantizePlanWithCalibration(in.model, plan, in.calibration);
    const auto adjust = onTheFlyBlockAdjuster(plan, in.model.config());
    for (int b = 0; b < in.model.numBlocks(); ++b) {
        DecoderBlockWeights expected = in.model.loadBlock(b);
        adjust(expected);
        for (int p = 0; p < kProjectionCount; ++p)
            QS_CHECK(r.model.blocks[size_t(b)].linear[size_t(p)].w == expected.linear[size_t(p)].w);
    }
    QS_CHECK_EQ(r.layers.size(), size_t(7 * in.model.numBlocks()));
}

QS_TEST(gptq_overrides_and_skipped_layers) {
    TinyBlockInputs in(1, 8, 64);
    QuantPlan plan = uniformPlan(spec(QuantMethod::Gptq, 3, 128));
    const std::string w8 = "model.layers.1.self_attn.o_proj.weight";
    const std::string kept = "model.layers.2.mlp.down_proj.weight";
    const std::string rtn = "model.layers.0.mlp.gate_proj.weight";
    plan.overrides.push_back(exact(w8, spec(QuantMethod::Gptq, 8)));
    plan.overrides.push_back(exact(kept, spec(QuantMethod::Gptq, 3, 128), false));
    plan.overrides.push_back(exact(rtn, spec(QuantMethod::Rtn, 4)));
    const PlanQuantizeResult r = quantizePlanWithCalibration(in.model, plan, in.calibration);

    // The skipped layer is the checkpoint's, bit for bit.
    QS_CHECK(r.model.blocks[2][Projection::Down].w == in.model.loadBlock(2)[Projection::Down].w);
    // The RTN layer is RTN's, exactly.
    DecoderBlockWeights b0 = in.model.loadBlock(0);
    fakeQuantizeWeights(spec(QuantMethod::Rtn, 4), b0[Projection::Gate]);
    QS_CHECK(r.model.blocks[0][Projection::Gate].w == b0[Projection::Gate].w);
    // GPTQ reports every GPTQ layer and only those: 28 - 2; the W8 layer is far closer to its weights.
    int gptqLayers = 0;
    double w8Error = -1, w3Error = -1;
    for (const LayerQuantReport& l : r.layers) {
        gptqLayers += l.method == "gptq";
        if (l.name == w8) w8Error = l.relativeError;
        if (l.name == "model.layers.1.self_attn.q_proj.weight") w3Error = l.relativeError;
    }
    QS_CHECK_EQ(gptqLayers, 26);
    QS_CHECK(w8Error >= 0 && w3Error > 0 && w8Error < w3Error / 50);
}

QS_TEST(static_activation_scales_come_from_the_block_inputs) {
    TinyBlockInputs in(1, 4, 64);
    QuantSpec s = spec(QuantMethod::Rtn, 8);
    s.activation = {ActivationFormat::Int8, false, std::nullopt};
    const PlanQuantizeResult r = quantizePlanWithCalibration(in.model, uniformPlan(s), in.calibration);
    // q/k/v read RMSNorm(embedding): their input does not depend on the block's own weights.
    const BlockInputs x = captureBlockInputs(in.model.config(), in.model.loadBlock(0), in.calib(0));
    const ActivationStats st = activationStats(x[size_t(InputSite::Attention)]);
    double absmax = 0;
    for (float v : st.channelAbsmax) absmax = std::max(absmax, double(v));
    for (Projection p : {Projection::Q, Projection::K, Projection::V}) {
        const InputQuant& q = r.model.blocks[0][p].inputQuant;
        QS_CHECK(q.format == InputQuant::Format::Int8 && !q.perToken);
        QS_CHECK_NEAR(q.staticScale, absmax / 127, 1e-12 * absmax);
    }
    for (const auto& block : r.model.blocks)
        for (const auto& l : block.linear) QS_CHECK(l.inputQuant.staticScale > 0);
}

QS_TEST(mixed_or_split_calibration_methods_are_refused_by_name) {
    TinyBlockInputs in(1, 2, 32);
    QuantPlan mixed = uniformPlan(spec(QuantMethod::Gptq, 4, 128));
    mixed.source = "mixed.json";
    mixed.overrides.push_back(exact("model.layers.3.mlp.up_proj.weight", spec(QuantMethod::Awq, 4, 128)));
    const std::string m1 = thrownMessage([&] { quantizePlanWithCalibration(in.model, mixed, in.calibration); });
    QS_CHECK(m1.find("mixed.json") != std::string::npos && m1.find("block 3 mixes") != std::string::npos);

    QuantPlan split = uniformPlan(spec(QuantMethod::Awq, 4, 128));
    split.overrides.push_back(exact("model.layers.1.mlp.down_proj.weight", spec(QuantMethod::Awq, 3, 128)));
    const std::string m2 = thrownMessage([&] { quantizePlanWithCalibration(in.model, split, in.calibration); });
    QS_CHECK(m2.find("model.layers.1.mlp.down_proj.weight") != std::string::npos &&
             m2.find("same spec") != std::string::npos);
}
