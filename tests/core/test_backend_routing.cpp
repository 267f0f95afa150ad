// The evaluation forward runs through the KernelBackend it is given
// (LayerMajorOptions / PerplexityOptions / TaskEvalOptions / RunRequest
// ::backend): a backend that forwards to the CPU one and counts its calls sees
// every linear, norm, RoPE, attention, SwiGLU, input rounding and log-sum-exp,
// and the numbers are bit for bit those of the default (null) backend.
#include <array>
#include <atomic>
#include <cstring>
#include <vector>

#include "check.h"
#include "eval/perplexity.h"
#include "eval/text_windows.h"
#include "formats/checkpoint.h"
#include "model/decoder_block.h"
#include "tokenize/tokenizer.h"

using namespace qs;

namespace {

enum Op { Linear, Norm, Rope, Attention, Swiglu, RoundRows, LogSumExp, kOps };

// Forwards every op to the CPU backend; counts the evaluation-forward ones.
// An op added to KernelBackend needs its forwarding line here.
class CountingBackend final : public KernelBackend {
public:
    mutable std::array<std::atomic<int64_t>, kOps> calls{};
    Device device() const override { return Device::Cpu; }
    void decodeBf16(const uint16_t* c, int64_t n, float* o) const override { cpu().decodeBf16(c, n, o); }
    void decodeF16(const uint16_t* c, int64_t n, float* o) const override { cpu().decodeF16(c, n, o); }
    void encodeF8e4m3(const float* x, int64_t n, uint8_t* c) const override { cpu().encodeF8e4m3(x, n, c); }
    void decodeF8e4m3(const uint8_t* c, int64_t n, float* o) const override { cpu().decodeF8e4m3(c, n, o); }
    void fakeQuantizeIntRows(float* x, int64_t r, int64_t c, int64_t g, int b, bool s) const override {
        ++calls[RoundRows];
        cpu().fakeQuantizeIntRows(x, r, c, g, b, s);
    }
    void fakeQuantizeIntTensor(float* x, int64_t n, int b, bool s) const override { cpu().fakeQuantizeIntTensor(x, n, b, s); }
    void fakeQuantizeIntWithGrid(float* x, int64_t n, const IntGrid& g) const override { cpu().fakeQuantizeIntWithGrid(x, n, g); }
    void fakeQuantizeF8Rows(float* x, int64_t r, int64_t c) const override { cpu().fakeQuantizeF8Rows(x, r, c); }
    void fakeQuantizeF8Tensor(float* x, int64_t n) const override { cpu().fakeQuantizeF8Tensor(x, n); }
    void fakeQuantizeF8WithScale(float* x, int64_t n, double s) const override { cpu().fakeQuantizeF8WithScale(x, n, s); }
    void accumulateRange(RangeAccumulator& a, const float* x, int64_t n) const override { cpu().accumulateRange(a, x, n); }
    void accumulateCentralMoments(CentralMomentAccumulator& a, const float* x, int64_t n) const override {
        cpu().accumulateCentralMoments(a, x, n);
    }
    float absmaxWithColumns(const float* x, int64_t r, int64_t c, float* m) const override {
        return cpu().absmaxWithColumns(x, r, c, m);
    }
    void binLinear(const float* x, int64_t n, const LinearAxis& a, uint64_t* c) const override { cpu().binLinear(x, n, a, c); }
    void binSymlog(const float* x, int64_t n, double t, const LinearAxis& a, uint64_t* c) const override {
        cpu().binSymlog(x, n, t, a, c);
    }
    void linearForward(const float* x, int64_t r, int64_t in, const float* w, int64_t out, float* y,
                       bool acc) const override {
        ++calls[Linear];
        cpu().linearForward(x, r, in, w, out, y, acc);
    }
    void linearForwardBf16(const uint16_t* x, int64_t r, int64_t in, const uint16_t* w, int64_t out, float* y,
                           bool acc) const override {
        cpu().linearForwardBf16(x, r, in, w, out, y, acc);
    }
    void rmsNormRows(const float* x, const float* w, float* y, int64_t r, int64_t c, float eps) const override {
        ++calls[Norm];
        cpu().rmsNormRows(x, w, y, r, c, eps);
    }
    void applyRope(float* x, int64_t r, int64_t s, int64_t h, int64_t d, const int32_t* p, const RopeTable& t,
                   RopeLayout l) const override {
        ++calls[Rope];
        cpu().applyRope(x, r, s, h, d, p, t, l);
    }
    void causalAttention(const float* q, const float* k, const float* v, float* o, const int64_t* s, int64_t n,
                         const AttentionShape& shape) const override {
        ++calls[Attention];
        cpu().causalAttention(q, k, v, o, s, n, shape);
    }
    void swigluInPlace(float* g, const float* u, int64_t n) const override {
        ++calls[Swiglu];
        cpu().swigluInPlace(g, u, n);
    }
    void logSumExpRows(const float* x, int64_t r, int64_t c, double* o) const override {
        ++calls[LogSumExp];
        cpu().logSumExpRows(x, r, c, o);
    }
    void quantizeRowsInt8(const float* x, int64_t r, int64_t c, int8_t* codes, float* scales) const override {
        cpu().quantizeRowsInt8(x, r, c, codes, scales);
    }
    void linearForwardInt8(const int8_t* xq, const float* xs, int64_t r, int64_t in, const int8_t* wq, const float* ws,
                           int64_t out, float* y, bool acc) const override {
        cpu().linearForwardInt8(xq, xs, r, in, wq, ws, out, y, acc);
    }
    std::unique_ptr<HessianBuilder> makeHessian(int64_t cols) const override { return cpu().makeHessian(cols); }
    bool upperCholeskyOfInverse(double* h, int64_t n) const override { return cpu().upperCholeskyOfInverse(h, n); }
    std::unique_ptr<GptqSweep> makeGptqSweep(double* w, int64_t r, int64_t c, const double* u) const override {
        return cpu().makeGptqSweep(w, r, c, u);
    }
    std::unique_ptr<BlockStager> makeBlockStager(size_t slotBytes) const override {
        return cpu().makeBlockStager(slotBytes);
    }

private:
    static const KernelBackend& cpu() { return cpuKernelBackend(); }
};

std::string tinyDir() { return qs::test::sharedDir() + "/models/qs-tiny-llama"; }

TokenBatch windowsOf(const Tokenizer& tokenizer, int64_t ctx, int64_t count) {
    const std::string file = qs::test::sharedDir() + "/data/text/frankenstein-heldout.txt";
    return cutWindows(tokenizer.encode(readTextFile(file), false), ctx, count, file);
}

}  // namespace

QS_TEST(perplexity_runs_every_op_on_the_given_backend_bit_for_bit) {
    const auto ckpt = openCheckpoint(tinyDir());
    const LlamaModel model(*ckpt);
    const auto tokenizer = tokenizerForCheckpoint(*ckpt);
    const TokenBatch windows = windowsOf(*tokenizer, 64, 3);
    const PerplexityResult plain = evaluatePerplexity(model, windows, {});

    CountingBackend counting;
    PerplexityOptions o;
    o.backend = &counting;
    const PerplexityResult routed = evaluatePerplexity(model, windows, o);
    QS_CHECK(std::memcmp(&plain.nll, &routed.nll, sizeof(double)) == 0);
    QS_CHECK(std::memcmp(&plain.ppl, &routed.ppl, sizeof(double)) == 0);
    QS_CHECK_EQ(routed.tokens, 3 * 63);

    // One chunk per block (3 x 64 rows < chunkRows): per block 7 linears, 2
    // norms, 2 RoPEs (q, k), 1 attention, 1 SwiGLU; the head adds 1 norm and
    // 1 linear per logits chunk (189 rows fit one), the evaluator one log-sum-exp per chunk.
    const int64_t blocks = model.numBlocks();
    QS_CHECK_EQ(counting.calls[Linear].load(), 7 * blocks + 1);
    QS_CHECK_EQ(counting.calls[Norm].load(), 2 * blocks + 1);
    QS_CHECK_EQ(counting.calls[Rope].load(), 2 * blocks);
    QS_CHECK_EQ(counting.calls[Attention].load(), blocks);
    QS_CHECK_EQ(counting.calls[Swiglu].load(), blocks);
    QS_CHECK_EQ(counting.calls[LogSumExp].load(), 1);
    QS_CHECK_EQ(counting.calls[RoundRows].load(), 0);
}

// W8A8's per-token input rounding goes through the backend too.
QS_TEST(input_rounding_runs_on_the_given_backend) {
    const auto ckpt = openCheckpoint(tinyDir());
    const LlamaModel model(*ckpt);
    const ModelConfig& c = model.config();
    DecoderBlockWeights w = model.loadBlock(0);
    for (LinearWeights& l : w.linear) l.inputQuant.format = InputQuant::Format::Int8;
    const int64_t rows = 16;
    std::vector<float> a(size_t(rows * c.hiddenSize));
    for (size_t i = 0; i < a.size(); ++i) a[i] = float(int(i % 13) - 6) * 0.05f;
    std::vector<float> b = a;
    const int64_t starts[] = {0, rows};
    const RopeTable rope = makeRopeTable(model.ropeInverseFrequencies(), rows);
    BlockScratch s1, s2;
    forwardDecoderBlock(c, w, rope, model.ropeLayout(), a.data(), starts, 1, s1);
    CountingBackend counting;
    forwardDecoderBlock(c, w, rope, model.ropeLayout(), b.data(), starts, 1, s2, {}, counting);
    QS_CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    // One rounding per input site: q/k/v share one, o, gate/up share one, down.
    QS_CHECK_EQ(counting.calls[RoundRows].load(), 4);
}
