#include "model/llama_model.h"

#include <stdexcept>
#include <string>

#include "formats/format_error.h"
#include "formats/tensor_names.h"
#include "model/rope_frequencies.h"
#include "quant/activation_record.h"

namespace qs {

namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

const TensorView& expectTensor(const Checkpoint& ckpt, const std::string& name, const std::vector<int64_t>& shape) {
    const TensorView& t = ckpt.at(name);
    if (t.shape != shape)
        throw FormatError(ckpt.path, "tensor " + name + " has shape " + shapeText(t.shape) + " but the configuration needs " +
                                         shapeText(shape));
    return t;
}

std::vector<float> decodeAll(const TensorView& t) {
    std::vector<float> out(size_t(t.numel()));
    decodeToFloat(t, 0, t.numel(), out.data());
    return out;
}

std::string normName(int block, const char* which) {
    return "model.layers." + std::to_string(block) + "." + which + ".weight";
}

// [out, in] of each projection, in Projection order.
std::array<std::vector<int64_t>, kProjectionCount> linearShapes(const ModelConfig& c) {
    const int64_t qDim = c.numHeads * c.headDim, kvDim = c.numKvHeads * c.headDim;
    return {{{qDim, c.hiddenSize},
             {kvDim, c.hiddenSize},
             {kvDim, c.hiddenSize},
             {c.hiddenSize, qDim},
             {c.intermediateSize, c.hiddenSize},
             {c.intermediateSize, c.hiddenSize},
             {c.hiddenSize, c.intermediateSize}}};
}

void checkConfig(const Checkpoint& ckpt) {
    const ModelConfig& c = ckpt.config;
    if (!ckpt.hasConfig) throw FormatError(ckpt.path, "has no model configuration (a vocabulary-only file?)");
    if (c.hiddenSize <= 0 || c.intermediateSize <= 0 || c.numLayers <= 0 || c.numHeads <= 0 || c.numKvHeads <= 0 ||
        c.headDim <= 0 || c.vocabSize <= 0)
        throw FormatError(ckpt.path, "the model configuration has a non-positive size");
    if (c.numHeads % c.numKvHeads != 0)
        throw FormatError(ckpt.path, "num_attention_heads " + std::to_string(c.numHeads) +
                                         " is not a multiple of num_key_value_heads " + std::to_string(c.numKvHeads));
    if (c.headDim % 2 != 0)
        throw FormatError(ckpt.path, "head_dim " + std::to_string(c.headDim) + " is odd; RoPE rotates pairs");
}

}  // namespace

LlamaModel::LlamaModel(const Checkpoint& checkpoint) : ckpt_(checkpoint) {
    checkConfig(ckpt_);
    const ModelConfig& c = ckpt_.config;
    try {
        invFreq_ = qs::ropeInverseFrequencies(c);
    } catch (const std::invalid_argument& e) {
        throw FormatError(ckpt_.path, e.what());
    }
    expectTensor(ckpt_, "model.embed_tokens.weight", {c.vocabSize, c.hiddenSize});
    expectTensor(ckpt_, "model.norm.weight", {c.hiddenSize});
    expectTensor(ckpt_, headTensor().name, {c.vocabSize, c.hiddenSize});
    const auto shapes = linearShapes(c);
    for (int b = 0; b < numBlocks(); ++b) {
        for (int p = 0; p < kProjectionCount; ++p) expectTensor(ckpt_, linearTensorName(b, p), shapes[size_t(p)]);
        expectTensor(ckpt_, normName(b, "input_layernorm"), {c.hiddenSize});
        expectTensor(ckpt_, normName(b, "post_attention_layernorm"), {c.hiddenSize});
    }
    for (const auto& [name, q] : readActivationRecord(ckpt_)) {
        const auto linear = parseLinearName(name);  // the reader checked it names a block linear
        if (recordedInput_.empty()) recordedInput_.resize(size_t(numBlocks()));
        recordedInput_[size_t(linear->block)][size_t(linear->projection)] = q;
    }
}

int64_t LlamaModel::recordedInputQuantCount() const {
    int64_t n = 0;
    for (const auto& block : recordedInput_)
        for (const InputQuant& q : block) n += q.format != InputQuant::Format::None;
    return n;
}

const TensorView& LlamaModel::headTensor() const {
    if (!ckpt_.config.tieWordEmbeddings)
        if (const TensorView* head = ckpt_.find("lm_head.weight")) return *head;
    return ckpt_.at("model.embed_tokens.weight");
}

DecoderBlockWeights LlamaModel::loadBlock(int block) const {
    if (block < 0 || block >= numBlocks())
        throw std::out_of_range("block " + std::to_string(block) + " of a " + std::to_string(numBlocks()) +
                                "-block model");
    DecoderBlockWeights w;
    w.block = block;
    const auto shapes = linearShapes(ckpt_.config);
    for (int p = 0; p < kProjectionCount; ++p) {
        LinearWeights& l = w.linear[size_t(p)];
        l.outFeatures = shapes[size_t(p)][0];
        l.inFeatures = shapes[size_t(p)][1];
        l.w = decodeAll(ckpt_.at(linearTensorName(block, p)));
        if (!recordedInput_.empty()) l.inputQuant = recordedInput_[size_t(block)][size_t(p)];
    }
    w.inputNorm = decodeAll(ckpt_.at(normName(block, "input_layernorm")));
    w.postAttentionNorm = decodeAll(ckpt_.at(normName(block, "post_attention_layernorm")));
    return w;
}

OutputHeadWeights LlamaModel::loadHead() const {
    OutputHeadWeights h;
    h.norm = decodeAll(ckpt_.at("model.norm.weight"));
    h.lmHead.outFeatures = ckpt_.config.vocabSize;
    h.lmHead.inFeatures = ckpt_.config.hiddenSize;
    h.lmHead.w = decodeAll(headTensor());
    return h;
}

void LlamaModel::embed(const int32_t* tokens, int64_t n, float* out) const {
    const TensorView& table = ckpt_.at("model.embed_tokens.weight");
    const int64_t hidden = ckpt_.config.hiddenSize;
    for (int64_t i = 0; i < n; ++i) {
        if (tokens[i] < 0 || tokens[i] >= ckpt_.config.vocabSize)
            throw std::out_of_range("token id " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                                    " is outside the model's vocabulary of " + std::to_string(ckpt_.config.vocabSize));
        decodeRows(table, tokens[i], 1, out + i * hidden);
    }
}

}  // namespace qs
