#include "cpu/int8_linear.h"

#include <cmath>
#include <limits>

#include "cpu/compute_threads.h"
#include "cpu/fake_quant.h"

namespace qs {

namespace {

// The 8-bit symmetric grid's zero point: code - 128 is the signed int8 code.
constexpr int kInt8Zero = 128;

}  // namespace

void quantizeRowsInt8(const float* x, int64_t rows, int64_t cols, int8_t* codes, float* scales) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = x + r * cols;
        // The very grid fakeQuantizeIntRows fits, so the codes are the ones it rounds to.
        const IntGrid grid = fitIntGridToValues(row, cols, 8, true);
        bool allFinite = true;
        for (int64_t c = 0; c < cols; ++c) {
            const bool finite = std::isfinite(row[c]);
            allFinite = allFinite && finite;
            codes[r * cols + c] = int8_t(finite ? quantizeToCode(row[c], grid) - kInt8Zero : 0);
        }
        scales[r] = allFinite ? float(grid.scale) : std::numeric_limits<float>::quiet_NaN();
    }
}

void linearForwardInt8(const int8_t* xq, const float* xScale, int64_t rows, int64_t in, const int8_t* wq,
                       const float* wScale, int64_t out, float* y, bool accumulate) {
    checkInt8LinearDepth(in);
#pragma omp parallel for num_threads(computeThreads()) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const int8_t* xr = xq + r * in;
        for (int64_t o = 0; o < out; ++o) {
            const int8_t* wr = wq + o * in;
            int32_t acc = 0;
            for (int64_t k = 0; k < in; ++k) acc += int32_t(xr[k]) * int32_t(wr[k]);
            const float scaled = float(acc) * xScale[r];
            const float v = scaled * wScale[o];
            float& dst = y[r * out + o];
            dst = accumulate ? dst + v : v;
        }
    }
}

}  // namespace qs
