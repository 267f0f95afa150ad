// How close the working-set estimate (model/memory_estimate.h) comes to what
// a perplexity evaluation really uses: the process's peak resident set
// (getrusage ru_maxrss) after evaluating, as a ratio to the estimate. On a
// small model the process's fixed cost (code, libraries, the tokenizer, the
// text) weighs more than the working set, so both the peak and its growth
// over the resident set before the model was opened are reported.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "eval/perplexity.h"
#include "model/memory_estimate.h"

namespace qs {

// The working set of evaluatePerplexity over `windows`: float32 blocks as
// LlamaModel::loadBlock decodes them, the rows of its largest pass.
WorkingSet perplexityWorkingSet(const ModelConfig& config, const TokenBatch& windows, const PerplexityOptions& options);

struct MemoryBenchmarkOptions {
    std::string model;  // checkpoint path
    std::string text;   // evaluated with the checkpoint's tokenizer
    PerplexityOptions perplexity;
};

struct MemoryBenchmarkResult {
    std::string model;
    PerplexityResult perplexity;
    WorkingSet estimate;
    int64_t rssBeforeBytes = 0;  // resident set before the checkpoint was opened
    int64_t peakRssBytes = 0;    // ru_maxrss after the evaluation
    double ratio = 0.0;          // peakRssBytes / estimate.total()
    double growthRatio = 0.0;    // (peakRssBytes - rssBeforeBytes) / estimate.total()
};

MemoryBenchmarkResult benchmarkEvalMemory(const MemoryBenchmarkOptions& options);
nlohmann::json memoryBenchmarkJson(const MemoryBenchmarkResult& r);
std::string memoryBenchmarkSummary(const MemoryBenchmarkResult& r);

}  // namespace qs
