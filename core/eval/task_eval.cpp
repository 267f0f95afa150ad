#include "eval/task_eval.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "formats/format_error.h"
#include "model/default_backend.h"
#include "model/layer_major.h"
#include "tokenize/tokenizer.h"

namespace qs {

EncodedRequest encodeRequest(const Tokenizer& tokenizer, const ChoiceRequest& request) {
    std::string context = request.context, continuation = request.continuation;
    const size_t keep = context.find_last_not_of(" \t\n\r\f\v");
    const size_t cut = keep == std::string::npos ? 0 : keep + 1;
    continuation = context.substr(cut) + continuation;
    context.resize(cut);
    EncodedRequest e;
    if (context.empty()) {
        e.context = {tokenizer.bosId()};
        e.continuation = tokenizer.encode(continuation, false);
        return e;
    }
    const std::vector<int32_t> whole = tokenizer.encode(context + continuation, false);
    e.context = tokenizer.encode(context, false);
    const size_t n = std::min(e.context.size(), whole.size());
    e.continuation.assign(whole.begin() + long(n), whole.end());
    return e;
}

namespace {

// One request laid out for the model: the input is (context + continuation)
// minus its last token, cut from the left to the model's window; the last
// `scored` rows predict the continuation.
struct RequestLayout {
    size_t item = 0, choice = 0;
    std::vector<int32_t> input;
    std::vector<int32_t> targets;  // the continuation
};

RequestLayout layOut(const EncodedRequest& e, int64_t maxLength) {
    if (e.continuation.empty()) throw std::invalid_argument("a continuation encodes to no tokens");
    std::vector<int32_t> all = e.context;
    all.insert(all.end(), e.continuation.begin(), e.continuation.end());
    if (int64_t(all.size()) > maxLength + 1) all.erase(all.begin(), all.end() - (maxLength + 1));
    RequestLayout r;
    r.input.assign(all.begin(), all.end() - 1);
    r.targets = e.continuation;
    if (r.targets.size() > r.input.size()) r.targets.erase(r.targets.begin(), r.targets.end() - long(r.input.size()));
    return r;
}

void scorePass(const LlamaModel& model, std::vector<RequestLayout>::const_iterator first,
               std::vector<RequestLayout>::const_iterator last, const LayerMajorOptions& lm,
               std::vector<std::vector<RequestScore>>& out) {
    TokenBatch batch;
    std::vector<int64_t> rows;
    std::vector<size_t> rowRequest;  // which request (offset from first) a scored row belongs to
    std::vector<int32_t> rowTarget;
    for (auto it = first; it != last; ++it) {
        batch.add(it->input);
        const int64_t firstScored = batch.rows() - int64_t(it->targets.size());
        for (size_t t = 0; t < it->targets.size(); ++t) {
            rows.push_back(firstScored + int64_t(t));
            rowRequest.push_back(size_t(it - first));
            rowTarget.push_back(it->targets[t]);
        }
    }
    const int64_t vocab = model.config().vocabSize;
    std::vector<double> lse;
    size_t next = 0;
    runLayerMajor(model, batch, rows,
                  [&](const int64_t*, int64_t count, const float* logits) {
                      lse.resize(size_t(count));
                      backendOrCpu(lm.backend).logSumExpRows(logits, count, vocab, lse.data());
                      for (int64_t i = 0; i < count; ++i, ++next) {
                          const float* row = logits + i * vocab;
                          const int32_t target = rowTarget[next];
                          const auto& req = *(first + long(rowRequest[next]));
                          RequestScore& s = out[req.item][req.choice];
                          s.logLikelihood += double(row[target]) - lse[size_t(i)];
                          const bool greedy = std::max_element(row, row + vocab) - row == target;
                          // Starts true (scoreRequests) and stays true while every token is the argmax.
                          s.isGreedy = s.isGreedy && greedy;
                      }
                  },
                  lm);
}

}  // namespace

std::vector<std::vector<RequestScore>> scoreRequests(const LlamaModel& model, const Tokenizer& tokenizer,
                                                     const std::vector<TaskItem>& items, const TaskEvalOptions& options,
                                                     const JobControl* job) {
    const ModelConfig& c = model.config();
    if (tokenizer.vocabSize() != c.vocabSize)
        throw FormatError(model.checkpoint().path, "the tokenizer has " + std::to_string(tokenizer.vocabSize()) +
                                                       " tokens but the model's vocabulary has " + std::to_string(c.vocabSize));
    const int64_t maxLength = c.maxPositions > 0 ? c.maxPositions : 2048;
    std::vector<RequestLayout> layouts;
    std::vector<std::vector<RequestScore>> out(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        out[i].assign(items[i].requests.size(), RequestScore{0.0, true});
        for (size_t j = 0; j < items[i].requests.size(); ++j) {
            RequestLayout r = layOut(encodeRequest(tokenizer, items[i].requests[j]), maxLength);
            r.item = i;
            r.choice = j;
            layouts.push_back(std::move(r));
        }
    }
    // Passes bounded by the hidden-state budget, in request order.
    const int64_t rowBytes = c.hiddenSize * int64_t(sizeof(float));
    std::vector<size_t> bounds{0};
    int64_t rowsInPass = 0;
    for (size_t k = 0; k < layouts.size(); ++k) {
        const int64_t n = int64_t(layouts[k].input.size());
        if (k > bounds.back() && (rowsInPass + n) * rowBytes > options.maxHiddenBytes) {
            bounds.push_back(k);
            rowsInPass = 0;
        }
        rowsInPass += n;
    }
    bounds.push_back(layouts.size());
    const size_t passes = bounds.size() - 1;
    for (size_t p = 0; p < passes; ++p) {
        LayerMajorOptions lm;
        lm.adjustBlock = options.adjustBlock;
        lm.backend = options.backend;
        lm.job = job;
        lm.progressBegin = double(p) / double(passes);
        lm.progressEnd = double(p + 1) / double(passes);
        scorePass(model, layouts.begin() + long(bounds[p]), layouts.begin() + long(bounds[p + 1]), lm, out);
    }
    return out;
}

TaskScore evaluateTask(const LlamaModel& model, const Tokenizer& tokenizer, const std::vector<TaskItem>& items,
                       const TaskEvalOptions& options, const JobControl* job) {
    return scoreTask(items, scoreRequests(model, tokenizer, items, options, job));
}

nlohmann::json taskScoreJson(const TaskScore& s) {
    return {{"acc", s.acc}, {"acc_norm", s.accNorm}, {"n", s.n}, {"acc_stderr", s.accStderr},
            {"acc_norm_stderr", s.accNormStderr}};
}

}  // namespace qs
