#include "cpu/compute_threads.h"

#include <atomic>
#include <thread>

namespace qs {

namespace {
int hardwareThreads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : int(n);
}
std::atomic<int> g_threads{hardwareThreads()};
}  // namespace

void setComputeThreads(int n) {
    const int threads = n <= 0 ? hardwareThreads() : n;
    g_threads.store(threads, std::memory_order_relaxed);
}

int computeThreads() {
#ifdef _OPENMP
    return g_threads.load(std::memory_order_relaxed);
#else
    return 1;
#endif
}

}  // namespace qs
