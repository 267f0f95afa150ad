#include "eval/perplexity.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "cpu/log_softmax.h"
#include "eval/text_windows.h"
#include "formats/format_error.h"
#include "model/layer_major.h"
#include "tokenize/tokenizer.h"

namespace qs {

namespace {

// Sums of the per-token NLL and its square, for the mean and its standard error.
struct NllSums {
    int64_t n = 0;
    double sum = 0.0;
    double sumSquares = 0.0;
};

// The windows [first, last) of `all` as a batch of their own.
TokenBatch windowRange(const TokenBatch& all, int64_t first, int64_t last) {
    TokenBatch part;
    for (int64_t s = first; s < last; ++s)
        part.add(std::span(all.tokens).subspan(size_t(all.starts[size_t(s)]), size_t(all.length(s))));
    return part;
}

void scorePass(const LlamaModel& model, const TokenBatch& batch, const LayerMajorOptions& lm, NllSums& sums) {
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
                      logSumExpRows(logits, count, vocab, lse.data());
                      for (int64_t i = 0; i < count; ++i) {
                          const int32_t target = batch.tokens[size_t(r[i] + 1)];
                          const double nll = lse[size_t(i)] - double(logits[i * vocab + target]);
                          sums.n += 1;
                          sums.sum += nll;
                          sums.sumSquares += nll * nll;
                      }
                  },
                  lm);
}

}  // namespace

PerplexityResult evaluatePerplexity(const LlamaModel& model, const TokenBatch& windows, const PerplexityOptions& options,
                                    const JobControl* job) {
    if (windows.sequences() == 0) throw std::invalid_argument("evaluatePerplexity: no windows");
    const ModelConfig& c = model.config();
    const int64_t longest = windows.longest();
    if (c.maxPositions > 0 && longest > c.maxPositions)
        throw std::invalid_argument("windows of " + std::to_string(longest) + " tokens exceed the model's " +
                                    std::to_string(c.maxPositions) + " positions");
    const int64_t bytesPerWindow = longest * c.hiddenSize * int64_t(sizeof(float));
    const int64_t perPass = std::max<int64_t>(1, options.maxHiddenBytes / bytesPerWindow);
    const int64_t passes = (windows.sequences() + perPass - 1) / perPass;

    NllSums sums;
    for (int64_t p = 0; p < passes; ++p) {
        LayerMajorOptions lm;
        lm.adjustBlock = options.adjustBlock;
        lm.job = job;
        lm.progressBegin = double(p) / double(passes);
        lm.progressEnd = double(p + 1) / double(passes);
        const int64_t first = p * perPass, last = std::min(windows.sequences(), first + perPass);
        if (passes == 1)
            scorePass(model, windows, lm, sums);
        else
            scorePass(model, windowRange(windows, first, last), lm, sums);
    }
    if (sums.n == 0) throw std::invalid_argument("evaluatePerplexity: the windows have no token to score");

    PerplexityResult r;
    r.ctx = longest;
    r.windows = windows.sequences();
    r.tokens = sums.n;
    r.nll = sums.sum / double(sums.n);
    if (sums.n > 1) {
        const double variance = std::max(0.0, (sums.sumSquares - sums.sum * r.nll) / double(sums.n - 1));
        r.nllStderr = std::sqrt(variance / double(sums.n));
    }
    r.ppl = std::exp(r.nll);
    r.pplStderr = r.ppl * r.nllStderr;
    return r;
}

PerplexityResult perplexityOfText(const LlamaModel& model, const Tokenizer& tokenizer, std::string_view text,
                                  const std::string& source, const PerplexityOptions& options, const JobControl* job) {
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
    return evaluatePerplexity(model, cutWindows(ids, ctx, options.maxWindows, source), options, job);
}

nlohmann::json perplexityJson(const PerplexityResult& r) {
    return {{"ppl", r.ppl},   {"nll", r.nll},       {"tokens", r.tokens},         {"windows", r.windows},
            {"stderr", r.pplStderr}, {"nll_stderr", r.nllStderr}, {"ctx", r.ctx}};
}

}  // namespace qs
