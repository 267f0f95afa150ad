// A census of 16-bit element codes. A BF16 or F16 tensor holds at most 65536
// distinct values, so counting each code once per element is an exact record
// of the whole value distribution: moments and histograms then follow from
// the 65536-entry table in float64 (core/stats), with no per-element float
// arithmetic, and the counts are the same whatever the thread split.
#pragma once

#include <cstdint>
#include <vector>

namespace qs {

inline constexpr int kCodes16 = 65536;

class CodeCensus16 {
public:
    CodeCensus16();
    // Counts codes[0, n). The hot table holds 32-bit counters (half the cache
    // footprint of 64-bit ones), folded into 64-bit totals before they could overflow.
    void add(const uint16_t* codes, int64_t n);
    void merge(CodeCensus16& other);
    // Occurrences of each code so far.
    const std::vector<uint64_t>& counts();

private:
    void flush();
    std::vector<uint32_t> recent_;
    std::vector<uint64_t> total_;
    uint64_t recentElems_ = 0;
};

// For a sign-magnitude 16-bit float format (BF16, F16) the magnitude order is
// the integer order of code & 0x7fff (the "rank"), and the ranks from
// `nonFiniteRank` up (exponent all ones) are Inf and NaN. Returns the largest
// finite rank among codes[0, n) (0 when none) and raises colMaxRank[i] to the
// rank of codes[i] where that is finite: per-channel absmax without decoding.
int16_t maxFiniteRank16(const uint16_t* codes, int64_t n, int16_t nonFiniteRank, int16_t* colMaxRank);

}  // namespace qs
