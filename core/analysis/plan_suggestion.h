// Mixed-precision plan suggestions from a sensitivity scan: the layers whose
// quantization alone hurt the most (by measured KL) get a finer per-group
// grid, the rest keep the scan's spec. Suggestions are plain QuantPlans.
//
// The predicted KL of a suggestion is additive over layers: each layer left at
// the scan's spec counts with the KL the scan measured for it alone, and each
// upgraded layer with the KL a second scan measured for it alone at the
// upgraded spec. Counting an upgraded layer as zero (what this once did)
// predicted 0.00015 nats for a plan that measured 0.022 (qs-tiny-llama-outliers,
// W8A8, four layers at g32): per-group quantization still costs KL. With the
// second scan the sum stays within 13% of the measured KL of the plan on both
// demo models (tests/core/test_sensitivity.cpp pins it), because the layers'
// small perturbations of the logits add up to first order.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "analysis/sensitivity_scan.h"
#include "quant/quant_plan.h"

namespace qs {

// A layer a suggestion may switch to the upgraded spec, with what the scans
// measured with it quantized alone.
struct UpgradeCandidate {
    std::string name;
    double scanKl = 0;  // at the scan's spec (the first scan)
    double upgradedKl = std::numeric_limits<double>::quiet_NaN();  // at the upgraded spec; NaN until scanned
};

struct PlanSuggestion {
    QuantPlan plan;
    std::vector<std::string> upgraded;         // layers switched to per-group, most sensitive first
    std::vector<UpgradeCandidate> candidates;  // the same layers with their scanned KLs
    // The additive estimate above; NaN when an upgraded layer was not scanned
    // at the upgraded spec (then there is no prediction: measure the plan).
    double predictedKl = std::numeric_limits<double>::quiet_NaN();
    double scanTotalKl = 0;  // the scan's KL summed over every layer (nothing upgraded)
};

// The number of layers a budget allows: floor(fraction x layers), at least 1
// (3% of qs-tiny-llama's 28 linears is 1); fraction in (0, 1].
int64_t budgetLayerCount(double fraction, int64_t layers);

// Layers in decreasing measured KL (ties: scan order).
std::vector<const LayerSensitivity*> bySensitivity(const SensitivityResult& scan);

// The scan's spec at per-group granularity of `groupSize` inputs; throws
// std::invalid_argument when that is not a valid spec.
QuantSpec upgradedSpec(const QuantSpec& scanSpec, int groupSize);

// The `count` most sensitive layers of the scan (all when count exceeds them),
// their upgraded KL not yet scanned.
std::vector<UpgradeCandidate> mostSensitive(const SensitivityResult& scan, int64_t count);

// Sets each candidate's upgradedKl from `upgradedScan`, a scan at the upgraded
// spec on the first scan's evaluation windows. Throws std::invalid_argument
// when it was run on other windows (token count or base NLL differ) or lacks a
// candidate's layer.
void setUpgradedKl(std::vector<UpgradeCandidate>& candidates, const SensitivityResult& scan,
                   const SensitivityResult& upgradedScan);

// The scan's spec everywhere, the candidates' layers at upgradedSpec(scan.spec, groupSize).
PlanSuggestion planUpgrading(const SensitivityResult& scan, const std::vector<UpgradeCandidate>& upgraded,
                             int groupSize = 128);

// Measures the named layers, each alone, at the upgraded spec on the scan's
// evaluation windows (scanSensitivity with SensitivityOptions::layers).
using UpgradedScanner = std::function<SensitivityResult(const std::vector<std::string>& layers)>;

// The budget's count of most sensitive layers upgraded, scanned at the
// upgraded spec for the prediction.
PlanSuggestion suggestTopK(const SensitivityResult& scan, double budgetFraction, int groupSize,
                           const UpgradedScanner& scanUpgraded);
// The same plan without the second scan, so without a prediction (NaN).
PlanSuggestion suggestTopK(const SensitivityResult& scan, double budgetFraction = 0.03, int groupSize = 128);

// Greedy: walks the layers in decreasing scan KL and upgrades each one whose
// upgraded KL is below its scan KL, until the predicted KL is at most
// targetKl (none when the scan's total already is) or no layer of positive
// KL is left. The upgraded KLs are scanned as the walk needs them, in batches
// that double, the first as long as the walk would be with upgraded layers
// counted as zero (a lower bound on its length).
PlanSuggestion suggestForTarget(const SensitivityResult& scan, double targetKl, int groupSize,
                                const UpgradedScanner& scanUpgraded);

}  // namespace qs
