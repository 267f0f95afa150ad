// Mixed-precision plan suggestions from a sensitivity scan: the layers whose
// quantization alone hurt the most (by measured KL) get a finer per-group
// grid, the rest keep the scan's spec. Suggestions are plain QuantPlans.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/sensitivity_scan.h"
#include "quant/quant_plan.h"

namespace qs {

struct PlanSuggestion {
    QuantPlan plan;
    std::vector<std::string> upgraded;  // layers switched to per-group, most sensitive first
    // Additive estimate of the plan's KL: the sum of the scan's KL over the
    // layers left at the scan's spec (upgraded layers counted as 0).
    double predictedKl = 0;
    double scanTotalKl = 0;  // the same sum over every layer (nothing upgraded)
};

// The number of layers a budget allows: floor(fraction x layers), at least 1
// (3% of qs-tiny-llama's 28 linears is 1); fraction in (0, 1].
int64_t budgetLayerCount(double fraction, int64_t layers);

// Layers in decreasing measured KL (ties: scan order).
std::vector<const LayerSensitivity*> bySensitivity(const SensitivityResult& scan);

// The scan's spec everywhere, with `layers` overridden to the same spec at
// per-group granularity of `groupSize` inputs.
PlanSuggestion planUpgrading(const SensitivityResult& scan, const std::vector<std::string>& layers, int groupSize = 128);

// The budget's count of most sensitive layers upgraded.
PlanSuggestion suggestTopK(const SensitivityResult& scan, double budgetFraction = 0.03, int groupSize = 128);

// Greedy: upgrades layers in decreasing KL until the predicted KL is at most
// targetKl (none when the scan's total already is); at most every layer of
// positive KL.
PlanSuggestion suggestForTarget(const SensitivityResult& scan, double targetKl, int groupSize = 128);

}  // namespace qs
