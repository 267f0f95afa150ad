// Pre-tokenizers: the regex that cuts text into the pieces a byte-level BPE
// merges within (a merge never crosses a piece boundary).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Consecutive pieces that tile `text` exactly.
    virtual std::vector<std::string_view> split(std::string_view text) const = 0;
};

// Meta Llama-3 tokenizer.json's Split pattern (llama.cpp pre type "llama-bpe").
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// GPT-2's pattern, the one a ByteLevel pre-tokenizer with use_regex applies.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Matches of `pattern` (Unicode properties, UTF-8) and the text between them
// each become a piece (HF Split behaviour "Isolated"). Throws FormatError
// naming `path` (the file that asked for it) when the pattern does not compile
// or this build has no PCRE2. Defined in tokenizer_factory.cpp, which
// dispatches to makePcre2PreTokenizer when PCRE2 was found.
std::unique_ptr<PreTokenizer> regexPreTokenizer(const std::string& pattern, const std::string& path);
std::unique_ptr<PreTokenizer> makePcre2PreTokenizer(const std::string& pattern, const std::string& path);

}  // namespace qs
