// GPTQ's layer Hessian (Frantar et al. 2022, Sec. 3): for a linear layer whose
// inputs are the rows x of X [rows, cols], the quadratic reconstruction loss
// ||W X^T - Q X^T||^2 has Hessian H = 2 X^T X. The accumulator keeps the
// reference's running average, H = (2 / n) * sum over all n rows of x^T x,
// updated per batch as H *= n_old / n_new; H += (2 / n_new) X^T X, so H stays
// O(1) however many tokens pass (the scale cancels inside GPTQ; dampening is
// relative to mean(diag H)).
//
// Precision: each batch's X^T X is float32 (Eigen rank updates and GEMMs on
// column tiles, hessian.cpp) over at most kHessianSlabRows rows (the float32 sum of that many products keeps ~1e-6
// relative error), folded into a float64 running H. A float64 product costs
// twice the time for the 128 x 2048-token sets without changing GPTQ's codes
// measurably; test_hessian bounds the difference to a float64 X^T X.
#pragma once

#include <cstdint>
#include <vector>

namespace qs {

inline constexpr int64_t kHessianSlabRows = 4096;

class HessianAccumulator {
public:
    explicit HessianAccumulator(int64_t cols);

    // x: [rows, cols] row-major float32 (a linear layer's input rows).
    void add(const float* x, int64_t rows);

    int64_t cols() const { return cols_; }
    int64_t samples() const { return samples_; }  // rows seen so far (n)
    // H [cols, cols] row-major, symmetric (both triangles filled).
    std::vector<double> matrix() const;
    // The same matrix, moved out without a copy (for layers whose H is
    // gigabytes); the accumulator is left empty and must not be used again.
    std::vector<double> takeMatrix();

private:
    int64_t cols_;
    int64_t samples_ = 0;
    std::vector<double> lower_;  // column-major; only the lower triangle is maintained
};

}  // namespace qs
