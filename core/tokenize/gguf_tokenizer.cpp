// The vocabulary a GGUF carries (tokenizer.ggml.*, ggml-org/ggml
// docs/gguf.md "Tokenizer"): model "llama" is the sentencepiece BPE with
// scores and piece types, model "gpt2" the byte-level BPE with a merge list
// and a pre-tokenizer named by tokenizer.ggml.pre (llama.cpp llama-vocab.cpp).
#include <variant>

#include "formats/format_error.h"
#include "formats/gguf_file.h"
#include "tokenize/ranked_bpe.h"
#include "tokenize/sentencepiece_bpe.h"
#include "tokenize/tokenizer_readers.h"

namespace qs {

namespace {

int32_t tokenId(const GgufFile& g, std::string_view key, int32_t fallback) {
    const std::optional<int64_t> id = g.integer(key);
    return id ? int32_t(*id) : fallback;
}

std::unique_ptr<Tokenizer> llamaVocab(const GgufFile& g) {
    ScoredVocab v;
    v.pieces = g.stringArray("tokenizer.ggml.tokens");
    const size_t n = v.pieces.size();
    v.scores = g.find("tokenizer.ggml.scores") ? g.floatArray("tokenizer.ggml.scores") : std::vector<float>(n, 0.0f);
    if (g.find("tokenizer.ggml.token_type")) {
        for (const int32_t t : g.intArray("tokenizer.ggml.token_type")) {
            if (t < int32_t(PieceType::Normal) || t > int32_t(PieceType::Byte))
                throw FormatError(g.path(), "tokenizer.ggml.token_type holds " + std::to_string(t) + ", not a type 1..6");
            v.types.push_back(PieceType(t));
        }
    } else {
        v.types.assign(n, PieceType::Normal);
    }
    // llama.cpp's defaults for a "llama" vocabulary.
    v.bosId = tokenId(g, "tokenizer.ggml.bos_token_id", 1);
    v.eosId = tokenId(g, "tokenizer.ggml.eos_token_id", 2);
    v.unkId = tokenId(g, "tokenizer.ggml.unknown_token_id", 0);
    if (const GgufValue* prefix = g.find("tokenizer.ggml.add_space_prefix")) {
        const bool* b = std::get_if<bool>(&prefix->value);
        if (!b) throw FormatError(g.path(), "tokenizer.ggml.add_space_prefix is not a bool");
        v.addDummyPrefix = *b;
    }
    return makeSentencePieceBpe(std::move(v), g.path());
}

std::unique_ptr<Tokenizer> gpt2Vocab(const GgufFile& g) {
    RankedBpeVocab v;
    v.tokens = g.stringArray("tokenizer.ggml.tokens");
    for (const std::string& m : g.stringArray("tokenizer.ggml.merges")) {
        const size_t space = m.find(' ');
        if (space == std::string::npos)
            throw FormatError(g.path(), "tokenizer.ggml.merges entry \"" + m + "\" is not \"a b\"");
        v.merges.emplace_back(m.substr(0, space), m.substr(space + 1));
    }
    // Control and user-defined tokens are spelled as raw text, not in the
    // byte alphabet, and are matched verbatim (llama.cpp token attributes).
    if (g.find("tokenizer.ggml.token_type")) {
        const std::vector<int32_t> types = g.intArray("tokenizer.ggml.token_type");
        for (size_t id = 0; id < types.size() && id < v.tokens.size(); ++id)
            if (types[id] == int32_t(PieceType::Control) || types[id] == int32_t(PieceType::UserDefined))
                v.addedIds.push_back(int32_t(id));
    }
    v.bosId = tokenId(g, "tokenizer.ggml.bos_token_id", -1);
    v.eosId = tokenId(g, "tokenizer.ggml.eos_token_id", -1);
    for (const int32_t id : {v.bosId, v.eosId})
        if (id < -1 || id >= int32_t(v.tokens.size()))
            throw FormatError(g.path(), "BOS/EOS id " + std::to_string(id) + " is outside the vocabulary");

    const std::string pre = g.string("tokenizer.ggml.pre").value_or("default");
    std::string_view pattern;
    if (pre == "llama-bpe" || pre == "llama3") {
        pattern = kLlama3Pattern;
        v.ignoreMerges = true;  // as llama.cpp sets for LLAMA_VOCAB_PRE_TYPE_LLAMA3
    } else if (pre == "default" || pre == "gpt2") {
        pattern = kGpt2Pattern;
    } else {
        throw FormatError(g.path(), "tokenizer.ggml.pre \"" + pre +
                                        "\" is not supported (QuantScope knows \"llama-bpe\" and \"gpt2\"/\"default\")");
    }
    auto preTokenizer = regexPreTokenizer(std::string(pattern), g.path());
    return makeByteLevelBpe(std::move(v), std::move(preTokenizer), g.path());
}

}  // namespace

std::unique_ptr<Tokenizer> openGgufTokenizer(const std::string& path) {
    const GgufFile g = GgufFile::open(path);
    const std::optional<std::string> model = g.string("tokenizer.ggml.model");
    if (!model) throw FormatError(path, "no tokenizer.ggml.model: this GGUF carries no vocabulary");
    if (*model == "llama") return llamaVocab(g);
    if (*model == "gpt2") return gpt2Vocab(g);
    throw FormatError(path, "tokenizer.ggml.model \"" + *model + "\" is not supported (QuantScope reads \"llama\" and \"gpt2\")");
}

}  // namespace qs
