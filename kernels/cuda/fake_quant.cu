// Fake quantization on the GPU with cpu/fake_quant.cpp's results bit for bit:
// the device finds each range's finite [min, max] (exact: min and max do not
// round), the host fits the grids with the very functions the CPU uses
// (cpu/int_grid.h fitIntGrid, absmax / 448 for FP8), and the device applies
// them with the same float64 operations (IEEE division, rint, no fused
// multiply-add: none of these expressions has one to fuse).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/fake_quant.h"
#include "cpu/fp8_e4m3.h"
#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_ops.h"
#include "cuda/fp8_e4m3.cuh"

namespace qs::cuda {

namespace {

// Elements per range when a whole tensor is reduced: one block each.
constexpr int64_t kTensorChunk = int64_t(1) << 16;

// Finite [lo, hi] of each range of `len` consecutive elements (the last may be
// shorter); a range with nothing finite gets lo = +inf > hi = -inf.
__global__ void finiteRangesKernel(const float* x, int64_t n, int64_t len, float* lo, float* hi) {
    __shared__ float scratch[32];
    const int64_t first = blockIdx.x * len, last = min(first + len, n);
    float l = INFINITY, h = -INFINITY;
    for (int64_t i = first + threadIdx.x; i < last; i += blockDim.x)
        if (isfinite(x[i])) {
            l = fminf(l, x[i]);
            h = fmaxf(h, x[i]);
        }
    l = blockReduce(l, MinOp{}, scratch);
    h = blockReduce(h, MaxOp{}, scratch);
    if (threadIdx.x == 0) {
        lo[blockIdx.x] = l;
        hi[blockIdx.x] = h;
    }
}

// int_grid.h quantizeToCode / dequantizeCode; element i uses grids[i / len].
__global__ void applyIntGridsKernel(float* x, int64_t n, int64_t len, const IntGrid* grids) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        if (!isfinite(x[i])) continue;
        const IntGrid g = grids[i / len];
        const double q = rint(double(x[i]) / g.scale) + g.zero;
        const double code = fmin(fmax(q, 0.0), double(g.maxq));
        x[i] = float(g.scale * (double(int(code)) - g.zero));
    }
}

// fake_quant.cpp applyF8Scale; element i uses scales[i / len].
__global__ void applyF8ScalesKernel(float* x, int64_t n, int64_t len, const double* scales) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        if (!isfinite(x[i])) continue;
        const double scale = scales[i / len];
        x[i] = float(double(decodeF8e4m3(encodeF8e4m3(double(x[i]) / scale))) * scale);
    }
}

struct Ranges {
    std::vector<float> lo, hi;
    bool empty(size_t k) const { return lo[k] > hi[k]; }
};

Ranges finiteRanges(const DeviceBuffer<float>& x, int64_t len) {
    const int64_t n = x.size(), count = (n + len - 1) / len;
    DeviceBuffer<float> lo(count), hi(count);
    finiteRangesKernel<<<unsigned(count), kBlockThreads>>>(x.get(), n, len, lo.get(), hi.get());
    QS_CUDA_CHECK_LAUNCH();
    Ranges r{std::vector<float>(size_t(count)), std::vector<float>(size_t(count))};
    lo.download(r.lo.data());
    hi.download(r.hi.data());
    return r;
}

// fake_quant.cpp fitIntGridToValues on a range found above.
IntGrid gridFor(const Ranges& r, size_t k, int bits, bool symmetric) {
    return r.empty(k) ? fitIntGrid(0.0, 0.0, bits, symmetric) : fitIntGrid(r.lo[k], r.hi[k], bits, symmetric);
}

// fake_quant.cpp f8ScaleFor: absmax / 448, 1 for a range of zeros or nothing finite.
double f8ScaleFor(float lo, float hi, bool empty) {
    const double absmax = empty ? 0.0 : std::max(std::fabs(double(lo)), std::fabs(double(hi)));
    return absmax > 0 ? absmax / kF8e4m3Max : 1.0;
}

void applyIntGrids(DeviceBuffer<float>& x, int64_t len, const std::vector<IntGrid>& grids) {
    DeviceBuffer<IntGrid> dg(grids.data(), int64_t(grids.size()));
    applyIntGridsKernel<<<blocksFor(x.size()), kBlockThreads>>>(x.get(), x.size(), len, dg.get());
    QS_CUDA_CHECK_LAUNCH();
}

void applyF8Scales(DeviceBuffer<float>& x, int64_t len, const std::vector<double>& scales) {
    DeviceBuffer<double> ds(scales.data(), int64_t(scales.size()));
    applyF8ScalesKernel<<<blocksFor(x.size()), kBlockThreads>>>(x.get(), x.size(), len, ds.get());
    QS_CUDA_CHECK_LAUNCH();
}

// One range over the whole tensor, from the per-chunk ranges.
Ranges wholeRange(const DeviceBuffer<float>& x) {
    const Ranges chunks = finiteRanges(x, kTensorChunk);
    Ranges r{{*std::min_element(chunks.lo.begin(), chunks.lo.end())},
             {*std::max_element(chunks.hi.begin(), chunks.hi.end())}};
    return r;
}

}  // namespace

void fakeQuantizeIntRows(float* x, int64_t rows, int64_t cols, int64_t groupSize, int bits, bool symmetric) {
    checkRowGroups(cols, groupSize);
    if (rows * cols <= 0) return;
    DeviceBuffer<float> dx(x, rows * cols);
    const Ranges r = finiteRanges(dx, groupSize);
    std::vector<IntGrid> grids(r.lo.size());
    for (size_t k = 0; k < grids.size(); ++k) grids[k] = gridFor(r, k, bits, symmetric);
    applyIntGrids(dx, groupSize, grids);
    dx.download(x);
}

void fakeQuantizeIntTensor(float* x, int64_t n, int bits, bool symmetric) {
    if (n <= 0) return;
    DeviceBuffer<float> dx(x, n);
    applyIntGrids(dx, n, {gridFor(wholeRange(dx), 0, bits, symmetric)});
    dx.download(x);
}

void fakeQuantizeIntWithGrid(float* x, int64_t n, const IntGrid& grid) {
    if (n <= 0) return;
    DeviceBuffer<float> dx(x, n);
    applyIntGrids(dx, n, {grid});
    dx.download(x);
}

void fakeQuantizeF8Rows(float* x, int64_t rows, int64_t cols) {
    if (rows * cols <= 0) return;
    DeviceBuffer<float> dx(x, rows * cols);
    const Ranges r = finiteRanges(dx, cols);
    std::vector<double> scales(r.lo.size());
    for (size_t k = 0; k < scales.size(); ++k) scales[k] = f8ScaleFor(r.lo[k], r.hi[k], r.empty(k));
    applyF8Scales(dx, cols, scales);
    dx.download(x);
}

void fakeQuantizeF8Tensor(float* x, int64_t n) {
    if (n <= 0) return;
    DeviceBuffer<float> dx(x, n);
    const Ranges r = wholeRange(dx);
    applyF8Scales(dx, n, {f8ScaleFor(r.lo[0], r.hi[0], r.empty(0))});
    dx.download(x);
}

void fakeQuantizeF8WithScale(float* x, int64_t n, double scale) {
    if (n <= 0) return;
    DeviceBuffer<float> dx(x, n);
    applyF8Scales(dx, n, {scale});
    dx.download(x);
}

}  // namespace qs::cuda
