#include "analysis/plan_suggestion.h"

#include <algorithm>
#include <cmath>
#include <map>
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

QuantSpec upgradedSpec(const QuantSpec& scanSpec, int groupSize) {
    QuantSpec finer = scanSpec;
    finer.granularity = Granularity::PerGroup;
    finer.groupSize = groupSize;
    if (const std::string problem = quantSpecProblem(finer); !problem.empty())
        throw std::invalid_argument("per-group " + std::to_string(groupSize) + ": " + problem);
    return finer;
}

std::vector<UpgradeCandidate> mostSensitive(const SensitivityResult& scan, int64_t count) {
    std::vector<UpgradeCandidate> out;
    for (const LayerSensitivity* l : bySensitivity(scan)) {
        if (int64_t(out.size()) >= count) break;
        out.push_back({l->name, l->klMean});
    }
    return out;
}

void setUpgradedKl(std::vector<UpgradeCandidate>& candidates, const SensitivityResult& scan,
                   const SensitivityResult& upgradedScan) {
    // The same windows give the same base NLL, to float32 rounding when the scans ran on different devices
    // (~1e-6 relative); other windows of as many tokens differ by their sampling noise, percents.
    constexpr double kSameWindowsNllRelTol = 1e-4;
    if (upgradedScan.tokens != scan.tokens ||
        !(std::fabs(upgradedScan.baseNll - scan.baseNll) <= kSameWindowsNllRelTol * std::fabs(scan.baseNll)))
        throw std::invalid_argument("the upgraded scan was not run on the scan's evaluation windows (" +
                                    std::to_string(upgradedScan.tokens) + " tokens, base NLL " +
                                    std::to_string(upgradedScan.baseNll) + " against " + std::to_string(scan.tokens) +
                                    " tokens, base NLL " + std::to_string(scan.baseNll) + ")");
    std::map<std::string, double> kl;
    for (const LayerSensitivity& l : upgradedScan.layers) kl[l.name] = l.klMean;
    for (UpgradeCandidate& c : candidates) {
        const auto found = kl.find(c.name);
        if (found == kl.end()) throw std::invalid_argument("the upgraded scan has no result for " + c.name);
        c.upgradedKl = found->second;
    }
}

PlanSuggestion planUpgrading(const SensitivityResult& scan, const std::vector<UpgradeCandidate>& upgraded, int groupSize) {
    PlanSuggestion s;
    s.plan = uniformPlan(scan.spec);
    s.plan.source = "suggestion";
    const QuantSpec finer = upgradedSpec(scan.spec, groupSize);
    for (const UpgradeCandidate& c : upgraded) {
        QuantOverride o;
        o.name = c.name;
        o.spec = finer;
        s.plan.overrides.push_back(std::move(o));
        s.upgraded.push_back(c.name);
    }
    s.candidates = upgraded;
    // NaN upgraded KLs propagate: no prediction without the second scan.
    s.predictedKl = 0;
    for (const LayerSensitivity& l : scan.layers) {
        s.scanTotalKl += l.klMean;
        const auto c = std::find_if(upgraded.begin(), upgraded.end(), [&](const UpgradeCandidate& u) { return u.name == l.name; });
        s.predictedKl += c == upgraded.end() ? l.klMean : c->upgradedKl;
    }
    return s;
}

namespace {
std::vector<std::string> namesOf(const std::vector<UpgradeCandidate>& candidates) {
    std::vector<std::string> names;
    for (const UpgradeCandidate& c : candidates) names.push_back(c.name);
    return names;
}
}  // namespace

PlanSuggestion suggestTopK(const SensitivityResult& scan, double budgetFraction, int groupSize,
                           const UpgradedScanner& scanUpgraded) {
    upgradedSpec(scan.spec, groupSize);  // a bad group size fails before the scan
    std::vector<UpgradeCandidate> top = mostSensitive(scan, budgetLayerCount(budgetFraction, int64_t(scan.layers.size())));
    setUpgradedKl(top, scan, scanUpgraded(namesOf(top)));
    return planUpgrading(scan, top, groupSize);
}

PlanSuggestion suggestTopK(const SensitivityResult& scan, double budgetFraction, int groupSize) {
    return planUpgrading(scan, mostSensitive(scan, budgetLayerCount(budgetFraction, int64_t(scan.layers.size()))), groupSize);
}

PlanSuggestion suggestForTarget(const SensitivityResult& scan, double targetKl, int groupSize,
                                const UpgradedScanner& scanUpgraded) {
    if (!(targetKl >= 0)) throw std::invalid_argument("the target KL must be a non-negative number");
    upgradedSpec(scan.spec, groupSize);  // a bad group size fails before any scan
    double predicted = 0;
    for (const LayerSensitivity& l : scan.layers) predicted += l.klMean;
    // Upgrading a layer whose quantization measured no damage cannot lower the estimate: not a candidate.
    std::vector<UpgradeCandidate> ranked = mostSensitive(scan, int64_t(scan.layers.size()));
    ranked.erase(std::find_if(ranked.begin(), ranked.end(), [](const UpgradeCandidate& c) { return !(c.scanKl > 0); }),
                 ranked.end());
    // The first batch: how many layers the walk takes with upgraded layers counted as zero.
    size_t batch = 0;
    for (double rest = predicted; batch < ranked.size() && rest > targetKl; ++batch) rest -= ranked[batch].scanKl;
    batch = std::max<size_t>(batch, 1);
    std::vector<UpgradeCandidate> upgraded;
    size_t scanned = 0;
    for (size_t i = 0; i < ranked.size() && predicted > targetKl; ++i) {
        if (i == scanned) {
            const size_t end = std::min(ranked.size(), scanned + batch);
            std::vector<UpgradeCandidate> next(ranked.begin() + long(scanned), ranked.begin() + long(end));
            setUpgradedKl(next, scan, scanUpgraded(namesOf(next)));
            std::copy(next.begin(), next.end(), ranked.begin() + long(scanned));
            scanned = end;
            batch *= 2;
        }
        if (!(ranked[i].upgradedKl < ranked[i].scanKl)) continue;  // the finer grid does not help this layer
        upgraded.push_back(ranked[i]);
        predicted += ranked[i].upgradedKl - ranked[i].scanKl;
    }
    return planUpgrading(scan, upgraded, groupSize);
}

}  // namespace qs
