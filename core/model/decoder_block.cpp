#include "model/decoder_block.h"

#include "cpu/attention.h"
#include "cpu/matmul.h"
#include "cpu/rmsnorm.h"
#include "cpu/swiglu.h"

namespace qs {

namespace {

// y (=|+=) x · Wᵀ for `rows` rows, telling the observer about x first.
void runLinear(const DecoderBlockWeights& weights, Projection p, const float* x, int64_t rows, float* y,
               bool accumulate, const LinearInputObserver& observer) {
    const LinearWeights& l = weights[p];
    if (observer) observer(p, x, rows, l.inFeatures);
    linearForward(x, rows, l.inFeatures, l.w.data(), l.outFeatures, y, accumulate);
}

}  // namespace

void forwardDecoderBlock(const ModelConfig& config, const DecoderBlockWeights& weights, const RopeTable& rope,
                         RopeLayout layout, float* hidden, const int64_t* seqStarts, int64_t nseq, BlockScratch& scratch,
                         const LinearInputObserver& observer) {
    const int64_t rows = seqStarts[nseq];
    const int64_t width = config.hiddenSize;
    const int64_t qDim = config.numHeads * config.headDim, kvDim = config.numKvHeads * config.headDim;
    const float eps = float(config.rmsNormEps);
    BlockScratch& s = scratch;
    s.normed.resize(size_t(rows * width));
    s.q.resize(size_t(rows * qDim));
    s.k.resize(size_t(rows * kvDim));
    s.v.resize(size_t(rows * kvDim));
    s.attention.resize(size_t(rows * qDim));
    s.gate.resize(size_t(rows * config.intermediateSize));
    s.up.resize(size_t(rows * config.intermediateSize));
    s.positions.resize(size_t(rows));
    for (int64_t seq = 0; seq < nseq; ++seq)
        for (int64_t r = seqStarts[seq]; r < seqStarts[seq + 1]; ++r) s.positions[size_t(r)] = int32_t(r - seqStarts[seq]);

    // Attention.
    rmsNormRows(hidden, weights.inputNorm.data(), s.normed.data(), rows, width, eps);
    runLinear(weights, Projection::Q, s.normed.data(), rows, s.q.data(), false, observer);
    runLinear(weights, Projection::K, s.normed.data(), rows, s.k.data(), false, observer);
    runLinear(weights, Projection::V, s.normed.data(), rows, s.v.data(), false, observer);
    applyRope(s.q.data(), rows, qDim, config.numHeads, config.headDim, s.positions.data(), rope, layout);
    applyRope(s.k.data(), rows, kvDim, config.numKvHeads, config.headDim, s.positions.data(), rope, layout);
    causalAttention(s.q.data(), s.k.data(), s.v.data(), s.attention.data(), seqStarts, nseq,
                    {config.numHeads, config.numKvHeads, config.headDim});
    runLinear(weights, Projection::O, s.attention.data(), rows, hidden, true, observer);

    // MLP.
    rmsNormRows(hidden, weights.postAttentionNorm.data(), s.normed.data(), rows, width, eps);
    runLinear(weights, Projection::Gate, s.normed.data(), rows, s.gate.data(), false, observer);
    runLinear(weights, Projection::Up, s.normed.data(), rows, s.up.data(), false, observer);
    swigluInPlace(s.gate.data(), s.up.data(), rows * config.intermediateSize);
    runLinear(weights, Projection::Down, s.gate.data(), rows, hidden, true, observer);
}

}  // namespace qs
