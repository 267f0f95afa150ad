#include "backend.h"

#include <algorithm>
#include <stdexcept>
#ifdef QS_HAVE_CUDA
#include <dlfcn.h>

#include <filesystem>
#include <system_error>
#endif

#include "cpu/cholesky_inverse.h"
#include "cpu/fake_quant.h"
#include "cpu/fp8_e4m3.h"
#include "cpu/half_float.h"
#include "cpu/hessian.h"
#include "cpu/int8_linear.h"
#include "cpu/log_softmax.h"
#include "cpu/matmul.h"
#include "cpu/rmsnorm.h"
#include "cpu/stager_slots.h"
#include "cpu/swiglu.h"
#ifdef QS_HAVE_CUDA
#include "cuda/cuda_module.h"
#endif

namespace qs {

namespace {

class CpuHessianBuilder final : public HessianBuilder {
public:
    explicit CpuHessianBuilder(int64_t cols) : acc_(cols) {}
    void add(const float* x, int64_t rows) override { acc_.add(x, rows); }
    int64_t samples() const override { return acc_.samples(); }
    std::vector<double> takeMatrix() override { return acc_.takeMatrix(); }

private:
    HessianAccumulator acc_;
};

// Nothing to copy on the CPU: the block is computed on where it lies.
class CpuBlockStager final : public BlockStager {
public:
    explicit CpuBlockStager(size_t slotBytes) : slotBytes_(slotBytes) {}
    size_t slotBytes() const override { return slotBytes_; }
    void stage(const void* src, size_t bytes) override {
        if (bytes > slotBytes_)
            throw std::invalid_argument("BlockStager: a block of " + std::to_string(bytes) + " bytes exceeds the slot's " +
                                        std::to_string(slotBytes_));
        blocks_[slots_.claimForStage()] = src;
    }
    const void* acquire() override { return blocks_[slots_.claimForAcquire()]; }
    void release() override { slots_.releaseAcquired(); }

private:
    size_t slotBytes_;
    StagerSlots slots_;
    const void* blocks_[2] = {nullptr, nullptr};
};

class CpuBackend final : public KernelBackend {
public:
    Device device() const override { return Device::Cpu; }

    void decodeBf16(const uint16_t* codes, int64_t n, float* out) const override {
        std::transform(codes, codes + n, out, bf16ToFloat);
    }
    void decodeF16(const uint16_t* codes, int64_t n, float* out) const override {
        std::transform(codes, codes + n, out, f16ToFloat);
    }
    void encodeF8e4m3(const float* x, int64_t n, uint8_t* codes) const override {
        std::transform(x, x + n, codes, [](float v) { return qs::encodeF8e4m3(double(v)); });
    }
    void decodeF8e4m3(const uint8_t* codes, int64_t n, float* out) const override {
        std::transform(codes, codes + n, out, qs::decodeF8e4m3);
    }

    void fakeQuantizeIntRows(float* x, int64_t rows, int64_t cols, int64_t groupSize, int bits,
                             bool symmetric) const override {
        qs::fakeQuantizeIntRows(x, rows, cols, groupSize, bits, symmetric);
    }
    void fakeQuantizeIntTensor(float* x, int64_t n, int bits, bool symmetric) const override {
        qs::fakeQuantizeIntTensor(x, n, bits, symmetric);
    }
    void fakeQuantizeIntWithGrid(float* x, int64_t n, const IntGrid& grid) const override {
        qs::fakeQuantizeIntWithGrid(x, n, grid);
    }
    void fakeQuantizeF8Rows(float* x, int64_t rows, int64_t cols) const override { qs::fakeQuantizeF8Rows(x, rows, cols); }
    void fakeQuantizeF8Tensor(float* x, int64_t n) const override { qs::fakeQuantizeF8Tensor(x, n); }
    void fakeQuantizeF8WithScale(float* x, int64_t n, double scale) const override {
        qs::fakeQuantizeF8WithScale(x, n, scale);
    }

    void accumulateRange(RangeAccumulator& acc, const float* x, int64_t n) const override { acc.add(x, n); }
    void accumulateCentralMoments(CentralMomentAccumulator& acc, const float* x, int64_t n) const override {
        acc.add(x, n);
    }
    float absmaxWithColumns(const float* x, int64_t rows, int64_t cols, float* colAbsmax) const override {
        float m = 0.0f;
        for (int64_t r = 0; r < rows; ++r) m = std::max(m, qs::absmaxWithColumns(x + r * cols, cols, colAbsmax));
        return m;
    }
    void binLinear(const float* x, int64_t n, const LinearAxis& axis, uint64_t* counts) const override {
        qs::binLinear(x, n, axis, counts);
    }
    void binSymlog(const float* x, int64_t n, double linthresh, const LinearAxis& axis,
                   uint64_t* counts) const override {
        qs::binSymlog(x, n, linthresh, axis, counts);
    }

    void linearForward(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y,
                       bool accumulate) const override {
        qs::linearForward(x, rows, in, w, out, y, accumulate);
    }
    void linearForwardBf16(const uint16_t* x, int64_t rows, int64_t in, const uint16_t* w, int64_t out, float* y,
                           bool accumulate) const override {
        std::vector<float> xf(size_t(rows * in)), wf(size_t(out * in));
        decodeBf16(x, rows * in, xf.data());
        decodeBf16(w, out * in, wf.data());
        qs::linearForward(xf.data(), rows, in, wf.data(), out, y, accumulate);
    }
    void rmsNormRows(const float* x, const float* weight, float* y, int64_t rows, int64_t cols,
                     float eps) const override {
        qs::rmsNormRows(x, weight, y, rows, cols, eps);
    }
    void applyRope(float* x, int64_t rows, int64_t rowStride, int64_t heads, int64_t headDim, const int32_t* positions,
                   const RopeTable& table, RopeLayout layout) const override {
        qs::applyRope(x, rows, rowStride, heads, headDim, positions, table, layout);
    }
    void causalAttention(const float* q, const float* k, const float* v, float* out, const int64_t* seqStarts,
                         int64_t nseq, const AttentionShape& shape) const override {
        qs::causalAttention(q, k, v, out, seqStarts, nseq, shape);
    }
    void swigluInPlace(float* gate, const float* up, int64_t n) const override { qs::swigluInPlace(gate, up, n); }
    void logSumExpRows(const float* x, int64_t rows, int64_t cols, double* out) const override {
        qs::logSumExpRows(x, rows, cols, out);
    }

    void quantizeRowsInt8(const float* x, int64_t rows, int64_t cols, int8_t* codes, float* scales) const override {
        qs::quantizeRowsInt8(x, rows, cols, codes, scales);
    }
    void linearForwardInt8(const int8_t* xq, const float* xScale, int64_t rows, int64_t in, const int8_t* wq,
                           const float* wScale, int64_t out, float* y, bool accumulate) const override {
        qs::linearForwardInt8(xq, xScale, rows, in, wq, wScale, out, y, accumulate);
    }

    std::unique_ptr<HessianBuilder> makeHessian(int64_t cols) const override {
        return std::make_unique<CpuHessianBuilder>(cols);
    }
    bool upperCholeskyOfInverse(double* h, int64_t n) const override { return qs::upperCholeskyOfInverse(h, n); }
    std::unique_ptr<GptqSweep> makeGptqSweep(double* w, int64_t rows, int64_t cols, const double* u) const override {
        return makeCpuGptqSweep(w, rows, cols, u);
    }
    std::unique_ptr<BlockStager> makeBlockStager(size_t slotBytes) const override {
        return std::make_unique<CpuBlockStager>(slotBytes);
    }
};

// What the CUDA side offers this process: the device choice for "cuda" and
// "auto", and the factory when a device was found.
struct CudaAvailability {
    DeviceChoice choice;
    std::unique_ptr<KernelBackend> (*makeBackend)() = nullptr;
};

#ifdef QS_HAVE_CUDA
// Where libqs_cuda.so may be, first found wins: beside the executable (an
// unpacked tree), the installed layout (bin/ and lib/quantscope/ side by
// side), then where this build wrote it (the tests, run from the build tree).
std::vector<std::filesystem::path> cudaModuleCandidates() {
    std::vector<std::filesystem::path> paths;
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        paths.push_back(exe.parent_path() / cuda::kModuleFileName);
        paths.push_back(exe.parent_path().parent_path() / "lib" / "quantscope" / cuda::kModuleFileName);
    }
    paths.emplace_back(QS_CUDA_MODULE_BUILD_PATH);
    return paths;
}

CudaAvailability cpuBecause(const std::string& why) {
    return {{Device::Cpu, "CUDA: " + why + ", using the CPU"}, nullptr};
}

CudaAvailability loadCudaModule() {
    const std::string module = cuda::kModuleFileName;
    std::string lookedIn;
    for (const std::filesystem::path& path : cudaModuleCandidates()) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            lookedIn += (lookedIn.empty() ? "" : ", ") + path.parent_path().string();
            continue;
        }
        // Never closed: backends it made may live until exit, and the CUDA
        // runtime does not survive being unloaded.
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) return cpuBecause(module + " not loadable (" + dlerror() + ")");
        const auto probeOf = reinterpret_cast<QsCudaBackendProbe>(dlsym(handle, cuda::kModuleEntryPoint));
        if (!probeOf) return cpuBecause(path.string() + " has no " + cuda::kModuleEntryPoint);
        const cuda::ModuleProbe& probe = *probeOf();
        if (probe.abiVersion != cuda::kModuleAbiVersion)
            return cpuBecause(path.string() + " is from another build (module ABI " + std::to_string(probe.abiVersion) +
                              ", expected " + std::to_string(cuda::kModuleAbiVersion) + ")");
        if (!probe.available) return {{Device::Cpu, probe.line}, nullptr};
        return {{Device::Cuda, probe.line}, probe.makeBackend};
    }
    return cpuBecause(module + " not found (looked in " + lookedIn + ")");
}
#endif

// Loaded once: the module's probe asks the driver, which takes a while.
const CudaAvailability& cudaAvailability() {
#ifdef QS_HAVE_CUDA
    static const CudaAvailability available = loadCudaModule();
#else
    static const CudaAvailability available{{Device::Cpu, "CUDA not built in, using the CPU"}, nullptr};
#endif
    return available;
}

}  // namespace

std::string_view deviceName(Device d) { return d == Device::Cuda ? "cuda" : "cpu"; }

DeviceChoice resolveDevice(std::string_view requested) {
    if (requested == "cpu") return {Device::Cpu, "Device: CPU (requested)"};
    if (requested != "cuda" && requested != "auto")
        throw std::invalid_argument("unknown device \"" + std::string(requested) + "\" (expected cpu, cuda or auto)");
    return cudaAvailability().choice;
}

std::unique_ptr<KernelBackend> makeKernelBackend(Device device) {
    if (device == Device::Cpu) return std::make_unique<CpuBackend>();
    const CudaAvailability& cuda = cudaAvailability();
    if (!cuda.makeBackend) throw std::logic_error("makeKernelBackend: no CUDA backend (" + cuda.choice.line + ")");
    return cuda.makeBackend();
}

}  // namespace qs
