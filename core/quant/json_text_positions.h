// Where things are in a JSON text, for error messages that point at a line:
// nlohmann::json (3.11) keeps no source positions for parsed values.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace qs {

// 1-based line of byte `offset` (offsets past the end count the last line).
int lineAtOffset(std::string_view text, size_t offset);

// Byte offsets where each element of the array under top-level key `key`
// starts (`{"key": [elem0, elem1]}`); empty when there is no such array.
// The text must be valid JSON (parse it first).
std::vector<size_t> arrayElementOffsets(std::string_view text, std::string_view key);

}  // namespace qs
