// Process-wide cuBLAS and cuSOLVER handles, created on first use (creating
// one costs milliseconds and allocates device memory, so not once per call).
#pragma once

#include <cublas_v2.h>
#include <cusolverDn.h>

namespace qs::cuda {

cublasHandle_t cublasHandle();
cusolverDnHandle_t cusolverHandle();

}  // namespace qs::cuda
