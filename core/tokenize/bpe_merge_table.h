// A ranked merge list as Hugging Face tokenizers' BPE model holds it: the
// pair (left id, right id) -> its rank and the id of the merged token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenize/bpe_merge.h"

namespace qs {

class BpeMergeTable {
public:
    // tokens: id -> spelling ("" where an id has none). Throws FormatError
    // naming `path` for a merge whose parts or result are not tokens.
    BpeMergeTable(const std::vector<std::string>& tokens,
                  const std::vector<std::pair<std::string, std::string>>& merges, const std::string& path);

    int32_t tokenId(std::string_view spelling) const;  // -1 when not a token
    // Earlier merges first: the priority is minus the rank.
    std::optional<bpe::PairMerge> find(int32_t left, int32_t right) const;

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> ids_;
    std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;  // (left << 32 | right) -> (rank, merged id)
};

}  // namespace qs
