// BPE driven by a ranked merge list (Hugging Face tokenizers' BPE model, GGUF
// "gpt2" vocabularies), in its two Llama layouts: byte-level (Llama-3, GPT-2)
// and U+2581 "metaspace" with byte fallback (the Llama-2 tokenizer.json).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenize/pretokenizer.h"
#include "tokenize/tokenizer.h"

namespace qs {

struct RankedBpeVocab {
    // id -> spelling in the model's alphabet ("" where an id has none); added
    // tokens are spelled as the raw text they stand for.
    std::vector<std::string> tokens;
    std::vector<std::pair<std::string, std::string>> merges;  // earlier merges first
    std::vector<int32_t> addedIds;  // matched verbatim in the raw text, decoded verbatim
    int32_t bosId = -1;
    int32_t eosId = -1;
    int32_t unkId = -1;
    // HF BPE ignore_merges (Llama-3): a pre-token that is itself a token is
    // that token, whatever the merges would make of it.
    bool ignoreMerges = false;
};

// GPT-2 byte-level BPE: every byte is spelled as one printable character
// (bytes_to_unicode) and merges stay inside the pieces `pre` cuts.
// Throws FormatError naming `path` when the vocabulary is inconsistent.
std::unique_ptr<Tokenizer> makeByteLevelBpe(RankedBpeVocab vocab, std::unique_ptr<PreTokenizer> pre,
                                            const std::string& path);

// The Llama-2 tokenizer.json layout: normalizer Prepend U+2581 + Replace
// ' ' -> U+2581, no pre-tokenizer, characters outside the vocabulary as
// <0xNN> byte tokens (byte_fallback) or else the unknown token.
std::unique_ptr<Tokenizer> makeMetaspaceBpe(RankedBpeVocab vocab, const std::string& path);

}  // namespace qs
