#include "quant/json_text_positions.h"

#include <algorithm>
#include <cctype>

namespace qs {

int lineAtOffset(std::string_view text, size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + int(std::count(text.begin(), text.begin() + std::ptrdiff_t(offset), '\n'));
}

std::vector<size_t> arrayElementOffsets(std::string_view t, std::string_view key) {
    std::vector<size_t> starts;
    int depth = 0;             // nesting of {} and []
    bool keySeen = false;      // the last token at depth 1 was the key (or its ':')
    bool inArray = false;      // inside the key's array, whose elements sit at depth 2
    bool expectElement = false;
    for (size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (std::isspace(static_cast<unsigned char>(c))) continue;
        if (expectElement && c != ']') starts.push_back(i);
        expectElement = false;
        if (c == '"') {
            size_t j = i + 1;
            while (j < t.size() && t[j] != '"') j += t[j] == '\\' ? 2 : 1;
            keySeen = !inArray && depth == 1 && t.substr(i + 1, j - i - 1) == key;
            i = j;
            continue;
        }
        if (c == ':') continue;  // keeps keySeen
        if (c == '[' || c == '{') {
            ++depth;
            if (c == '[' && keySeen && depth == 2) inArray = expectElement = true;
        } else if (c == ']' || c == '}') {
            if (inArray && depth == 2) return starts;
            --depth;
        } else if (c == ',' && inArray && depth == 2) {
            expectElement = true;
        }
        keySeen = false;
    }
    return starts;
}

}  // namespace qs
