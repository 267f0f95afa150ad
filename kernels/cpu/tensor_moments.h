// Float64 accumulators for the moments of a block of values, in two passes:
// the range pass (counts, min, max, sum) gives the mean, the central pass
// sums powers of deviations from that mean. Summing (x - mean)^k instead of
// raw powers avoids the cancellation of the textbook one-pass formulas
// (Chan, Golub & LeVeque, "Algorithms for computing the sample variance", 1983).
// Only finite values enter the moments; NaN and Inf are counted apart.
#pragma once

#include <cstdint>
#include <limits>

namespace qs {

struct RangeAccumulator {
    int64_t finite = 0;
    int64_t zeros = 0;
    int64_t nans = 0;
    int64_t infs = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double sum = 0.0;

    void add(const float* x, int64_t n);
    // `count` copies of v (a value-count table is summed this way).
    void addRepeated(double v, uint64_t count);
    void merge(const RangeAccumulator& o);
};

struct CentralMomentAccumulator {
    double mean = 0.0;  // set before adding: the mean from the range pass
    double m2 = 0.0;    // sum of (x - mean)^2 over finite x
    double m4 = 0.0;    // sum of (x - mean)^4: kurtosis

    void add(const float* x, int64_t n);
    void addRepeated(double v, uint64_t count);
    void merge(const CentralMomentAccumulator& o);  // same mean
};

// Largest finite |x[i]|, 0 when there is none; raises colAbsmax[i] to |x[i]|
// as well, so rows of a matrix fed in turn leave the column maxima there.
float absmaxWithColumns(const float* x, int64_t n, float* colAbsmax);

}  // namespace qs
