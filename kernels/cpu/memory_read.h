// The memory-read bound that throughput benchmarks are reported against
// (ARCHITECTURE.md, kernels/): the wrapping sum of a buffer's 64-bit words,
// the least work that still touches every byte.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qs {

// Sum of the little-endian 64-bit words of data[0, nbytes) (a tail shorter
// than a word is added byte by byte), split over `threads` std::threads that
// each read one contiguous band. The result is returned so the reads cannot
// be optimised away.
uint64_t sumWords(const std::byte* data, int64_t nbytes, int threads);

}  // namespace qs
