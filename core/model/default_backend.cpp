#include "model/default_backend.h"

namespace qs {

const KernelBackend& cpuKernelBackend() {
    static const std::unique_ptr<KernelBackend> cpu = makeKernelBackend(Device::Cpu);
    return *cpu;
}

}  // namespace qs
