// A LLaMA-family network over an open checkpoint (Touvron et al. 2023; the
// transformers LlamaForCausalLM conventions): token embedding, decoder blocks
// of RMSNorm -> GQA attention with RoPE -> residual, RMSNorm -> SwiGLU MLP ->
// residual, a final RMSNorm and a tied or separate output head. It holds no
// weights itself: blocks and the head are decoded to float32 on request, one
// at a time, so that a pass over the model needs one block in memory.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "cpu/rope.h"
#include "formats/checkpoint.h"
#include "model/decoder_block_weights.h"

namespace qs {

// The final RMSNorm and the output projection [vocab, hidden].
struct OutputHeadWeights {
    std::vector<float> norm;
    LinearWeights lmHead;
};

class LlamaModel {
public:
    // Checks the configuration and the presence and shape of every tensor the
    // forward pass reads, so a bad checkpoint fails here, not after hours of
    // work; throws FormatError naming the checkpoint and the tensor.
    explicit LlamaModel(const Checkpoint& checkpoint);

    const Checkpoint& checkpoint() const { return ckpt_; }
    const ModelConfig& config() const { return ckpt_.config; }
    int numBlocks() const { return int(ckpt_.config.numLayers); }
    RopeLayout ropeLayout() const {
        return ckpt_.config.ropeInterleaved ? RopeLayout::InterleavedPairs : RopeLayout::SplitHalves;
    }
    const std::vector<double>& ropeInverseFrequencies() const { return invFreq_; }

    // A block's weights, each linear's inputQuant set as the checkpoint's
    // activation record says (quant/activation_record.h; none without one).
    DecoderBlockWeights loadBlock(int block) const;
    // How many linears the record rounds the input of (0: a weight-only model).
    int64_t recordedInputQuantCount() const;
    // lm_head.weight, or the embedding when the checkpoint ties them (or has no head).
    OutputHeadWeights loadHead() const;
    // Rows of the token embedding for `n` tokens into out [n, hidden]; an id
    // outside the vocabulary throws std::out_of_range naming it.
    void embed(const int32_t* tokens, int64_t n, float* out) const;

private:
    const TensorView& headTensor() const;

    const Checkpoint& ckpt_;
    std::vector<double> invFreq_;
    std::vector<std::array<InputQuant, kProjectionCount>> recordedInput_;  // [block][projection], or empty
};

}  // namespace qs
