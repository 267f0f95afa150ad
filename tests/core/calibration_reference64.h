// What the float64 references of the calibration methods (test_awq.cpp: AWQ,
// test_smoothing.cpp: bi-smoothing) share, written from the definitions and
// independent of the product's kernels: the captured inputs and weights as
// float64 matrices, RTN weight grids and INT8 activation rounding in float64,
// and the bookkeeping of a search choice compared with the product's.
//
// Eigen serves only as float64 matrix storage and products. Rounding is half
// to even (std::nearbyint, as torch.round).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include "model/decoder_block_weights.h"
#include "quant/block_calibration.h"

namespace qs::test {

using Matrix64 = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

inline Matrix64 toMatrix64(const float* x, int64_t rows, int64_t cols) {
    using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    return Eigen::Map<const RowMajorF>(x, rows, cols).cast<double>();
}
inline Matrix64 toMatrix64(const SiteInput& x) { return toMatrix64(x.x.data(), x.rows, x.cols); }
inline Matrix64 toMatrix64(const LinearWeights& l) { return toMatrix64(l.w.data(), l.outFeatures, l.inFeatures); }

// A value the product stores in float32 (a folded weight): the references
// round it where the product does, since its last bit can decide a tie.
inline Matrix64 asStored(const Matrix64& w) { return w.cast<float>().cast<double>(); }

// Rounds n values in place to one integer grid fitted to them:
//   symmetric:  scale = absmax / (2^(b-1) - 1), codes -2^(b-1) .. 2^(b-1) - 1
//               (SmoothQuant's quantize_weight_per_channel_absmax at 8 bits);
//   asymmetric: scale = (max - min) / (2^b - 1), zero = round(-min / scale),
//               codes 0 .. 2^b - 1 (llm-awq's pseudo_quantize_tensor), with
//               the range widened to include 0 as QuantScope's grid does
//               (cpu/int_grid.h); that changes only a group of one sign.
// A range of zeros keeps its values.
inline void roundToGrid64(double* w, int64_t n, int bits, bool symmetric) {
    double lo = 0, hi = 0;
    for (int64_t i = 0; i < n; ++i) lo = std::min(lo, w[i]), hi = std::max(hi, w[i]);
    if (hi == lo) return;
    double scale, zero, qmin, qmax;
    if (symmetric) {
        scale = std::max(-lo, hi) / (std::ldexp(1.0, bits - 1) - 1);
        zero = 0, qmin = -std::ldexp(1.0, bits - 1), qmax = std::ldexp(1.0, bits - 1) - 1;
    } else {
        scale = (hi - lo) / (std::ldexp(1.0, bits) - 1);
        zero = std::nearbyint(-lo / scale), qmin = 0, qmax = std::ldexp(1.0, bits) - 1;
    }
    for (int64_t i = 0; i < n; ++i) w[i] = scale * (std::clamp(std::nearbyint(w[i] / scale) + zero, qmin, qmax) - zero);
}

// RTN of every row of w in groups of `groupSize` consecutive columns.
inline Matrix64 rtn64(Matrix64 w, int64_t groupSize, int bits, bool symmetric) {
    for (int64_t r = 0; r < w.rows(); ++r)
        for (int64_t c = 0; c < w.cols(); c += groupSize) roundToGrid64(&w(r, c), groupSize, bits, symmetric);
    return w;
}

// INT8 activations: symmetric, scale = absmax / 127 per token (row) or the
// given per-tensor scale, codes clamped to -128 .. 127.
inline void roundInt8(double* x, int64_t n, double scale) {
    if (scale > 0)
        for (int64_t i = 0; i < n; ++i) x[i] = scale * std::clamp(std::nearbyint(x[i] / scale), -128.0, 127.0);
}
inline Matrix64 int8PerToken64(Matrix64 x) {
    for (int64_t r = 0; r < x.rows(); ++r) roundInt8(&x(r, 0), x.cols(), x.row(r).cwiseAbs().maxCoeff() / 127);
    return x;
}
inline Matrix64 int8PerTensor64(Matrix64 x, double scale) {
    roundInt8(x.data(), x.size(), scale);
    return x;
}

// The index of the smallest loss, the first on ties (every search here keeps
// a candidate only when it is strictly better).
inline int argmin(const std::vector<double>& losses) {
    return int(std::min_element(losses.begin(), losses.end()) - losses.begin());
}

// How the product's choices compare with the reference's over a test: the
// same candidate, another one whose float64 loss is within a stated relative
// slack of the best (the float32 search can order two near-equal candidates
// either way), or a miss (a worse candidate: a failure).
struct ChoiceTally {
    int same = 0, nearTies = 0, misses = 0;
    double worstNearTie = 0;  // largest relative excess of an accepted near tie

    // Records the product's choice `chosen` among `losses`; true unless a miss.
    bool record(const std::vector<double>& losses, int chosen, double tieRelTol) {
        const double best = losses[size_t(argmin(losses))];
        if (chosen < 0 || chosen >= int(losses.size())) return ++misses, false;
        if (chosen == argmin(losses)) return ++same, true;
        const double excess = (losses[size_t(chosen)] - best) / best;
        if (excess > tieRelTol) return ++misses, false;
        worstNearTie = std::max(worstNearTie, excess);
        return ++nearTies, true;
    }
};

}  // namespace qs::test
