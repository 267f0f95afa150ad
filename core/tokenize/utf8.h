// The little UTF-8 the tokenizers need: character boundaries and code points.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qs::utf8 {

// Bytes of the character starting at s[pos], from its lead byte alone and
// clamped to the text (llama.cpp unicode_len_utf8): a stray continuation
// byte or invalid lead counts as one character, so any byte string splits.
inline size_t sequenceLength(std::string_view s, size_t pos) {
    static constexpr uint8_t kByHighNibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    const size_t len = kByHighNibble[uint8_t(s[pos]) >> 4];
    return len < s.size() - pos ? len : s.size() - pos;
}

inline void appendCodepoint(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

// The code point of the character at s[pos] (one of sequenceLength bytes);
// malformed sequences decode to whatever their bits say, which only matters
// for text that was not UTF-8 to begin with.
inline uint32_t codepointAt(std::string_view s, size_t pos) {
    const size_t len = sequenceLength(s, pos);
    const uint8_t lead = uint8_t(s[pos]);
    if (len == 1) return lead;
    uint32_t cp = lead & (0x7F >> len);
    for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (uint8_t(s[pos + i]) & 0x3F);
    return cp;
}

}  // namespace qs::utf8
