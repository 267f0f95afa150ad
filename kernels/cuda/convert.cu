// Element conversions: BF16 / F16 -> F32 (exact) and F32 <-> FP8 E4M3.
#include <cuda_fp16.h>

#include "cuda/cuda_check.cuh"
#include "cuda/cuda_ops.h"
#include "cuda/fp8_e4m3.cuh"

namespace qs::cuda {

namespace {

__global__ void decodeBf16Kernel(const uint16_t* codes, int64_t n, float* out) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
        out[i] = __uint_as_float(uint32_t(codes[i]) << 16);
}

__global__ void decodeF16Kernel(const uint16_t* codes, int64_t n, float* out) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
        out[i] = __half2float(__ushort_as_half(codes[i]));
}

__global__ void encodeF8Kernel(const float* x, int64_t n, uint8_t* codes) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
        codes[i] = encodeF8e4m3(double(x[i]));
}

__global__ void decodeF8Kernel(const uint8_t* codes, int64_t n, float* out) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
        out[i] = decodeF8e4m3(codes[i]);
}

// Upload `in`, run `kernel` over n elements, download into `out`.
template <typename In, typename Out, typename Kernel>
void mapElements(Kernel kernel, const In* in, int64_t n, Out* out) {
    if (n <= 0) return;
    DeviceBuffer<In> din(in, n);
    DeviceBuffer<Out> dout(n);
    kernel<<<blocksFor(n), kBlockThreads>>>(din.get(), n, dout.get());
    QS_CUDA_CHECK_LAUNCH();
    dout.download(out);
}

}  // namespace

void decodeBf16(const uint16_t* codes, int64_t n, float* out) { mapElements(decodeBf16Kernel, codes, n, out); }
void decodeF16(const uint16_t* codes, int64_t n, float* out) { mapElements(decodeF16Kernel, codes, n, out); }
void encodeF8e4m3(const float* x, int64_t n, uint8_t* codes) { mapElements(encodeF8Kernel, x, n, codes); }
void decodeF8e4m3(const uint8_t* codes, int64_t n, float* out) { mapElements(decodeF8Kernel, codes, n, out); }

}  // namespace qs::cuda
