#include "eval/memory_benchmark.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "model/llama_model.h"
#include "tokenize/tokenizer.h"

namespace qs {

namespace {

int64_t currentRssBytes() {
    std::ifstream in("/proc/self/statm");
    int64_t size = 0, resident = 0;
    in >> size >> resident;
    return resident * int64_t(sysconf(_SC_PAGESIZE));
}

int64_t peakRssBytes() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return int64_t(u.ru_maxrss) * 1024;  // Linux reports KiB
}

double mib(int64_t bytes) { return double(bytes) / double(1 << 20); }

}  // namespace

WorkingSet perplexityWorkingSet(const ModelConfig& config, const TokenBatch& windows, const PerplexityOptions& options) {
    WorkingSetRequest r;
    r.weights = DType::F32;
    r.longestSequence = windows.longest();
    r.tokens = std::min(windows.rows(), windowsPerPass(config, windows, options) * r.longestSequence);
    return estimateWorkingSet(config, r);
}

MemoryBenchmarkResult benchmarkEvalMemory(const MemoryBenchmarkOptions& o) {
    MemoryBenchmarkResult r;
    r.rssBeforeBytes = currentRssBytes();
    const auto ckpt = openCheckpoint(o.model);
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerForCheckpoint(*ckpt);
    const TokenBatch windows = perplexityWindows(model, *tokenizer, readTextFile(o.text), o.text, o.perplexity);
    r.model = ckpt->path;
    r.estimate = perplexityWorkingSet(model.config(), windows, o.perplexity);
    r.perplexity = evaluatePerplexity(model, windows, o.perplexity);
    r.peakRssBytes = peakRssBytes();
    r.ratio = double(r.peakRssBytes) / double(r.estimate.total());
    r.growthRatio = double(r.peakRssBytes - r.rssBeforeBytes) / double(r.estimate.total());
    return r;
}

nlohmann::json memoryBenchmarkJson(const MemoryBenchmarkResult& r) {
    return {{"benchmark", "memory"},
            {"model", r.model},
            {"tokens", r.perplexity.tokens},
            {"windows", r.perplexity.windows},
            {"ctx", r.perplexity.ctx},
            {"ppl", r.perplexity.ppl},
            {"estimate", workingSetJson(r.estimate)},
            {"rss_before_bytes", r.rssBeforeBytes},
            {"peak_rss_bytes", r.peakRssBytes},
            {"ratio_peak_to_estimate", r.ratio},
            {"ratio_growth_to_estimate", r.growthRatio}};
}

std::string memoryBenchmarkSummary(const MemoryBenchmarkResult& r) {
    char buf[640];
    std::snprintf(buf, sizeof buf,
                  "bench memory: %s, %lld windows of %lld tokens (ppl %.4f)\n"
                  "  estimate        %10.2f MiB  (%s)\n"
                  "  peak RSS        %10.2f MiB  (%.2f MiB before the model was opened)\n"
                  "  ratio peak/estimate %.3f, growth/estimate %.3f\n",
                  r.model.c_str(), (long long)r.perplexity.windows, (long long)r.perplexity.ctx, r.perplexity.ppl,
                  mib(r.estimate.total()), workingSetLine(r.estimate).c_str(), mib(r.peakRssBytes), mib(r.rssBeforeBytes),
                  r.ratio, r.growthRatio);
    return buf;
}

}  // namespace qs
