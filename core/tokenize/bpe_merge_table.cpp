#include "tokenize/bpe_merge_table.h"

#include "formats/format_error.h"

namespace qs {

namespace {
uint64_t pairKey(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }
}  // namespace

BpeMergeTable::BpeMergeTable(const std::vector<std::string>& tokens,
                             const std::vector<std::pair<std::string, std::string>>& merges, const std::string& path) {
    ids_.reserve(tokens.size());
    for (size_t id = 0; id < tokens.size(); ++id)
        if (!tokens[id].empty()) ids_.emplace(tokens[id], int32_t(id));
    merges_.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [a, b] = merges[rank];
        const int32_t left = tokenId(a), right = tokenId(b), merged = tokenId(a + b);
        if (left < 0 || right < 0 || merged < 0)
            throw FormatError(path, "merge " + std::to_string(rank) + " (\"" + a + "\" \"" + b + "\") uses or makes \"" +
                                        (left < 0 ? a : right < 0 ? b : a + b) + "\", which is not in the vocabulary");
        // A repeated pair keeps its last rank, as HF builds its merge map.
        merges_.insert_or_assign(pairKey(left, right), std::pair{int32_t(rank), merged});
    }
}

int32_t BpeMergeTable::tokenId(std::string_view spelling) const {
    const auto it = ids_.find(spelling);
    return it == ids_.end() ? -1 : it->second;
}

std::optional<bpe::PairMerge> BpeMergeTable::find(int32_t left, int32_t right) const {
    if (left < 0 || right < 0) return std::nullopt;
    const auto it = merges_.find(pairKey(left, right));
    if (it == merges_.end()) return std::nullopt;
    return bpe::PairMerge{-double(it->second.first), it->second.second};
}

}  // namespace qs
