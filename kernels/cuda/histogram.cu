// cpu/value_histogram.h binning on the GPU: the same float64 bin arithmetic,
// counted in a per-block shared-memory histogram (most values of a weight
// tensor fall in a few central bins; global atomics there would serialise)
// and added to the global counts once per block. Axes with more bins than
// fit in shared memory count straight into global memory.
#include <vector>

#include "cuda/cuda_check.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

// 32-bit shared counters: 12288 bins use the default 48 KiB of shared memory.
constexpr int kSharedBins = 12288;

// LinearAxis::bin, operation for operation.
__device__ int binOf(double x, double lo, double hi, int bins) {
    const double w = (hi - lo) / bins;
    const double i = floor((x - lo) / w);
    if (!(i > 0)) return 0;
    return i >= bins ? bins - 1 : int(i);
}

// symlog of value_histogram.h.
__device__ double symlogOf(double x, double linthresh) {
    const double t = log10(1.0 + fabs(x) / linthresh);
    return x < 0 ? -t : t;
}

template <bool Symlog, bool Shared>
__global__ void histogramKernel(const float* x, int64_t n, double lo, double hi, int bins, double linthresh,
                                unsigned long long* counts) {
    extern __shared__ unsigned int local[];
    if (Shared) {
        for (int b = threadIdx.x; b < bins; b += blockDim.x) local[b] = 0;
        __syncthreads();
    }
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        if (!isfinite(x[i])) continue;
        const double v = Symlog ? symlogOf(x[i], linthresh) : double(x[i]);
        const int b = binOf(v, lo, hi, bins);
        if (Shared)
            atomicAdd(local + b, 1u);
        else
            atomicAdd(counts + b, 1ull);
    }
    if (Shared) {
        __syncthreads();
        for (int b = threadIdx.x; b < bins; b += blockDim.x)
            if (local[b]) atomicAdd(counts + b, (unsigned long long)local[b]);
    }
}

template <bool Symlog>
void histogram(const float* x, int64_t n, double linthresh, const LinearAxis& axis, uint64_t* counts) {
    if (n <= 0 || axis.bins <= 0) return;
    DeviceBuffer<float> dx(x, n);
    DeviceBuffer<unsigned long long> dc(axis.bins);
    dc.zero();
    // At most 4096 blocks: a block's 32-bit shared counter could overflow only past 2^44 elements.
    const unsigned blocks = blocksFor(n, int64_t(kBlockThreads) * 64, 4096);
    if (axis.bins <= kSharedBins)
        histogramKernel<Symlog, true><<<blocks, kBlockThreads, size_t(axis.bins) * sizeof(unsigned)>>>(
            dx.get(), n, axis.lo, axis.hi, axis.bins, linthresh, dc.get());
    else
        histogramKernel<Symlog, false>
            <<<blocks, kBlockThreads>>>(dx.get(), n, axis.lo, axis.hi, axis.bins, linthresh, dc.get());
    QS_CUDA_CHECK_LAUNCH();
    std::vector<unsigned long long> add(size_t(axis.bins));
    dc.download(add.data());
    for (int b = 0; b < axis.bins; ++b) counts[b] += add[size_t(b)];
}

}  // namespace

void binLinear(const float* x, int64_t n, const LinearAxis& axis, uint64_t* counts) {
    histogram<false>(x, n, 1.0, axis, counts);
}

void binSymlog(const float* x, int64_t n, double linthresh, const LinearAxis& axis, uint64_t* counts) {
    histogram<true>(x, n, linthresh, axis, counts);
}

}  // namespace qs::cuda
