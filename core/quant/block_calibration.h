// What the calibration methods (SmoothQuant, bi-smoothing, AWQ) know of one
// decoder block: the float32 hidden states entering it for every calibration
// sequence, and the inputs its linear layers see in a forward pass. The four
// input sites are where linears share one input (q/k/v, gate/up) or have
// their own (o, down); every smoothing group reads one site.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "backend.h"
#include "cpu/rope.h"
#include "formats/model_config.h"
#include "model/decoder_block_weights.h"

namespace qs {

// hidden: [seqStarts.back(), hidden_size] row-major, sequence s in rows
// [seqStarts[s], seqStarts[s + 1]) as forwardDecoderBlock takes them; the rope
// table covers the longest sequence.
struct BlockCalibration {
    const float* hidden = nullptr;
    std::span<const int64_t> seqStarts;
    const RopeTable* rope = nullptr;
    RopeLayout layout = RopeLayout::SplitHalves;
    const KernelBackend* backend = nullptr;  // where the block's forward passes run; null: the CPU

    int64_t rows() const { return seqStarts.empty() ? 0 : seqStarts.back(); }
};

enum class InputSite { Attention, AttentionOutput, Mlp, MlpHidden };  // q/k/v, o, gate/up, down
inline constexpr int kInputSiteCount = 4;
InputSite inputSiteOf(Projection p);

// One site's input matrix [rows, cols] row-major.
struct SiteInput {
    int64_t rows = 0, cols = 0;
    std::vector<float> x;
    const float* row(int64_t r) const { return x.data() + r * cols; }
};

using BlockInputs = std::array<SiteInput, kInputSiteCount>;  // indexed by InputSite

// One forward pass of `weights` over the calibration hidden states, keeping
// each site's input as the linears there see it.
BlockInputs captureBlockInputs(const ModelConfig& config, const DecoderBlockWeights& weights,
                               const BlockCalibration& calib);

// The block's outputs on the calibration hidden states [rows, hidden_size]:
// the next block's calibration inputs.
std::vector<float> runBlock(const ModelConfig& config, const DecoderBlockWeights& weights,
                            const BlockCalibration& calib);

}  // namespace qs
