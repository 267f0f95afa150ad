// GPTQ's column sweep (cpu/gptq_sweep.h) on the GPU. W and U are copied to
// the device once and W stays there between blocks; per block only its grid
// sets go up and its codes and dequantized values come down.
// The in-block loop is a kernel over rows: each row's quantize / error /
// update chain along the block's columns is independent of every other row,
// so one thread runs one row through the block (threads of a warp touch
// consecutive rows of a column: coalesced). Its arithmetic is the CPU's
// operation for operation in float64 (IEEE division, rint, __dmul_rn /
// __dsub_rn so nvcc does not fuse the update into an FMA), so a block that
// starts from the CPU's W ends with the CPU's W, codes and values exactly.
// The lazy update of the columns right of the block is one cuBLAS DGEMM,
// whose summation order differs from Eigen's: across blocks W drifts from the
// CPU's by float64 rounding, which moves a code only at a rounding boundary.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/gptq_sweep.h"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_context.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

// Columns [i1, i1 + count) of w (column-major, `rows` per column) for every
// row; sets are the block's grid sets rebased to setOfColumn's first used one.
__global__ void sweepBlockKernel(double* w, const double* u, int64_t rows, int64_t cols, int64_t i1, int64_t count,
                                 const IntGrid* sets, const int32_t* setOfColumn, double* err, uint8_t* codes,
                                 float* dequantized) {
    for (int64_t r = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; r < rows; r += int64_t(gridDim.x) * blockDim.x) {
        for (int64_t i = 0; i < count; ++i) {
            const int64_t col = i1 + i;
            const IntGrid g = sets[int64_t(setOfColumn[i]) * rows + r];
            const double x = w[col * rows + r];
            // int_grid.h quantizeToCode, then the value the code stands for.
            const int code = int(fmin(fmax(rint(x / g.scale) + g.zero, 0.0), double(g.maxq)));
            const double q = g.scale * (double(code) - g.zero);
            const double e = (x - q) / u[col * cols + col];
            err[i * rows + r] = e;
            codes[i * rows + r] = uint8_t(code);
            dequantized[i * rows + r] = float(q);
            // Alg. 1: spread this column's error over the block's later columns (U[col, j] at u[j * cols + col]).
            for (int64_t j = col + 1; j < i1 + count; ++j)
                w[j * rows + r] = __dsub_rn(w[j * rows + r], __dmul_rn(e, u[j * cols + col]));
        }
    }
}

class CudaGptqSweep final : public GptqSweep {
public:
    CudaGptqSweep(const double* w, int64_t rows, int64_t cols, const double* u)
        : rows_(rows), cols_(cols), w_(w, rows * cols), u_(u, cols * cols) {
        libraryDim(rows, "GPTQ sweep", "rows");
        libraryDim(cols, "GPTQ sweep", "cols");
    }

    void readColumns(int64_t first, int64_t count, double* out) const override {
        checkGptqColumns(first, count, cols_);
        if (count == 0) return;
        QS_CUDA_CHECK(cudaMemcpy(out, w_.get() + first * rows_, size_t(count * rows_) * sizeof(double),
                                 cudaMemcpyDeviceToHost));
    }

    void quantizeBlock(int64_t i1, int64_t i2, const IntGrid* gridSets, int64_t setCount, const int32_t* setOfColumn,
                       uint8_t* codes, float* dequantized) override {
        checkGptqBlock(next_, i1, i2, cols_, setCount, setOfColumn);
        next_ = i2;
        const int64_t count = i2 - i1;
        // Only the sets this block uses travel (per channel and dynamic groups: one).
        const auto [lo, hi] = std::minmax_element(setOfColumn, setOfColumn + count);
        std::vector<int32_t> rebased(setOfColumn, setOfColumn + count);
        for (int32_t& s : rebased) s -= *lo;
        DeviceBuffer<IntGrid> sets(gridSets + int64_t(*lo) * rows_, (int64_t(*hi) - *lo + 1) * rows_);
        DeviceBuffer<int32_t> setOf(rebased.data(), count);
        if (!err_ || err_->size() < rows_ * count) {  // the first block is the widest: allocated once
            err_ = std::make_unique<DeviceBuffer<double>>(rows_ * count);
            codes_ = std::make_unique<DeviceBuffer<uint8_t>>(rows_ * count);
            values_ = std::make_unique<DeviceBuffer<float>>(rows_ * count);
        }

        sweepBlockKernel<<<blocksFor(rows_), kBlockThreads>>>(w_.get(), u_.get(), rows_, cols_, i1, count, sets.get(),
                                                             setOf.get(), err_->get(), codes_->get(), values_->get());
        QS_CUDA_CHECK_LAUNCH();
        // The lazy batch update: W[:, i2:] -= Err · U[i1:i2, i2:] (column-major, U's block at row i1, column i2).
        if (i2 < cols_) {
            const double minusOne = -1.0, one = 1.0;
            const int m = int(rows_), n = int(cols_ - i2), k = int(count), ldw = int(rows_), ldu = int(cols_);
            QS_CUDA_CHECK(cublasDgemm(cublasHandle(), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &minusOne, err_->get(), ldw,
                                      u_.get() + i2 * cols_ + i1, ldu, &one, w_.get() + i2 * rows_, ldw));
        }
        QS_CUDA_CHECK(cudaMemcpy(codes, codes_->get(), size_t(rows_ * count), cudaMemcpyDeviceToHost));
        QS_CUDA_CHECK(cudaMemcpy(dequantized, values_->get(), size_t(rows_ * count) * sizeof(float),
                                 cudaMemcpyDeviceToHost));
    }

private:
    int64_t rows_, cols_;
    DeviceBuffer<double> w_, u_;
    // A block's scaled errors [rows, count] and its outputs, kept across blocks.
    std::unique_ptr<DeviceBuffer<double>> err_;
    std::unique_ptr<DeviceBuffer<uint8_t>> codes_;
    std::unique_ptr<DeviceBuffer<float>> values_;
    int64_t next_ = 0;
};

}  // namespace

std::unique_ptr<GptqSweep> makeGptqSweep(double* w, int64_t rows, int64_t cols, const double* u) {
    if (rows < 1 || cols < 1)
        throw std::invalid_argument("GPTQ sweep: a layer of " + std::to_string(rows) + " x " + std::to_string(cols));
    return std::make_unique<CudaGptqSweep>(w, rows, cols, u);
}

}  // namespace qs::cuda
