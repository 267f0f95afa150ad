#include "tokenize/llama2c_vocab.h"

#include <cstring>

#include "formats/format_error.h"
#include "formats/mapped_file.h"

namespace qs {

namespace {
// Far above any real vocabulary's longest piece (Llama-2: 27 bytes); a larger
// value means the file is not a tokenizer.bin.
constexpr int32_t kMaxTokenLength = 1 << 16;

template <typename T>
T load(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}
}  // namespace

Llama2cVocab readLlama2cVocab(const std::string& path) {
    const MappedFile f(path);
    const std::byte* d = f.data();
    const int64_t size = f.size();
    if (size < 4) throw FormatError(path, "truncated: " + std::to_string(size) + " bytes, no max_token_length");
    Llama2cVocab v;
    v.maxTokenLength = load<int32_t>(d);
    if (v.maxTokenLength <= 0 || v.maxTokenLength > kMaxTokenLength)
        throw FormatError(path, "max_token_length = " + std::to_string(v.maxTokenLength) + " is outside 1.." +
                                    std::to_string(kMaxTokenLength) + ": not a llama2.c tokenizer.bin?");
    int64_t pos = 4;
    while (pos < size) {
        const std::string token = "token " + std::to_string(v.pieces.size());
        if (size - pos < 8)
            throw FormatError(path, "truncated: " + token + " at byte " + std::to_string(pos) +
                                        " has only " + std::to_string(size - pos) + " of its 8 bytes of score and length");
        const float score = load<float>(d + pos);
        const int32_t len = load<int32_t>(d + pos + 4);
        pos += 8;
        if (len < 0 || len > v.maxTokenLength)
            throw FormatError(path, token + " claims " + std::to_string(len) + " bytes, outside 0..max_token_length = " +
                                        std::to_string(v.maxTokenLength));
        if (size - pos < len)
            throw FormatError(path, "truncated: " + token + " needs " + std::to_string(len) + " bytes but " +
                                        std::to_string(size - pos) + " remain");
        v.pieces.emplace_back(reinterpret_cast<const char*>(d + pos), size_t(len));
        v.scores.push_back(score);
        pos += len;
    }
    if (v.pieces.empty()) throw FormatError(path, "no tokens after the max_token_length field");
    return v;
}

}  // namespace qs
