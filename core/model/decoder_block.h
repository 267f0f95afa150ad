// The forward pass of one decoder block over a chunk of whole sequences, in
// place on their hidden states. The evaluator and the quantization pipeline
// both run blocks through this one function.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "cpu/rope.h"
#include "formats/model_config.h"
#include "model/decoder_block_weights.h"
#include "model/default_backend.h"

namespace qs {

// Sees each linear layer's input just before the layer runs ([rows, cols]
// row-major), e.g. to accumulate GPTQ's X·Xᵀ or AWQ's activation scales; with
// a LinearWeights::inputQuant it sees the rounded input the layer multiplies.
// q, k and v share one input, as do gate and up: the observer is called for
// each projection with the same pointer.
using LinearInputObserver = std::function<void(Projection p, const float* input, int64_t rows, int64_t cols)>;

// Work buffers, sized on first use and reused from chunk to chunk.
struct BlockScratch {
    std::vector<float> normed, q, k, v, attention, gate, up;
    std::vector<float> quantizedInput;  // a rounded copy when projections sharing an input quantize it differently
    std::vector<int32_t> positions;
};

// Rounds a linear's input x [rows, cols] in place as `q` says (cpu/fake_quant.h),
// exactly as the forward pass does; calibration searches score candidates with it.
void fakeQuantizeInput(const InputQuant& q, float* x, int64_t rows, int64_t cols,
                       const KernelBackend& backend = cpuKernelBackend());

// hidden: [seqStarts[nseq], hidden_size] row-major, sequence s in rows
// [seqStarts[s], seqStarts[s + 1]) with seqStarts[0] = 0; positions restart
// at 0 in each sequence. The rope table must cover the longest sequence.
//   h += o(attention(rope(q(n1)), rope(k(n1)), v(n1))),  n1 = rmsnorm(h)
//   h += down(silu(gate(n2)) * up(n2)),                  n2 = rmsnorm(h)
// Each linear's input is first fake-quantized by its inputQuant (if any).
// Every op runs on `backend` (host pointers in and out, kernels/backend.h).
void forwardDecoderBlock(const ModelConfig& config, const DecoderBlockWeights& weights, const RopeTable& rope,
                         RopeLayout layout, float* hidden, const int64_t* seqStarts, int64_t nseq, BlockScratch& scratch,
                         const LinearInputObserver& observer = {}, const KernelBackend& backend = cpuKernelBackend());

}  // namespace qs
