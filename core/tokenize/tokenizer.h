// Text <-> token ids, one interface over every tokenizer QuantScope reads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

class Checkpoint;

class Tokenizer {
public:
    virtual ~Tokenizer() = default;
    // Token ids of `text`; a BOS id is prepended when addBos is true.
    virtual std::vector<int32_t> encode(std::string_view text, bool addBos) const = 0;
    virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
    virtual int64_t vocabSize() const = 0;
    virtual int32_t bosId() const = 0;
    virtual int32_t eosId() const = 0;
};

// By file: sentencepiece `.model`, Hugging Face `tokenizer.json`, llama2.c
// `tokenizer.bin`, or the vocabulary inside a `.gguf`. Throws FormatError.
std::unique_ptr<Tokenizer> openTokenizer(const std::string& path);

// The tokenizer that belongs to a checkpoint (beside it, or inside a GGUF);
// throws FormatError when there is none or its vocabulary size does not match the model's.
std::unique_ptr<Tokenizer> tokenizerForCheckpoint(const Checkpoint& ckpt);

}  // namespace qs
