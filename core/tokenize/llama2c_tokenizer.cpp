// llama2.c tokenizer.bin -> the SPM-style BPE. karpathy/llama2.c tokenizer.py
// exports a sentencepiece model piece by piece: U+2581 written as a space,
// BOS and EOS written as "\n<s>\n" and "\n</s>\n", scores kept, piece types
// dropped. The types are recovered from those spellings.
#include "formats/format_error.h"
#include "tokenize/llama2c_vocab.h"
#include "tokenize/sentencepiece_bpe.h"
#include "tokenize/tokenizer_readers.h"

namespace qs {

namespace {

bool isBytePiece(const std::string& p) {
    const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
    return p.size() == 6 && p.starts_with("<0x") && hex(p[3]) && hex(p[4]) && p[5] == '>';
}

std::string spaceToU2581(const std::string& p) {
    std::string out;
    for (const char c : p) {
        if (c == ' ') out += "\xE2\x96\x81";
        else out += c;
    }
    return out;
}

}  // namespace

std::unique_ptr<Tokenizer> openLlama2cTokenizer(const std::string& path) {
    Llama2cVocab raw = readLlama2cVocab(path);
    ScoredVocab v;
    v.scores = std::move(raw.scores);
    v.pieces.reserve(raw.pieces.size());
    v.types.reserve(raw.pieces.size());
    for (const std::string& p : raw.pieces) {
        const int32_t id = int32_t(v.pieces.size());
        PieceType type = PieceType::Normal;
        std::string piece;
        if (p == "\n<s>\n") {
            piece = "<s>", type = PieceType::Control, v.bosId = id;
        } else if (p == "\n</s>\n") {
            piece = "</s>", type = PieceType::Control, v.eosId = id;
        } else if (p == "<unk>" && v.unkId < 0) {
            piece = p, type = PieceType::Unknown, v.unkId = id;
        } else if (isBytePiece(p)) {
            piece = p, type = PieceType::Byte;
        } else {
            piece = spaceToU2581(p);
        }
        v.pieces.push_back(std::move(piece));
        v.types.push_back(type);
    }
    if (v.bosId < 0 || v.eosId < 0)
        throw FormatError(path, "no \"\\n<s>\\n\" / \"\\n</s>\\n\" pieces: not written by llama2.c tokenizer.py?");
    return makeSentencePieceBpe(std::move(v), path);
}

}  // namespace qs
