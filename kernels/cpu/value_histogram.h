// Histogram axes and binning shared by every statistics path, so a value
// lands in the same bin whichever path counted it (see core/stats).
#pragma once

#include <cmath>
#include <cstdint>

namespace qs {

// Bins of equal width over [lo, hi]: bin i covers [lo + i*w, lo + (i+1)*w),
// w = (hi - lo) / bins, the last bin closed; values outside are clamped.
struct LinearAxis {
    double lo = 0.0;
    double hi = 0.0;
    int bins = 1;

    int bin(double x) const {
        const double w = (hi - lo) / bins;
        const double i = std::floor((x - lo) / w);
        if (!(i > 0)) return 0;  // also catches NaN from 0/0
        return i >= bins ? bins - 1 : int(i);
    }
};

// [lo, hi] for `bins` bins; a degenerate range (one value, e.g. a constant
// tensor) is widened to [v - h, v + h], h = |v| / 2 (0.5 for v = 0), so it
// has a width to plot and all of its values fall in one bin.
LinearAxis fitLinearAxis(double lo, double hi, int bins);

// The symmetric-log axis t(x) = sign(x) * log10(1 + |x| / linthresh): linear
// for |x| << linthresh, logarithmic beyond (the "symlog" scale of matplotlib,
// base 10), so one histogram shows the bulk of a weight tensor and its tails.
inline double symlog(double x, double linthresh) {
    const double t = std::log10(1.0 + std::fabs(x) / linthresh);
    return x < 0 ? -t : t;
}

// Counts finite x[i] into counts[axis.bin(x[i])]; NaN and Inf are skipped.
void binLinear(const float* x, int64_t n, const LinearAxis& axis, uint64_t* counts);
// The same on the symlog axis: counts[axis.bin(symlog(x[i], linthresh))].
void binSymlog(const float* x, int64_t n, double linthresh, const LinearAxis& axis, uint64_t* counts);

}  // namespace qs
