#include "quant/plan_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "formats/tensor_names.h"

namespace qs {

namespace {

std::string specLabel(const std::optional<QuantSpec>& spec) {
    return spec ? quantSpecLabel(*spec) : std::string(kUnquantizedLabel);
}

std::optional<QuantSpec> specOf(const std::optional<QuantPlan>& plan, const std::string& layer) {
    return plan ? resolve(*plan, layer) : std::nullopt;
}

// "block 2", "blocks 0,5", "blocks 0-3,7": consecutive blocks as ranges.
std::string blocksText(const std::set<int>& blocks) {
    std::string out = blocks.size() == 1 ? "block " : "blocks ";
    for (auto it = blocks.begin(); it != blocks.end();) {
        const int first = *it;
        int last = first;
        for (++it; it != blocks.end() && *it == last + 1; ++it) last = *it;
        if (out.back() != ' ') out += ',';
        out += std::to_string(first);
        if (last == first) continue;
        out += last == first + 1 ? ',' : '-';
        out += std::to_string(last);
    }
    return out;
}

// The changes that went from one label to another: which blocks each
// projection changed in, and the layers outside the blocks (lm_head).
struct ChangeGroup {
    std::string before, after;
    std::map<int, std::set<int>> blocksByProjection;
    std::vector<std::string> others;
};

std::string groupText(const ChangeGroup& g) {
    // Projections that changed in the same blocks are written together.
    std::vector<std::pair<std::set<int>, std::string>> entries;
    for (const auto& [projection, blocks] : g.blocksByProjection) {
        const std::string name = std::string(kProjections[size_t(projection)]) + "_proj";
        auto same = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == blocks; });
        if (same == entries.end())
            entries.emplace_back(blocks, name);
        else
            same->second += "," + name;
    }
    std::string what;
    for (const auto& [blocks, names] : entries)
        what += (what.empty() ? "" : " and ") + blocksText(blocks) + " " + names;
    for (const std::string& other : g.others) {
        const std::string shortName = other.ends_with(".weight") ? other.substr(0, other.size() - 7) : other;
        what += (what.empty() ? "" : " and ") + shortName;
    }
    return what + " " + g.before + " -> " + g.after;
}

}  // namespace

std::vector<LayerSpecChange> diffPlans(const std::optional<QuantPlan>& before, const std::optional<QuantPlan>& after,
                                       const std::vector<std::string>& layers) {
    std::vector<LayerSpecChange> changes;
    for (const std::string& layer : layers) {
        const std::optional<QuantSpec> a = specOf(before, layer);
        const std::optional<QuantSpec> b = specOf(after, layer);
        if (a != b) changes.push_back({layer, specLabel(a), specLabel(b)});
    }
    return changes;
}

std::string planDiffSummary(const std::vector<LayerSpecChange>& changes) {
    if (changes.empty()) return "no layer changes";
    std::vector<ChangeGroup> groups;  // in the order of their first layer
    for (const LayerSpecChange& c : changes) {
        auto g = std::find_if(groups.begin(), groups.end(),
                              [&](const ChangeGroup& x) { return x.before == c.before && x.after == c.after; });
        if (g == groups.end()) g = groups.insert(groups.end(), ChangeGroup{c.before, c.after, {}, {}});
        if (const auto linear = parseLinearName(c.layer))
            g->blocksByProjection[linear->projection].insert(linear->block);
        else
            g->others.push_back(c.layer);
    }
    std::string out = std::to_string(changes.size()) + (changes.size() == 1 ? " layer: " : " layers: ");
    for (size_t i = 0; i < groups.size(); ++i) out += (i ? "; " : "") + groupText(groups[i]);
    return out;
}

std::string planDiffHeadline(const std::vector<LayerSpecChange>& changes) {
    if (changes.empty()) return "same plan";
    const std::string count = std::to_string(changes.size()) + (changes.size() == 1 ? " layer" : " layers");
    const bool oneTarget = std::all_of(changes.begin(), changes.end(),
                                       [&](const LayerSpecChange& c) { return c.after == changes.front().after; });
    return oneTarget ? count + " -> " + changes.front().after : count + " changed";
}

}  // namespace qs
