// llama2.c checkpoints (karpathy/llama2.c), read per export.py and the C
// readers that consume them:
//  - legacy (version 0, run.c): 7 int32 header {dim, hidden_dim, n_layers,
//    n_heads, n_kv_heads, vocab_size, seq_len}, a negative vocab_size marking
//    an unshared classifier; then float32 embedding, every layer's attention
//    norm, wq, wk, wv, wo, ffn norm, w1, w2, w3, the final norm, the freq_cis
//    RoPE tables (skipped) and, when unshared, wcls.
//  - versioned (export.py version1_export / version2_export): uint32 magic
//    0x616b3432 ("ak42"), int32 version, the same 7 int32, a shared_classifier
//    byte, for version 2 an int32 group_size, zero padding to 256 bytes; then
//    the norms first and the matrices after them. Version 1 is float32;
//    version 2 stores each matrix as int8 followed by its float32 scales, one
//    per group of group_size elements (runq.c init_quantized_tensors).
// Every matrix is torch's nn.Linear weight [out, in], row-major: run.c's
// matmul(xout, x, w, n, d) computes W (d, n) @ x with W row i at w + i * n.
// Tensors get Hugging Face names; q/k rows stay in llama2.c's order, which
// rotates interleaved pairs (config.ropeInterleaved).
#include <cstring>
#include <filesystem>
#include <span>
#include <vector>

#include "formats/checkpoint.h"
#include "formats/format_error.h"
#include "formats/tensor_names.h"

namespace fs = std::filesystem;

namespace qs {

namespace {

constexpr uint32_t kMagic = 0x616b3432;  // "ak42" read as a little-endian uint32
constexpr int64_t kLegacyHeaderBytes = 7 * 4;
constexpr int64_t kVersionedHeaderBytes = 256;
// Bounds far above any released LLaMA (dim 16384, vocab 256k) that keep every
// byte count below 2^62, so the layout arithmetic cannot overflow.
constexpr int64_t kMaxWidth = int64_t(1) << 20;  // dim, hidden_dim
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxVocab = int64_t(1) << 24;
constexpr int64_t kMaxSeqLen = int64_t(1) << 24;

struct Header {
    int version = 0;  // 0 = legacy
    int64_t dim = 0, hidden = 0, layers = 0, heads = 0, kvHeads = 0, vocab = 0, seqLen = 0;
    bool sharedClassifier = true;
    int64_t groupSize = 0;  // version 2 only
    int64_t headSize() const { return dim / heads; }
    int64_t bytes() const { return version == 0 ? kLegacyHeaderBytes : kVersionedHeaderBytes; }
};

template <typename T>
T load(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// The parts of a llama2.c file, named as run.c names its pointers.
enum class Part { Embed, AttnNorm, Wq, Wk, Wv, Wo, FfnNorm, W1, W2, W3, FinalNorm, FreqCis, Classifier };

constexpr Part kLegacyOrder[] = {Part::Embed, Part::AttnNorm, Part::Wq, Part::Wk,        Part::Wv,
                                 Part::Wo,    Part::FfnNorm,  Part::W1, Part::W2,        Part::W3,
                                 Part::FinalNorm, Part::FreqCis, Part::Classifier};
constexpr Part kVersionedOrder[] = {Part::AttnNorm, Part::FfnNorm, Part::FinalNorm, Part::Embed,
                                    Part::Wq,       Part::Wk,      Part::Wv,        Part::Wo,
                                    Part::W1,       Part::W2,      Part::W3,        Part::Classifier};

const char* partName(Part p) {
    switch (p) {
    case Part::Embed: return "token_embedding_table";
    case Part::AttnNorm: return "rms_att_weight";
    case Part::Wq: return "wq";
    case Part::Wk: return "wk";
    case Part::Wv: return "wv";
    case Part::Wo: return "wo";
    case Part::FfnNorm: return "rms_ffn_weight";
    case Part::W1: return "w1";
    case Part::W2: return "w2";
    case Part::W3: return "w3";
    case Part::FinalNorm: return "rms_final_weight";
    case Part::FreqCis: return "freq_cis_real/imag";
    case Part::Classifier: return "wcls";
    }
    return "?";
}

bool perLayer(Part p) { return p != Part::Embed && p != Part::FinalNorm && p != Part::FreqCis && p != Part::Classifier; }
bool isMatrix(Part p) { return p != Part::AttnNorm && p != Part::FfnNorm && p != Part::FinalNorm && p != Part::FreqCis; }

// Hugging Face name of a part; w1/w3/w2 are gate/up/down (SwiGLU w2(silu(w1 x) * w3 x)).
std::string canonicalName(Part p, int layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    switch (p) {
    case Part::Embed: return "model.embed_tokens.weight";
    case Part::AttnNorm: return prefix + "input_layernorm.weight";
    case Part::Wq: return linearTensorName(layer, 0);
    case Part::Wk: return linearTensorName(layer, 1);
    case Part::Wv: return linearTensorName(layer, 2);
    case Part::Wo: return linearTensorName(layer, 3);
    case Part::FfnNorm: return prefix + "post_attention_layernorm.weight";
    case Part::W1: return linearTensorName(layer, 4);
    case Part::W3: return linearTensorName(layer, 5);
    case Part::W2: return linearTensorName(layer, 6);
    case Part::FinalNorm: return "model.norm.weight";
    case Part::FreqCis: return {};
    case Part::Classifier: return "lm_head.weight";
    }
    return {};
}

std::vector<int64_t> partShape(Part p, const Header& h) {
    const int64_t qDim = h.heads * h.headSize(), kvDim = h.kvHeads * h.headSize();
    switch (p) {
    case Part::Embed:
    case Part::Classifier: return {h.vocab, h.dim};
    case Part::AttnNorm:
    case Part::FfnNorm:
    case Part::FinalNorm: return {h.dim};
    case Part::Wq: return {qDim, h.dim};
    case Part::Wk:
    case Part::Wv: return {kvDim, h.dim};
    case Part::Wo: return {h.dim, qDim};
    case Part::W1:
    case Part::W3: return {h.hidden, h.dim};
    case Part::W2: return {h.dim, h.hidden};
    case Part::FreqCis: return {2, h.seqLen, h.headSize() / 2};  // real then imaginary
    }
    return {};
}

// Where one tensor (or the skipped RoPE tables) lies in the file.
struct Placement {
    Part part;
    int layer;
    std::vector<int64_t> shape;
    int64_t offset;
    int64_t numel;
    bool quantized;  // int8 then numel / groupSize float32 scales
    int64_t bytes() const { return quantized ? numel : numel * 4; }  // without the scales
    int64_t end(int64_t groupSize) const { return offset + bytes() + (quantized ? numel / groupSize * 4 : 0); }
};

std::string versionName(int version) {
    return version == 0 ? "legacy (version 0)" : "version " + std::to_string(version);
}

Header readHeader(const MappedFile& f) {
    const std::string& path = f.path();
    const std::byte* d = f.data();
    const int64_t size = f.size();
    Header h;
    const bool versioned = size >= 4 && load<uint32_t>(d) == kMagic;
    if (versioned) {
        if (size < kVersionedHeaderBytes)
            throw FormatError(path, "truncated header: " + std::to_string(size) + " bytes, a versioned llama2.c header has " +
                                        std::to_string(kVersionedHeaderBytes));
        h.version = load<int32_t>(d + 4);
        if (h.version != 1 && h.version != 2)
            throw FormatError(path, "unsupported llama2.c checkpoint version " + std::to_string(h.version) +
                                        " (readable: legacy, 1 = float32, 2 = int8 groups)");
        d += 8;
    } else if (size < kLegacyHeaderBytes) {
        throw FormatError(path, "truncated header: " + std::to_string(size) + " bytes, a llama2.c legacy header has " +
                                    std::to_string(kLegacyHeaderBytes));
    }
    h.dim = load<int32_t>(d);
    h.hidden = load<int32_t>(d + 4);
    h.layers = load<int32_t>(d + 8);
    h.heads = load<int32_t>(d + 12);
    h.kvHeads = load<int32_t>(d + 16);
    h.vocab = load<int32_t>(d + 20);
    h.seqLen = load<int32_t>(d + 24);
    if (versioned) {
        const auto flag = uint8_t(d[28]);
        if (flag > 1) throw FormatError(path, "shared_classifier flag byte is " + std::to_string(flag) + " (expected 0 or 1)");
        h.sharedClassifier = flag == 1;
        if (h.version == 2) h.groupSize = load<int32_t>(d + 29);  // packed right after the flag byte
    } else {
        // A file with neither the magic nor a sane first field is most likely
        // a versioned file with a damaged magic, or not llama2.c at all.
        if (h.dim <= 0 || h.dim > kMaxWidth)
            throw FormatError(path, "not a llama2.c checkpoint: no version magic 0x616b3432 (\"ak42\") and the legacy header's dim = " +
                                        std::to_string(h.dim) + " is outside 1.." + std::to_string(kMaxWidth));
        // Legacy files mark an unshared classifier with a negative vocab_size.
        h.sharedClassifier = h.vocab > 0;
        h.vocab = h.vocab < 0 ? -h.vocab : h.vocab;
    }
    return h;
}

void checkField(const std::string& path, const char* name, int64_t value, int64_t limit) {
    if (value <= 0) throw FormatError(path, std::string("header field ") + name + " = " + std::to_string(value) + " must be positive");
    if (value > limit)
        throw FormatError(path, std::string("header field ") + name + " = " + std::to_string(value) +
                                    " is implausibly large (limit " + std::to_string(limit) + ")");
}

void checkHeader(const std::string& path, const Header& h) {
    checkField(path, "dim", h.dim, kMaxWidth);
    checkField(path, "hidden_dim", h.hidden, kMaxWidth);
    checkField(path, "n_layers", h.layers, kMaxLayers);
    checkField(path, "n_heads", h.heads, kMaxWidth);
    checkField(path, "n_kv_heads", h.kvHeads, kMaxWidth);
    checkField(path, "vocab_size", h.vocab, kMaxVocab);
    checkField(path, "seq_len", h.seqLen, kMaxSeqLen);
    if (h.dim % h.heads != 0)
        throw FormatError(path, "n_heads = " + std::to_string(h.heads) + " does not divide dim = " + std::to_string(h.dim));
    if (h.heads % h.kvHeads != 0)
        throw FormatError(path, "n_kv_heads = " + std::to_string(h.kvHeads) + " does not divide n_heads = " +
                                    std::to_string(h.heads));
    if (h.headSize() % 2 != 0)
        throw FormatError(path, "head size dim / n_heads = " + std::to_string(h.headSize()) +
                                    " is odd, but RoPE rotates pairs of elements");
    if (h.version == 2) {
        if (h.groupSize <= 0) throw FormatError(path, "group_size = " + std::to_string(h.groupSize) + " must be positive");
        // runq.c's matmul walks every row in whole groups, so both row widths must be multiples.
        for (const auto& [name, width] : {std::pair{"dim", h.dim}, std::pair{"hidden_dim", h.hidden}})
            if (width % h.groupSize != 0)
                throw FormatError(path, "group_size = " + std::to_string(h.groupSize) + " does not divide " + name + " = " +
                                            std::to_string(width));
    }
}

std::vector<Placement> layout(const Header& h) {
    std::vector<Placement> out;
    int64_t offset = h.bytes();
    for (Part p : h.version == 0 ? std::span<const Part>(kLegacyOrder) : std::span<const Part>(kVersionedOrder)) {
        if (p == Part::Classifier && h.sharedClassifier) continue;
        const auto shape = partShape(p, h);
        int64_t numel = 1;
        for (int64_t d : shape) numel *= d;
        for (int layer = 0; layer < (perLayer(p) ? int(h.layers) : 1); ++layer) {
            Placement pl{p, perLayer(p) ? layer : -1, shape, offset, numel, h.version == 2 && isMatrix(p)};
            offset = pl.end(h.groupSize);
            out.push_back(std::move(pl));
        }
    }
    return out;
}

std::string describe(const Placement& pl) {
    std::string s = partName(pl.part);
    if (pl.layer >= 0) s += " of layer " + std::to_string(pl.layer);
    const std::string canonical = canonicalName(pl.part, pl.layer);
    if (!canonical.empty()) s += " (" + canonical + ")";
    return s;
}

// The file must hold the layout exactly: a shorter file is truncated, a
// longer one is not what export.py writes (wrong header or not llama2.c).
void checkFileSize(const std::string& path, const Header& h, const std::vector<Placement>& parts, int64_t size) {
    const int64_t expected = parts.back().end(h.groupSize);
    if (expected == size) return;
    const std::string counts = "the llama2.c " + versionName(h.version) + " layout needs " + std::to_string(expected) +
                               " bytes but the file has " + std::to_string(size);
    if (size > expected)
        throw FormatError(path, counts + " (" + std::to_string(size - expected) + " bytes too many: wrong header?)");
    for (const Placement& pl : parts)
        if (pl.end(h.groupSize) > size) throw FormatError(path, "truncated: " + counts + "; the data stops inside " + describe(pl));
}

}  // namespace

std::unique_ptr<Checkpoint> openLlama2c(const std::string& file) {
    auto mapped = std::make_shared<MappedFile>(file);
    const Header h = readHeader(*mapped);
    checkHeader(file, h);
    const auto parts = layout(h);
    checkFileSize(file, h, parts, mapped->size());

    auto ckpt = std::make_unique<Checkpoint>();
    ckpt->format = CheckpointFormat::Llama2c;
    ckpt->path = file;
    ModelConfig& c = ckpt->config;
    c.hiddenSize = h.dim;
    c.intermediateSize = h.hidden;
    c.numLayers = h.layers;
    c.numHeads = h.heads;
    c.numKvHeads = h.kvHeads;
    c.headDim = h.headSize();
    c.vocabSize = h.vocab;
    c.maxPositions = h.seqLen;
    c.rmsNormEps = 1e-5;     // run.c rmsnorm's constant
    c.ropeTheta = 10000.0;   // run.c / model.py precompute_freqs_cis default
    c.ropeInterleaved = true;  // run.c rotates (q[i], q[i+1]) pairs
    c.tieWordEmbeddings = h.sharedClassifier;
    c.torchDtype = "float32";  // what export.py serializes (version 2 from float32 weights)

    ckpt->metadata["llama2c.version"] = std::to_string(h.version);
    ckpt->metadata["llama2c.shared_classifier"] = h.sharedClassifier ? "true" : "false";
    if (h.version == 2) ckpt->metadata["llama2c.group_size"] = std::to_string(h.groupSize);

    for (const Placement& pl : parts) {
        if (pl.part == Part::FreqCis) continue;  // recomputed from ropeTheta, as newer run.c does
        TensorView t;
        t.name = canonicalName(pl.part, pl.layer);
        t.dtype = pl.quantized ? DType::I8 : DType::F32;
        t.shape = pl.shape;
        t.data = mapped->data() + pl.offset;
        t.nbytes = pl.bytes();
        if (pl.quantized) {
            t.scales = t.data + pl.numel;
            t.groupSize = h.groupSize;
        }
        ckpt->addTensor(std::move(t));
    }
    ckpt->addFile(std::move(mapped));

    // tokenizer.bin beside the model, as run.c expects by default; whether
    // its vocabulary matches is the tokenizer layer's question.
    const fs::path tokenizer = fs::path(file).parent_path() / "tokenizer.bin";
    std::error_code ec;
    if (fs::is_regular_file(tokenizer, ec)) ckpt->tokenizerPath = tokenizer.string();
    return ckpt;
}

}  // namespace qs
