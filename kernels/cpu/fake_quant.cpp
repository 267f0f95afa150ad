#include "cpu/fake_quant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "cpu/fp8_e4m3.h"

namespace qs {

namespace {

struct Range {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    bool empty() const { return lo > hi; }
    double absmax() const { return empty() ? 0.0 : std::max(std::fabs(lo), std::fabs(hi)); }
};

Range finiteRange(const float* x, int64_t n) {
    Range r;
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) continue;
        r.lo = std::min(r.lo, double(x[i]));
        r.hi = std::max(r.hi, double(x[i]));
    }
    return r;
}

void applyGrid(float* x, int64_t n, const IntGrid& g) {
    for (int64_t i = 0; i < n; ++i)
        if (std::isfinite(x[i])) x[i] = fakeQuantize(x[i], g);
}

void fitAndApplyInt(float* x, int64_t n, int bits, bool symmetric) { applyGrid(x, n, fitIntGridToValues(x, n, bits, symmetric)); }

void applyF8Scale(float* x, int64_t n, double scale) {
    for (int64_t i = 0; i < n; ++i)
        if (std::isfinite(x[i])) x[i] = float(double(decodeF8e4m3(encodeF8e4m3(double(x[i]) / scale))) * scale);
}

// absmax / 448, or 1 when there is nothing to scale (all zeros stay zeros).
double f8ScaleFor(const Range& r) {
    const double absmax = r.absmax();
    return absmax > 0 ? absmax / kF8e4m3Max : 1.0;
}

}  // namespace

void fakeQuantizeIntRows(float* x, int64_t rows, int64_t cols, int64_t groupSize, int bits, bool symmetric) {
    checkRowGroups(cols, groupSize);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; c += groupSize) fitAndApplyInt(x + r * cols + c, groupSize, bits, symmetric);
}

IntGrid fitIntGridToValues(const float* x, int64_t n, int bits, bool symmetric) {
    const Range r = finiteRange(x, n);
    return r.empty() ? fitIntGrid(0.0, 0.0, bits, symmetric) : fitIntGrid(r.lo, r.hi, bits, symmetric);
}

void fakeQuantizeIntTensor(float* x, int64_t n, int bits, bool symmetric) { fitAndApplyInt(x, n, bits, symmetric); }

void fakeQuantizeIntWithGrid(float* x, int64_t n, const IntGrid& grid) { applyGrid(x, n, grid); }

void fakeQuantizeF8Rows(float* x, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; ++r) {
        float* row = x + r * cols;
        applyF8Scale(row, cols, f8ScaleFor(finiteRange(row, cols)));
    }
}

void fakeQuantizeF8Tensor(float* x, int64_t n) { applyF8Scale(x, n, f8ScaleFor(finiteRange(x, n))); }

void fakeQuantizeF8WithScale(float* x, int64_t n, double scale) { applyF8Scale(x, n, scale); }

}  // namespace qs
