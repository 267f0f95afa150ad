#include "eval/eval_benchmark.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "cpu/compute_threads.h"
#include "cpu/matmul.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "jobs/best_seconds.h"
#include "model/llama_model.h"

namespace qs {

namespace {

// Deterministic ids spread over the vocabulary (xorshift64).
std::vector<int32_t> syntheticIds(int64_t n, int64_t vocab) {
    std::vector<int32_t> ids(static_cast<size_t>(n));
    uint64_t state = 0x2545f4914f6cdd1dull;
    for (auto& id : ids) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        id = int32_t(state % uint64_t(vocab));
    }
    return ids;
}

}  // namespace

// n large enough for Eigen's blocking to reach its steady rate, small enough
// to take well under a second.
double measureGemmFlops(int64_t n, int repeats) {
    std::vector<float> a(size_t(n * n)), w(size_t(n * n)), y(size_t(n * n));
    for (size_t i = 0; i < a.size(); ++i) {
        a[i] = float(i % 17) * 0.01f - 0.08f;
        w[i] = float(i % 13) * 0.01f - 0.06f;
    }
    const double s = bestSeconds(repeats, [&] { linearForward(a.data(), n, n, w.data(), n, y.data()); });
    return 2.0 * double(n) * double(n) * double(n) / s;
}

double modelFlopsPerToken(const ModelConfig& c, int64_t ctx) {
    const double qDim = double(c.numHeads * c.headDim), kvDim = double(c.numKvHeads * c.headDim);
    const double h = double(c.hiddenSize), inter = double(c.intermediateSize);
    const double blockParams = h * qDim * 2 + h * kvDim * 2 + 3 * h * inter;  // q, o; k, v; gate, up, down
    const double attention = 2.0 * 2.0 * qDim * (double(ctx) + 1.0) / 2.0;   // q·k and p·v
    return double(c.numLayers) * (2.0 * blockParams + attention) + 2.0 * h * double(c.vocabSize);
}

EvalBenchmarkResult benchmarkEval(const EvalBenchmarkOptions& o) {
    if (o.windows < 1 || o.threads < 1 || o.repeats < 1)
        throw std::invalid_argument("bench eval: windows, threads and repeats must be positive");
    const auto ckpt = openCheckpoint(o.model);
    const LlamaModel model(*ckpt);
    const ModelConfig& c = model.config();
    EvalBenchmarkResult r;
    r.model = ckpt->path;
    r.threads = o.threads;
    r.ctx = o.ctx > 0 ? o.ctx : defaultContext(c);
    r.windows = o.windows;
    r.tokens = r.ctx * r.windows;

    const int previousThreads = computeThreads();
    setComputeThreads(o.threads);
    try {
        constexpr int64_t kGemmSize = 1536;
        r.gemmSize = kGemmSize;
        r.gemmFlops = measureGemmFlops(kGemmSize, 3);
        const TokenBatch windows = cutWindows(syntheticIds(r.tokens, c.vocabSize), r.ctx, r.windows, "synthetic ids");
        PerplexityOptions popts;
        popts.backend = o.backend;
        r.seconds = bestSeconds(o.repeats, [&] { evaluatePerplexity(model, windows, popts); });
    } catch (...) {
        setComputeThreads(previousThreads);
        throw;
    }
    setComputeThreads(previousThreads);

    r.tokensPerSecond = double(r.tokens) / r.seconds;
    r.flopsPerToken = modelFlopsPerToken(c, r.ctx);
    r.boundTokensPerSecond = r.gemmFlops / r.flopsPerToken;
    r.ratio = r.tokensPerSecond / r.boundTokensPerSecond;
    return r;
}

nlohmann::json evalBenchmarkJson(const EvalBenchmarkResult& r) {
    return {{"benchmark", "eval"},
            {"model", r.model},
            {"threads", r.threads},
            {"ctx", r.ctx},
            {"windows", r.windows},
            {"tokens", r.tokens},
            {"seconds", r.seconds},
            {"tokens_per_second", r.tokensPerSecond},
            {"flops_per_token", r.flopsPerToken},
            {"gemm_size", r.gemmSize},
            {"gemm_flops_per_second", r.gemmFlops},
            {"bound_tokens_per_second", r.boundTokensPerSecond},
            {"ratio", r.ratio}};
}

std::string evalBenchmarkSummary(const EvalBenchmarkResult& r) {
    char buf[640];
    std::snprintf(buf, sizeof buf,
                  "bench eval: %s, %lld windows of %lld tokens, %d threads\n"
                  "  sgemm %lld^3      %8.2f GFLOP/s\n"
                  "  model            %8.3f MFLOP/token -> bound %.0f tokens/s\n"
                  "  perplexity eval  %8.3f s  %.0f tokens/s\n"
                  "  ratio eval/bound %.3f",
                  r.model.c_str(), (long long)r.windows, (long long)r.ctx, r.threads, (long long)r.gemmSize,
                  r.gemmFlops / 1e9, r.flopsPerToken / 1e6, r.boundTokensPerSecond, r.seconds, r.tokensPerSecond,
                  r.ratio);
    return buf;
}

}  // namespace qs
