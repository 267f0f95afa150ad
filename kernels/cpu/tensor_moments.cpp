#include "cpu/tensor_moments.h"

#include <algorithm>
#include <cmath>

namespace qs {

void RangeAccumulator::add(const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (std::isnan(v)) {
            ++nans;
        } else if (std::isinf(v)) {
            ++infs;
        } else {
            ++finite;
            zeros += v == 0.0f;
            min = std::min(min, double(v));
            max = std::max(max, double(v));
            sum += v;
        }
    }
}

void RangeAccumulator::addRepeated(double v, uint64_t count) {
    const auto c = int64_t(count);
    if (std::isnan(v)) {
        nans += c;
    } else if (std::isinf(v)) {
        infs += c;
    } else if (c > 0) {
        finite += c;
        if (v == 0.0) zeros += c;
        min = std::min(min, v);
        max = std::max(max, v);
        sum += v * double(c);
    }
}

void RangeAccumulator::merge(const RangeAccumulator& o) {
    finite += o.finite;
    zeros += o.zeros;
    nans += o.nans;
    infs += o.infs;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    sum += o.sum;
}

void CentralMomentAccumulator::add(const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) continue;
        const double d = double(x[i]) - mean;
        const double d2 = d * d;
        m2 += d2;
        m4 += d2 * d2;
    }
}

void CentralMomentAccumulator::addRepeated(double v, uint64_t count) {
    if (!std::isfinite(v) || count == 0) return;
    const double d = v - mean;
    const double d2 = d * d;
    const double c = double(count);
    m2 += d2 * c;
    m4 += d2 * d2 * c;
}

void CentralMomentAccumulator::merge(const CentralMomentAccumulator& o) {
    m2 += o.m2;
    m4 += o.m4;
}

float absmaxWithColumns(const float* x, int64_t n, float* colAbsmax) {
    float rowMax = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
        const float a = std::fabs(x[i]);
        const float m = a <= std::numeric_limits<float>::max() ? a : 0.0f;  // drops Inf and NaN
        colAbsmax[i] = std::max(colAbsmax[i], m);
        rowMax = std::max(rowMax, m);
    }
    return rowMax;
}

}  // namespace qs
