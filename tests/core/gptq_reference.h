// A plain float64 GPTQ written for the tests, independent of core/quant/gptq.cpp
// and of every backend: the textbook column loop of Frantar et al. 2022,
// Alg. 1, with B = 1 (no lazy blocks), H^-1 by explicit Cholesky solves and
// its upper Cholesky factor taken as the authors' reference (gptq.py,
// fasterquant) takes it, in that reference's step order, on the shared integer
// grid (cpu/int_grid.h). test_gptq.cpp holds the CPU to it exactly;
// test_backend_parity_gptq.cpp holds every backend to it within named bars.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "cpu/int_grid.h"
#include "quant/gptq.h"

namespace qs::test {

using Dense = std::vector<std::vector<double>>;

// Lower L with L Lᵀ = a (plain Cholesky-Banachiewicz).
inline Dense cholesky(const Dense& a) {
    const size_t n = a.size();
    Dense l(n, std::vector<double>(n, 0.0));
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j <= i; ++j) {
            double s = a[i][j];
            for (size_t k = 0; k < j; ++k) s -= l[i][k] * l[j][k];
            l[i][j] = i == j ? std::sqrt(s) : s / l[j][j];
        }
    return l;
}

// a^-1 from its Cholesky factor, column by column (forward then back substitution).
inline Dense inverse(const Dense& a) {
    const size_t n = a.size();
    const Dense l = cholesky(a);
    Dense inv(n, std::vector<double>(n, 0.0));
    for (size_t c = 0; c < n; ++c) {
        std::vector<double> y(n);
        for (size_t i = 0; i < n; ++i) {
            double s = i == c ? 1.0 : 0.0;
            for (size_t k = 0; k < i; ++k) s -= l[i][k] * y[k];
            y[i] = s / l[i][i];
        }
        for (size_t i = n; i-- > 0;) {
            double s = y[i];
            for (size_t k = i + 1; k < n; ++k) s -= l[k][i] * inv[k][c];
            inv[i][c] = s / l[i][i];
        }
    }
    return inv;
}

struct ReferenceGptq {
    std::vector<float> dequantized;  // [rows, cols] row-major
    std::vector<int> codes;          // [rows, cols] row-major
    std::vector<int32_t> gIdx;       // [cols]
};

// One grid over row[first, first + count).
inline IntGrid fitRow(const std::vector<double>& row, size_t first, size_t count, const GptqOptions& o) {
    double lo = row[first], hi = row[first];
    for (size_t k = first; k < first + count; ++k) lo = std::min(lo, row[k]), hi = std::max(hi, row[k]);
    return fitIntGrid(lo, hi, o.bits, o.symmetric);
}

// GPTQ of w32 [rows, cols] (row-major) with hFlat [cols, cols] as the paper's
// Alg. 1 with B = 1, in the reference's step order. Reads o.bits, o.symmetric,
// o.groupSize, o.actOrder, o.staticGroups and o.damp (blockSize and backend
// do not change GPTQ's result).
inline ReferenceGptq referenceGptq(const std::vector<float>& w32, size_t rows, size_t cols,
                                   const std::vector<double>& hFlat, const GptqOptions& o) {
    Dense w(rows, std::vector<double>(cols)), h(cols, std::vector<double>(cols));
    for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) w[r][c] = w32[r * cols + c];
    for (size_t i = 0; i < cols; ++i)
        for (size_t j = 0; j < cols; ++j) h[i][j] = hFlat[i * cols + j];
    const bool perChannel = o.groupSize == 0, dynamic = !perChannel && !o.staticGroups;
    const size_t g = perChannel ? cols : size_t(o.groupSize);
    const size_t groups = (cols + g - 1) / g;
    std::vector<std::vector<IntGrid>> grid(groups, std::vector<IntGrid>(rows));  // [group][row]
    if (perChannel)
        for (size_t r = 0; r < rows; ++r) grid[0][r] = fitRow(w[r], 0, cols, o);
    for (size_t i = 0; i < cols; ++i)
        if (h[i][i] == 0) {
            h[i][i] = 1;
            for (size_t r = 0; r < rows; ++r) w[r][i] = 0;
        }
    if (!perChannel && o.staticGroups)
        for (size_t gi = 0; gi < groups; ++gi)
            for (size_t r = 0; r < rows; ++r) grid[gi][r] = fitRow(w[r], gi * g, std::min(g, cols - gi * g), o);
    std::vector<size_t> perm(cols);
    std::iota(perm.begin(), perm.end(), size_t(0));
    if (o.actOrder) std::stable_sort(perm.begin(), perm.end(), [&](size_t a, size_t b) { return h[a][a] > h[b][b]; });
    Dense wp(rows, std::vector<double>(cols)), hp(cols, std::vector<double>(cols));
    for (size_t r = 0; r < rows; ++r)
        for (size_t k = 0; k < cols; ++k) wp[r][k] = w[r][perm[k]];
    double meanDiag = 0;
    for (size_t i = 0; i < cols; ++i) meanDiag += h[i][i] / double(cols);
    for (size_t i = 0; i < cols; ++i)
        for (size_t j = 0; j < cols; ++j) hp[i][j] = h[perm[i]][perm[j]] + (i == j ? o.damp * meanDiag : 0.0);
    // cholesky_inverse, then cholesky(upper=True): U = Lᵀ of chol(H^-1).
    const Dense lInv = cholesky(inverse(hp));

    ReferenceGptq ref;
    ref.dequantized.assign(rows * cols, 0.f);
    ref.codes.assign(rows * cols, -1);
    for (size_t k = 0; k < cols; ++k) {
        if (dynamic && k % g == 0)
            for (size_t r = 0; r < rows; ++r) grid[k / g][r] = fitRow(wp[r], k, std::min(g, cols - k), o);
        const size_t gi = perChannel ? 0 : dynamic ? k / g : perm[k] / g;
        const double d = lInv[k][k];
        for (size_t r = 0; r < rows; ++r) {
            const int code = quantizeToCode(wp[r][k], grid[gi][r]);
            const double q = grid[gi][r].scale * (code - grid[gi][r].zero);
            const double err = (wp[r][k] - q) / d;
            for (size_t j = k + 1; j < cols; ++j) wp[r][j] -= err * lInv[j][k];  // U[k][j] = L[j][k]
            ref.codes[r * cols + perm[k]] = code;
            ref.dequantized[r * cols + perm[k]] = float(q);
        }
    }
    ref.gIdx.assign(cols, 0);
    for (size_t k = 0; k < cols; ++k) ref.gIdx[perm[k]] = int32_t(perChannel ? 0 : (dynamic ? k : perm[k]) / g);
    return ref;
}

}  // namespace qs::test
