// GPTQ's U, the upper Cholesky factor of H^-1 (the reference computes it in
// three steps: cholesky, cholesky_inverse, cholesky(upper=True)). With J the
// reversal matrix, J H J = M Mᵀ (M lower), and U = J M^-1 J is upper with
// Uᵀ U = J M^-ᵀ M^-1 J = (J M Mᵀ J)^-1 = H^-1; the Cholesky factor being
// unique, this is the same U from one factorization and one triangular
// inverse (2/3 n³ flops instead of 5/3 n³, and one n x n buffer beside H).
#pragma once

#include <cstdint>

namespace qs {

// h: H [n, n] symmetric, replaced by U row-major. Returns false when H is not
// positive definite (h is then left in an unspecified state).
bool upperCholeskyOfInverse(double* h, int64_t n);

}  // namespace qs
