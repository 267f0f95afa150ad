#include "cpu/value_histogram.h"

namespace qs {

LinearAxis fitLinearAxis(double lo, double hi, int bins) {
    if (hi > lo) return {lo, hi, bins};
    const double half = lo != 0.0 ? std::fabs(lo) * 0.5 : 0.5;
    return {lo - half, lo + half, bins};
}

void binLinear(const float* x, int64_t n, const LinearAxis& axis, uint64_t* counts) {
    for (int64_t i = 0; i < n; ++i)
        if (std::isfinite(x[i])) ++counts[axis.bin(x[i])];
}

void binSymlog(const float* x, int64_t n, double linthresh, const LinearAxis& axis, uint64_t* counts) {
    for (int64_t i = 0; i < n; ++i)
        if (std::isfinite(x[i])) ++counts[axis.bin(symlog(x[i], linthresh))];
}

}  // namespace qs
