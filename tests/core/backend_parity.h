// What the backend parity tests (test_backend_parity*.cpp) share: the
// backends to compare, the tolerance of each op, seeded inputs and the
// comparisons. The approach is described in test_backend_parity.cpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

#include "backend.h"
#include "check.h"

namespace qs::parity {

// Tolerances per op: relative Frobenius error ||got - ref|| / ||ref|| unless named otherwise.
namespace kTol {
constexpr double kGemmF32 = 1e-5;        // float32 GEMM, another summation order
constexpr double kGemmBf16 = 1e-4;       // BF16 products exact in float32; tensor-core accumulation order
constexpr double kRowOp = 2e-6;          // RMSNorm, RoPE, SwiGLU: a few float32 roundings
constexpr double kAttention = 1e-5;      // dot products, softmax and weighted sums in float32
constexpr double kLogSumExpAbs = 1e-5;   // absolute, per row (values near log(cols) + max)
constexpr double kSumRelToAbs = 1e-12;   // float64 sums, relative to sum |x|
constexpr double kHessian = 1e-5;        // float32 slab Gram matrices folded in float64
constexpr double kCholesky = 1e-9;       // float64 factorizations of a well-conditioned H
constexpr int kSymlogBinMoves = 2;       // symlog uses log10: a last-ulp difference may move a value at a bin edge
constexpr double kInt8VsFakeQuant = 1e-6;  // INT8 W8A8 vs fake-quant(x)·fake-quant(W)ᵀ in float64: exact int32 sums
constexpr double kGptqSweepDrift = 1e-12;  // W after a multi-block sweep: float64 GEMMs in another order
constexpr double kGptqCodesAgree = 0.999;  // share of equal GPTQ codes (the bar): flips only at rounding ties
constexpr double kGptqLoss = 0.01;         // relative difference of the GPTQ objective tr(ΔW H ΔWᵀ) (the bar)
}  // namespace kTol

inline const KernelBackend& cpu() {
    static const auto backend = makeKernelBackend(Device::Cpu);
    return *backend;
}

// The backends to compare with the CPU: CUDA when a GPU is there.
inline const std::vector<std::unique_ptr<KernelBackend>>& others() {
    static const auto list = [] {
        std::vector<std::unique_ptr<KernelBackend>> l;
        const DeviceChoice choice = resolveDevice("auto");
        if (choice.device == Device::Cuda) {
            std::printf("CUDA backend: %s\n", choice.line.c_str());
            l.push_back(makeKernelBackend(Device::Cuda));
        } else {
            std::printf("CUDA backend: not available (%s) - parity run on CPU only\n", choice.line.c_str());
        }
        return l;
    }();
    return list;
}

struct Rng {
    std::mt19937_64 gen;
    explicit Rng(uint64_t seed) : gen(seed) {}
    std::vector<float> normal(int64_t n, double sd = 1.0) {
        std::normal_distribution<double> d(0.0, sd);
        std::vector<float> v(static_cast<size_t>(n));
        for (float& x : v) x = float(d(gen));
        return v;
    }
};

inline bool sameFloat(float a, float b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::memcmp(&a, &b, 4) == 0;
}

// Elements whose bits differ (NaN matches any NaN).
template <typename T>
int64_t mismatches(const std::vector<T>& a, const std::vector<T>& b) {
    int64_t bad = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if constexpr (std::is_same_v<T, float>)
            bad += !sameFloat(a[i], b[i]);
        else
            bad += a[i] != b[i];
    }
    return bad;
}

// ||got - ref|| / ||ref||; infinity when sizes or NaN positions differ.
template <typename A, typename B>
double relError(const std::vector<A>& got, const std::vector<B>& ref) {
    if (got.size() != ref.size()) return std::numeric_limits<double>::infinity();
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < got.size(); ++i) {
        const double g = double(got[i]), r = double(ref[i]);
        if (std::isnan(g) || std::isnan(r)) {
            if (std::isnan(g) != std::isnan(r)) return std::numeric_limits<double>::infinity();
            continue;
        }
        num += (g - r) * (g - r);
        den += r * r;
    }
    return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

// Runs `op` on a copy of `input` with every backend and checks that the
// others reproduce the CPU's values bit for bit; returns the CPU's result.
template <typename Op>
std::vector<float> exactInPlace(const std::vector<float>& input, Op op) {
    std::vector<float> ref = input;
    op(cpu(), ref.data());
    for (const auto& b : others()) {
        std::vector<float> got = input;
        op(*b, got.data());
        QS_CHECK_EQ(mismatches(got, ref), 0);
    }
    return ref;
}

// A weight-like matrix with the values that trip fake quantization: one NaN,
// one Inf, an all-zero row and a row with one outlier.
inline std::vector<float> awkwardMatrix(Rng& rng, int64_t rows, int64_t cols) {
    std::vector<float> x = rng.normal(rows * cols, 0.02);
    x[3] = std::numeric_limits<float>::quiet_NaN();
    x[size_t(cols + 5)] = std::numeric_limits<float>::infinity();
    std::fill(x.begin() + 2 * cols, x.begin() + 3 * cols, 0.0f);
    x[size_t(3 * cols + 1)] = 0.9f;
    return x;
}

}  // namespace qs::parity
