// The CUDA side of backend.h's device choice: what cudaGetDeviceCount finds,
// and the KernelBackend over cuda_ops.h. Only compiled into libqs_cuda.so
// (cuda_module.h is what the rest of the program sees of it).
#pragma once

#include <memory>
#include <string>

#include "backend.h"

namespace qs::cuda {

struct DeviceProbe {
    bool available = false;
    std::string line;  // backend.h's DeviceChoice::line
};
DeviceProbe probeDevice();

std::unique_ptr<KernelBackend> makeCudaBackend();

}  // namespace qs::cuda
