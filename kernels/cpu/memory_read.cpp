#include "cpu/memory_read.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

namespace qs {

namespace {
uint64_t sumBand(const std::byte* p, int64_t nbytes) {
    const int64_t words = nbytes / 8;
    uint64_t sum = 0;
    for (int64_t i = 0; i < words; ++i) {
        uint64_t w;
        std::memcpy(&w, p + i * 8, 8);
        sum += w;
    }
    for (int64_t i = words * 8; i < nbytes; ++i) sum += uint64_t(p[i]);
    return sum;
}
}  // namespace

uint64_t sumWords(const std::byte* data, int64_t nbytes, int threads) {
    const int64_t words = nbytes / 8;
    const int n = int(std::max<int64_t>(1, std::min<int64_t>(threads, words)));
    std::vector<uint64_t> partial(size_t(n), 0);
    std::vector<std::thread> pool;
    auto band = [&](int w) {
        const int64_t b0 = words * w / n * 8;
        const int64_t b1 = w + 1 == n ? nbytes : words * (w + 1) / n * 8;
        partial[size_t(w)] = sumBand(data + b0, b1 - b0);
    };
    for (int w = 1; w < n; ++w) pool.emplace_back(band, w);
    band(0);
    for (auto& t : pool) t.join();
    uint64_t sum = 0;
    for (uint64_t s : partial) sum += s;
    return sum;
}

}  // namespace qs
