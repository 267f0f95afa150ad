// Added tokens (<|begin_of_text|>, <s>, ...) are found verbatim in the raw
// text before any normalization or pre-tokenization and become their own id,
// leftmost match first and the longest at a position (Hugging Face
// tokenizers' AddedVocabulary). Their lstrip/rstrip/single_word options are
// not applied: the Llama tokenizers set none of them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qs {

struct TextFragment {
    std::string_view text;
    int32_t addedId = -1;  // >= 0: the fragment is this added token
};

class AddedTokenSplitter {
public:
    AddedTokenSplitter(const std::vector<std::string>& tokens, const std::vector<int32_t>& addedIds);
    std::vector<TextFragment> split(std::string_view text) const;

private:
    // By first byte, longest first, so the scan tests only plausible tokens.
    std::array<std::vector<std::pair<std::string, int32_t>>, 256> byFirstByte_;
};

}  // namespace qs
