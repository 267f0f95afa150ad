// Perplexity evaluation on the real files: qs-tiny-llama's README numbers
// (first 64 non-overlapping 256-token windows of the whole tokenized file, no
// BOS, 16320 scored tokens) for its BF16, F32 and llama2.c forms; windows,
// progress, cancellation, memory passes, weight substitution and bad input.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "tokenize/tokenizer.h"

using namespace qs;

namespace {

// Tolerances.
constexpr double kReadmeLossTol = 0.5e-4;  // the README prints 4 decimals of the loss
constexpr double kReadmePplTol = 0.5e-2;   // and 2 of the perplexity
constexpr double kLayoutRelTol = 1e-5;     // F32 safetensors vs llama2.c, same ids (README: equal in float64)
constexpr double kPassesRelTol = 1e-6;     // one pass vs one window per pass
constexpr double kIdentityNllTol = 1e-4;   // engine vs float64 with identity blocks

std::string shared() { return qs::test::sharedDir(); }
std::string tinyDir() { return shared() + "/models/qs-tiny-llama"; }

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The README's windows of one text, tokenized once (whole file, no BOS).
TokenBatch readmeWindows(const std::string& textFile) {
    const auto tokenizer = openTokenizer(tinyDir() + "/tokenizer.model");
    return cutWindows(tokenizer->encode(readFile(shared() + "/data/text/" + textFile), false), 256, 64, textFile);
}

PerplexityResult evaluateFile(const std::string& model, const TokenBatch& windows) {
    const auto ckpt = openCheckpoint(model);
    return evaluatePerplexity(LlamaModel(*ckpt), windows, {});
}

void checkReadme(const PerplexityResult& r, double loss, double ppl) {
    QS_CHECK_EQ(r.windows, 64);
    QS_CHECK_EQ(r.tokens, 16320);
    QS_CHECK_EQ(r.ctx, 256);
    QS_CHECK_NEAR(r.nll, loss, kReadmeLossTol);
    QS_CHECK_NEAR(r.ppl, ppl, kReadmePplTol);
    QS_CHECK(r.nllStderr > 0 && r.nllStderr < 0.05);
    QS_CHECK_NEAR(r.pplStderr, r.ppl * r.nllStderr, 1e-12 * r.ppl);
}

}  // namespace

QS_TEST(tinyLlamaReadmeHeldOutBook) {
    const TokenBatch windows = readmeWindows("frankenstein-heldout.txt");
    checkReadme(evaluateFile(tinyDir(), windows), 3.7684, 43.31);
    const PerplexityResult f32 = evaluateFile(tinyDir() + "/model.f32.safetensors", windows);
    const PerplexityResult l2c = evaluateFile(tinyDir() + "/model.llama2c.bin", windows);
    checkReadme(f32, 3.7684, 43.31);
    checkReadme(l2c, 3.7684, 43.31);
    QS_CHECK(std::fabs(f32.ppl - l2c.ppl) <= kLayoutRelTol * f32.ppl);
}

QS_TEST(tinyLlamaReadmeWikiText2) {
    const TokenBatch windows = readmeWindows("wikitext-2-raw.wiki.test.raw");
    const PerplexityResult bf16 = evaluateFile(tinyDir(), windows);
    const PerplexityResult f32 = evaluateFile(tinyDir() + "/model.f32.safetensors", windows);
    const PerplexityResult l2c = evaluateFile(tinyDir() + "/model.llama2c.bin", windows);
    checkReadme(bf16, 5.2921, 198.76);
    checkReadme(f32, 5.2917, 198.69);
    checkReadme(l2c, 5.2917, 198.69);
    QS_CHECK(std::fabs(f32.ppl - l2c.ppl) <= kLayoutRelTol * f32.ppl);
    QS_CHECK(std::fabs(bf16.ppl - f32.ppl) > 1e-4 * f32.ppl);  // the BF16 weights really are the ones used
}

// The text path: tokenizer found beside the checkpoint, options, JSON.
QS_TEST(perplexityOfTextWithTheCheckpointsTokenizer) {
    const auto ckpt = openCheckpoint(tinyDir());
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerForCheckpoint(*ckpt);
    PerplexityOptions o;
    o.ctx = 256;
    o.maxWindows = 64;
    const std::string file = shared() + "/data/text/frankenstein-heldout.txt";
    const PerplexityResult r = perplexityOfText(model, *tokenizer, readFile(file), file, o);
    checkReadme(r, 3.7684, 43.31);
    const nlohmann::json j = perplexityJson(r);
    for (const char* key : {"ppl", "nll", "tokens", "windows", "stderr"}) QS_CHECK(j.contains(key));
    QS_CHECK_EQ(j["tokens"].get<int64_t>(), 16320);
    QS_CHECK_NEAR(j["stderr"].get<double>(), r.pplStderr, 0);

    // Default window: min(2048, 512 positions) = 512; a BOS shifts every window by one token.
    o.ctx = 0;
    o.maxWindows = 2;
    o.addBos = true;
    const PerplexityResult d = perplexityOfText(model, *tokenizer, readFile(file), file, o);
    QS_CHECK_EQ(d.ctx, 512);
    QS_CHECK_EQ(d.tokens, 2 * 511);
}

QS_TEST(windowsAreCutLikeThePapers) {
    QS_CHECK_EQ(joinDocuments({"first", "second", ""}), std::string("first\n\nsecond\n\n"));
    std::vector<int32_t> ids(1000);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t(i);
    const TokenBatch all = cutWindows(ids, 256, 0, "ids");
    QS_CHECK_EQ(all.sequences(), 3);  // the 232-token tail is dropped
    QS_CHECK_EQ(all.rows(), 768);
    QS_CHECK_EQ(all.tokens[256], 256);
    QS_CHECK_EQ(cutWindows(ids, 256, 2, "ids").sequences(), 2);
    QS_CHECK_EQ(cutWindows(ids, 256, 9, "ids").sequences(), 3);
    ModelConfig c;
    c.maxPositions = 512;
    QS_CHECK_EQ(defaultContext(c), 512);
    c.maxPositions = 131072;
    QS_CHECK_EQ(defaultContext(c), 2048);
}

// Progress is reported by block, then for the head; cancelling stops the work
// before the next block starts.
QS_TEST(progressByBlockAndCancellation) {
    const auto ckpt = openCheckpoint(tinyDir() + "/model.f32.safetensors");
    const LlamaModel model(*ckpt);
    const TokenBatch windows = readmeWindows("frankenstein-heldout.txt");
    TokenBatch two;
    two.add(std::span(windows.tokens).subspan(0, 256));
    two.add(std::span(windows.tokens).subspan(256, 256));

    std::vector<std::pair<double, std::string>> seen;
    const JobControl job([&](double f, const std::string& stage) { seen.emplace_back(f, stage); });
    evaluatePerplexity(model, two, {}, &job);
    std::vector<std::string> stages;
    for (const auto& [f, s] : seen)
        if (stages.empty() || stages.back() != s) stages.push_back(s);
    QS_CHECK((stages == std::vector<std::string>{"block 1 of 4", "block 2 of 4", "block 3 of 4", "block 4 of 4",
                                                 "output head", "done"}));
    for (size_t i = 1; i < seen.size(); ++i) QS_CHECK(seen[i].first >= seen[i - 1].first);
    QS_CHECK_NEAR(seen.front().first, 0.0, 1e-12);
    QS_CHECK_NEAR(seen.back().first, 1.0, 1e-12);

    JobControl* self = nullptr;
    std::vector<std::string> started;
    JobControl cancelling([&](double, const std::string& stage) {
        started.push_back(stage);
        if (stage == "block 2 of 4") self->requestCancel();
    });
    self = &cancelling;
    QS_CHECK_THROWS_WITH(evaluatePerplexity(model, two, {}, &cancelling), "cancelled");
    QS_CHECK(std::find(started.begin(), started.end(), "block 3 of 4") == started.end());
    QS_CHECK(std::find(started.begin(), started.end(), "block 2 of 4") != started.end());
}

// A memory budget of one window per pass gives the single-pass result.
QS_TEST(passesUnderAMemoryBudgetAgree) {
    const auto ckpt = openCheckpoint(tinyDir());
    const LlamaModel model(*ckpt);
    const TokenBatch all = readmeWindows("wikitext-2-raw.wiki.test.raw");
    TokenBatch five;
    for (int w = 0; w < 5; ++w) five.add(std::span(all.tokens).subspan(size_t(w) * 256, 256));
    const PerplexityResult one = evaluatePerplexity(model, five, {});
    PerplexityOptions o;
    o.maxHiddenBytes = 256 * model.config().hiddenSize * 4;  // one window
    int passes = 0;
    const JobControl job([&](double, const std::string& stage) { passes += stage == "done"; });
    const PerplexityResult many = evaluatePerplexity(model, five, o, &job);
    QS_CHECK_EQ(passes, 5);
    QS_CHECK_EQ(many.tokens, one.tokens);
    QS_CHECK(std::fabs(many.nll - one.nll) <= kPassesRelTol * one.nll);
    QS_CHECK(std::fabs(many.nllStderr - one.nllStderr) <= 1e-4 * one.nllStderr);
}

// Substituted weights are the ones used: with o_proj and down_proj zeroed
// every block is the identity, so position t's logits are
// head(rmsnorm(embed(token t))), computed here in float64.
QS_TEST(adjustedBlockWeightsAreUsed) {
    const std::string path = shared() + "/models/llama2c/stories260K.bin";
    const auto ckpt = openCheckpoint(path);
    const LlamaModel model(*ckpt);
    const ModelConfig& c = ckpt->config;
    TokenBatch windows;
    std::vector<int32_t> ids;
    for (int i = 0; i < 128; ++i) ids.push_back(int32_t((i * 53 + 11) % 512));
    windows.add(std::span(ids).subspan(0, 64));
    windows.add(std::span(ids).subspan(64, 64));
    PerplexityOptions o;
    int adjusted = 0;
    o.adjustBlock = [&](DecoderBlockWeights& w) {
        ++adjusted;
        std::fill(w[Projection::O].w.begin(), w[Projection::O].w.end(), 0.0f);
        std::fill(w[Projection::Down].w.begin(), w[Projection::Down].w.end(), 0.0f);
    };
    const PerplexityResult r = evaluatePerplexity(model, windows, o);
    QS_CHECK_EQ(adjusted, 5);

    const TensorView& embed = ckpt->at("model.embed_tokens.weight");  // tied head
    std::vector<float> table(static_cast<size_t>(embed.numel())), norm(static_cast<size_t>(c.hiddenSize));
    decodeToFloat(embed, 0, embed.numel(), table.data());
    decodeToFloat(ckpt->at("model.norm.weight"), 0, c.hiddenSize, norm.data());
    double sum = 0;
    int64_t n = 0;
    for (int64_t s = 0; s < 2; ++s)
        for (int64_t t = 0; t + 1 < 64; ++t) {
            const float* x = table.data() + ids[size_t(s * 64 + t)] * c.hiddenSize;
            double ss = 0;
            for (int64_t i = 0; i < c.hiddenSize; ++i) ss += double(x[i]) * x[i];
            const double inv = 1 / std::sqrt(ss / double(c.hiddenSize) + c.rmsNormEps);
            std::vector<double> logits(static_cast<size_t>(c.vocabSize), 0.0);
            double max = -1e300;
            for (int64_t v = 0; v < c.vocabSize; ++v) {
                for (int64_t i = 0; i < c.hiddenSize; ++i)
                    logits[size_t(v)] += double(table[size_t(v * c.hiddenSize + i)]) * x[i] * inv * norm[size_t(i)];
                max = std::max(max, logits[size_t(v)]);
            }
            double z = 0;
            for (double l : logits) z += std::exp(l - max);
            sum += max + std::log(z) - logits[size_t(ids[size_t(s * 64 + t + 1)])];
            ++n;
        }
    QS_CHECK_EQ(r.tokens, n);
    QS_CHECK_NEAR(r.nll, sum / double(n), kIdentityNllTol);
    QS_CHECK(std::fabs(r.nll - evaluatePerplexity(model, windows, {}).nll) > 0.01);  // and differs from the real model
}

QS_TEST(badInputGivesClearErrors) {
    const auto tiny = openCheckpoint(tinyDir());
    const LlamaModel model(*tiny);
    const auto tokenizer = tokenizerForCheckpoint(*tiny);
    PerplexityOptions o;
    o.ctx = 256;
    QS_CHECK_THROWS_WITH(perplexityOfText(model, *tokenizer, "", "empty.txt", o), "empty.txt: the text is empty");
    QS_CHECK_THROWS_WITH(perplexityOfText(model, *tokenizer, "A short text.", "short.txt", o),
                         "fewer than one window of 256");
    o.ctx = 1024;
    QS_CHECK_THROWS_WITH(perplexityOfText(model, *tokenizer, "Some text.", "t.txt", o), "exceeds the model's 512 positions");

    // stories260K (vocab 512) with the Llama-2 tokenizer.bin beside it (32000 pieces).
    const auto stories = openCheckpoint(shared() + "/models/llama2c/stories260K.bin");
    const LlamaModel small(*stories);
    const auto llama2 = openTokenizer(shared() + "/models/llama2c/tokenizer.bin");
    QS_CHECK_THROWS_WITH(perplexityOfText(small, *llama2, "Once upon a time", "t.txt", {}),
                         "the tokenizer has 32000 tokens but the model's vocabulary has 512");
    QS_CHECK_THROWS_WITH(tokenizerForCheckpoint(*stories), "32000");

    TokenBatch bad;
    const std::vector<int32_t> ids{1, 2, 5000, 4};
    bad.add(ids);
    QS_CHECK_THROWS_WITH(evaluatePerplexity(model, bad, {}), "token id 5000 at position 2 is outside the model's vocabulary");
    QS_CHECK_THROWS_WITH(evaluatePerplexity(model, TokenBatch{}, {}), "no windows");
}
