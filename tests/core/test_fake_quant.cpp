// The scalar fake-quantization references (kernels/cpu/fake_quant.h,
// kernels/cpu/fp8_e4m3.h) against plain float64 recomputations written here
// from the definitions: RTN integer grids for every granularity and bit width,
// symmetric and asymmetric, on awkward sizes; the FP8 E4M3 codec over all 256
// codes, ties and saturation; activation fake quantization per token and per
// tensor; and the forward pass with activation quantization.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.h"
#include "cpu/fake_quant.h"
#include "cpu/fp8_e4m3.h"

using namespace qs;

namespace {

const std::vector<int64_t> kAwkwardSizes = {1, 3, 7, 17, 33};

// Deterministic values with a spread of magnitudes and signs (a small LCG,
// so the test needs no <random> distribution whose output varies by library).
std::vector<float> testValues(int64_t n, uint32_t seed) {
    std::vector<float> v(static_cast<size_t>(n));
    uint32_t s = seed * 2654435761u + 1;
    for (auto& x : v) {
        s = s * 1664525u + 1013904223u;
        const double u = double(s >> 8) / double(1u << 24);  // [0, 1)
        x = float((u - 0.4) * std::exp2(double(s % 7) - 3.0));
    }
    return v;
}

// ---- float64 references, written from the definitions ----

// Symmetric: scale = absmax / (2^(b-1) - 1), codes clamp to [-2^(b-1), 2^(b-1) - 1].
// Asymmetric: range widened to include 0, scale = (hi - lo) / (2^b - 1),
// zero = round(-lo / scale), codes clamp to [0, 2^b - 1]. Rounding is half to even.
std::vector<float> rtnReference(const std::vector<float>& x, int bits, bool symmetric) {
    double lo = 0, hi = 0;
    for (float v : x) lo = std::min(lo, double(v)), hi = std::max(hi, double(v));
    std::vector<float> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        double scale, q;
        if (symmetric) {
            const double absmax = std::max(-lo, hi);
            const double qmax = std::pow(2.0, bits - 1) - 1;
            scale = absmax > 0 ? absmax / qmax : 1.0;
            q = std::nearbyint(double(x[i]) / scale);
            q = std::min(std::max(q, -qmax - 1), qmax);
        } else {
            const double maxq = std::pow(2.0, bits) - 1;
            scale = hi > lo ? (hi - lo) / maxq : 1.0;
            const double zero = std::nearbyint(-lo / scale);
            q = std::nearbyint(double(x[i]) / scale) + zero;
            q = std::min(std::max(q, 0.0), maxq) - zero;
        }
        out[i] = float(scale * q);
    }
    return out;
}

// E4M3 value of a code, from the OCP spec's formula.
double e4m3Value(int code) {
    const int s = code >> 7, e = (code >> 3) & 15, m = code & 7;
    if (e == 15 && m == 7) return std::numeric_limits<double>::quiet_NaN();
    const double mag = e == 0 ? m / 8.0 * std::exp2(-6) : (1 + m / 8.0) * std::exp2(e - 7);
    return s ? -mag : mag;
}

// Nearest E4M3 value by exhaustive search over the finite codes (ties to the
// even code, i.e. the even mantissa), saturating at ±448.
double e4m3NearestReference(double x) {
    if (std::isnan(x)) return x;
    double best = 0, bestErr = std::numeric_limits<double>::infinity();
    int bestCode = 0;
    for (int c = 0; c < 256; ++c) {
        const double v = e4m3Value(c);
        if (std::isnan(v)) continue;
        const double err = std::fabs(v - x);
        if (err < bestErr || (err == bestErr && (c & 1) == 0 && (bestCode & 1) == 1)) best = v, bestErr = err, bestCode = c;
    }
    return best;
}

void checkSame(const std::vector<float>& got, const std::vector<float>& want) {
    QS_CHECK_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size() && i < want.size(); ++i)
        if (got[i] != want[i]) {
            QS_CHECK_EQ(got[i], want[i]);
            return;
        }
}

}  // namespace

QS_TEST(rtnPerTensorMatchesFloat64Reference) {
    for (int64_t n : kAwkwardSizes)
        for (int bits = 2; bits <= 8; ++bits)
            for (bool sym : {true, false}) {
                std::vector<float> x = testValues(n * 5, uint32_t(n * 16 + bits));
                const auto want = rtnReference(x, bits, sym);
                fakeQuantizeIntTensor(x.data(), int64_t(x.size()), bits, sym);
                checkSame(x, want);
            }
}

QS_TEST(rtnPerChannelAndPerGroupMatchFloat64Reference) {
    for (int64_t group : kAwkwardSizes)
        for (int64_t groupsPerRow : {1, 3})
            for (int bits = 2; bits <= 8; ++bits)
                for (bool sym : {true, false}) {
                    const int64_t rows = 3, cols = group * groupsPerRow;
                    std::vector<float> x = testValues(rows * cols, uint32_t(group * 100 + bits * 2 + sym));
                    // An all-zero row must stay all zeros (scale 1, every code the zero).
                    for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(cols + c)] = 0.0f;
                    std::vector<float> want;
                    for (int64_t r = 0; r < rows; ++r)
                        for (int64_t g = 0; g < groupsPerRow; ++g) {
                            const auto first = x.begin() + r * cols + g * group;
                            const auto part = rtnReference(std::vector<float>(first, first + group), bits, sym);
                            want.insert(want.end(), part.begin(), part.end());
                        }
                    fakeQuantizeIntRows(x.data(), rows, cols, group, bits, sym);
                    checkSame(x, want);
                    for (int64_t c = 0; c < cols; ++c) QS_CHECK_EQ(x[static_cast<size_t>(cols + c)], 0.0f);
                }
}

QS_TEST(rtnGridInvariants) {
    // Symmetric: ±absmax are exactly representable; W2 symmetric has the codes {-2, -1, 0, 1} x absmax.
    std::vector<float> x = {-3.0f, 1.4f, 1.6f, 3.0f, -0.4f};
    fakeQuantizeIntTensor(x.data(), 5, 2, true);
    checkSame(x, {-3.0f, 0.0f, 3.0f, 3.0f, 0.0f});  // 1.4/3 = 0.47 -> 0; 1.6/3 = 0.53 -> 1
    // Asymmetric keeps 0 exact even when the range excludes it.
    std::vector<float> y = {0.5f, 0.75f, 1.0f, 0.0f};
    fakeQuantizeIntTensor(y.data(), 4, 2, false);
    QS_CHECK_EQ(y[3], 0.0f);
    QS_CHECK_EQ(y[2], 1.0f);
}

QS_TEST(rtnLeavesNonFiniteValuesAndIgnoresThemInTheFit) {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    std::vector<float> x = {nan, 1.0f, -0.5f, inf, 0.3f, -inf};
    fakeQuantizeIntRows(x.data(), 1, 6, 6, 4, true);
    QS_CHECK(std::isnan(x[0]));
    QS_CHECK_EQ(x[3], inf);
    QS_CHECK_EQ(x[5], -inf);
    const auto want = rtnReference({1.0f, -0.5f, 0.3f}, 4, true);
    QS_CHECK_EQ(x[1], want[0]);
    QS_CHECK_EQ(x[2], want[1]);
    QS_CHECK_EQ(x[4], want[2]);
}

QS_TEST(rtnRejectsGroupNotDividingRow) {
    std::vector<float> x(10, 1.0f);
    QS_CHECK_THROWS_WITH(fakeQuantizeIntRows(x.data(), 1, 10, 4, 4, true), "does not divide");
}

QS_TEST(e4m3DecodesEveryCodeAsTheSpecSays) {
    for (int c = 0; c < 256; ++c) {
        const double want = e4m3Value(c);
        const float got = decodeF8e4m3(uint8_t(c));
        if (std::isnan(want))
            QS_CHECK(std::isnan(got));
        else
            QS_CHECK_EQ(double(got), want);
    }
    QS_CHECK_EQ(decodeF8e4m3(0x7e), 448.0f);
    QS_CHECK_EQ(decodeF8e4m3(0x01), float(std::exp2(-9)));
}

QS_TEST(e4m3EveryCodeRoundTrips) {
    for (int c = 0; c < 256; ++c) {
        const float v = decodeF8e4m3(uint8_t(c));
        const uint8_t back = encodeF8e4m3(v);
        if (std::isnan(v))
            QS_CHECK_EQ(int(back & 0x7f), 0x7f);  // NaN stays a NaN code (with its sign)
        else
            QS_CHECK_EQ(int(back), c);  // includes -0 (0x80) keeping its sign
    }
}

QS_TEST(e4m3RoundsHalfToEvenAtMidpoints) {
    // Hand-picked midpoints between neighbouring codes: the even mantissa wins.
    QS_CHECK_EQ(int(encodeF8e4m3(1.0625)), 0x38);  // 1 (m=0) | 1.125 (m=1) -> 1
    QS_CHECK_EQ(int(encodeF8e4m3(1.1875)), 0x3a);  // 1.125 (m=1) | 1.25 (m=2) -> 1.25
    QS_CHECK_EQ(int(encodeF8e4m3(1.9375)), 0x40);  // 1.875 (m=7) | 2 -> 2 (carries into the exponent)
    QS_CHECK_EQ(int(encodeF8e4m3(-1.0625)), 0xb8);
    QS_CHECK_EQ(int(encodeF8e4m3(std::exp2(-10))), 0x00);        // half the smallest subnormal -> 0
    QS_CHECK_EQ(int(encodeF8e4m3(3 * std::exp2(-10))), 0x02);    // 1.5 subnormal units -> 2
    QS_CHECK_EQ(int(encodeF8e4m3(15 * std::exp2(-10))), 0x08);   // 7.5 units -> 8 = smallest normal
    QS_CHECK_EQ(int(encodeF8e4m3(432.0)), 0x7e);                 // 416 (m=5) | 448 (m=6) -> 448
    QS_CHECK_EQ(int(encodeF8e4m3(400.0)), 0x7c);                 // 384 (m=4) | 416 (m=5) -> 384
    // Just off a midpoint rounds to the nearer side.
    QS_CHECK_EQ(int(encodeF8e4m3(std::nextafter(1.0625, 2.0))), 0x39);
    // Exhaustively near every code: the encoder picks the nearest value.
    for (int c = 0; c < 126; ++c) {  // 0x7e = 448 is the last finite code
        const double v = e4m3Value(c), next = e4m3Value(c + 1);
        for (double t : {0.25, 0.5, 0.75}) {
            const double x = v + t * (next - v);
            QS_CHECK_EQ(double(decodeF8e4m3(encodeF8e4m3(x))), e4m3NearestReference(x));
        }
    }
}

QS_TEST(e4m3SaturatesAt448AndKeepsNaN) {
    for (double x : {448.0, 449.0, 464.0, 480.0, 1e6, double(std::numeric_limits<float>::infinity())}) {
        QS_CHECK_EQ(int(encodeF8e4m3(x)), 0x7e);
        QS_CHECK_EQ(int(encodeF8e4m3(-x)), 0xfe);
    }
    QS_CHECK_EQ(int(encodeF8e4m3(std::numeric_limits<double>::quiet_NaN())), 0x7f);
    QS_CHECK(std::isnan(decodeF8e4m3(encodeF8e4m3(-std::numeric_limits<double>::quiet_NaN()))));
}

QS_TEST(f8WeightsPerChannelAndPerTensorMatchReference) {
    for (int64_t cols : kAwkwardSizes) {
        const int64_t rows = 4;
        std::vector<float> x = testValues(rows * cols, uint32_t(cols));
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(2 * cols + c)] = 0.0f;  // an all-zero row
        auto perTensor = x;
        std::vector<float> want(x.size()), wantTensor(x.size());
        double tensorMax = 0;
        for (float v : x) tensorMax = std::max(tensorMax, std::fabs(double(v)));
        for (int64_t r = 0; r < rows; ++r) {
            double absmax = 0;
            for (int64_t c = 0; c < cols; ++c) absmax = std::max(absmax, std::fabs(double(x[size_t(r * cols + c)])));
            const double scale = absmax > 0 ? absmax / 448.0 : 1.0;
            for (int64_t c = 0; c < cols; ++c) {
                const size_t i = size_t(r * cols + c);
                want[i] = float(e4m3NearestReference(double(x[i]) / scale) * scale);
                wantTensor[i] = float(e4m3NearestReference(double(x[i]) / (tensorMax / 448.0)) * (tensorMax / 448.0));
            }
        }
        fakeQuantizeF8Rows(x.data(), rows, cols);
        checkSame(x, want);
        fakeQuantizeF8Tensor(perTensor.data(), int64_t(perTensor.size()));
        checkSame(perTensor, wantTensor);
    }
}

QS_TEST(activationInt8PerTokenAndStaticMatchReference) {
    const int64_t tokens = 5, width = 33;
    std::vector<float> x = testValues(tokens * width, 7);
    for (int64_t c = 0; c < width; ++c) x[size_t(3 * width + c)] = 0.0f;  // a silent token
    std::vector<float> want;
    for (int64_t t = 0; t < tokens; ++t) {
        // Per-token INT8: scale = absmax / 127, codes -128..127.
        const auto row = std::vector<float>(x.begin() + t * width, x.begin() + (t + 1) * width);
        const auto q = rtnReference(row, 8, true);
        want.insert(want.end(), q.begin(), q.end());
    }
    auto perToken = x;
    fakeQuantizeIntRows(perToken.data(), tokens, width, width, 8, true);
    checkSame(perToken, want);

    // Static per-tensor: a given scale, values past 127 (or -128) scales clip.
    const double scale = 0.004;
    auto stat = x;
    fakeQuantizeIntWithGrid(stat.data(), int64_t(stat.size()), int8GridForScale(scale));
    for (size_t i = 0; i < x.size(); ++i) {
        const double q = std::min(std::max(std::nearbyint(double(x[i]) / scale), -128.0), 127.0);
        QS_CHECK_EQ(stat[i], float(q * scale));
    }
}

QS_TEST(activationF8PerTokenAndStaticMatchReference) {
    const int64_t tokens = 4, width = 17;
    std::vector<float> x = testValues(tokens * width, 11);
    auto perToken = x;
    fakeQuantizeF8Rows(perToken.data(), tokens, width);
    for (int64_t t = 0; t < tokens; ++t) {
        double absmax = 0;
        for (int64_t c = 0; c < width; ++c) absmax = std::max(absmax, std::fabs(double(x[size_t(t * width + c)])));
        for (int64_t c = 0; c < width; ++c) {
            const size_t i = size_t(t * width + c);
            QS_CHECK_EQ(perToken[i], float(e4m3NearestReference(double(x[i]) / (absmax / 448)) * (absmax / 448)));
        }
    }
    const double scale = 0.001;  // small: the largest values saturate at 448 * scale
    auto stat = x;
    fakeQuantizeF8WithScale(stat.data(), int64_t(stat.size()), scale);
    bool saturated = false;
    for (size_t i = 0; i < x.size(); ++i) {
        QS_CHECK_EQ(stat[i], float(e4m3NearestReference(double(x[i]) / scale) * scale));
        saturated = saturated || std::fabs(double(stat[i])) == float(448 * scale);
    }
    QS_CHECK(saturated);
}
