// Where the numeric kernels run. One table of ops (KernelBackend) with the
// signatures of kernels/cpu; the CPU backend forwards to kernels/cpu, the CUDA
// backend (kernels/cuda, only with QS_HAVE_CUDA) runs the same ops on the GPU.
// The CUDA backend is a separate module, libqs_cuda.so, loaded with dlopen on
// the first "cuda" or "auto" request, so that no program links the CUDA
// runtime: without it they start and run on the CPU.
// Pointers are host pointers in and out: the CUDA backend copies to the
// device, runs and copies back, so every op can be checked against the CPU
// reference one by one (tests/core/test_backend_parity.cpp). A device-resident
// API for the layer-major pipeline comes on top of the same kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/attention.h"
#include "cpu/gptq_sweep.h"
#include "cpu/int_grid.h"
#include "cpu/rope.h"
#include "cpu/tensor_moments.h"
#include "cpu/value_histogram.h"

namespace qs {

enum class Device { Cpu, Cuda };

std::string_view deviceName(Device d);  // "cpu", "cuda"

// The device a request resolves to, and one line for the log saying what was
// found: "CUDA: NVIDIA H100 80GB HBM3, 79.1 GiB", "CUDA: no device
// (cudaGetDeviceCount: ...), using the CPU", "CUDA: libqs_cuda.so not loadable
// (libcudart.so.13: cannot open shared object file: ...), using the CPU",
// "CUDA not built in, using the CPU".
struct DeviceChoice {
    Device device = Device::Cpu;
    std::string line;
};

// `requested` is "cpu", "cuda" or "auto" (anything else throws
// std::invalid_argument naming it). "cuda" and "auto" both fall back to the
// CPU when CUDA is not built in, the module or the CUDA runtime is missing, or
// no device is found; only "cpu" never loads the module. Without QS_HAVE_CUDA
// nothing here touches CUDA at all.
DeviceChoice resolveDevice(std::string_view requested);

// A GPTQ layer Hessian being accumulated (cpu/hessian.h's convention: the
// running average H = (2 / n) sum x^T x, float32 slabs folded into float64).
class HessianBuilder {
public:
    virtual ~HessianBuilder() = default;
    virtual void add(const float* x, int64_t rows) = 0;  // x [rows, cols] row-major
    virtual int64_t samples() const = 0;
    // H [cols, cols] row-major, both triangles filled; the builder is spent.
    virtual std::vector<double> takeMatrix() = 0;
};

// Brings a sequence of host blocks (decoder block i + 1's weights while block
// i computes: the layer-major pipeline's streaming) to where the backend
// computes, in two slots. The CUDA stager copies each block into a pinned
// buffer and from there to the device on its own stream, so the copy of the
// next block overlaps the work on the current one; the CPU stager copies
// nothing and hands back the host pointer. Use: stage(0); then per block i:
// p = acquire(); stage(i + 1); compute on p; release().
class BlockStager {
public:
    virtual ~BlockStager() = default;
    virtual size_t slotBytes() const = 0;
    // Starts bringing [src, src + bytes) over into the slot not in use and
    // returns (the CUDA copy is asynchronous; src may be reused on return).
    // std::invalid_argument when bytes > slotBytes(); std::logic_error when
    // both slots are taken (two blocks staged and the older not released).
    virtual void stage(const void* src, size_t bytes) = 0;
    // The oldest staged block, waiting until its copy is complete: a device
    // pointer on the GPU, src itself on the CPU (which must then stay valid
    // until release). std::logic_error when nothing is staged.
    virtual const void* acquire() = 0;
    // The work queued on the acquired block so far is all there will be:
    // its slot may be refilled once that work has run.
    virtual void release() = 0;
};

class KernelBackend {
public:
    virtual ~KernelBackend() = default;
    virtual Device device() const = 0;

    // --- conversions (core/tensor/dtype.h's scalar codecs, whole buffers)
    virtual void decodeBf16(const uint16_t* codes, int64_t n, float* out) const = 0;
    virtual void decodeF16(const uint16_t* codes, int64_t n, float* out) const = 0;
    virtual void encodeF8e4m3(const float* x, int64_t n, uint8_t* codes) const = 0;  // cpu/fp8_e4m3.h
    virtual void decodeF8e4m3(const uint8_t* codes, int64_t n, float* out) const = 0;

    // --- fake quantization (cpu/fake_quant.h)
    virtual void fakeQuantizeIntRows(float* x, int64_t rows, int64_t cols, int64_t groupSize, int bits,
                                     bool symmetric) const = 0;
    virtual void fakeQuantizeIntTensor(float* x, int64_t n, int bits, bool symmetric) const = 0;
    virtual void fakeQuantizeIntWithGrid(float* x, int64_t n, const IntGrid& grid) const = 0;
    virtual void fakeQuantizeF8Rows(float* x, int64_t rows, int64_t cols) const = 0;
    virtual void fakeQuantizeF8Tensor(float* x, int64_t n) const = 0;
    virtual void fakeQuantizeF8WithScale(float* x, int64_t n, double scale) const = 0;

    // --- statistics (cpu/tensor_moments.h, cpu/value_histogram.h)
    virtual void accumulateRange(RangeAccumulator& acc, const float* x, int64_t n) const = 0;
    virtual void accumulateCentralMoments(CentralMomentAccumulator& acc, const float* x, int64_t n) const = 0;
    // absmaxWithColumns over the `rows` rows of x [rows, cols] in turn: returns
    // the largest finite |x| and raises colAbsmax[c] to its column's.
    virtual float absmaxWithColumns(const float* x, int64_t rows, int64_t cols, float* colAbsmax) const = 0;
    virtual void binLinear(const float* x, int64_t n, const LinearAxis& axis, uint64_t* counts) const = 0;
    virtual void binSymlog(const float* x, int64_t n, double linthresh, const LinearAxis& axis,
                           uint64_t* counts) const = 0;

    // --- evaluation forward (cpu/matmul.h, rmsnorm.h, rope.h, attention.h, swiglu.h, log_softmax.h)
    virtual void linearForward(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y,
                               bool accumulate) const = 0;
    // The same product from BF16 x and W (float32 accumulation): checkpoints'
    // own precision, the tensor cores' fast path.
    virtual void linearForwardBf16(const uint16_t* x, int64_t rows, int64_t in, const uint16_t* w, int64_t out,
                                   float* y, bool accumulate) const = 0;
    virtual void rmsNormRows(const float* x, const float* weight, float* y, int64_t rows, int64_t cols,
                             float eps) const = 0;
    virtual void applyRope(float* x, int64_t rows, int64_t rowStride, int64_t heads, int64_t headDim,
                           const int32_t* positions, const RopeTable& table, RopeLayout layout) const = 0;
    virtual void causalAttention(const float* q, const float* k, const float* v, float* out, const int64_t* seqStarts,
                                 int64_t nseq, const AttentionShape& shape) const = 0;
    virtual void swigluInPlace(float* gate, const float* up, int64_t n) const = 0;
    virtual void logSumExpRows(const float* x, int64_t rows, int64_t cols, double* out) const = 0;

    // --- INT8 W8A8 (cpu/int8_linear.h): per-row int8 codes and scales on the
    // 8-bit symmetric fake-quant grid, and y = (xq · wqᵀ in int32) * xScale[r] * wScale[o].
    virtual void quantizeRowsInt8(const float* x, int64_t rows, int64_t cols, int8_t* codes, float* scales) const = 0;
    virtual void linearForwardInt8(const int8_t* xq, const float* xScale, int64_t rows, int64_t in, const int8_t* wq,
                                   const float* wScale, int64_t out, float* y, bool accumulate) const = 0;

    // --- GPTQ (core/quant/gptq.h)
    virtual std::unique_ptr<HessianBuilder> makeHessian(int64_t cols) const = 0;
    // h: H [n, n] symmetric positive definite, row-major. Replaced by the upper
    // triangular U with H^-1 = U^T U (zeros below the diagonal): the
    // reference's cholesky, cholesky_inverse, cholesky(upper=True). Returns
    // false, h undefined, when H is not positive definite.
    virtual bool upperCholeskyOfInverse(double* h, int64_t n) const = 0;
    // GPTQ's column sweep over one layer (cpu/gptq_sweep.h): w [rows, cols]
    // column-major is work space (overwritten) and u [cols, cols] the
    // column-major upper factor; both must outlive the sweep. The CUDA sweep
    // copies both to the device once and keeps W there between blocks.
    virtual std::unique_ptr<GptqSweep> makeGptqSweep(double* w, int64_t rows, int64_t cols, const double* u) const = 0;

    // --- streaming (BlockStager above): two slots of slotBytes each.
    virtual std::unique_ptr<BlockStager> makeBlockStager(size_t slotBytes) const = 0;
};

// The backend for a resolved device (Device::Cuda only when resolveDevice gave
// it; otherwise std::logic_error with resolveDevice's line).
std::unique_ptr<KernelBackend> makeKernelBackend(Device device);

}  // namespace qs
