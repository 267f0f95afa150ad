#include "cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Core>

#include "cpu/compute_threads.h"

namespace qs {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strided = Eigen::OuterStride<>;
using ConstHeadView = Eigen::Map<const RowMatrix, 0, Strided>;
using HeadView = Eigen::Map<RowMatrix, 0, Strided>;

// Queries are taken in tiles so that the score block of a tile covers only the
// keys up to its last row: about half of the full square, as causality allows.
constexpr int64_t kQueryTile = 64;

// One head of one sequence of `len` rows; q/out rows are qStride apart, k/v rows kvStride.
void attendHead(const float* q, const float* k, const float* v, float* out, int64_t len, int64_t qStride,
                int64_t kvStride, int64_t headDim, std::vector<float>& scores) {
    const float scale = float(1.0 / std::sqrt(double(headDim)));
    for (int64_t r0 = 0; r0 < len; r0 += kQueryTile) {
        const int64_t rows = std::min(kQueryTile, len - r0);
        const int64_t keys = r0 + rows;
        scores.resize(size_t(rows * keys));
        Eigen::Map<RowMatrix> s(scores.data(), rows, keys);
        const ConstHeadView qt(q + r0 * qStride, rows, headDim, Strided(qStride));
        const ConstHeadView kt(k, keys, headDim, Strided(kvStride));
        s.noalias() = qt * kt.transpose();
        for (int64_t i = 0; i < rows; ++i) {
            const int64_t visible = r0 + i + 1;  // the causal mask: keys 0..r0+i
            Eigen::Map<Eigen::ArrayXf> row(scores.data() + i * keys, visible);
            const float max = row.maxCoeff();
            row = ((row - max) * scale).exp();
            row /= row.sum();
            std::fill(scores.data() + i * keys + visible, scores.data() + (i + 1) * keys, 0.0f);
        }
        const ConstHeadView vt(v, keys, headDim, Strided(kvStride));
        HeadView ot(out + r0 * qStride, rows, headDim, Strided(qStride));
        ot.noalias() = s * vt;
    }
}

}  // namespace

void causalAttention(const float* q, const float* k, const float* v, float* out, const int64_t* seqStarts, int64_t nseq,
                     const AttentionShape& shape) {
    const int64_t qStride = shape.heads * shape.headDim;
    const int64_t kvStride = shape.kvHeads * shape.headDim;
    const int64_t group = shape.heads / shape.kvHeads;
    const int64_t items = nseq * shape.heads;
#pragma omp parallel num_threads(computeThreads())
    {
        std::vector<float> scores;  // per thread
#pragma omp for schedule(dynamic)
        for (int64_t item = 0; item < items; ++item) {
            const int64_t seq = item / shape.heads, h = item % shape.heads, kvh = h / group;
            const int64_t first = seqStarts[seq], len = seqStarts[seq + 1] - first;
            attendHead(q + first * qStride + h * shape.headDim, k + first * kvStride + kvh * shape.headDim,
                       v + first * kvStride + kvh * shape.headDim, out + first * qStride + h * shape.headDim, len,
                       qStride, kvStride, shape.headDim, scores);
        }
    }
}

}  // namespace qs
