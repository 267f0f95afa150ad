// How many threads the CPU compute kernels (matmul, attention, the row-wise
// ops) use. Eigen parallelises its GEMM with OpenMP when built with it
// (Eigen/src/Core/products/Parallelizer.h) and the other kernels run OpenMP
// loops, so this one setting governs both. Without OpenMP every kernel runs
// on the calling thread.
#pragma once

namespace qs {

// n <= 0 means every hardware thread. The setting is process-wide (not
// per-thread like omp_set_num_threads), so a GUI worker thread sees it too.
void setComputeThreads(int n);
int computeThreads();

}  // namespace qs
