#include "quant/gptq_benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "cpu/compute_threads.h"
#include "cpu/hessian.h"
#include "eval/eval_benchmark.h"
#include "quant/output_error.h"

namespace qs {

namespace {

constexpr int64_t kErrorFigureMaxCols = 8192;

double secondsOf(const auto& fn) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// xorshift64 steps -> a value close to N(0, 1) (sum of four uniforms).
struct Noise {
    uint64_t state;
    double next() {
        double s = 0;
        for (int k = 0; k < 4; ++k) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s += double(state >> 11) * 0x1.0p-53;
        }
        return (s - 2.0) * 1.7320508;  // 4 uniforms: mean 2, std sqrt(1/3)
    }
};

// Weight-like: N(0, 0.02²) with every 4099th element 20x (a heavy tail).
LinearWeights syntheticWeights(int64_t rows, int64_t cols) {
    LinearWeights w;
    w.outFeatures = rows;
    w.inFeatures = cols;
    w.w.resize(static_cast<size_t>(rows * cols));
    Noise noise{0x9e3779b97f4a7c15ull};
    for (size_t i = 0; i < w.w.size(); ++i) w.w[i] = float(noise.next() * 0.02 * (i % 4099 == 0 ? 20.0 : 1.0));
    return w;
}

// Activation-like rows: per-channel scales from 0.2 to 2 and every 97th
// channel a 30x outlier channel, as LLM activations have (LLM.int8, Sec. 3).
void syntheticActivations(Noise& noise, int64_t rows, int64_t cols, std::vector<float>& out) {
    out.resize(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const double scale = (0.2 + 1.8 * double(c % 13) / 12.0) * (c % 97 == 0 ? 30.0 : 1.0);
            out[size_t(r * cols + c)] = float(noise.next() * scale);
        }
}

}  // namespace

GptqBenchmarkResult benchmarkGptq(const GptqBenchmarkOptions& o) {
    if (o.rows < 1 || o.cols < 1 || o.tokens < 1 || o.threads < 1 || o.repeats < 1)
        throw std::invalid_argument("bench quant: rows, cols, tokens, threads and repeats must be positive");
    validateGptqOptions(o.quant);
    GptqBenchmarkResult r;
    r.options = o;
    const int previousThreads = computeThreads();
    setComputeThreads(o.threads);
    try {
        constexpr int64_t kGemmSize = 1536;
        r.gemmSize = kGemmSize;
        r.gemmFlops = measureGemmFlops(kGemmSize, 3);
        const LinearWeights w = syntheticWeights(o.rows, o.cols);
        std::vector<double> hessian;
        r.hessianSeconds = 1e300;
        for (int rep = 0; rep < o.repeats; ++rep) {
            // Only add() is timed: the synthetic inputs are generated outside the clock.
            HessianAccumulator acc(o.cols);
            Noise noise{0x2545f4914f6cdd1dull};
            std::vector<float> x;
            double seconds = 0;
            for (int64_t done = 0; done < o.tokens; done += kHessianSlabRows) {
                const int64_t n = std::min(kHessianSlabRows, o.tokens - done);
                syntheticActivations(noise, n, o.cols, x);
                seconds += secondsOf([&] { acc.add(x.data(), n); });
            }
            r.hessianSeconds = std::min(r.hessianSeconds, seconds);
            if (rep + 1 == o.repeats) hessian = acc.takeMatrix();
        }
        // H is kept for the error figure unless it is big (28672² float64 is
        // 6.6 GB): then the last repeat takes it and the figure is skipped.
        const bool keepHessian = o.cols <= kErrorFigureMaxCols;
        GptqResult q;
        r.solveSeconds = 1e300;
        for (int rep = 0; rep < o.repeats; ++rep) {
            std::vector<double> h = keepHessian || rep + 1 < o.repeats ? hessian : std::move(hessian);
            r.solveSeconds =
                std::min(r.solveSeconds, secondsOf([&] { q = gptqQuantize(w, std::move(h), o.quant, "bench"); }));
        }
        if (keepHessian) r.relativeError = relativeOutputError(w, q.dequantized, hessian);
    } catch (...) {
        setComputeThreads(previousThreads);
        throw;
    }
    setComputeThreads(previousThreads);
    const double n = double(o.cols);
    r.hessianFlops = double(o.tokens) * n * (n + 1.0);
    r.solveFlops = 2.0 / 3.0 * n * n * n + 2.0 * double(o.rows) * n * n;
    r.hessianRatio = r.hessianFlops / r.gemmFlops / r.hessianSeconds;
    r.solveRatio = r.solveFlops / r.gemmFlops / r.solveSeconds;
    return r;
}

nlohmann::json gptqBenchmarkJson(const GptqBenchmarkResult& r) {
    const GptqOptions& q = r.options.quant;
    return {{"benchmark", "quant"},
            {"method", "gptq"},
            {"rows", r.options.rows},
            {"cols", r.options.cols},
            {"tokens", r.options.tokens},
            {"threads", r.options.threads},
            {"repeats", r.options.repeats},
            {"bits", q.bits},
            {"group_size", q.groupSize},
            {"hessian_seconds", r.hessianSeconds},
            {"solve_seconds", r.solveSeconds},
            {"hessian_flops", r.hessianFlops},
            {"solve_flops", r.solveFlops},
            {"gemm_size", r.gemmSize},
            {"gemm_flops_per_second", r.gemmFlops},
            {"ratio_hessian_to_gemm", r.hessianRatio},
            {"ratio_solve_to_gemm", r.solveRatio},
            {"relative_output_error", r.relativeError}};
}

std::string gptqBenchmarkSummary(const GptqBenchmarkResult& r) {
    char buf[768];
    std::snprintf(buf, sizeof buf,
                  "bench quant: GPTQ W%d %s on a %lld x %lld layer, H from %lld tokens, %d threads, best of %d\n"
                  "  sgemm bound   %8.2f GFLOP/s (%lld^3)\n"
                  "  Hessian       %8.3f s  %8.2f GFLOP/s  ratio to sgemm %.3f\n"
                  "  GPTQ solve    %8.3f s  %8.2f GFLOP/s  ratio to sgemm %.3f (float64)\n"
                  "  relative output error on H: %.5f (0: not computed for in > 8192)\n",
                  r.options.quant.bits, r.options.quant.groupSize ? ("g" + std::to_string(r.options.quant.groupSize)).c_str() : "per-channel",
                  (long long)r.options.rows, (long long)r.options.cols, (long long)r.options.tokens, r.options.threads,
                  r.options.repeats, r.gemmFlops / 1e9, (long long)r.gemmSize, r.hessianSeconds,
                  r.hessianFlops / r.hessianSeconds / 1e9, r.hessianRatio, r.solveSeconds, r.solveFlops / r.solveSeconds / 1e9,
                  r.solveRatio, r.relativeError);
    return buf;
}

}  // namespace qs
