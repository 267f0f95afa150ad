// y = x · Wᵀ (cpu/matmul.h) through cuBLAS. Row-major x [rows, in] is
// column-major xᵀ, and row-major W [out, in] column-major Wᵀ, so the
// column-major product yᵀ [out, rows] = W · xᵀ is GEMM(op(A) = T on W, B = xᵀ),
// which leaves y row-major. Compute type float32 throughout: the F32 variant
// stays off TF32 (CUBLAS_COMPUTE_32F, not _FAST_TF32) so it matches the CPU
// to float32 rounding; the BF16 variant multiplies BF16 on the tensor cores
// and accumulates in float32.
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_context.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

template <typename T>
void gemm(const T* x, int64_t rows, int64_t in, const T* w, int64_t out, float* y, bool accumulate,
          cudaDataType_t inType) {
    const int m = libraryDim(out, "linearForward", "out"), n = libraryDim(rows, "linearForward", "rows"),
              k = libraryDim(in, "linearForward", "in");
    if (m == 0 || n == 0) return;
    const int ld = k > 0 ? k : 1;  // cuBLAS rejects a leading dimension of 0
    DeviceBuffer<T> dx(x, rows * in), dw(w, out * in);
    DeviceBuffer<float> dy(rows * out);
    if (accumulate) dy.upload(y);
    const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
    QS_CUDA_CHECK(cublasGemmEx(cublasHandle(), CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, dw.get(), inType, ld, dx.get(),
                               inType, ld, &beta, dy.get(), CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    dy.download(y);
}

}  // namespace

void linearForward(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y, bool accumulate) {
    gemm(x, rows, in, w, out, y, accumulate, CUDA_R_32F);
}

void linearForwardBf16(const uint16_t* x, int64_t rows, int64_t in, const uint16_t* w, int64_t out, float* y,
                       bool accumulate) {
    gemm(x, rows, in, w, out, y, accumulate, CUDA_R_16BF);
}

}  // namespace qs::cuda
