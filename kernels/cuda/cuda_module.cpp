#include "cuda/cuda_module.h"

#include "cuda/cuda_backend.h"

// The module is built with hidden visibility: this is its only exported symbol.
extern "C" __attribute__((visibility("default"))) const qs::cuda::ModuleProbe* qs_cuda_backend_probe() {
    static const qs::cuda::DeviceProbe device = qs::cuda::probeDevice();
    static const qs::cuda::ModuleProbe probe{qs::cuda::kModuleAbiVersion, device.available, device.line.c_str(),
                                             &qs::cuda::makeCudaBackend};
    return &probe;
}
