#include "analysis/rank_correlation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace qs {

std::vector<double> averageRanks(std::span<const double> values) {
    std::vector<size_t> order(values.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return values[i] < values[j]; });
    std::vector<double> ranks(values.size());
    for (size_t first = 0; first < order.size();) {
        size_t last = first + 1;
        while (last < order.size() && values[order[last]] == values[order[first]]) ++last;
        // Positions first..last-1 hold equal values: each gets the mean 1-based rank.
        const double mean = 0.5 * double(first + 1 + last);
        for (size_t i = first; i < last; ++i) ranks[order[i]] = mean;
        first = last;
    }
    return ranks;
}

double spearman(std::span<const double> a, std::span<const double> b) {
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    if (a.size() != b.size() || a.size() < 2) return kNaN;
    const auto finite = [](double v) { return std::isfinite(v); };
    if (!std::all_of(a.begin(), a.end(), finite) || !std::all_of(b.begin(), b.end(), finite)) return kNaN;
    const std::vector<double> ra = averageRanks(a), rb = averageRanks(b);
    // Both rank vectors have the same mean (n + 1) / 2.
    const double mean = 0.5 * double(a.size() + 1);
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < ra.size(); ++i) {
        sab += (ra[i] - mean) * (rb[i] - mean);
        saa += (ra[i] - mean) * (ra[i] - mean);
        sbb += (rb[i] - mean) * (rb[i] - mean);
    }
    if (saa == 0 || sbb == 0) return kNaN;
    return sab / std::sqrt(saa * sbb);
}

}  // namespace qs
