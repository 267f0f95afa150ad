// The vocabulary of a llama2.c tokenizer.bin, as karpathy/llama2.c
// tokenizer.py writes it and run.c build_tokenizer reads it: int32
// max_token_length, then for every token a float32 merge score, an int32 byte
// length and that many bytes (no terminator). The file does not state the
// token count (run.c takes it from the model), so records are read to the end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

struct Llama2cVocab {
    int32_t maxTokenLength = 0;       // as stated in the file; every piece fits in it
    std::vector<std::string> pieces;  // raw bytes, token id = index
    std::vector<float> scores;        // BPE merge priority, same indexing
};

// Throws FormatError naming the file and the problem (a truncated record, a
// negative or over-long length, no tokens).
Llama2cVocab readLlama2cVocab(const std::string& path);

}  // namespace qs
