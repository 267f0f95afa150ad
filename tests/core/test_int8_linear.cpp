// The INT8 W8A8 product of kernels/cpu/int8_linear.h against its definition:
// per-row codes on the very grid 8-bit symmetric fake quantization fits
// (cpu/fake_quant.h), and y = fake-quant(x) · fake-quant(W)ᵀ recomputed in
// float64, for awkward sizes; non-finite rows, rows of zeros and the int32
// depth limit are pinned separately.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "check.h"
#include "cpu/fake_quant.h"
#include "cpu/int8_linear.h"

using namespace qs;

namespace {

// Tolerances (relative Frobenius error unless named otherwise).
constexpr double kInt8VsFakeQuant = 1e-6;  // exact int32 sums; float scales and epilogue round ~6e-8 each
constexpr double kQuantizationVisible = 1e-4;  // int8 rounding must show against the unquantized product

std::vector<float> normal(std::mt19937_64& gen, int64_t n, double sd) {
    std::normal_distribution<double> d(0.0, sd);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = float(d(gen));
    return v;
}

double relError(const std::vector<float>& got, const std::vector<double>& ref) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
        num += (double(got[i]) - ref[i]) * (double(got[i]) - ref[i]);
        den += ref[i] * ref[i];
    }
    return std::sqrt(num / den);
}

// a [rows, in] · b [out, in]ᵀ in float64.
std::vector<double> product64(const std::vector<float>& a, const std::vector<float>& b, int64_t rows, int64_t in,
                              int64_t out) {
    std::vector<double> y(static_cast<size_t>(rows * out), 0.0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < out; ++o)
            for (int64_t k = 0; k < in; ++k) y[size_t(r * out + o)] += double(a[size_t(r * in + k)]) * b[size_t(o * in + k)];
    return y;
}

struct Int8Rows {
    std::vector<int8_t> codes;
    std::vector<float> scales;
};

Int8Rows quantize(const std::vector<float>& x, int64_t rows, int64_t cols) {
    Int8Rows q{std::vector<int8_t>(x.size()), std::vector<float>(static_cast<size_t>(rows))};
    quantizeRowsInt8(x.data(), rows, cols, q.codes.data(), q.scales.data());
    return q;
}

}  // namespace

QS_TEST(codes_are_the_fake_quant_grid_of_each_row) {
    std::mt19937_64 gen(7);
    const int64_t rows = 5, cols = 37;
    std::vector<float> x = normal(gen, rows * cols, 0.5);
    std::fill(x.begin() + cols, x.begin() + 2 * cols, 0.0f);  // row 1: zeros
    x[size_t(2 * cols + 4)] = 40.0f;                           // row 2: one outlier
    x[size_t(3 * cols + 9)] = std::numeric_limits<float>::quiet_NaN();
    x[size_t(4 * cols + 1)] = -std::numeric_limits<float>::infinity();
    const Int8Rows q = quantize(x, rows, cols);
    std::vector<float> fq = x;
    fakeQuantizeIntRows(fq.data(), rows, cols, cols, 8, true);

    for (int64_t r = 0; r < rows; ++r) {
        double absmax = 0.0;
        for (int64_t c = 0; c < cols; ++c)
            if (std::isfinite(x[size_t(r * cols + c)])) absmax = std::max(absmax, std::fabs(double(x[size_t(r * cols + c)])));
        const double scale = absmax > 0 ? absmax / 127.0 : 1.0;
        int maxCode = 0;
        for (int64_t c = 0; c < cols; ++c) {
            const size_t i = size_t(r * cols + c);
            if (!std::isfinite(x[i])) {
                QS_CHECK_EQ(int(q.codes[i]), 0);
                continue;
            }
            QS_CHECK_EQ(int(q.codes[i]), int(std::nearbyint(double(x[i]) / scale)));
            QS_CHECK_EQ(float(scale * q.codes[i]), fq[i]);  // the value fake quantization computes with
            maxCode = std::max(maxCode, std::abs(int(q.codes[i])));
        }
        if (r == 3 || r == 4) {
            QS_CHECK(std::isnan(q.scales[size_t(r)]));  // outputs from a non-finite row must not look finite
        } else {
            QS_CHECK_EQ(q.scales[size_t(r)], float(scale));
            QS_CHECK_EQ(maxCode, r == 1 ? 0 : 127);  // ±absmax lands on ±127
        }
    }
    QS_CHECK_EQ(q.scales[1], 1.0f);
    QS_CHECK_EQ(int(q.codes[size_t(2 * cols + 4)]), 127);
}

QS_TEST(product_equals_fake_quant_product_in_float64) {
    std::mt19937_64 gen(17);
    const int64_t shapes[][3] = {{1, 1, 1}, {3, 7, 5}, {17, 33, 9}, {33, 70, 17}, {4, 1023, 3}, {64, 256, 48}};
    for (const auto& s : shapes) {
        const int64_t rows = s[0], in = s[1], out = s[2];
        std::vector<float> x = normal(gen, rows * in, 1.0);
        for (int64_t r = 0; r < rows; ++r) x[size_t(r * in)] *= 30.0f;  // an outlier channel, as LLM activations have
        const std::vector<float> w = normal(gen, out * in, 0.02), y0 = normal(gen, rows * out, 1.0);
        std::vector<float> fx = x, fw = w;
        fakeQuantizeIntRows(fx.data(), rows, in, in, 8, true);
        fakeQuantizeIntRows(fw.data(), out, in, in, 8, true);
        const std::vector<double> ref = product64(fx, fw, rows, in, out);

        const Int8Rows qx = quantize(x, rows, in), qw = quantize(w, out, in);
        std::vector<float> y(static_cast<size_t>(rows * out), -1.0f);
        linearForwardInt8(qx.codes.data(), qx.scales.data(), rows, in, qw.codes.data(), qw.scales.data(), out, y.data(),
                          false);
        QS_CHECK(relError(y, ref) < kInt8VsFakeQuant);
        if (in >= 33) QS_CHECK(relError(y, product64(x, w, rows, in, out)) > kQuantizationVisible);

        std::vector<float> acc = y0;  // y += the product
        linearForwardInt8(qx.codes.data(), qx.scales.data(), rows, in, qw.codes.data(), qw.scales.data(), out,
                          acc.data(), true);
        std::vector<double> accRef(ref.size());
        for (size_t i = 0; i < ref.size(); ++i) accRef[i] = ref[i] + y0[i];
        QS_CHECK(relError(acc, accRef) < kInt8VsFakeQuant);
    }
}

QS_TEST(non_finite_rows_give_nan_outputs_and_zero_rows_zeros) {
    const int64_t in = 8, out = 2;
    std::vector<float> x(static_cast<size_t>(3 * in), 0.25f), w(static_cast<size_t>(out * in), -0.5f);
    x[size_t(in + 3)] = std::numeric_limits<float>::infinity();
    std::fill(x.begin() + 2 * in, x.end(), 0.0f);
    const Int8Rows qx = quantize(x, 3, in), qw = quantize(w, out, in);
    std::vector<float> y(static_cast<size_t>(3 * out));
    linearForwardInt8(qx.codes.data(), qx.scales.data(), 3, in, qw.codes.data(), qw.scales.data(), out, y.data(), false);
    QS_CHECK_NEAR(y[0], -1.0, 1e-6);  // 8 * 0.25 * -0.5, both exactly on their grids
    QS_CHECK(std::isnan(y[2]) && std::isnan(y[3]));
    QS_CHECK_EQ(y[4], 0.0f);
    QS_CHECK_EQ(y[5], 0.0f);
}

QS_TEST(int32_sums_are_exact_up_to_the_depth_limit) {
    const int64_t in = kMaxInt8LinearDepth;
    const std::vector<int8_t> codes(static_cast<size_t>(in), int8_t(-128));
    const float one = 1.0f;
    float y = 0.0f;
    linearForwardInt8(codes.data(), &one, 1, in, codes.data(), &one, 1, &y, false);
    QS_CHECK_EQ(double(y), double(float(int64_t(16384) * in)));  // 2147467264: the largest sum, no wrap-around
    QS_CHECK(y > 2.1e9f);
    QS_CHECK_THROWS_WITH(linearForwardInt8(codes.data(), &one, 1, in + 1, codes.data(), &one, 1, &y, false),
                         "overflow the int32 sum");
}
