#include "cuda/cuda_backend.h"

#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

class CudaBackend final : public KernelBackend {
public:
    Device device() const override { return Device::Cuda; }

    void decodeBf16(const uint16_t* codes, int64_t n, float* out) const override { cuda::decodeBf16(codes, n, out); }
    void decodeF16(const uint16_t* codes, int64_t n, float* out) const override { cuda::decodeF16(codes, n, out); }
    void encodeF8e4m3(const float* x, int64_t n, uint8_t* codes) const override { cuda::encodeF8e4m3(x, n, codes); }
    void decodeF8e4m3(const uint8_t* codes, int64_t n, float* out) const override {
        cuda::decodeF8e4m3(codes, n, out);
    }

    void fakeQuantizeIntRows(float* x, int64_t rows, int64_t cols, int64_t groupSize, int bits,
                             bool symmetric) const override {
        cuda::fakeQuantizeIntRows(x, rows, cols, groupSize, bits, symmetric);
    }
    void fakeQuantizeIntTensor(float* x, int64_t n, int bits, bool symmetric) const override {
        cuda::fakeQuantizeIntTensor(x, n, bits, symmetric);
    }
    void fakeQuantizeIntWithGrid(float* x, int64_t n, const IntGrid& grid) const override {
        cuda::fakeQuantizeIntWithGrid(x, n, grid);
    }
    void fakeQuantizeF8Rows(float* x, int64_t rows, int64_t cols) const override {
        cuda::fakeQuantizeF8Rows(x, rows, cols);
    }
    void fakeQuantizeF8Tensor(float* x, int64_t n) const override { cuda::fakeQuantizeF8Tensor(x, n); }
    void fakeQuantizeF8WithScale(float* x, int64_t n, double scale) const override {
        cuda::fakeQuantizeF8WithScale(x, n, scale);
    }

    void accumulateRange(RangeAccumulator& acc, const float* x, int64_t n) const override {
        cuda::accumulateRange(acc, x, n);
    }
    void accumulateCentralMoments(CentralMomentAccumulator& acc, const float* x, int64_t n) const override {
        cuda::accumulateCentralMoments(acc, x, n);
    }
    float absmaxWithColumns(const float* x, int64_t rows, int64_t cols, float* colAbsmax) const override {
        return cuda::absmaxWithColumns(x, rows, cols, colAbsmax);
    }
    void binLinear(const float* x, int64_t n, const LinearAxis& axis, uint64_t* counts) const override {
        cuda::binLinear(x, n, axis, counts);
    }
    void binSymlog(const float* x, int64_t n, double linthresh, const LinearAxis& axis,
                   uint64_t* counts) const override {
        cuda::binSymlog(x, n, linthresh, axis, counts);
    }

    void linearForward(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y,
                       bool accumulate) const override {
        cuda::linearForward(x, rows, in, w, out, y, accumulate);
    }
    void linearForwardBf16(const uint16_t* x, int64_t rows, int64_t in, const uint16_t* w, int64_t out, float* y,
                           bool accumulate) const override {
        cuda::linearForwardBf16(x, rows, in, w, out, y, accumulate);
    }
    void rmsNormRows(const float* x, const float* weight, float* y, int64_t rows, int64_t cols,
                     float eps) const override {
        cuda::rmsNormRows(x, weight, y, rows, cols, eps);
    }
    void applyRope(float* x, int64_t rows, int64_t rowStride, int64_t heads, int64_t headDim, const int32_t* positions,
                   const RopeTable& table, RopeLayout layout) const override {
        cuda::applyRope(x, rows, rowStride, heads, headDim, positions, table, layout);
    }
    void causalAttention(const float* q, const float* k, const float* v, float* out, const int64_t* seqStarts,
                         int64_t nseq, const AttentionShape& shape) const override {
        cuda::causalAttention(q, k, v, out, seqStarts, nseq, shape);
    }
    void swigluInPlace(float* gate, const float* up, int64_t n) const override { cuda::swigluInPlace(gate, up, n); }
    void logSumExpRows(const float* x, int64_t rows, int64_t cols, double* out) const override {
        cuda::logSumExpRows(x, rows, cols, out);
    }

    void quantizeRowsInt8(const float* x, int64_t rows, int64_t cols, int8_t* codes, float* scales) const override {
        cuda::quantizeRowsInt8(x, rows, cols, codes, scales);
    }
    void linearForwardInt8(const int8_t* xq, const float* xScale, int64_t rows, int64_t in, const int8_t* wq,
                           const float* wScale, int64_t out, float* y, bool accumulate) const override {
        cuda::linearForwardInt8(xq, xScale, rows, in, wq, wScale, out, y, accumulate);
    }

    std::unique_ptr<HessianBuilder> makeHessian(int64_t cols) const override { return makeHessianBuilder(cols); }
    bool upperCholeskyOfInverse(double* h, int64_t n) const override { return cuda::upperCholeskyOfInverse(h, n); }
    std::unique_ptr<GptqSweep> makeGptqSweep(double* w, int64_t rows, int64_t cols, const double* u) const override {
        return cuda::makeGptqSweep(w, rows, cols, u);
    }
    std::unique_ptr<BlockStager> makeBlockStager(size_t slotBytes) const override {
        return cuda::makeBlockStager(slotBytes);
    }
};

}  // namespace

std::unique_ptr<KernelBackend> makeCudaBackend() { return std::make_unique<CudaBackend>(); }

}  // namespace qs::cuda
