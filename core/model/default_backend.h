// The kernel backend a forward pass uses when its caller names none: the CPU
// backend, which forwards to the very kernels/cpu functions, so code written
// before the backend existed computes bit for bit what it computed then.
#pragma once

#include "backend.h"

namespace qs {

// One CPU backend for the whole process; it holds no state, so threads share it.
const KernelBackend& cpuKernelBackend();

// `backend`, or the CPU backend when it is null (option structs default to null).
inline const KernelBackend& backendOrCpu(const KernelBackend* backend) {
    return backend ? *backend : cpuKernelBackend();
}

}  // namespace qs
