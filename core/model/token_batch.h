// Token sequences laid out back to back, the unit the layer-major forward
// pass works on: evaluation windows, calibration samples, task requests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace qs {

struct TokenBatch {
    std::vector<int32_t> tokens;     // every sequence, back to back
    std::vector<int64_t> starts{0};  // sequence s is tokens [starts[s], starts[s + 1])

    int64_t sequences() const { return int64_t(starts.size()) - 1; }
    int64_t rows() const { return int64_t(tokens.size()); }
    int64_t length(int64_t s) const { return starts[size_t(s + 1)] - starts[size_t(s)]; }
    int64_t longest() const {
        int64_t n = 0;
        for (int64_t s = 0; s < sequences(); ++s) n = std::max(n, length(s));
        return n;
    }
    void add(std::span<const int32_t> sequence) {
        tokens.insert(tokens.end(), sequence.begin(), sequence.end());
        starts.push_back(int64_t(tokens.size()));
    }
};

}  // namespace qs
