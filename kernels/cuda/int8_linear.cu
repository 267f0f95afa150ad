// The INT8 W8A8 product (cpu/int8_linear.h) on the GPU, equal to the CPU's to
// the bit: the int32 sums are exact on any path, and the epilogue rounds the
// same three times (__fmul_rn / __fadd_rn keep nvcc from fusing them).
// The sums run on the int8 tensor cores through cublasGemmEx (CUDA_R_8I in,
// CUBLAS_COMPUTE_32I), in linear.cu's layout: yᵀ [out, rows] = W · xᵀ, i.e.
// op(A) = T on the row-major W buffer, the "TN" form the int8 kernels want.
// cuBLAS's int8 GEMM asks for k and the leading dimensions to be multiples of
// 4; other shapes, and any shape cuBLAS answers NOT_SUPPORTED, take a plain
// kernel: one warp per output, lanes striding over k, a shuffle reduction.
// Row quantization: the device finds each row's finite absmax, the host fits
// the grids with cpu/int_grid.h (as fake_quant.cu does), the device rounds.
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/int8_linear.h"
#include "cpu/int_grid.h"
#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_context.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

// The 8-bit symmetric grid's zero point (int_grid.h: 2^(bits-1)).
constexpr double kInt8Zero = 128.0;

// Per row: the largest finite |x| and whether any value is NaN or ±Inf.
__global__ void rowAbsmaxKernel(const float* x, int64_t cols, float* absmax, int* nonFinite) {
    __shared__ float maxScratch[32];
    __shared__ int flagScratch[32];
    const float* row = x + int64_t(blockIdx.x) * cols;
    float m = 0.0f;
    int bad = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
        if (isfinite(row[c]))
            m = fmaxf(m, fabsf(row[c]));
        else
            bad = 1;
    }
    m = blockReduce(m, MaxOp{}, maxScratch);
    bad = blockReduce(bad, MaxOp{}, flagScratch);
    if (threadIdx.x == 0) {
        absmax[blockIdx.x] = m;
        nonFinite[blockIdx.x] = bad;
    }
}

// int_grid.h quantizeToCode on the 8-bit symmetric grid, shifted to signed; non-finite values give 0.
__global__ void quantizeRowsKernel(const float* x, int64_t rows, int64_t cols, const double* scales, int8_t* codes) {
    const int64_t n = rows * cols;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        if (!isfinite(x[i])) {
            codes[i] = 0;
            continue;
        }
        const double q = rint(double(x[i]) / scales[i / cols]) + kInt8Zero;
        codes[i] = int8_t(int(fmin(fmax(q, 0.0), 255.0)) - 128);
    }
}

// acc [rows, out] row-major (= column-major yᵀ): one warp per output.
__global__ void int8DotKernel(const int8_t* xq, const int8_t* wq, int64_t rows, int64_t in, int64_t out,
                              int32_t* acc) {
    const int64_t warpsTotal = int64_t(gridDim.x) * (blockDim.x / 32);
    const int lane = threadIdx.x & 31;
    for (int64_t t = blockIdx.x * int64_t(blockDim.x / 32) + threadIdx.x / 32; t < rows * out; t += warpsTotal) {
        const int8_t* xr = xq + (t / out) * in;
        const int8_t* wr = wq + (t % out) * in;
        int32_t s = 0;
        for (int64_t k = lane; k < in; k += 32) s += int32_t(xr[k]) * int32_t(wr[k]);
        for (int offset = 16; offset > 0; offset >>= 1) s += __shfl_xor_sync(0xffffffffu, s, offset);
        if (lane == 0) acc[t] = s;
    }
}

__global__ void int8EpilogueKernel(const int32_t* acc, const float* xScale, const float* wScale, int64_t rows,
                                   int64_t out, bool accumulate, float* y) {
    const int64_t n = rows * out;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        const float v = __fmul_rn(__fmul_rn(float(acc[i]), xScale[i / out]), wScale[i % out]);
        y[i] = accumulate ? __fadd_rn(y[i], v) : v;
    }
}

// The int32 sums on the tensor cores; false when cuBLAS has no int8 kernel for this shape.
bool cublasInt8Sums(const DeviceBuffer<int8_t>& x, const DeviceBuffer<int8_t>& w, int64_t rows, int64_t in,
                    int64_t out, DeviceBuffer<int32_t>& acc) {
    if (in % 4 != 0 || out % 4 != 0) return false;
    const int m = libraryDim(out, "linearForwardInt8", "out"), n = libraryDim(rows, "linearForwardInt8", "rows"),
              k = libraryDim(in, "linearForwardInt8", "in");
    const int32_t alpha = 1, beta = 0;
    const cublasStatus_t s =
        cublasGemmEx(cublasHandle(), CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, w.get(), CUDA_R_8I, k, x.get(),
                     CUDA_R_8I, k, &beta, acc.get(), CUDA_R_32I, m, CUBLAS_COMPUTE_32I, CUBLAS_GEMM_DEFAULT);
    if (s == CUBLAS_STATUS_NOT_SUPPORTED) return false;
    QS_CUDA_CHECK(s);
    return true;
}

}  // namespace

void quantizeRowsInt8(const float* x, int64_t rows, int64_t cols, int8_t* codes, float* scales) {
    if (rows <= 0) return;
    if (rows > INT_MAX) throw std::invalid_argument("quantizeRowsInt8 (CUDA): " + std::to_string(rows) + " rows");
    DeviceBuffer<float> dx(x, rows * cols), absmax(rows);
    DeviceBuffer<int> nonFinite(rows);
    rowAbsmaxKernel<<<unsigned(rows), kBlockThreads>>>(dx.get(), cols, absmax.get(), nonFinite.get());
    QS_CUDA_CHECK_LAUNCH();
    std::vector<float> hostAbsmax(static_cast<size_t>(rows));
    std::vector<int> hostNonFinite(static_cast<size_t>(rows));
    absmax.download(hostAbsmax.data());
    nonFinite.download(hostNonFinite.data());
    // fitIntGridToValues' grid: symmetric, so only the absmax of the finite values matters.
    std::vector<double> gridScales(static_cast<size_t>(rows));
    for (size_t r = 0; r < gridScales.size(); ++r) {
        gridScales[r] = fitIntGrid(0.0, double(hostAbsmax[r]), 8, true).scale;
        scales[r] = hostNonFinite[r] ? std::numeric_limits<float>::quiet_NaN() : float(gridScales[r]);
    }
    if (cols <= 0) return;
    DeviceBuffer<double> dScales(gridScales.data(), rows);
    DeviceBuffer<int8_t> dCodes(rows * cols);
    quantizeRowsKernel<<<blocksFor(rows * cols), kBlockThreads>>>(dx.get(), rows, cols, dScales.get(), dCodes.get());
    QS_CUDA_CHECK_LAUNCH();
    dCodes.download(codes);
}

void linearForwardInt8(const int8_t* xq, const float* xScale, int64_t rows, int64_t in, const int8_t* wq,
                       const float* wScale, int64_t out, float* y, bool accumulate) {
    checkInt8LinearDepth(in);
    if (rows <= 0 || out <= 0) return;
    DeviceBuffer<int8_t> dx(xq, rows * in), dw(wq, out * in);
    DeviceBuffer<float> dxs(xScale, rows), dws(wScale, out), dy(rows * out);
    DeviceBuffer<int32_t> acc(rows * out);
    if (in == 0) {
        acc.zero();
    } else if (!cublasInt8Sums(dx, dw, rows, in, out, acc)) {
        int8DotKernel<<<blocksFor(rows * out, kBlockThreads / 32), kBlockThreads>>>(dx.get(), dw.get(), rows, in, out,
                                                                                     acc.get());
        QS_CUDA_CHECK_LAUNCH();
    }
    if (accumulate) dy.upload(y);
    int8EpilogueKernel<<<blocksFor(rows * out), kBlockThreads>>>(acc.get(), dxs.get(), dws.get(), rows, out,
                                                                 accumulate, dy.get());
    QS_CUDA_CHECK_LAUNCH();
    dy.download(y);
}

}  // namespace qs::cuda
