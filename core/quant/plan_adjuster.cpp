#include "quant/plan_adjuster.h"

#include <memory>
#include <stdexcept>

#include "quant/apply_plan.h"

namespace qs {

BlockAdjuster planBlockAdjuster(const LlamaModel& model, const QuantPlan& plan, const TokenBatch* calibration,
                                const PlanQuantizeOptions& options) {
    if (!planNeedsCalibration(plan, model.config())) return onTheFlyBlockAdjuster(plan, model.config());
    if (!calibration)
        throw std::invalid_argument("the plan (" + quantPlanLabel(plan) + ") needs calibration data");
    // The quantized blocks live as long as the adjuster that hands them out.
    auto quantized = std::make_shared<PlanQuantizeResult>(quantizePlanWithCalibration(model, plan, *calibration, options));
    return [quantized](DecoderBlockWeights& block) { block = quantized->model.blocks.at(size_t(block.block)); };
}

}  // namespace qs
