// Spearman's rank correlation: how well one per-layer score (a cheap proxy)
// orders layers the way another (the measured KL) does.
#pragma once

#include <span>
#include <vector>

namespace qs {

// 1-based ranks of `values` in ascending order; tied values share the mean
// of the ranks they span ({10, 20, 20, 30} -> {1, 2.5, 2.5, 4}).
std::vector<double> averageRanks(std::span<const double> values);

// Pearson correlation of the average ranks of a and b, in [-1, 1]: 1 when b
// orders the items as a does, -1 when reversed. NaN when the lengths differ,
// fewer than two items, or either side is constant (no order to compare).
// Non-finite values (a proxy that could not be measured) also give NaN.
double spearman(std::span<const double> a, std::span<const double> b);

}  // namespace qs
