#include <cstdio>
#include <string>

#include "cuda/cuda_backend.h"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_context.cuh"

namespace qs::cuda {

DeviceProbe probeDevice() {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();  // clear it, so later CUDA calls do not report it again
        return {false, std::string("CUDA: no device (cudaGetDeviceCount: ") + cudaGetErrorString(e) + "), using the CPU"};
    }
    if (count == 0) return {false, "CUDA: no device (cudaGetDeviceCount: 0 devices), using the CPU"};
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, 0) != cudaSuccess)
        return {false, "CUDA: device 0 unreadable (cudaGetDeviceProperties), using the CPU"};
    char gib[32];
    std::snprintf(gib, sizeof gib, "%.1f", double(p.totalGlobalMem) / double(1ull << 30));
    return {true, std::string("CUDA: ") + p.name + ", " + gib + " GiB"};
}

// Deliberately never destroyed: the CUDA runtime may already be torn down
// when static destructors run at exit.
cublasHandle_t cublasHandle() {
    static const cublasHandle_t handle = [] {
        cublasHandle_t h = nullptr;
        QS_CUDA_CHECK(cublasCreate(&h));
        return h;
    }();
    return handle;
}

cusolverDnHandle_t cusolverHandle() {
    static const cusolverDnHandle_t handle = [] {
        cusolverDnHandle_t h = nullptr;
        QS_CUDA_CHECK(cusolverDnCreate(&h));
        return h;
    }();
    return handle;
}

}  // namespace qs::cuda
