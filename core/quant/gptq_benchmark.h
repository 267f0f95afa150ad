// quantscope-cli bench quant: GPTQ on one synthetic layer, timed in its two
// parts, the Hessian accumulation over the calibration tokens and the GPTQ
// solve, each as a ratio to the GEMM bound (the FLOP/s of the project's sgemm,
// cpu/matmul.h, measured in the same run on the same threads): the time the
// part would take if all its FLOPs ran at sgemm speed, divided by its time.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "quant/gptq.h"

namespace qs {

struct GptqBenchmarkOptions {
    int64_t rows = 4096;         // output features
    int64_t cols = 4096;         // input features (H is cols x cols)
    int64_t tokens = 128 * 2048; // calibration rows accumulated into H
    int threads = 2;
    int repeats = 1;             // best of, for each part
    GptqOptions quant;           // W4 per-channel by default
};

struct GptqBenchmarkResult {
    GptqBenchmarkOptions options;
    double hessianSeconds = 0.0, solveSeconds = 0.0;
    double hessianFlops = 0.0;   // tokens x cols x (cols + 1): the lower triangle of XᵀX
    double solveFlops = 0.0;     // Cholesky n³/3 + triangular inverse n³/3 + updates 2·rows·cols²
    double gemmFlops = 0.0;      // measured sgemm FLOP/s
    int64_t gemmSize = 0;
    double hessianRatio = 0.0;   // (hessianFlops / gemmFlops) / hessianSeconds
    double solveRatio = 0.0;     // (solveFlops / gemmFlops) / solveSeconds; the solve runs in float64
    double relativeError = 0.0;  // of the quantized layer on H, a sanity figure
};

GptqBenchmarkResult benchmarkGptq(const GptqBenchmarkOptions& options);
nlohmann::json gptqBenchmarkJson(const GptqBenchmarkResult& r);
std::string gptqBenchmarkSummary(const GptqBenchmarkResult& r);

}  // namespace qs
