// Deterministic mutations of a seed file for the fuzz driver: the same
// (seed, index) always gives the same bytes, on every platform.
#pragma once

#include <cstdint>
#include <vector>

namespace qs::fuzz {

// 1-4 edits of `base`: bit flips, bytes set to 0/0x7F/0x80/0xFF, truncation,
// chunk duplication or deletion, a little-endian integer field bumped, or a
// decimal number in text replaced by an extreme one. Half the edits land in
// the first 64 KiB, where every format keeps its header.
std::vector<uint8_t> mutate(const std::vector<uint8_t>& base, uint64_t seed, uint64_t index);

}  // namespace qs::fuzz
