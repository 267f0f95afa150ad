// Error checks and a device buffer for the host-pointer CUDA ops: every CUDA,
// cuBLAS and cuSOLVER call is checked, and a failure throws
// std::runtime_error naming the call and where it was made (a GPU error must
// never pass silently as a wrong number).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace qs::cuda {

[[noreturn]] inline void throwCallFailed(const char* call, const char* file, int line, const std::string& why) {
    throw std::runtime_error(std::string("CUDA: ") + call + " failed at " + file + ":" + std::to_string(line) + ": " +
                             why);
}
inline void checkCall(cudaError_t e, const char* call, const char* file, int line) {
    if (e != cudaSuccess) throwCallFailed(call, file, line, cudaGetErrorString(e));
}
inline void checkCall(cublasStatus_t s, const char* call, const char* file, int line) {
    if (s != CUBLAS_STATUS_SUCCESS) throwCallFailed(call, file, line, cublasGetStatusString(s));
}
inline void checkCall(cusolverStatus_t s, const char* call, const char* file, int line) {
    if (s != CUSOLVER_STATUS_SUCCESS) throwCallFailed(call, file, line, "cusolver status " + std::to_string(int(s)));
}

}  // namespace qs::cuda

#define QS_CUDA_CHECK(call) ::qs::cuda::checkCall((call), #call, __FILE__, __LINE__)
// After a kernel launch: launch errors now, execution errors at the next synchronising copy.
#define QS_CUDA_CHECK_LAUNCH() ::qs::cuda::checkCall(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

namespace qs::cuda {

// n elements of T in device memory, freed on destruction; copies are synchronous.
template <typename T>
class DeviceBuffer {
public:
    explicit DeviceBuffer(int64_t n) : n_(n) {
        if (n_ > 0) QS_CUDA_CHECK(cudaMalloc(&p_, size_t(n_) * sizeof(T)));
    }
    DeviceBuffer(const T* host, int64_t n) : DeviceBuffer(n) { upload(host); }
    ~DeviceBuffer() {
        if (p_) cudaFree(p_);
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    T* get() const { return p_; }
    int64_t size() const { return n_; }
    void upload(const T* host) {
        if (n_ > 0) QS_CUDA_CHECK(cudaMemcpy(p_, host, size_t(n_) * sizeof(T), cudaMemcpyHostToDevice));
    }
    void download(T* host) const {
        if (n_ > 0) QS_CUDA_CHECK(cudaMemcpy(host, p_, size_t(n_) * sizeof(T), cudaMemcpyDeviceToHost));
    }
    void zero() {
        if (n_ > 0) QS_CUDA_CHECK(cudaMemset(p_, 0, size_t(n_) * sizeof(T)));
    }

private:
    T* p_ = nullptr;
    int64_t n_ = 0;
};

// Threads per block of the elementwise and row kernels (a multiple of the warp).
inline constexpr int kBlockThreads = 256;

// A size or leading dimension handed to cuBLAS or cuSOLVER, which take int:
// std::invalid_argument naming the op and the size when it does not fit.
inline int libraryDim(int64_t v, const char* op, const char* name) {
    if (v < 0 || v > INT_MAX)
        throw std::invalid_argument(std::string(op) + " (CUDA): " + name + " = " + std::to_string(v) +
                                    " is outside cuBLAS's int range");
    return int(v);
}

inline unsigned blocksFor(int64_t n, int64_t perBlock = kBlockThreads, int64_t cap = 65535) {
    const int64_t b = (n + perBlock - 1) / perBlock;
    return unsigned(b < 1 ? 1 : (b > cap ? cap : b));
}

}  // namespace qs::cuda
