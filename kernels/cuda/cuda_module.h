// The one entry point of libqs_cuda.so, the CUDA backend built as a module
// that backend.cpp loads with dlopen (the ggml approach): the programs link no
// CUDA library, so they start where the CUDA runtime is missing, and only the
// module needs it. Plain C++ with no CUDA types, shared by both sides.
#pragma once

#include <memory>

#include "backend.h"

namespace qs::cuda {

// Raised whenever ModuleProbe or KernelBackend's table of ops changes: a
// module left over from another build is refused instead of being called
// through a table it does not have.
inline constexpr int kModuleAbiVersion = 2;  // 2: INT8 W8A8 ops, the GPTQ sweep, the block stager
inline constexpr const char* kModuleFileName = "libqs_cuda.so";
inline constexpr const char* kModuleEntryPoint = "qs_cuda_backend_probe";

// What the module found; lives as long as the process (the module is never unloaded).
struct ModuleProbe {
    int abiVersion = kModuleAbiVersion;  // first, so a mismatch is read before anything else
    bool available = false;              // a device was found; makeBackend may be called
    const char* line = "";               // backend.h's DeviceChoice::line
    std::unique_ptr<KernelBackend> (*makeBackend)() = nullptr;
};

}  // namespace qs::cuda

extern "C" {
// Probes the device once (cudaGetDeviceCount) and returns the same answer on every call.
using QsCudaBackendProbe = const qs::cuda::ModuleProbe* (*)();
const qs::cuda::ModuleProbe* qs_cuda_backend_probe();
}
