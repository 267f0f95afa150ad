// A block-wide reduction: warp shuffles, then one partial per warp folded by
// thread 0. blockDim.x must be a multiple of 32; every thread gets the result.
#pragma once

namespace qs::cuda {

// `scratch` holds 32 T in shared memory; it may be reused after the call.
template <typename T, typename Op>
__device__ T blockReduce(T v, Op op, T* scratch) {
    for (int offset = 16; offset > 0; offset >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < warps; ++w) v = op(v, scratch[w]);
        scratch[0] = v;
    }
    __syncthreads();
    const T r = scratch[0];
    __syncthreads();
    return r;
}

struct MinOp {
    template <typename T>
    __device__ T operator()(T a, T b) const { return b < a ? b : a; }
};
struct MaxOp {
    template <typename T>
    __device__ T operator()(T a, T b) const { return a < b ? b : a; }
};
struct SumOp {
    template <typename T>
    __device__ T operator()(T a, T b) const { return a + b; }
};

}  // namespace qs::cuda
