// Causal GQA attention (cpu/attention.h), the simple way: one block per
// (query row, head). The block keeps the row's scores in shared memory
// (one float per visible key), takes the max, exponentiates, normalises and
// forms the weighted sum of values, in the CPU's order of operations. Fast
// enough to check parity and to evaluate small models; a flash-attention
// kernel is the later, fast path.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "cuda/block_reduce.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/cuda_ops.h"

namespace qs::cuda {

namespace {

// blockIdx.x = (row - seqStarts[0]) * heads + head; seqStarts has nseq + 1 entries.
__global__ void attentionKernel(const float* q, const float* k, const float* v, float* out, const int64_t* seqStarts,
                                int64_t nseq, int64_t heads, int64_t kvHeads, int64_t headDim, float scale) {
    extern __shared__ float shared[];
    __shared__ float scratch[32];
    const int64_t row = seqStarts[0] + blockIdx.x / heads, h = blockIdx.x % heads, kvh = h / (heads / kvHeads);
    int64_t seq = 0;  // the sequence holding `row` (few sequences: a linear scan)
    while (seq + 1 < nseq && seqStarts[seq + 1] <= row) ++seq;
    const int64_t first = seqStarts[seq], visible = row - first + 1;
    const int64_t qStride = heads * headDim, kvStride = kvHeads * headDim;

    float* qs = shared;                // [headDim]
    float* scores = shared + headDim;  // [visible]
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) qs[d] = q[row * qStride + h * headDim + d];
    __syncthreads();

    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x) {
        const float* kr = k + (first + j) * kvStride + kvh * headDim;
        float dot = 0.0f;
        for (int64_t d = 0; d < headDim; ++d) dot += qs[d] * kr[d];
        scores[j] = dot;
        m = fmaxf(m, dot);
    }
    m = blockReduce(m, MaxOp{}, scratch);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < visible; j += blockDim.x) {
        scores[j] = expf((scores[j] - m) * scale);
        sum += scores[j];
    }
    sum = blockReduce(sum, SumOp{}, scratch);  // also orders the score writes before the reads below
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
        const float* vc = v + first * kvStride + kvh * headDim + d;
        float acc = 0.0f;
        for (int64_t j = 0; j < visible; ++j) acc += scores[j] / sum * vc[j * kvStride];
        out[row * qStride + h * headDim + d] = acc;
    }
}

}  // namespace

void causalAttention(const float* q, const float* k, const float* v, float* out, const int64_t* seqStarts, int64_t nseq,
                     const AttentionShape& shape) {
    if (shape.heads <= 0 || shape.kvHeads <= 0 || shape.heads % shape.kvHeads != 0)
        throw std::invalid_argument("causalAttention (CUDA): " + std::to_string(shape.heads) +
                                    " heads are not a multiple of " + std::to_string(shape.kvHeads) + " KV heads");
    if (nseq <= 0) return;
    const int64_t rows = seqStarts[nseq] - seqStarts[0];
    int64_t longest = 0;
    for (int64_t s = 0; s < nseq; ++s) longest = std::max(longest, seqStarts[s + 1] - seqStarts[s]);
    if (rows <= 0 || shape.headDim <= 0) return;

    int device = 0, sharedLimit = 0;
    QS_CUDA_CHECK(cudaGetDevice(&device));
    QS_CUDA_CHECK(cudaDeviceGetAttribute(&sharedLimit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    const size_t shared = size_t(shape.headDim + longest) * sizeof(float);
    if (shared + 32 * sizeof(float) > size_t(sharedLimit))
        throw std::invalid_argument("causalAttention (CUDA): a sequence of " + std::to_string(longest) +
                                    " rows needs " + std::to_string(shared) + " bytes of shared memory, over the " +
                                    std::to_string(sharedLimit) + " this GPU gives a block");
    QS_CUDA_CHECK(cudaFuncSetAttribute(attentionKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(shared)));

    // Rows are absolute indices into q, k, v and out, as on the CPU.
    const int64_t qElems = (seqStarts[0] + rows) * shape.heads * shape.headDim;
    const int64_t kvElems = (seqStarts[0] + rows) * shape.kvHeads * shape.headDim;
    DeviceBuffer<float> dq(q, qElems), dk(k, kvElems), dv(v, kvElems), dout(qElems);
    dout.upload(out);  // rows before seqStarts[0], if any, keep their values
    DeviceBuffer<int64_t> dstarts(seqStarts, nseq + 1);
    const float scale = float(1.0 / std::sqrt(double(shape.headDim)));
    attentionKernel<<<unsigned(rows * shape.heads), kBlockThreads, shared>>>(
        dq.get(), dk.get(), dv.get(), dout.get(), dstarts.get(), nseq, shape.heads, shape.kvHeads, shape.headDim,
        scale);
    QS_CUDA_CHECK_LAUNCH();
    dout.download(out);
}

}  // namespace qs::cuda
