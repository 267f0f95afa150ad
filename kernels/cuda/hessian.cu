// GPTQ's layer Hessian on the GPU, in cpu/hessian.h's convention: each slab
// of at most kHessianSlabRows rows gives a float32 XᵀX (cublasSsyrk, lower
// triangle), folded into the float64 running average H on the device, so only
// X travels per batch and H comes back once.
#include <algorithm>
#include <stdexcept>

#include "cpu/hessian.h"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_context.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

// H = keep * H + add * gram over the lower triangle (column-major, i >= j).
__global__ void foldGramKernel(double* h, const float* gram, int64_t cols, double keep, double add) {
    const int64_t total = cols * cols;
    for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x) {
        const int64_t i = t % cols, j = t / cols;
        if (i >= j) h[t] = keep * h[t] + add * double(gram[t]);
    }
}

class CudaHessianBuilder final : public HessianBuilder {
public:
    explicit CudaHessianBuilder(int64_t cols)
        : cols_(cols), h_(cols * cols), gram_(cols * cols), slab_(kHessianSlabRows * cols) {
        h_.zero();
    }

    void add(const float* x, int64_t rows) override {
        if (rows < 0) throw std::invalid_argument("HessianAccumulator::add: negative row count");
        for (int64_t first = 0; first < rows; first += kHessianSlabRows) {
            const int64_t n = std::min(kHessianSlabRows, rows - first);
            QS_CUDA_CHECK(cudaMemcpy(slab_.get(), x + first * cols_, size_t(n * cols_) * sizeof(float),
                                     cudaMemcpyHostToDevice));
            // Row-major slab [n, cols] is column-major slabᵀ [cols, n]: C = A Aᵀ with A = slabᵀ is XᵀX.
            const float one = 1.0f, zero = 0.0f;
            QS_CUDA_CHECK(cublasSsyrk(cublasHandle(), CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, int(cols_), int(n), &one,
                                      slab_.get(), int(cols_), &zero, gram_.get(), int(cols_)));
            const int64_t total = samples_ + n;
            const double keep = double(samples_) / double(total), addScale = 2.0 / double(total);
            foldGramKernel<<<blocksFor(cols_ * cols_), kBlockThreads>>>(h_.get(), gram_.get(), cols_, keep, addScale);
            QS_CUDA_CHECK_LAUNCH();
            samples_ = total;
        }
    }

    int64_t samples() const override { return samples_; }

    std::vector<double> takeMatrix() override {
        std::vector<double> h(size_t(cols_ * cols_));
        h_.download(h.data());
        // Column-major lower triangle -> both triangles (symmetric, so row-major too).
        for (int64_t j = 1; j < cols_; ++j)
            for (int64_t i = 0; i < j; ++i) h[size_t(j * cols_ + i)] = h[size_t(i * cols_ + j)];
        samples_ = 0;
        return h;
    }

private:
    int64_t cols_;
    int64_t samples_ = 0;
    DeviceBuffer<double> h_;
    DeviceBuffer<float> gram_, slab_;
};

}  // namespace

std::unique_ptr<HessianBuilder> makeHessianBuilder(int64_t cols) {
    if (cols < 1) throw std::invalid_argument("HessianAccumulator: cols must be positive");
    return std::make_unique<CudaHessianBuilder>(cols);
}

}  // namespace qs::cuda
