// Tensor statistics on the GPU: cpu/tensor_moments.h's range and central
// moment accumulators, and per-column absmax. Each block reduces its share to
// one partial; the host merges the partials in block order with the CPU's own
// merge, so the result does not depend on thread timing.
#include <algorithm>
#include <cfloat>
#include <vector>

#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

// Elements per thread before a block gives up its partial: few partials, full grid.
constexpr int64_t kPerThread = 16;

struct RangePartial {
    unsigned long long finite, zeros, nans, infs;
    double min, max, sum;
};

struct MomentPartial {
    double m2, m4;
};

__global__ void rangeKernel(const float* x, int64_t n, RangePartial* partials) {
    __shared__ unsigned long long countScratch[32];
    __shared__ double valueScratch[32];
    unsigned long long finite = 0, zeros = 0, nans = 0, infs = 0;
    double lo = INFINITY, hi = -INFINITY, sum = 0.0;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        const float v = x[i];
        if (isnan(v)) {
            ++nans;
        } else if (isinf(v)) {
            ++infs;
        } else {
            ++finite;
            zeros += v == 0.0f;
            lo = fmin(lo, double(v));
            hi = fmax(hi, double(v));
            sum += v;
        }
    }
    RangePartial p;
    p.finite = blockReduce(finite, SumOp{}, countScratch);
    p.zeros = blockReduce(zeros, SumOp{}, countScratch);
    p.nans = blockReduce(nans, SumOp{}, countScratch);
    p.infs = blockReduce(infs, SumOp{}, countScratch);
    p.min = blockReduce(lo, MinOp{}, valueScratch);
    p.max = blockReduce(hi, MaxOp{}, valueScratch);
    p.sum = blockReduce(sum, SumOp{}, valueScratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = p;
}

__global__ void momentKernel(const float* x, int64_t n, double mean, MomentPartial* partials) {
    __shared__ double scratch[32];
    double m2 = 0.0, m4 = 0.0;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        if (!isfinite(x[i])) continue;
        const double d = double(x[i]) - mean, d2 = d * d;
        m2 += d2;
        m4 += d2 * d2;
    }
    m2 = blockReduce(m2, SumOp{}, scratch);
    m4 = blockReduce(m4, SumOp{}, scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = {m2, m4};
}

// Column maxima of |x| (Inf and NaN count as 0, as the CPU's) over one band of
// rows per blockIdx.y; non-negative floats order as their bit patterns, so an
// integer atomicMax merges the bands.
__global__ void columnAbsmaxKernel(const float* x, int64_t rows, int64_t cols, int64_t bandRows, float* colMax) {
    const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
    if (c >= cols) return;
    const int64_t r0 = blockIdx.y * bandRows, r1 = min(r0 + bandRows, rows);
    float m = 0.0f;
    for (int64_t r = r0; r < r1; ++r) {
        const float a = fabsf(x[r * cols + c]);
        m = fmaxf(m, a <= FLT_MAX ? a : 0.0f);
    }
    atomicMax(reinterpret_cast<int*>(colMax + c), __float_as_int(m));
}

template <typename Partial, typename Launch>
std::vector<Partial> partials(const float* x, int64_t n, Launch launch) {
    const unsigned blocks = blocksFor(n, kBlockThreads * kPerThread, 1024);
    DeviceBuffer<float> dx(x, n);
    DeviceBuffer<Partial> dp(blocks);
    launch(blocks, dx.get(), dp.get());
    QS_CUDA_CHECK_LAUNCH();
    std::vector<Partial> out(blocks);
    dp.download(out.data());
    return out;
}

}  // namespace

void accumulateRange(RangeAccumulator& acc, const float* x, int64_t n) {
    if (n <= 0) return;
    const auto parts = partials<RangePartial>(x, n, [n](unsigned blocks, const float* dx, RangePartial* dp) {
        rangeKernel<<<blocks, kBlockThreads>>>(dx, n, dp);
    });
    for (const RangePartial& p : parts) {
        RangeAccumulator r;
        r.finite = int64_t(p.finite);
        r.zeros = int64_t(p.zeros);
        r.nans = int64_t(p.nans);
        r.infs = int64_t(p.infs);
        r.min = p.min;
        r.max = p.max;
        r.sum = p.sum;
        acc.merge(r);
    }
}

void accumulateCentralMoments(CentralMomentAccumulator& acc, const float* x, int64_t n) {
    if (n <= 0) return;
    const double mean = acc.mean;
    const auto parts = partials<MomentPartial>(x, n, [n, mean](unsigned blocks, const float* dx, MomentPartial* dp) {
        momentKernel<<<blocks, kBlockThreads>>>(dx, n, mean, dp);
    });
    for (const MomentPartial& p : parts) {
        CentralMomentAccumulator m;
        m.mean = mean;
        m.m2 = p.m2;
        m.m4 = p.m4;
        acc.merge(m);
    }
}

float absmaxWithColumns(const float* x, int64_t rows, int64_t cols, float* colAbsmax) {
    if (rows <= 0 || cols <= 0) return 0.0f;
    // Enough bands of rows to fill the GPU when the matrix is tall and narrow.
    const int64_t bands = std::clamp<int64_t>(rows / 64, 1, 1024), bandRows = (rows + bands - 1) / bands;
    DeviceBuffer<float> dx(x, rows * cols), dmax(cols);
    dmax.zero();
    const dim3 grid(blocksFor(cols, kBlockThreads, INT32_MAX), unsigned((rows + bandRows - 1) / bandRows));
    columnAbsmaxKernel<<<grid, kBlockThreads>>>(dx.get(), rows, cols, bandRows, dmax.get());
    QS_CUDA_CHECK_LAUNCH();
    std::vector<float> colMax(static_cast<size_t>(cols));
    dmax.download(colMax.data());
    float m = 0.0f;
    for (int64_t c = 0; c < cols; ++c) {
        m = std::max(m, colMax[size_t(c)]);
        colAbsmax[c] = std::max(colAbsmax[c], colMax[size_t(c)]);
    }
    return m;
}

}  // namespace qs::cuda
