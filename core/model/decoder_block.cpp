#include "model/decoder_block.h"

#include <algorithm>
#include <initializer_list>

#include "cpu/fake_quant.h"

namespace qs {

namespace {

// y (=|+=) x · Wᵀ for `rows` rows, telling the observer about x first. x is
// the input as the layer computes with it (already rounded by its InputQuant).
void runLinear(const DecoderBlockWeights& weights, Projection p, const float* x, int64_t rows, float* y,
               bool accumulate, const LinearInputObserver& observer, const KernelBackend& backend) {
    const LinearWeights& l = weights[p];
    if (observer) observer(p, x, rows, l.inFeatures);
    backend.linearForward(x, rows, l.inFeatures, l.w.data(), l.outFeatures, y, accumulate);
}

// The projections `ps` read the same input x (q/k/v, gate/up, or one alone)
// and write outs[i]. When they agree on the input quantization, x (scratch
// that nothing reads afterwards) is rounded once in place; otherwise each
// projection that quantizes gets its own rounded copy, so the others still
// see x unrounded. With no quantization this is exactly runLinear per projection.
void runLinearsOnSharedInput(const DecoderBlockWeights& weights, std::initializer_list<Projection> ps,
                             std::initializer_list<float*> outs, float* x, int64_t rows, bool accumulate,
                             std::vector<float>& copy, const LinearInputObserver& observer,
                             const KernelBackend& backend) {
    const InputQuant& first = weights[*ps.begin()].inputQuant;
    const bool agree = std::all_of(ps.begin(), ps.end(), [&](Projection p) { return weights[p].inputQuant == first; });
    const int64_t cols = weights[*ps.begin()].inFeatures;
    if (agree) fakeQuantizeInput(first, x, rows, cols, backend);
    auto out = outs.begin();
    for (Projection p : ps) {
        const InputQuant& q = weights[p].inputQuant;
        const float* input = x;
        if (!agree && q.format != InputQuant::Format::None) {
            copy.assign(x, x + rows * cols);
            fakeQuantizeInput(q, copy.data(), rows, cols, backend);
            input = copy.data();
        }
        runLinear(weights, p, input, rows, *out++, accumulate, observer, backend);
    }
}

}  // namespace

void fakeQuantizeInput(const InputQuant& q, float* x, int64_t rows, int64_t cols, const KernelBackend& backend) {
    using F = InputQuant::Format;
    if (q.format == F::Int8) {
        if (q.perToken)
            backend.fakeQuantizeIntRows(x, rows, cols, cols, 8, true);
        else
            backend.fakeQuantizeIntWithGrid(x, rows * cols, int8GridForScale(q.staticScale));
    } else if (q.format == F::F8E4M3) {
        if (q.perToken)
            backend.fakeQuantizeF8Rows(x, rows, cols);
        else
            backend.fakeQuantizeF8WithScale(x, rows * cols, q.staticScale);
    }
}

void forwardDecoderBlock(const ModelConfig& config, const DecoderBlockWeights& weights, const RopeTable& rope,
                         RopeLayout layout, float* hidden, const int64_t* seqStarts, int64_t nseq, BlockScratch& scratch,
                         const LinearInputObserver& observer, const KernelBackend& backend) {
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
    backend.rmsNormRows(hidden, weights.inputNorm.data(), s.normed.data(), rows, width, eps);
    runLinearsOnSharedInput(weights, {Projection::Q, Projection::K, Projection::V}, {s.q.data(), s.k.data(), s.v.data()},
                            s.normed.data(), rows, false, s.quantizedInput, observer, backend);
    backend.applyRope(s.q.data(), rows, qDim, config.numHeads, config.headDim, s.positions.data(), rope, layout);
    backend.applyRope(s.k.data(), rows, kvDim, config.numKvHeads, config.headDim, s.positions.data(), rope, layout);
    backend.causalAttention(s.q.data(), s.k.data(), s.v.data(), s.attention.data(), seqStarts, nseq,
                            {config.numHeads, config.numKvHeads, config.headDim});
    runLinearsOnSharedInput(weights, {Projection::O}, {hidden}, s.attention.data(), rows, true, s.quantizedInput,
                            observer, backend);

    // MLP.
    backend.rmsNormRows(hidden, weights.postAttentionNorm.data(), s.normed.data(), rows, width, eps);
    runLinearsOnSharedInput(weights, {Projection::Gate, Projection::Up}, {s.gate.data(), s.up.data()}, s.normed.data(),
                            rows, false, s.quantizedInput, observer, backend);
    backend.swigluInPlace(s.gate.data(), s.up.data(), rows * config.intermediateSize);
    runLinearsOnSharedInput(weights, {Projection::Down}, {hidden}, s.gate.data(), rows, true, s.quantizedInput,
                            observer, backend);
}

}  // namespace qs
