#include "eval/perplexity.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/text_windows.h"
#include "formats/format_error.h"
#include "model/default_backend.h"
#include "model/layer_major.h"
#include "tokenize/tokenizer.h"

namespace qs {

namespace {

// The windows [first, last) of `all` as a batch of their own.
TokenBatch windowRange(const TokenBatch& all, int64_t first, int64_t last) {
    TokenBatch part;
    for (int64_t s = first; s < last; ++s)
        part.add(std::span(all.tokens).subspan(size_t(all.starts[size_t(s)]), size_t(all.length(s))));
    return part;
}

}  // namespace

void visitScoredRowsInOnePass(const LlamaModel& model, const TokenBatch& batch, const LayerMajorOptions& lm,
                              int64_t& position, const ScoredRowVisitor& visit) {
    // Row t predicts token t + 1 of its sequence: every row but each sequence's last.
    std::vector<int64_t> rows;
    rows.reserve(size_t(batch.rows()));
    for (int64_t s = 0; s < batch.sequences(); ++s)
        for (int64_t r = batch.starts[size_t(s)]; r + 1 < batch.starts[size_t(s + 1)]; ++r) rows.push_back(r);
    const int64_t vocab = model.config().vocabSize;
    std::vector<double> lse;
    runLayerMajor(model, batch, rows,
                  [&](const int64_t* r, int64_t count, const float* logits) {
                      lse.resize(size_t(count));
                      backendOrCpu(lm.backend).logSumExpRows(logits, count, vocab, lse.data());
                      for (int64_t i = 0; i < count; ++i)
                          visit(position++, batch.tokens[size_t(r[i] + 1)], logits + i * vocab, lse[size_t(i)]);
                  },
                  lm);
}

PerplexityResult NllAccumulator::result(int64_t ctx, int64_t windows) const {
    if (n_ == 0) throw std::invalid_argument("perplexity: the windows have no token to score");
    PerplexityResult r;
    r.ctx = ctx;
    r.windows = windows;
    r.tokens = n_;
    r.nll = sum_ / double(n_);
    if (n_ > 1) {
        const double variance = std::max(0.0, (sumSquares_ - sum_ * r.nll) / double(n_ - 1));
        r.nllStderr = std::sqrt(variance / double(n_));
    }
    r.ppl = std::exp(r.nll);
    r.pplStderr = r.ppl * r.nllStderr;
    return r;
}

int64_t windowsPerPass(const ModelConfig& config, const TokenBatch& windows, const PerplexityOptions& options) {
    const int64_t bytesPerWindow = std::max<int64_t>(1, windows.longest()) * config.hiddenSize * int64_t(sizeof(float));
    return std::max<int64_t>(1, options.maxHiddenBytes / bytesPerWindow);
}

void visitScoredRows(const LlamaModel& model, const TokenBatch& windows, const PerplexityOptions& options,
                     const JobControl* job, const ScoredRowVisitor& visit) {
    if (windows.sequences() == 0) throw std::invalid_argument("perplexity: no windows");
    const ModelConfig& c = model.config();
    const int64_t longest = windows.longest();
    if (c.maxPositions > 0 && longest > c.maxPositions)
        throw std::invalid_argument("windows of " + std::to_string(longest) + " tokens exceed the model's " +
                                    std::to_string(c.maxPositions) + " positions");
    const int64_t perPass = windowsPerPass(c, windows, options);
    const int64_t passes = (windows.sequences() + perPass - 1) / perPass;

    int64_t position = 0;
    for (int64_t p = 0; p < passes; ++p) {
        LayerMajorOptions lm;
        lm.adjustBlock = options.adjustBlock;
        lm.backend = options.backend;
        lm.job = job;
        lm.progressBegin = double(p) / double(passes);
        lm.progressEnd = double(p + 1) / double(passes);
        const int64_t first = p * perPass, last = std::min(windows.sequences(), first + perPass);
        if (passes == 1)
            visitScoredRowsInOnePass(model, windows, lm, position, visit);
        else
            visitScoredRowsInOnePass(model, windowRange(windows, first, last), lm, position, visit);
    }
}

PerplexityResult evaluatePerplexity(const LlamaModel& model, const TokenBatch& windows, const PerplexityOptions& options,
                                    const JobControl* job) {
    NllAccumulator nll;
    visitScoredRows(model, windows, options, job, [&](int64_t, int32_t target, const float* logits, double lse) {
        nll.add(lse - double(logits[target]));
    });
    return nll.result(windows.longest(), windows.sequences());
}

TokenBatch perplexityWindows(const LlamaModel& model, const Tokenizer& tokenizer, std::string_view text,
                             const std::string& source, const PerplexityOptions& options) {
    const ModelConfig& c = model.config();
    if (tokenizer.vocabSize() != c.vocabSize)
        throw FormatError(model.checkpoint().path, "the tokenizer has " + std::to_string(tokenizer.vocabSize()) +
                                                       " tokens but the model's vocabulary has " +
                                                       std::to_string(c.vocabSize));
    if (text.empty()) throw FormatError(source, "the text is empty");
    const int64_t ctx = options.ctx > 0 ? options.ctx : defaultContext(c);
    if (c.maxPositions > 0 && ctx > c.maxPositions)
        throw std::invalid_argument("a window of " + std::to_string(ctx) + " tokens exceeds the model's " +
                                    std::to_string(c.maxPositions) + " positions (max_position_embeddings)");
    const std::vector<int32_t> ids = tokenizer.encode(text, options.addBos);
    return cutWindows(ids, ctx, options.maxWindows, source);
}

PerplexityResult perplexityOfText(const LlamaModel& model, const Tokenizer& tokenizer, std::string_view text,
                                  const std::string& source, const PerplexityOptions& options, const JobControl* job) {
    return evaluatePerplexity(model, perplexityWindows(model, tokenizer, text, source, options), options, job);
}

nlohmann::json perplexityJson(const PerplexityResult& r) {
    return {{"ppl", r.ppl},   {"nll", r.nll},       {"tokens", r.tokens},         {"windows", r.windows},
            {"stderr", r.pplStderr}, {"ppl_stderr", r.pplStderr}, {"nll_stderr", r.nllStderr}, {"ctx", r.ctx}};
}

}  // namespace qs
