// The CUDA implementations of the KernelBackend ops (backend.h), host
// pointers in and out, with the semantics of their kernels/cpu twins. Plain
// C++ (no CUDA types), so the backend class compiles with the host compiler.
// Every function throws std::runtime_error naming the failing CUDA call.
#pragma once

#include <cstdint>
#include <memory>

#include "backend.h"

namespace qs::cuda {

// convert.cu
void decodeBf16(const uint16_t* codes, int64_t n, float* out);
void decodeF16(const uint16_t* codes, int64_t n, float* out);
void encodeF8e4m3(const float* x, int64_t n, uint8_t* codes);
void decodeF8e4m3(const uint8_t* codes, int64_t n, float* out);

// fake_quant.cu
void fakeQuantizeIntRows(float* x, int64_t rows, int64_t cols, int64_t groupSize, int bits, bool symmetric);
void fakeQuantizeIntTensor(float* x, int64_t n, int bits, bool symmetric);
void fakeQuantizeIntWithGrid(float* x, int64_t n, const IntGrid& grid);
void fakeQuantizeF8Rows(float* x, int64_t rows, int64_t cols);
void fakeQuantizeF8Tensor(float* x, int64_t n);
void fakeQuantizeF8WithScale(float* x, int64_t n, double scale);

// statistics.cu
void accumulateRange(RangeAccumulator& acc, const float* x, int64_t n);
void accumulateCentralMoments(CentralMomentAccumulator& acc, const float* x, int64_t n);
float absmaxWithColumns(const float* x, int64_t rows, int64_t cols, float* colAbsmax);

// histogram.cu
void binLinear(const float* x, int64_t n, const LinearAxis& axis, uint64_t* counts);
void binSymlog(const float* x, int64_t n, double linthresh, const LinearAxis& axis, uint64_t* counts);

// linear.cu
void linearForward(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y, bool accumulate);
void linearForwardBf16(const uint16_t* x, int64_t rows, int64_t in, const uint16_t* w, int64_t out, float* y,
                       bool accumulate);

// row_ops.cu
void rmsNormRows(const float* x, const float* weight, float* y, int64_t rows, int64_t cols, float eps);
void swigluInPlace(float* gate, const float* up, int64_t n);
void logSumExpRows(const float* x, int64_t rows, int64_t cols, double* out);

// rope.cu
void applyRope(float* x, int64_t rows, int64_t rowStride, int64_t heads, int64_t headDim, const int32_t* positions,
               const RopeTable& table, RopeLayout layout);

// attention.cu
void causalAttention(const float* q, const float* k, const float* v, float* out, const int64_t* seqStarts, int64_t nseq,
                     const AttentionShape& shape);

// hessian.cu
std::unique_ptr<HessianBuilder> makeHessianBuilder(int64_t cols);

// cholesky.cu
bool upperCholeskyOfInverse(double* h, int64_t n);

// gptq_sweep.cu
std::unique_ptr<GptqSweep> makeGptqSweep(double* w, int64_t rows, int64_t cols, const double* u);

// block_stager.cu
std::unique_ptr<BlockStager> makeBlockStager(size_t slotBytes);

// int8_linear.cu
void quantizeRowsInt8(const float* x, int64_t rows, int64_t cols, int8_t* codes, float* scales);
void linearForwardInt8(const int8_t* xq, const float* xScale, int64_t rows, int64_t in, const int8_t* wq,
                       const float* wScale, int64_t out, float* y, bool accumulate);

}  // namespace qs::cuda
