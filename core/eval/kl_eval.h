// KL divergence of a model (a quantized one, or another checkpoint of the
// same vocabulary) against a base model on the perplexity windows of a text.
// The base's side (top-k log-probabilities per scored token, and its own
// perplexity) is computed once into a BaseReference, which the project file
// caches, so each compared model costs one evaluation pass.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "eval/kl_divergence.h"
#include "eval/perplexity.h"

namespace qs {

struct BaseReference {
    BaseLogProbs logProbs;     // one entry per scored token, window order
    PerplexityResult perplexity;
};

// The k kept per position when the caller asks for 0: the whole vocabulary
// up to 4096 entries (exact KL), else 256 plus the tail bucket: a lower bound,
// short per token by the tail's base mass times the KL within the tail (the
// chain rule of KL); 6-7% of the KL of RTN W4 g128 and W8A8 on the demo
// model's 2048-token vocabulary at k = 256 (tests/core/test_kl_divergence.cpp).
int defaultTopK(int64_t vocab);

BaseReference computeBaseReference(const LlamaModel& base, const TokenBatch& windows, const PerplexityOptions& options,
                                   int topK, const JobControl* job = nullptr);

struct KlResult {
    KlSummary kl;
    PerplexityResult base;
    PerplexityResult model;
    double deltaPpl = 0.0;  // model.ppl - base.ppl
    int topK = 0;
    int64_t vocab = 0;
};

// Throws std::invalid_argument when `windows` is not the batch the base was
// computed on (a different number of scored tokens) or the vocabularies differ.
KlResult compareWithBase(const LlamaModel& model, const BaseReference& base, const TokenBatch& windows,
                         const PerplexityOptions& options, const JobControl* job = nullptr);

// {"kl_mean", "kl_p99", "top1_agreement", "tokens", "top_k", "ppl", "base_ppl", "delta_ppl", ...}.
nlohmann::json klJson(const KlResult& r);

}  // namespace qs
