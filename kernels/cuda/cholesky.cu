// The factor GPTQ sweeps with (backend.h upperCholeskyOfInverse), by the
// reference's three steps on cuSOLVER: potrf (H = L Lᵀ), potri (H^-1 from L),
// potrf again (H^-1 = L' L'ᵀ). U = L'ᵀ, and the column-major buffer of the
// lower L' read row-major is exactly U, so only the other triangle (the
// untouched rest of H) has to be cleared.
#include <climits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda/cuda_check.cuh"
#include "cuda/cuda_context.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

// One cuSOLVER step on the lower triangle; false when the matrix is not positive definite.
template <typename BufferSize, typename Step>
bool lowerStep(double* a, int n, BufferSize bufferSize, Step step) {
    int lwork = 0;
    QS_CUDA_CHECK(bufferSize(cusolverHandle(), CUBLAS_FILL_MODE_LOWER, n, a, n, &lwork));
    DeviceBuffer<double> work(lwork > 0 ? lwork : 1);
    DeviceBuffer<int> info(1);
    QS_CUDA_CHECK(step(cusolverHandle(), CUBLAS_FILL_MODE_LOWER, n, a, n, work.get(), lwork, info.get()));
    int status = 0;
    info.download(&status);
    if (status < 0) throw std::logic_error("cuSOLVER: parameter " + std::to_string(-status) + " is wrong");
    return status == 0;
}

bool potrf(double* a, int n) { return lowerStep(a, n, cusolverDnDpotrf_bufferSize, cusolverDnDpotrf); }
bool potri(double* a, int n) { return lowerStep(a, n, cusolverDnDpotri_bufferSize, cusolverDnDpotri); }

}  // namespace

bool upperCholeskyOfInverse(double* h, int64_t n) {
    if (n < 1 || n > INT_MAX) throw std::invalid_argument("upperCholeskyOfInverse (CUDA): size " + std::to_string(n));
    DeviceBuffer<double> a(h, n * n);
    const int m = int(n);
    if (!potrf(a.get(), m) || !potri(a.get(), m) || !potrf(a.get(), m)) return false;
    a.download(h);
    for (int64_t i = 1; i < n; ++i)
        for (int64_t j = 0; j < i; ++j) h[i * n + j] = 0.0;
    return true;
}

}  // namespace qs::cuda
