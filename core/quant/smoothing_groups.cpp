#include "quant/smoothing_groups.h"

#include <algorithm>
#include <stdexcept>

#include "cpu/matmul.h"
#include "model/decoder_block.h"
#include "quant/apply_plan.h"

namespace qs {

namespace {

using P = Projection;

// Rows pushed through the candidate product at once: bounds the scratch.
constexpr int64_t kChunkRows = 2048;

// The previous linear's output channel j is its row j (v before o, up before down).
void divideRows(LinearWeights& l, const std::vector<double>& s) {
    for (int64_t o = 0; o < l.outFeatures; ++o) {
        float* row = l.w.data() + o * l.inFeatures;
        for (int64_t j = 0; j < l.inFeatures; ++j) row[j] = float(row[j] / s[size_t(o)]);
    }
}

void multiplyColumns(float* m, int64_t rows, int64_t cols, const std::vector<double>& s) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j) m[r * cols + j] = float(m[r * cols + j] * s[size_t(j)]);
}

void divideColumns(float* m, int64_t rows, int64_t cols, const std::vector<double>& s) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j) m[r * cols + j] = float(m[r * cols + j] / s[size_t(j)]);
}

}  // namespace

std::vector<SmoothingGroup> smoothQuantGroups() {
    return {{"qkv", InputSite::Attention, {P::Q, P::K, P::V}, ScaledPrevious::InputNorm},
            {"o", InputSite::AttentionOutput, {P::O}, ScaledPrevious::None},
            {"gate_up", InputSite::Mlp, {P::Gate, P::Up}, ScaledPrevious::PostAttentionNorm},
            {"down", InputSite::MlpHidden, {P::Down}, ScaledPrevious::None}};
}

std::vector<SmoothingGroup> awqGroups(const ModelConfig& config) {
    const bool vToO = config.numKvHeads == config.numHeads;
    return {{"qkv", InputSite::Attention, {P::Q, P::K, P::V}, ScaledPrevious::InputNorm},
            {"o", InputSite::AttentionOutput, {P::O}, vToO ? ScaledPrevious::VRows : ScaledPrevious::None},
            {"gate_up", InputSite::Mlp, {P::Gate, P::Up}, ScaledPrevious::PostAttentionNorm},
            {"down", InputSite::MlpHidden, {P::Down}, ScaledPrevious::UpRows}};
}

void foldScales(DecoderBlockWeights& block, const SmoothingGroup& group, const std::vector<double>& s) {
    switch (group.previous) {
    case ScaledPrevious::None:
        throw std::invalid_argument("group " + group.name + " has no previous op to fold scales into");
    case ScaledPrevious::InputNorm:
        for (size_t j = 0; j < s.size(); ++j) block.inputNorm[j] = float(block.inputNorm[j] / s[j]);
        break;
    case ScaledPrevious::PostAttentionNorm:
        for (size_t j = 0; j < s.size(); ++j) block.postAttentionNorm[j] = float(block.postAttentionNorm[j] / s[j]);
        break;
    case ScaledPrevious::VRows: divideRows(block[P::V], s); break;
    case ScaledPrevious::UpRows: divideRows(block[P::Up], s); break;
    }
    for (Projection p : group.linears) multiplyColumns(block[p].w.data(), block[p].outFeatures, block[p].inFeatures, s);
}

std::vector<std::vector<float>> scaledQuantizedWeights(const DecoderBlockWeights& block, const SmoothingGroup& group,
                                                       const std::vector<double>& s, const QuantSpec& spec) {
    std::vector<std::vector<float>> out;
    for (Projection p : group.linears) {
        LinearWeights l = block[p];
        if (!s.empty()) multiplyColumns(l.w.data(), l.outFeatures, l.inFeatures, s);
        fakeQuantizeWeights(spec, l);
        out.push_back(std::move(l.w));
    }
    return out;
}

void divideColumns(SiteInput& x, const std::vector<double>& s) { divideColumns(x.x.data(), x.rows, x.cols, s); }

GroupErrorMeter::GroupErrorMeter(const SiteInput& x, const DecoderBlockWeights& block, const SmoothingGroup& group)
    : x_(x) {
    for (Projection p : group.linears) {
        const LinearWeights& l = block[p];
        outFeatures_.push_back(l.outFeatures);
        std::vector<float> y(static_cast<size_t>(x.rows * l.outFeatures));
        linearForward(x.x.data(), x.rows, x.cols, l.w.data(), l.outFeatures, y.data());
        for (float v : y) referenceSquares_ += double(v) * v;
        reference_.push_back(std::move(y));
    }
}

double GroupErrorMeter::relativeError(const std::vector<std::vector<float>>& candidates, const std::vector<double>& s,
                                      const InputQuant& activation) const {
    double squares = 0;
    std::vector<float> input, y;
    for (int64_t r0 = 0; r0 < x_.rows; r0 += kChunkRows) {
        const int64_t rows = std::min(kChunkRows, x_.rows - r0);
        input.assign(x_.row(r0), x_.row(r0) + rows * x_.cols);
        if (!s.empty()) divideColumns(input.data(), rows, x_.cols, s);
        fakeQuantizeInput(activation, input.data(), rows, x_.cols);
        for (size_t i = 0; i < candidates.size(); ++i) {
            const int64_t out = outFeatures_[i];
            y.resize(static_cast<size_t>(rows * out));
            linearForward(input.data(), rows, x_.cols, candidates[i].data(), out, y.data());
            const float* ref = reference_[i].data() + r0 * out;
            for (int64_t k = 0; k < rows * out; ++k) {
                const double d = double(ref[k]) - double(y[size_t(k)]);
                squares += d * d;
            }
        }
    }
    return referenceSquares_ > 0 ? squares / referenceSquares_ : 0.0;
}

}  // namespace qs
