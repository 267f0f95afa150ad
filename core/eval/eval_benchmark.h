// quantscope-cli bench eval: throughput of perplexity evaluation as a ratio
// to the GEMM bound (ARCHITECTURE.md, kernels/): the FLOP/s of Eigen sgemm
// (the matmul kernel itself) measured in the same run on the same threads,
// divided by the model's FLOPs per token, is the tokens/s the evaluation
// would reach if all its work ran at GEMM speed.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "backend.h"
#include "formats/model_config.h"

namespace qs {

struct EvalBenchmarkOptions {
    std::string model;     // checkpoint path
    int64_t ctx = 0;       // window length; 0: min(2048, max positions)
    int64_t windows = 32;  // windows evaluated (token ids are synthetic: speed does not depend on them)
    int threads = 2;
    int repeats = 2;       // best of
    const KernelBackend* backend = nullptr;  // where the evaluation runs; nullptr: the CPU
};

struct EvalBenchmarkResult {
    std::string model;
    int threads = 0;
    int64_t ctx = 0, windows = 0;
    int64_t tokens = 0;            // tokens pushed through the model: windows x ctx
    double seconds = 0.0;          // best wall time of one evaluation
    double tokensPerSecond = 0.0;
    double flopsPerToken = 0.0;    // modelFlopsPerToken at this ctx
    double gemmFlops = 0.0;        // measured sgemm FLOP/s
    int64_t gemmSize = 0;          // the square sgemm measured, n x n x n
    double boundTokensPerSecond = 0.0;  // gemmFlops / flopsPerToken
    double ratio = 0.0;                 // tokensPerSecond / boundTokensPerSecond
};

// Multiply-adds x 2 per token of a causal window of ctx tokens: every linear
// layer and the output head (2 x parameters), plus attention's q·k and p·v
// over the (ctx + 1) / 2 keys an average causal position sees.
double modelFlopsPerToken(const ModelConfig& config, int64_t ctx);

// FLOP/s of linearForward (the sgemm every benchmark's GEMM bound is) on
// n x n x n, best of `repeats`, on the current compute threads.
double measureGemmFlops(int64_t n, int repeats);

EvalBenchmarkResult benchmarkEval(const EvalBenchmarkOptions& options);
nlohmann::json evalBenchmarkJson(const EvalBenchmarkResult& r);
std::string evalBenchmarkSummary(const EvalBenchmarkResult& r);  // a few human-readable lines

}  // namespace qs
