// Rotary position embedding (cpu/rope.h) on the GPU, one thread per rotated
// pair, with the CPU's cos/sin table (formed in double on the host).
#include "cpu/rope.h"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

__global__ void ropeKernel(float* x, int64_t rows, int64_t rowStride, int64_t heads, int64_t headDim,
                           const int32_t* positions, const float* cosTable, const float* sinTable, int64_t firstStep,
                           int64_t secondOffset) {
    const int64_t half = headDim / 2, total = rows * heads * half;
    for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x) {
        const int64_t i = t % half, h = (t / half) % heads, r = t / (half * heads);
        const float c = cosTable[positions[r] * half + i], s = sinTable[positions[r] * half + i];
        float* v = x + r * rowStride + h * headDim;
        float& a = v[i * firstStep];
        float& b = v[i * firstStep + secondOffset];
        const float a0 = a, b0 = b;
        a = a0 * c - b0 * s;
        b = b0 * c + a0 * s;
    }
}

}  // namespace

void applyRope(float* x, int64_t rows, int64_t rowStride, int64_t heads, int64_t headDim, const int32_t* positions,
               const RopeTable& table, RopeLayout layout) {
    // The CPU's checks, before any device access could go out of bounds.
    checkRopeArguments(rows, headDim, positions, table);
    const int64_t half = headDim / 2;
    if (rows <= 0 || heads <= 0 || half <= 0) return;
    const int64_t span = (rows - 1) * rowStride + heads * headDim;  // x as far as the rows reach
    DeviceBuffer<float> dx(x, span), dcos(table.cos.data(), int64_t(table.cos.size())),
        dsin(table.sin.data(), int64_t(table.sin.size()));
    DeviceBuffer<int32_t> dpos(positions, rows);
    const int64_t firstStep = layout == RopeLayout::SplitHalves ? 1 : 2;
    const int64_t secondOffset = layout == RopeLayout::SplitHalves ? half : 1;
    ropeKernel<<<blocksFor(rows * heads * half), kBlockThreads>>>(dx.get(), rows, rowStride, heads, headDim, dpos.get(),
                                                                 dcos.get(), dsin.get(), firstStep, secondOffset);
    QS_CUDA_CHECK_LAUNCH();
    dx.download(x);
}

}  // namespace qs::cuda
