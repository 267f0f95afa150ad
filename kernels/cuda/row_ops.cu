// The row-wise ops of a decoder layer: RMSNorm (cpu/rmsnorm.h), the SwiGLU
// gate (cpu/swiglu.h) and log-sum-exp of logits rows (cpu/log_softmax.h).
// One block per row for the reductions; sums in float64 as on the CPU (for
// log-sum-exp the CPU sums in float32; float64 here is only more accurate).
#include <cmath>

#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

__global__ void rmsNormKernel(const float* x, const float* weight, float* y, int64_t cols, float eps) {
    __shared__ double scratch[32];
    const float* xr = x + blockIdx.x * cols;
    float* yr = y + blockIdx.x * cols;
    double ss = 0.0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) ss += double(xr[c]) * xr[c];
    ss = blockReduce(ss, SumOp{}, scratch);
    const float inv = float(1.0 / sqrt(ss / double(cols) + double(eps)));
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = xr[c] * inv * weight[c];
}

__global__ void swigluKernel(float* gate, const float* up, int64_t n) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

__global__ void logSumExpKernel(const float* x, int64_t cols, double* out) {
    __shared__ float maxScratch[32];
    __shared__ double sumScratch[32];
    const float* xr = x + blockIdx.x * cols;
    float m = -INFINITY;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, xr[c]);
    m = blockReduce(m, MaxOp{}, maxScratch);
    double sum = 0.0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) sum += double(expf(xr[c] - m));
    sum = blockReduce(sum, SumOp{}, sumScratch);
    if (threadIdx.x == 0) out[blockIdx.x] = double(m) + log(sum);
}

}  // namespace

void rmsNormRows(const float* x, const float* weight, float* y, int64_t rows, int64_t cols, float eps) {
    if (rows <= 0 || cols <= 0) return;
    DeviceBuffer<float> dx(x, rows * cols), dw(weight, cols), dy(rows * cols);
    rmsNormKernel<<<unsigned(rows), kBlockThreads>>>(dx.get(), dw.get(), dy.get(), cols, eps);
    QS_CUDA_CHECK_LAUNCH();
    dy.download(y);
}

void swigluInPlace(float* gate, const float* up, int64_t n) {
    if (n <= 0) return;
    DeviceBuffer<float> dg(gate, n), du(up, n);
    swigluKernel<<<blocksFor(n), kBlockThreads>>>(dg.get(), du.get(), n);
    QS_CUDA_CHECK_LAUNCH();
    dg.download(gate);
}

void logSumExpRows(const float* x, int64_t rows, int64_t cols, double* out) {
    if (rows <= 0) return;
    DeviceBuffer<float> dx(x, rows * cols);
    DeviceBuffer<double> dout(rows);
    logSumExpKernel<<<unsigned(rows), kBlockThreads>>>(dx.get(), cols, dout.get());
    QS_CUDA_CHECK_LAUNCH();
    dout.download(out);
}

}  // namespace qs::cuda
