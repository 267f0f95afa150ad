// The tokenizer an export carries, so that the exported Hugging Face
// directory re-opens with its vocabulary (formats/safetensors_reader.cpp
// looks for tokenizer.model, tokenizer.json, then tokenizer.bin):
//  - Hugging Face source: its tokenizer files, copied (kTokenizerFiles);
//  - llama2.c source: the tokenizer.bin beside it, copied (QuantScope and
//    run.c read it; Hugging Face loaders do not);
//  - GGUF source with a sentencepiece ("llama") vocabulary: tokenizer.model
//    written from tokenizer.ggml.tokens / scores / token_type (a
//    sentencepiece ModelProto, which transformers' LlamaTokenizer reads too)
//    plus a tokenizer_config.json naming the special tokens. A byte-level BPE
//    ("gpt2") vocabulary would need a tokenizer.json, which is not written.
#pragma once

#include <string>

#include "formats/checkpoint.h"

namespace qs {

// Throws FormatError naming the source when it has no tokenizer or one that
// cannot be written, or naming the file that cannot be written.
void writeExportTokenizer(const Checkpoint& src, const std::string& outDir);

}  // namespace qs
