// The project file (core/project/project_file.h) and KL against a cached base
// (core/eval/kl_eval.h) on the real qs-tiny-llama: runs and base references
// read back exactly, changes never lose what was there, a model against
// itself has zero KL, the F32 master against its BF16 copy a small positive
// one, and a top-k base gives a lower bound of the exact KL.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "check.h"
#include "eval/kl_eval.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "project/project_file.h"
#include "tokenize/tokenizer.h"

using namespace qs;
using namespace qs::test;
namespace fs = std::filesystem;

namespace {

std::string tinyDir() { return sharedDir() + "/models/qs-tiny-llama"; }

// 8 windows of 128 tokens of WikiText-2: small enough for a few seconds.
TokenBatch smallWindows() {
    std::ifstream in(sharedDir() + "/data/text/wikitext-2-raw.wiki.test.raw", std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    const auto tokenizer = openTokenizer(tinyDir() + "/tokenizer.model");
    return cutWindows(tokenizer->encode(s.str(), false), 128, 8, "wikitext");
}

RunRecord sampleRun(const std::string& kind, double ppl) {
    RunRecord r;
    r.kind = kind;
    r.model = "/models/m";
    r.plan = "W4 g128";
    r.dataset = "wiki.txt";
    r.seconds = 1.5;
    r.settings = {{"ctx", 128}};
    r.metrics = {{"ppl", ppl}, {"tokens", 1016}};
    return r;
}

}  // namespace

QS_TEST(runs_are_listed_back_in_order_with_their_json) {
    const std::string path = tempDir() + "/runs.qsproj.h5";
    QS_CHECK(listRuns(path).empty());
    QS_CHECK_EQ(addRun(path, sampleRun("perplexity", 12.5)), std::string("run-0001"));
    QS_CHECK_EQ(addRun(path, sampleRun("kl", 13.25)), std::string("run-0002"));
    const auto runs = listRuns(path);
    QS_CHECK_EQ(runs.size(), size_t(2));
    if (runs.size() != 2) return;
    QS_CHECK_EQ(runs[0].id, std::string("run-0001"));
    QS_CHECK_EQ(runs[0].kind, std::string("perplexity"));
    QS_CHECK_EQ(runs[1].metrics["ppl"].get<double>(), 13.25);
    QS_CHECK_EQ(runs[1].settings["ctx"].get<int>(), 128);
    QS_CHECK_EQ(runs[1].plan, std::string("W4 g128"));
    QS_CHECK_EQ(runs[1].seconds, 1.5);
    QS_CHECK(runs[1].created.size() == 20 && runs[1].created.back() == 'Z');
}

QS_TEST(a_failed_change_keeps_the_previous_project) {
    const std::string path = tempDir() + "/keep.qsproj.h5";
    addRun(path, sampleRun("perplexity", 1.0));
    const std::string msg = thrownMessage([&] {
        updateProject(path, [](const Hdf5Node& root) {
            root.remove("runs");
            throw std::runtime_error("interrupted");
        });
    });
    QS_CHECK_EQ(msg, std::string("interrupted"));
    QS_CHECK_EQ(listRuns(path).size(), size_t(1));
    QS_CHECK(!fs::exists(temporarySibling(path)));
}

QS_TEST(a_corrupt_project_is_an_error_naming_it) {
    const std::string path = tempDir() + "/corrupt.qsproj.h5";
    addRun(path, sampleRun("perplexity", 1.0));
    fs::resize_file(path, fs::file_size(path) / 3);
    const std::string msg = thrownMessage([&] { listRuns(path); });
    QS_CHECK(msg.find(path) != std::string::npos);
    // Adding to it must not replace the damaged file with an empty project.
    thrownMessage([&] { addRun(path, sampleRun("kl", 2.0)); });
    QS_CHECK_EQ(fs::file_size(path) > 0, true);
    QS_CHECK(thrownMessage([&] { listRuns(path); }).find(path) != std::string::npos);
}

QS_TEST(model_against_itself_has_zero_kl_and_the_base_perplexity) {
    const auto ckpt = openCheckpoint(tinyDir());
    const LlamaModel model(*ckpt);
    const TokenBatch windows = smallWindows();
    const BaseReference ref = computeBaseReference(model, windows, {}, 0);
    QS_CHECK_EQ(ref.logProbs.k, 2048);  // the whole vocabulary: exact
    QS_CHECK_EQ(ref.logProbs.positions(), int64_t(8 * 127));
    const PerplexityResult ppl = evaluatePerplexity(model, windows, {});
    QS_CHECK_EQ(ref.perplexity.ppl, ppl.ppl);
    const KlResult r = compareWithBase(model, ref, windows, {});
    // The base's log-probabilities are stored as float32 (relative rounding
    // 6e-8 of |log p| ~ 5): that is the resolution floor of the KL, ~1e-8 nats.
    QS_CHECK_NEAR(r.kl.meanKl, 0.0, 1e-7);
    QS_CHECK_NEAR(r.kl.p99Kl, 0.0, 1e-6);
    QS_CHECK_EQ(r.kl.top1Agreement, 1.0);
    QS_CHECK_EQ(r.deltaPpl, 0.0);
}

QS_TEST(f32_master_against_bf16_copy_is_small_and_top_k_bounds_it_below) {
    const auto baseCkpt = openCheckpoint(tinyDir());
    const auto f32Ckpt = openCheckpoint(tinyDir() + "/model.f32.safetensors");
    const LlamaModel base(*baseCkpt), f32(*f32Ckpt);
    const TokenBatch windows = smallWindows();
    const KlResult exact = compareWithBase(f32, computeBaseReference(base, windows, {}, 0), windows, {});
    const KlResult top32 = compareWithBase(f32, computeBaseReference(base, windows, {}, 32), windows, {});
    // BF16 rounding of the weights: a few 1e-6 nats per token, not zero.
    QS_CHECK(exact.kl.meanKl > 1e-7 && exact.kl.meanKl < 1e-4);
    QS_CHECK(exact.kl.top1Agreement > 0.99);
    QS_CHECK(top32.kl.meanKl <= exact.kl.meanKl * (1 + 1e-9));
    QS_CHECK(top32.kl.meanKl > 0.5 * exact.kl.meanKl);
    QS_CHECK_EQ(top32.model.ppl, exact.model.ppl);
}

QS_TEST(base_reference_round_trips_and_is_keyed_by_windows_and_k) {
    const auto ckpt = openCheckpoint(tinyDir());
    const LlamaModel model(*ckpt);
    const TokenBatch windows = smallWindows();
    const BaseReference ref = computeBaseReference(model, windows, {}, 64);
    const std::string path = tempDir() + "/kl.qsproj.h5";
    const std::string key = baseReferenceKey(*ckpt, windows, 64);
    QS_CHECK(!loadBaseReference(path, key).has_value());
    saveBaseReference(path, key, ref);
    addRun(path, sampleRun("kl", 3.0));  // later changes keep the reference
    const auto back = loadBaseReference(path, key);
    QS_CHECK(back.has_value());
    if (!back) return;
    QS_CHECK(back->logProbs.ids == ref.logProbs.ids);
    QS_CHECK(back->logProbs.logProbs == ref.logProbs.logProbs);
    QS_CHECK_EQ(back->perplexity.ppl, ref.perplexity.ppl);
    QS_CHECK_EQ(back->perplexity.tokens, ref.perplexity.tokens);

    TokenBatch shorter;
    shorter.add(std::span(windows.tokens).subspan(0, 128));
    QS_CHECK(baseReferenceKey(*ckpt, shorter, 64) != key);
    QS_CHECK(baseReferenceKey(*ckpt, windows, 32) != key);
    const std::string msg = thrownMessage([&] { compareWithBase(model, *back, shorter, {}); });
    QS_CHECK(msg.find("not the same text or windows") != std::string::npos);
}
