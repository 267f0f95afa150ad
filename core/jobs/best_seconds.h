// The benchmarks' timer: the best (shortest) wall time of `repeats` runs, so
// one run disturbed by the rest of the machine does not set the figure.
#pragma once

#include <algorithm>
#include <chrono>

namespace qs {

template <typename Fn>
double bestSeconds(int repeats, Fn&& fn) {
    double best = 1e300;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

}  // namespace qs
