// Task evaluation through the engine: lm-eval's request encoding, agreement
// with the perplexity path on the same tokens, batching invariance, and the
// greedy check, on the real qs-tiny-llama.
#include <cmath>

#include "check.h"
#include "eval/perplexity.h"
#include "eval/task_eval.h"
#include "eval/task_readers.h"
#include "formats/checkpoint.h"
#include "model/layer_major.h"
#include "tokenize/tokenizer.h"

using namespace qs;
using namespace qs::test;

namespace {
constexpr double kSameArithmeticTol = 1e-9;  // same kernels, different batching
constexpr double kAgreeTol = 1e-6;          // relative, float32 logits summed in double

struct Tiny {
    std::unique_ptr<Checkpoint> ckpt = openCheckpoint(sharedDir() + "/models/qs-tiny-llama");
    LlamaModel model{*ckpt};
    std::unique_ptr<Tokenizer> tok = tokenizerForCheckpoint(*ckpt);
};
const Tiny& tiny() {
    static const Tiny t;
    return t;
}
}  // namespace

// The harness moves the context's trailing space into the continuation and
// takes the continuation ids from encoding the whole string.
QS_TEST(encode_pair_follows_the_harness) {
    const auto& tok = *tiny().tok;
    const auto e = encodeRequest(tok, {"Question: Where is it?\nAnswer: ", "in the box"});
    const auto whole = tok.encode("Question: Where is it?\nAnswer: in the box", false);
    const auto ctx = tok.encode("Question: Where is it?\nAnswer:", false);
    QS_CHECK(e.context == ctx);
    QS_CHECK(std::vector<int32_t>(whole.begin() + long(ctx.size()), whole.end()) == e.continuation);
    QS_CHECK(!e.continuation.empty());
    const auto empty = encodeRequest(tok, {"", "Hello"});
    QS_CHECK(empty.context == std::vector<int32_t>{tok.bosId()});
    QS_CHECK(empty.continuation == tok.encode("Hello", false));
}

// With an empty context a request scores every token of the text after BOS:
// exactly what perplexity over the window [BOS, text...] sums.
QS_TEST(loglikelihood_equals_the_perplexity_path) {
    const auto& t = tiny();
    const std::string text = "It was a bright cold day in April, and the clocks were striking thirteen.";
    TaskItem item;
    item.requests = {{"", text}};
    item.choices = {text};
    const auto scores = scoreRequests(t.model, *t.tok, {item}, TaskEvalOptions{});
    auto ids = t.tok->encode(text, true);
    TokenBatch window;
    window.add(ids);
    const auto ppl = evaluatePerplexity(t.model, window, PerplexityOptions{});
    const double total = -ppl.nll * double(ppl.tokens);
    QS_CHECK_NEAR(scores[0][0].logLikelihood, total, kAgreeTol * std::fabs(total));
}

QS_TEST(batching_and_passes_do_not_change_scores) {
    const auto& t = tiny();
    const auto items = readTaskFile(sharedDir() + "/data/tasks/piqa/valid.jsonl", TaskType::Piqa, 12);
    const auto together = scoreRequests(t.model, *t.tok, items, TaskEvalOptions{});
    TaskEvalOptions small;
    small.maxHiddenBytes = 1;  // one request per pass
    const auto apart = scoreRequests(t.model, *t.tok, items, small);
    for (size_t i = 0; i < items.size(); ++i)
        for (size_t j = 0; j < items[i].requests.size(); ++j) {
            QS_CHECK(together[i][j].logLikelihood < 0.0);
            QS_CHECK_NEAR(together[i][j].logLikelihood, apart[i][j].logLikelihood,
                          kSameArithmeticTol * std::fabs(apart[i][j].logLikelihood) + 1e-4);
        }
}

// A continuation that is the model's own greedy next token is greedy; any
// other token is not.
QS_TEST(greedy_check_uses_the_argmax) {
    const auto& t = tiny();
    const std::string context = "Once upon a time there was a";
    const auto ids = t.tok->encode(context, false);
    TokenBatch b;
    b.add(ids);
    int32_t argmax = -1;
    const std::vector<int64_t> last{b.rows() - 1};
    runLayerMajor(t.model, b, last, [&](const int64_t*, int64_t, const float* logits) {
        argmax = int32_t(std::max_element(logits, logits + t.model.config().vocabSize) - logits);
    });
    std::string piece = t.tok->decode(std::vector<int32_t>(ids.begin(), ids.end()));
    std::string withNext = t.tok->decode([&] { auto v = ids; v.push_back(argmax); return v; }());
    QS_CHECK(withNext.size() > piece.size());
    TaskItem hit, miss;
    hit.greedyOnly = miss.greedyOnly = true;
    hit.requests = {{context, withNext.substr(piece.size())}};
    miss.requests = {{context, " zebra"}};
    hit.choices = miss.choices = {"x"};
    const auto s = scoreRequests(t.model, *t.tok, {hit, miss}, TaskEvalOptions{});
    QS_CHECK(s[0][0].isGreedy);
    QS_CHECK(!s[1][0].isGreedy);
    const auto score = scoreTask({hit, miss}, s);
    QS_CHECK_NEAR(score.acc, 0.5, 0.0);
}

QS_TEST(mismatched_tokenizer_is_refused) {
    const auto& t = tiny();
    const auto other = openTokenizer(sharedDir() + "/models/llama2c/tokenizer.bin");
    TaskItem item;
    item.requests = {{"a", " b"}};
    item.choices = {"b"};
    QS_CHECK_THROWS_WITH(scoreRequests(t.model, *other, {item}, TaskEvalOptions{}), "tokenizer has 32000 tokens");
}
