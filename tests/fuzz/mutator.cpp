#include "mutator.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace qs::fuzz {

namespace {

// splitmix64: tiny, and unlike std:: distributions the same on every library.
class Prng {
public:
    explicit Prng(uint64_t s) : state_(s) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    size_t below(size_t n) { return n == 0 ? 0 : size_t(next() % n); }

private:
    uint64_t state_;
};

constexpr size_t kHeaderBytes = 64 * 1024;

size_t position(Prng& rng, size_t size) {
    return rng.below(2) ? rng.below(std::min(size, kHeaderBytes)) : rng.below(size);
}

void bumpInteger(std::vector<uint8_t>& b, Prng& rng) {
    static constexpr std::array<size_t, 4> kWidths = {1, 2, 4, 8};
    const size_t width = kWidths[rng.below(kWidths.size())];
    if (b.size() < width) return;
    const size_t at = position(rng, b.size() - width + 1);
    uint64_t v = 0;
    std::memcpy(&v, b.data() + at, width);  // little-endian hosts, like the formats
    static constexpr std::array<int64_t, 6> kDeltas = {1, -1, 16, -16, 1 << 20, -(1 << 20)};
    switch (rng.below(4)) {
        case 0: v += uint64_t(kDeltas[rng.below(kDeltas.size())]); break;
        case 1: v = ~uint64_t(0) >> (64 - 8 * width); break;        // all ones: the type's max
        case 2: v = uint64_t(1) << (8 * width - 1); break;            // sign bit only
        default: v = rng.next(); break;
    }
    std::memcpy(b.data() + at, &v, width);
}

// Replaces the next run of decimal digits at or after a random place.
void extremeNumber(std::vector<uint8_t>& b, Prng& rng) {
    static constexpr std::array<std::string_view, 8> kNumbers = {
        "0", "-1", "4294967296", "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1e308", "2147483648"};
    size_t at = position(rng, b.size());
    while (at < b.size() && !(b[at] >= '0' && b[at] <= '9')) ++at;
    if (at == b.size()) return;
    size_t end = at;
    while (end < b.size() && b[end] >= '0' && b[end] <= '9') ++end;
    const std::string_view n = kNumbers[rng.below(kNumbers.size())];
    b.erase(b.begin() + long(at), b.begin() + long(end));
    b.insert(b.begin() + long(at), n.begin(), n.end());
}

void mutateOnce(std::vector<uint8_t>& b, Prng& rng) {
    if (b.empty()) {
        b.push_back(uint8_t(rng.next()));
        return;
    }
    static constexpr std::array<uint8_t, 4> kBytes = {0x00, 0x7F, 0x80, 0xFF};
    switch (rng.below(7)) {
        case 0: b[position(rng, b.size())] ^= uint8_t(1u << rng.below(8)); break;
        case 1: b[position(rng, b.size())] = kBytes[rng.below(kBytes.size())]; break;
        case 2: b.resize(position(rng, b.size())); break;
        case 3: {  // duplicate a chunk of up to 256 bytes somewhere else
            const size_t from = position(rng, b.size());
            const size_t len = std::min(b.size() - from, 1 + rng.below(256));
            const std::vector<uint8_t> chunk(b.begin() + long(from), b.begin() + long(from + len));
            b.insert(b.begin() + long(position(rng, b.size())), chunk.begin(), chunk.end());
            break;
        }
        case 4: {
            const size_t from = position(rng, b.size());
            b.erase(b.begin() + long(from), b.begin() + long(std::min(b.size(), from + 1 + rng.below(256))));
            break;
        }
        case 5: bumpInteger(b, rng); break;
        default: extremeNumber(b, rng); break;
    }
}

}  // namespace

std::vector<uint8_t> mutate(const std::vector<uint8_t>& base, uint64_t seed, uint64_t index) {
    Prng rng(seed * 0x100000001B3ull ^ index);
    std::vector<uint8_t> b = base;
    const size_t edits = 1 + rng.below(4);
    for (size_t e = 0; e < edits; ++e) mutateOnce(b, rng);
    return b;
}

}  // namespace qs::fuzz
