#include "analysis/plan_suggestion.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace qs {

int64_t budgetLayerCount(double fraction, int64_t layers) {
    if (!(fraction > 0 && fraction <= 1)) throw std::invalid_argument("the budget must be a fraction in (0, 1] of the layers");
    return std::clamp<int64_t>(int64_t(std::floor(fraction * double(layers))), 1, std::max<int64_t>(1, layers));
}

std::vector<const LayerSensitivity*> bySensitivity(const SensitivityResult& scan) {
    std::vector<const LayerSensitivity*> order;
    for (const LayerSensitivity& l : scan.layers) order.push_back(&l);
    std::stable_sort(order.begin(), order.end(),
                     [](const LayerSensitivity* a, const LayerSensitivity* b) { return a->klMean > b->klMean; });
    return order;
}

PlanSuggestion planUpgrading(const SensitivityResult& scan, const std::vector<std::string>& layers, int groupSize) {
    PlanSuggestion s;
    s.plan = uniformPlan(scan.spec);
    s.plan.source = "suggestion";
    QuantSpec finer = scan.spec;
    finer.granularity = Granularity::PerGroup;
    finer.groupSize = groupSize;
    if (const std::string problem = quantSpecProblem(finer); !problem.empty())
        throw std::invalid_argument("per-group " + std::to_string(groupSize) + ": " + problem);
    for (const std::string& name : layers) {
        QuantOverride o;
        o.name = name;
        o.spec = finer;
        s.plan.overrides.push_back(std::move(o));
    }
    s.upgraded = layers;
    for (const LayerSensitivity& l : scan.layers) {
        s.scanTotalKl += l.klMean;
        if (std::find(layers.begin(), layers.end(), l.name) == layers.end()) s.predictedKl += l.klMean;
    }
    return s;
}

PlanSuggestion suggestTopK(const SensitivityResult& scan, double budgetFraction, int groupSize) {
    const auto order = bySensitivity(scan);
    const int64_t k = std::min<int64_t>(budgetLayerCount(budgetFraction, int64_t(order.size())), int64_t(order.size()));
    std::vector<std::string> names;
    for (int64_t i = 0; i < k; ++i) names.push_back(order[size_t(i)]->name);
    return planUpgrading(scan, names, groupSize);
}

PlanSuggestion suggestForTarget(const SensitivityResult& scan, double targetKl, int groupSize) {
    if (!(targetKl >= 0)) throw std::invalid_argument("the target KL must be a non-negative number");
    double remaining = 0;
    for (const LayerSensitivity& l : scan.layers) remaining += l.klMean;
    std::vector<std::string> names;
    for (const LayerSensitivity* l : bySensitivity(scan)) {
        // Upgrading a layer whose quantization measured no damage cannot lower the estimate.
        if (remaining <= targetKl || l->klMean <= 0) break;
        names.push_back(l->name);
        remaining -= l->klMean;
    }
    return planUpgrading(scan, names, groupSize);
}

}  // namespace qs
