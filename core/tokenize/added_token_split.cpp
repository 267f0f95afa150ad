#include "tokenize/added_token_split.h"

#include <algorithm>

namespace qs {

AddedTokenSplitter::AddedTokenSplitter(const std::vector<std::string>& tokens, const std::vector<int32_t>& addedIds) {
    for (const int32_t id : addedIds) {
        const std::string& t = tokens.at(size_t(id));
        if (!t.empty()) byFirstByte_[uint8_t(t[0])].emplace_back(t, id);
    }
    for (auto& list : byFirstByte_)
        std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::vector<TextFragment> AddedTokenSplitter::split(std::string_view text) const {
    std::vector<TextFragment> out;
    size_t done = 0;
    for (size_t pos = 0; pos < text.size();) {
        const auto& candidates = byFirstByte_[uint8_t(text[pos])];
        const auto hit = std::find_if(candidates.begin(), candidates.end(),
                                      [&](const auto& c) { return text.substr(pos).starts_with(c.first); });
        if (hit == candidates.end()) {
            ++pos;
            continue;
        }
        if (pos > done) out.push_back({text.substr(done, pos - done)});
        out.push_back({text.substr(pos, hit->first.size()), hit->second});
        pos = done = pos + hit->first.size();
    }
    if (done < text.size()) out.push_back({text.substr(done)});
    return out;
}

}  // namespace qs
