// The CUDA BlockStager (backend.h): two pinned host buffers, two device
// buffers and a copy stream of its own, so block i + 1 travels while the
// kernels on block i run. Events order the two sides without blocking the
// host: a slot's copy waits (on the copy stream) for the work released on
// that slot, recorded on the legacy default stream where the ops run, and
// acquire waits (on the host) for the slot's copy. The pinned staging is what
// makes cudaMemcpyAsync asynchronous at all: from pageable memory it would
// copy synchronously through the driver's own bounce buffer.
#include <cstring>
#include <string>

#include "cpu/stager_slots.h"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

class CudaBlockStager final : public BlockStager {
public:
    explicit CudaBlockStager(size_t slotBytes) : slotBytes_(slotBytes) {
        try {
            const size_t bytes = slotBytes_ > 0 ? slotBytes_ : 1;  // the allocators refuse 0 bytes
            QS_CUDA_CHECK(cudaStreamCreateWithFlags(&copyStream_, cudaStreamNonBlocking));
            for (int s = 0; s < 2; ++s) {
                QS_CUDA_CHECK(cudaHostAlloc(&pinned_[s], bytes, cudaHostAllocDefault));
                QS_CUDA_CHECK(cudaMalloc(&device_[s], bytes));
                QS_CUDA_CHECK(cudaEventCreateWithFlags(&copied_[s], cudaEventDisableTiming));
                QS_CUDA_CHECK(cudaEventCreateWithFlags(&released_[s], cudaEventDisableTiming));
            }
        } catch (...) {
            freeAll();
            throw;
        }
    }
    ~CudaBlockStager() override {
        cudaStreamSynchronize(copyStream_);  // no copy may still target the buffers freed below
        freeAll();
    }
    CudaBlockStager(const CudaBlockStager&) = delete;
    CudaBlockStager& operator=(const CudaBlockStager&) = delete;

    size_t slotBytes() const override { return slotBytes_; }

    void stage(const void* src, size_t bytes) override {
        if (bytes > slotBytes_)
            throw std::invalid_argument("BlockStager: a block of " + std::to_string(bytes) + " bytes exceeds the slot's " +
                                        std::to_string(slotBytes_));
        const int s = slots_.claimForStage();
        // The slot's last copy out of pinned_[s] finished before that block was acquired.
        if (bytes > 0) std::memcpy(pinned_[s], src, bytes);
        QS_CUDA_CHECK(cudaStreamWaitEvent(copyStream_, released_[s], 0));  // never recorded: waits for nothing
        QS_CUDA_CHECK(cudaMemcpyAsync(device_[s], pinned_[s], bytes, cudaMemcpyHostToDevice, copyStream_));
        QS_CUDA_CHECK(cudaEventRecord(copied_[s], copyStream_));
    }

    const void* acquire() override {
        const int s = slots_.claimForAcquire();
        QS_CUDA_CHECK(cudaEventSynchronize(copied_[s]));
        return device_[s];
    }

    void release() override {
        const int s = slots_.releaseAcquired();
        QS_CUDA_CHECK(cudaEventRecord(released_[s], cudaStreamLegacy));
    }

private:
    // Errors ignored: this runs in a destructor or while another error propagates.
    void freeAll() {
        for (int s = 0; s < 2; ++s) {
            if (released_[s]) cudaEventDestroy(released_[s]);
            if (copied_[s]) cudaEventDestroy(copied_[s]);
            if (device_[s]) cudaFree(device_[s]);
            if (pinned_[s]) cudaFreeHost(pinned_[s]);
        }
        if (copyStream_) cudaStreamDestroy(copyStream_);
    }

    size_t slotBytes_;
    StagerSlots slots_;
    cudaStream_t copyStream_ = nullptr;
    void* pinned_[2] = {nullptr, nullptr};
    void* device_[2] = {nullptr, nullptr};
    cudaEvent_t copied_[2] = {nullptr, nullptr};
    cudaEvent_t released_[2] = {nullptr, nullptr};
};

}  // namespace

std::unique_ptr<BlockStager> makeBlockStager(size_t slotBytes) { return std::make_unique<CudaBlockStager>(slotBytes); }

}  // namespace qs::cuda
