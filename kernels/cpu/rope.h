// Rotary position embedding (Su et al. 2021, RoFormer): each pair of a
// query/key head vector is rotated by position * inv_freq[i]. Which elements
// pair up depends on the checkpoint: Hugging Face rotates halves
// (x[i], x[i + d/2]) ("rotate_half"); Meta's original code and llama2.c
// rotate interleaved pairs (x[2i], x[2i+1]). Converters permute the q/k rows
// between the two, so each layout is right for its own files.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace qs {

enum class RopeLayout { SplitHalves, InterleavedPairs };

// cos and sin of position * invFreq[i], [positions, invFreq.size()] row-major;
// the angles are formed in double, so long contexts keep their precision.
struct RopeTable {
    int64_t positions = 0;
    int64_t pairs = 0;  // head_dim / 2
    std::vector<float> cos, sin;
};
RopeTable makeRopeTable(const std::vector<double>& invFreq, int64_t positions);

// Rotates `heads` head vectors of `headDim` in each of `rows` rows of x; row r
// lies at x + r * rowStride and sits at position positions[r] (positions
// restart with each sequence), which must be below table.positions.
void applyRope(float* x, int64_t rows, int64_t rowStride, int64_t heads, int64_t headDim, const int32_t* positions,
               const RopeTable& table, RopeLayout layout);

// What every applyRope checks before touching x (std::logic_error): the table
// fits the head size and covers every position. Inline, so the CUDA module,
// which does not link the CPU kernels, makes the very same checks.
inline void checkRopeArguments(int64_t rows, int64_t headDim, const int32_t* positions, const RopeTable& table) {
    if (headDim / 2 != table.pairs)
        throw std::logic_error("applyRope: a table of " + std::to_string(table.pairs) + " pairs for head_dim " +
                               std::to_string(headDim));
    for (int64_t r = 0; r < rows; ++r)
        if (positions[r] < 0 || positions[r] >= table.positions)
            throw std::logic_error("applyRope: position " + std::to_string(positions[r]) + " outside the table of " +
                                   std::to_string(table.positions));
}

}  // namespace qs
