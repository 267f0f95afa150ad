// GGUF checkpoints (llama.cpp): the tensors of a GgufFile become TensorViews
// into the mapping under Hugging Face names, and the <arch>.* metadata
// becomes a ModelConfig. Key and tensor names follow llama.cpp's gguf-py
// (gguf/constants.py: Keys.LLM, Keys.Attention, Keys.Rope, TENSOR_NAMES).
#include <algorithm>
#include <array>
#include <cstdint>

#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "formats/gguf_file.h"

namespace qs {

namespace {

// ggml_type ids (ggml.h) that map onto a DType QuantScope decodes.
std::optional<DType> dtypeOfGgmlType(uint32_t id) {
    switch (id) {
    case 0: return DType::F32;
    case 1: return DType::F16;
    case 2: return DType::Q4_0;
    case 8: return DType::Q8_0;
    case 30: return DType::BF16;
    default: return std::nullopt;
    }
}

// Names of the other ggml_type ids, so an error can say "Q4_K" and not just 12.
std::string ggmlTypeLabel(uint32_t id) {
    static constexpr std::array<std::string_view, 40> kNames = {
        "F32",   "F16",  "Q4_0",  "Q4_1",   "",        "",       "Q5_0",    "Q5_1",  "Q8_0",   "Q8_1",
        "Q2_K",  "Q3_K", "Q4_K",  "Q5_K",   "Q6_K",    "Q8_K",   "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
        "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8",     "I16",    "I32",     "I64",   "F64",    "IQ1_M",
        "BF16",  "",     "",      "",       "TQ1_0",   "TQ2_0",  "",        "",      "",       "MXFP4"};
    std::string label = std::to_string(id);
    if (id < kNames.size() && !kNames[id].empty()) label += " (" + std::string(kNames[id]) + ")";
    return label;
}

// GGUF tensor names -> Hugging Face LlamaForCausalLM names.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kTopLevelNames = {{
    {"token_embd", "model.embed_tokens"},
    {"output_norm", "model.norm"},
    {"output", "lm_head"},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kBlockNames = {{
    {"attn_q", "self_attn.q_proj"},
    {"attn_k", "self_attn.k_proj"},
    {"attn_v", "self_attn.v_proj"},
    {"attn_output", "self_attn.o_proj"},
    {"ffn_gate", "mlp.gate_proj"},
    {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"},
    {"attn_norm", "input_layernorm"},
    {"ffn_norm", "post_attention_layernorm"},
}};

template <size_t N>
std::optional<std::string_view> lookup(const std::array<std::pair<std::string_view, std::string_view>, N>& table,
                                       std::string_view key) {
    for (const auto& [from, to] : table)
        if (from == key) return to;
    return std::nullopt;
}

// "blk.7.ffn_down.weight" -> "model.layers.7.mlp.down_proj.weight"; names
// without a Hugging Face counterpart (rope_freqs.weight, ...) stay as they are.
std::string canonicalTensorName(const std::string& name) {
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos) return name;
    const std::string_view base = std::string_view(name).substr(0, dot);
    const std::string_view suffix = std::string_view(name).substr(dot);  // ".weight", ".bias"
    if (auto hf = lookup(kTopLevelNames, base)) return std::string(*hf) + std::string(suffix);

    constexpr std::string_view kBlock = "blk.";
    if (!base.starts_with(kBlock)) return name;
    const std::string_view rest = base.substr(kBlock.size());
    const size_t digits = rest.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string_view::npos || rest[digits] != '.') return name;
    if (auto hf = lookup(kBlockNames, rest.substr(digits + 1)))
        return "model.layers." + std::string(rest.substr(0, digits)) + "." + std::string(*hf) + std::string(suffix);
    return name;
}

void addTensors(Checkpoint& ckpt, const GgufFile& g) {
    const std::string& file = g.path();
    const int64_t fileSize = g.mapping()->size();
    const int64_t dataSize = std::max<int64_t>(0, fileSize - g.dataOffset());
    struct Range {
        int64_t begin, end;
        const std::string* name;
    };
    std::vector<Range> ranges;
    for (const GgufTensorInfo& info : g.tensors()) {
        const std::string& name = info.name;
        const auto dtype = dtypeOfGgmlType(info.ggmlType);
        if (!dtype)
            throw FormatError(file, "tensor " + name + " has ggml type " + ggmlTypeLabel(info.ggmlType) +
                                        ", which is not supported (F32, F16, BF16, Q8_0 and Q4_0 are)");
        // ggml lists dimensions innermost first; torch (and TensorView) outermost first.
        std::vector<int64_t> shape(info.dims.rbegin(), info.dims.rend());
        const int64_t block = dtypeBlockElems(*dtype);
        if (block > 1 && !info.dims.empty() && info.dims[0] % uint64_t(block) != 0)
            throw FormatError(file, "tensor " + name + ": row length " + std::to_string(info.dims[0]) +
                                        " is not a multiple of the " + std::to_string(block) + "-element " +
                                        std::string(dtypeName(*dtype)) + " block");
        int64_t numel = 1;
        for (int64_t d : shape)
            if (__builtin_mul_overflow(numel, d, &numel) || numel > (int64_t(1) << 50))
                throw FormatError(file, "tensor " + name + " is impossibly large");
        if (info.offset > uint64_t(dataSize))
            throw FormatError(file, "tensor " + name + ": data offset " + std::to_string(info.offset) +
                                        " lies past the end of the file");
        const int64_t begin = g.dataOffset() + int64_t(info.offset);
        const int64_t nbytes = dtypeByteSize(*dtype, numel);
        checkTensorBytes(file, name, *dtype, shape, begin, nbytes, fileSize);
        if (nbytes > 0) ranges.push_back({begin, begin + nbytes, &name});

        TensorView t;
        t.name = canonicalTensorName(name);
        t.dtype = *dtype;
        t.shape = std::move(shape);
        t.data = g.mapping()->data() + begin;
        t.nbytes = nbytes;
        ckpt.addTensor(std::move(t));
    }
    // Overlapping byte ranges mean a corrupt (or malicious) header.
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
    for (size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].begin < ranges[i - 1].end)
            throw FormatError(file, "tensors " + *ranges[i - 1].name + " and " + *ranges[i].name +
                                        " overlap in the file");
}

// Sizes must be positive and small enough that nothing downstream allocates wildly.
int64_t checkedSize(const GgufFile& g, const std::string& key, int64_t value) {
    if (value <= 0 || value > INT32_MAX)
        throw FormatError(g.path(), "metadata " + key + " is " + std::to_string(value) + ", not a sensible size");
    return value;
}

int64_t requiredSize(const GgufFile& g, const std::string& key) {
    const auto v = g.integer(key);
    if (!v) throw FormatError(g.path(), "missing metadata " + key);
    return checkedSize(g, key, *v);
}

int64_t optionalSize(const GgufFile& g, const std::string& key, int64_t fallback) {
    const auto v = g.integer(key);
    return v ? checkedSize(g, key, *v) : fallback;
}

// The <arch>.* hyper-parameters, or nullopt when the file states none
// (no general.architecture or no <arch>.embedding_length).
std::optional<ModelConfig> readConfig(const GgufFile& g, const Checkpoint& ckpt) {
    const auto arch = g.string("general.architecture");
    if (!arch || !g.find(*arch + ".embedding_length")) return std::nullopt;
    const std::string p = *arch + ".";
    ModelConfig c;
    c.architecture = *arch;
    c.hiddenSize = requiredSize(g, p + "embedding_length");
    c.intermediateSize = requiredSize(g, p + "feed_forward_length");
    c.numLayers = requiredSize(g, p + "block_count");
    c.numHeads = requiredSize(g, p + "attention.head_count");
    c.numKvHeads = optionalSize(g, p + "attention.head_count_kv", c.numHeads);
    if (c.numHeads % c.numKvHeads != 0)
        throw FormatError(g.path(), "attention.head_count " + std::to_string(c.numHeads) +
                                        " is not a multiple of attention.head_count_kv " + std::to_string(c.numKvHeads));
    // attention.key_length is the head size when it differs from
    // embedding_length / head_count; llama.cpp's converter writes
    // rope.dimension_count = head size for LLaMA.
    c.headDim = optionalSize(g, p + "attention.key_length", optionalSize(g, p + "rope.dimension_count", 0));
    if (c.headDim == 0) {
        if (c.hiddenSize % c.numHeads != 0)
            throw FormatError(g.path(), "embedding_length is not a multiple of attention.head_count");
        c.headDim = c.hiddenSize / c.numHeads;
    }
    // The model computes logits over the rows of the embedding, so its shape wins.
    if (const TensorView* embed = ckpt.find("model.embed_tokens.weight"); embed && embed->shape.size() == 2)
        c.vocabSize = embed->shape[0];
    else if (auto n = g.integer(p + "vocab_size"))
        c.vocabSize = checkedSize(g, p + "vocab_size", *n);
    else if (const GgufValue* tokens = g.find("tokenizer.ggml.tokens"); tokens && tokens->asArray())
        c.vocabSize = int64_t(tokens->asArray()->count);
    else
        throw FormatError(g.path(), "cannot tell the vocabulary size (no token_embd.weight, " + p +
                                        "vocab_size or tokenizer.ggml.tokens)");
    c.maxPositions = optionalSize(g, p + "context_length", 2048);  // the HF reader's default too
    c.ropeTheta = g.number(p + "rope.freq_base").value_or(10000.0);
    c.rmsNormEps = g.number(p + "attention.layer_norm_rms_epsilon").value_or(1e-5);
    if (auto type = g.string(p + "rope.scaling.type"); type && *type != "none") {
        // Linear / YaRN scaling. Llama-3.1's "llama3" scaling is not stated as
        // keys: the converter stores precomputed factors as rope_freqs.weight.
        RopeScaling s;
        s.type = *type;
        s.factor = g.number(p + "rope.scaling.factor").value_or(1.0);
        s.originalMaxPositions = optionalSize(g, p + "rope.scaling.original_context_length", c.maxPositions);
        c.ropeScaling = s;
    }
    if (auto bos = g.integer("tokenizer.ggml.bos_token_id")) c.bosTokenId = *bos;
    if (auto eos = g.integer("tokenizer.ggml.eos_token_id")) c.eosTokenId = *eos;
    c.tieWordEmbeddings = ckpt.find("model.embed_tokens.weight") && !ckpt.find("lm_head.weight");
    // RoPE pairing. Hugging Face LLaMA rotates halves (rotate_half), but
    // llama.cpp runs LLM_ARCH_LLAMA with LLAMA_ROPE_TYPE_NORM, which rotates
    // consecutive pairs (llama_model_rope_type in src/llama-model.cpp), and
    // convert_hf_to_gguf.py makes the weights match by applying
    // LlamaModel.permute to the q_proj/k_proj rows ("HF models permute some of
    // the tensors, so we need to undo that"): each head's rows are reshaped
    // to (2, head_dim/2) and swapped back into Meta's interleaved order. The
    // views point at those bytes unchanged, so the forward pass must rotate
    // interleaved pairs. Other architectures differ per llama_model_rope_type
    // and are not mapped here.
    c.ropeInterleaved = *arch == "llama";
    return c;
}

}  // namespace

std::unique_ptr<Checkpoint> openGguf(const std::string& file) {
    const GgufFile g = GgufFile::open(file);
    auto ckpt = std::make_unique<Checkpoint>();
    ckpt->format = CheckpointFormat::Gguf;
    ckpt->path = file;
    for (const auto& [key, value] : g.metadata()) ckpt->metadata[key] = value.toString();
    addTensors(*ckpt, g);
    ckpt->addFile(g.mapping());
    if (auto config = readConfig(g, *ckpt)) {
        ckpt->config = *config;
    } else {
        ckpt->hasConfig = false;
    }
    // The vocabulary travels inside the file (tokenizer.ggml.*).
    if (g.find("tokenizer.ggml.tokens")) ckpt->tokenizerPath = file;
    return ckpt;
}

}  // namespace qs
