// The readers behind openTokenizer (tokenizer_factory.cpp), one per file
// kind. Each throws FormatError naming the file and the problem.
#pragma once

#include <memory>
#include <string>

#include "tokenize/tokenizer.h"

namespace qs {

// sentencepiece .model through libsentencepiece (tokenizer_spm.cpp; only in
// builds that found it).
std::unique_ptr<Tokenizer> openSentencePieceModel(const std::string& path);
// Hugging Face tokenizer.json, BPE models (hf_tokenizer_json.cpp).
std::unique_ptr<Tokenizer> openHfTokenizerJson(const std::string& path);
// llama2.c tokenizer.bin (llama2c_tokenizer.cpp).
std::unique_ptr<Tokenizer> openLlama2cTokenizer(const std::string& path);
// The tokenizer.ggml.* vocabulary inside a GGUF (gguf_tokenizer.cpp).
std::unique_ptr<Tokenizer> openGgufTokenizer(const std::string& path);

}  // namespace qs
