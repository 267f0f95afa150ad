#include "quant/export_tokenizer.h"

#include <cstring>
#include <filesystem>

#include "formats/format_error.h"
#include "formats/gguf_file.h"
#include "formats/staged_directory.h"
#include "quant/export_directory.h"

namespace fs = std::filesystem;

namespace qs {

namespace {

// Protocol Buffers wire format (protobuf.dev/programming-guides/encoding):
// a key varint (field << 3 | wire type), then a varint, a 4-byte float or a
// length-prefixed byte string. Negative int32 values take 10 bytes.
class ProtoWriter {
public:
    void varint(int field, int64_t v) {
        key(field, 0);
        raw(uint64_t(v));
    }
    void float32(int field, float v) {
        key(field, 5);
        char b[4];
        std::memcpy(b, &v, 4);
        out_.append(b, 4);
    }
    void bytes(int field, const std::string& v) {
        key(field, 2);
        raw(v.size());
        out_ += v;
    }
    const std::string& str() const { return out_; }

private:
    void key(int field, int wire) { raw(uint64_t(field) << 3 | uint64_t(wire)); }
    void raw(uint64_t v) {
        for (; v >= 0x80; v >>= 7) out_ += char((v & 0x7f) | 0x80);
        out_ += char(v);
    }
    std::string out_;
};

int32_t tokenId(const GgufFile& g, std::string_view key, int32_t fallback) {
    const std::optional<int64_t> id = g.integer(key);
    return id ? int32_t(*id) : fallback;
}

bool flag(const GgufFile& g, std::string_view key, bool fallback) {
    const GgufValue* v = g.find(key);
    if (!v) return fallback;
    const bool* b = std::get_if<bool>(&v->value);
    if (!b) throw FormatError(g.path(), std::string(key) + " is not a bool");
    return *b;
}

// The sentencepiece ModelProto (sentencepiece_model.proto) of a GGUF "llama"
// vocabulary: pieces = 1 {piece = 1, score = 2, type = 3}; trainer_spec = 2
// {model_type = 3 (BPE = 2), vocab_size = 4, byte_fallback = 35, unk_id = 40,
// bos_id = 41, eos_id = 42, pad_id = 43}; normalizer_spec = 3 {name = 1,
// add_dummy_prefix = 3, remove_extra_whitespaces = 4}, as Llama-2's
// tokenizer.model states them. GGUF token types use sentencepiece's numbers.
std::string sentencePieceModel(const GgufFile& g, int32_t bos, int32_t eos, int32_t unk) {
    const std::vector<std::string> pieces = g.stringArray("tokenizer.ggml.tokens");
    const std::vector<float> scores =
        g.find("tokenizer.ggml.scores") ? g.floatArray("tokenizer.ggml.scores") : std::vector<float>(pieces.size(), 0.0f);
    const std::vector<int32_t> types = g.find("tokenizer.ggml.token_type") ? g.intArray("tokenizer.ggml.token_type")
                                                                          : std::vector<int32_t>(pieces.size(), 1);
    if (scores.size() != pieces.size() || types.size() != pieces.size())
        throw FormatError(g.path(), "tokenizer.ggml.scores / token_type do not have one entry per token");
    ProtoWriter model;
    bool byteFallback = false;
    for (size_t i = 0; i < pieces.size(); ++i) {
        ProtoWriter piece;
        piece.bytes(1, pieces[i]);
        piece.float32(2, scores[i]);
        if (types[i] != 1) piece.varint(3, types[i]);
        model.bytes(1, piece.str());
        byteFallback = byteFallback || types[i] == 6;
    }
    ProtoWriter trainer;
    trainer.varint(3, 2);
    trainer.varint(4, int64_t(pieces.size()));
    trainer.varint(35, byteFallback);
    trainer.varint(40, unk);
    trainer.varint(41, bos);
    trainer.varint(42, eos);
    trainer.varint(43, -1);
    model.bytes(2, trainer.str());
    ProtoWriter normalizer;
    normalizer.bytes(1, "identity");
    normalizer.varint(3, flag(g, "tokenizer.ggml.add_space_prefix", true));
    normalizer.varint(4, 0);
    model.bytes(3, normalizer.str());
    return model.str();
}

void writeGgufVocabulary(const Checkpoint& src, const fs::path& outDir) {
    const GgufFile g = GgufFile::open(src.tokenizerPath);
    const std::string kind = g.string("tokenizer.ggml.model").value_or("");
    if (kind != "llama")
        throw FormatError(src.path, "its \"" + kind + "\" vocabulary cannot be exported yet (only sentencepiece "
                                                      "\"llama\" vocabularies are written, as tokenizer.model)");
    const int32_t bos = tokenId(g, "tokenizer.ggml.bos_token_id", 1), eos = tokenId(g, "tokenizer.ggml.eos_token_id", 2),
                  unk = tokenId(g, "tokenizer.ggml.unknown_token_id", 0);
    writeFileAtomically((outDir / "tokenizer.model").string(), sentencePieceModel(g, bos, eos, unk), "tokenizer.model");
    const std::vector<std::string> pieces = g.stringArray("tokenizer.ggml.tokens");
    const auto piece = [&](int32_t id) { return id >= 0 && size_t(id) < pieces.size() ? pieces[size_t(id)] : ""; };
    writeJsonFile((outDir / "tokenizer_config.json").string(),
                  {{"tokenizer_class", "LlamaTokenizer"},
                   {"bos_token", piece(bos)},
                   {"eos_token", piece(eos)},
                   {"unk_token", piece(unk)},
                   {"add_bos_token", flag(g, "tokenizer.ggml.add_bos_token", true)},
                   {"add_eos_token", flag(g, "tokenizer.ggml.add_eos_token", false)}});
}

}  // namespace

void writeExportTokenizer(const Checkpoint& src, const std::string& outDir) {
    if (src.format == CheckpointFormat::HfSafetensors) {
        copyTokenizerFiles(src, outDir);
        return;
    }
    if (src.tokenizerPath.empty())
        throw FormatError(src.path, "has no tokenizer to export (a llama2.c model needs tokenizer.bin beside it; a "
                                    "GGUF needs tokenizer.ggml.* metadata)");
    if (src.format == CheckpointFormat::Gguf) {
        writeGgufVocabulary(src, outDir);
        return;
    }
    const fs::path to = fs::path(outDir) / "tokenizer.bin";
    std::error_code ec;
    fs::copy_file(src.tokenizerPath, to, ec);
    if (ec) throw FormatError(to.string(), "cannot copy from " + src.tokenizerPath + ": " + ec.message());
}

}  // namespace qs
