// Llama SPM-style BPE from a vocabulary with scores: the algorithm of
// sentencepiece's BPE model (bpe_model.cc) and llama.cpp's llm_tokenizer_spm,
// in plain C++ so that llama2.c tokenizer.bin and GGUF "llama" vocabularies
// tokenize without libsentencepiece.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenize/tokenizer.h"

namespace qs {

// Piece types, numbered as sentencepiece's ModelProto.SentencePiece.Type and
// GGUF tokenizer.ggml.token_type (llama.cpp llama_token_type).
enum class PieceType : uint8_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

struct ScoredVocab {
    std::vector<std::string> pieces;  // sentencepiece spelling: U+2581 for a space, <0xNN> for byte pieces
    std::vector<float> scores;        // merge priority of each piece, higher merges first
    std::vector<PieceType> types;
    int32_t bosId = -1;
    int32_t eosId = -1;
    int32_t unkId = -1;
    bool addDummyPrefix = true;  // sentencepiece NormalizerSpec.add_dummy_prefix
};

// Throws FormatError naming `path` when the vocabulary is inconsistent.
std::unique_ptr<Tokenizer> makeSentencePieceBpe(ScoredVocab vocab, const std::string& path);

}  // namespace qs
