// Perplexity the way the quantization papers compute it (GPTQ, Frantar et al.
// 2022, datautils/llama_eval; LLaMA3-Quantization): the text tokenized once,
// cut into non-overlapping windows, every token after the first of each
// window scored given the tokens before it in that window, and
// ppl = exp(mean negative log-likelihood over the scored tokens).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "jobs/job_control.h"
#include "model/layer_major.h"
#include "model/llama_model.h"
#include "model/token_batch.h"

namespace qs {

class Tokenizer;

struct PerplexityOptions {
    int64_t ctx = 0;         // window length in tokens; 0: defaultContext(config)
    int64_t maxWindows = 0;  // 0: every full window
    // Prepend BOS to the tokenized text (HF tokenizers do by default, so GPTQ's
    // first window starts with it); off, as in qs-tiny-llama's README.
    bool addBos = false;
    // Windows are pushed through the model in passes whose float32 hidden
    // states fit in this many bytes (each pass reads every block once).
    int64_t maxHiddenBytes = int64_t(8) << 30;
    // Substitutes block weights before use (a quantization plan), may be empty.
    std::function<void(DecoderBlockWeights&)> adjustBlock;
    // Where the forward pass and the log-softmax run (LayerMajorOptions::backend); nullptr: the CPU.
    const KernelBackend* backend = nullptr;
};

struct PerplexityResult {
    int64_t ctx = 0;
    int64_t windows = 0;
    int64_t tokens = 0;      // scored tokens: windows x (ctx - 1)
    double nll = 0.0;        // mean negative log-likelihood, nats per token
    double nllStderr = 0.0;  // standard error of that mean, tokens taken as independent
    double ppl = 0.0;        // exp(nll)
    double pplStderr = 0.0;  // ppl * nllStderr (delta method)
};

// Running sums of per-token NLL, for the mean and its standard error.
class NllAccumulator {
public:
    void add(double nll) {
        ++n_;
        sum_ += nll;
        sumSquares_ += nll * nll;
    }
    int64_t count() const { return n_; }
    // ppl = exp(mean NLL) with the delta-method standard error, tokens taken as independent.
    PerplexityResult result(int64_t ctx, int64_t windows) const;

private:
    int64_t n_ = 0;
    double sum_ = 0.0, sumSquares_ = 0.0;
};

// One scored row: `position` counts scored rows over all windows in order,
// `target` is the token it predicts; logits [vocab] with their log-sum-exp.
using ScoredRowVisitor =
    std::function<void(int64_t position, int32_t target, const float* logits, double logSumExp)>;

// One layer-major pass over all of `batch` with `lm` (a quantized block, a
// resumed start), visiting its scored rows; `position` continues from earlier
// passes and is advanced.
void visitScoredRowsInOnePass(const LlamaModel& model, const TokenBatch& batch, const LayerMajorOptions& lm,
                              int64_t& position, const ScoredRowVisitor& visit);

// Windows per layer-major pass: as many as options.maxHiddenBytes of float32
// hidden states hold (at least one), so the rows of one pass are at most this
// many times windows.longest().
int64_t windowsPerPass(const ModelConfig& config, const TokenBatch& windows, const PerplexityOptions& options);

// Runs the model over `windows` (in passes bounded by options.maxHiddenBytes)
// and visits every row that predicts a next token of its window, in order.
// Perplexity and KL divergence are both folds over these rows.
void visitScoredRows(const LlamaModel& model, const TokenBatch& windows, const PerplexityOptions& options,
                     const JobControl* job, const ScoredRowVisitor& visit);

// The windows of `text` as perplexityOfText cuts them; `source` names the
// text in errors (empty text, fewer tokens than one window, a tokenizer whose
// vocabulary is not the model's).
TokenBatch perplexityWindows(const LlamaModel& model, const Tokenizer& tokenizer, std::string_view text,
                             const std::string& source, const PerplexityOptions& options);

// Scores every token after the first of each sequence of `windows`.
PerplexityResult evaluatePerplexity(const LlamaModel& model, const TokenBatch& windows, const PerplexityOptions& options,
                                    const JobControl* job = nullptr);

// Tokenizes `text` once and evaluates its windows; `source` names the text in
// errors (empty text, fewer tokens than one window). A tokenizer whose
// vocabulary is not the model's is a FormatError.
PerplexityResult perplexityOfText(const LlamaModel& model, const Tokenizer& tokenizer, std::string_view text,
                                  const std::string& source, const PerplexityOptions& options,
                                  const JobControl* job = nullptr);

// {"ppl", "nll", "tokens", "windows", "ppl_stderr" (and its older name "stderr"), "nll_stderr", "ctx"}:
// every metric m with a standard error has it as "m_stderr", which tables and charts rely on.
nlohmann::json perplexityJson(const PerplexityResult& r);

}  // namespace qs
