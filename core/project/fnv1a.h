// FNV-1a, 64 bit: the cheap, stable hash the project file keys its caches with
// (not for security). `h` chains several buffers into one hash.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qs {

inline constexpr uint64_t kFnv1aSeed = 1469598103934665603ull;

inline uint64_t fnv1a64(const void* data, size_t n, uint64_t h = kFnv1aSeed) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace qs
