#include "eval/kl_eval.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace qs {

int defaultTopK(int64_t vocab) { return int(vocab <= 4096 ? vocab : 256); }

BaseReference computeBaseReference(const LlamaModel& base, const TokenBatch& windows, const PerplexityOptions& options,
                                   int topK, const JobControl* job) {
    const int64_t vocab = base.config().vocabSize;
    BaseReference ref;
    ref.logProbs.vocab = vocab;
    ref.logProbs.k = topK > 0 ? int(std::min<int64_t>(topK, vocab)) : defaultTopK(vocab);
    NllAccumulator nll;
    visitScoredRows(base, windows, options, job, [&](int64_t, int32_t target, const float* logits, double lse) {
        nll.add(lse - double(logits[target]));
        appendBaseRow(logits, vocab, ref.logProbs);
    });
    ref.perplexity = nll.result(windows.longest(), windows.sequences());
    return ref;
}

KlResult compareWithBase(const LlamaModel& model, const BaseReference& base, const TokenBatch& windows,
                         const PerplexityOptions& options, const JobControl* job) {
    if (model.config().vocabSize != base.logProbs.vocab)
        throw std::invalid_argument("the model's vocabulary (" + std::to_string(model.config().vocabSize) +
                                    ") is not the base's (" + std::to_string(base.logProbs.vocab) + ")");
    if (base.perplexity.tokens != base.logProbs.positions())
        throw std::invalid_argument("the base reference is inconsistent: " + std::to_string(base.perplexity.tokens) +
                                    " tokens but " + std::to_string(base.logProbs.positions()) + " positions");
    int64_t scored = 0;
    for (int64_t s = 0; s < windows.sequences(); ++s) scored += std::max<int64_t>(0, windows.length(s) - 1);
    if (scored != base.logProbs.positions())
        throw std::invalid_argument("the windows score " + std::to_string(scored) + " tokens but the base reference has " +
                                    std::to_string(base.logProbs.positions()) + ": not the same text or windows");
    KlAccumulator kl(base.logProbs);
    NllAccumulator nll;
    visitScoredRows(model, windows, options, job, [&](int64_t position, int32_t target, const float* logits, double lse) {
        nll.add(lse - double(logits[target]));
        kl.add(position, logits);
    });
    KlResult r;
    r.kl = kl.summary();
    r.base = base.perplexity;
    r.model = nll.result(windows.longest(), windows.sequences());
    r.deltaPpl = r.model.ppl - r.base.ppl;
    r.topK = base.logProbs.k;
    r.vocab = base.logProbs.vocab;
    return r;
}

nlohmann::json klJson(const KlResult& r) {
    return {{"kl_mean", r.kl.meanKl},
            {"kl_p99", r.kl.p99Kl},
            {"top1_agreement", r.kl.top1Agreement},
            {"tokens", r.kl.tokens},
            {"top_k", r.topK},
            {"exact", r.topK == r.vocab},  // else a lower bound (top-k plus one tail bucket)
            {"ppl", r.model.ppl},
            {"ppl_stderr", r.model.pplStderr},
            {"base_ppl", r.base.ppl},
            {"delta_ppl", r.deltaPpl},
            {"windows", r.model.windows},
            {"ctx", r.model.ctx}};
}

}  // namespace qs
