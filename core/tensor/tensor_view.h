// A non-owning view of one tensor's bytes inside a memory-mapped checkpoint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace qs {

struct TensorView {
    std::string name;            // canonical (Hugging Face) name
    DType dtype = DType::F32;
    std::vector<int64_t> shape;  // outermost first, as torch writes it: [out, in] for a linear
    const std::byte* data = nullptr;
    int64_t nbytes = 0;
    // Group-quantized int8 (llama2.c version-2 checkpoints, export.py
    // quantize_q80): when set, dtype is I8 and element i decodes as
    // int8 data[i] * float32 scales[i / groupSize]. The scales lie elsewhere in
    // the same mapping and are not counted in nbytes; groups run over the
    // flattened tensor, so numel() is a multiple of groupSize.
    const std::byte* scales = nullptr;
    int64_t groupSize = 0;
    // GPTQ packed (dtype Gptq2/3/4/8, formats/gptq_packed.h): data is qweight
    // int32 [in * bits / 32, out], `scales` is F16 [groups, out], and these
    // give the other parts; the shape is the logical [out, in]. Element
    // (r, c) decodes as scale * (code - zero) of group gIdx[c] (c / groupSize
    // when a checkpoint has no g_idx), zero = packed zero + zeroOffset (1 for
    // AutoGPTQ's classic format, which stores zero - 1).
    struct GptqParts {
        const std::byte* qzeros = nullptr;
        const std::byte* gIdx = nullptr;
        int zeroOffset = 0;
    };
    GptqParts gptq;

    int64_t numel() const;
    // Rows x columns of the tensor seen as a matrix: the last dimension is the
    // columns (input channels), everything before it the rows (output channels).
    int64_t rows() const;
    int64_t cols() const;
};

// Decode elements [first, first + count) into floats. For block formats
// (Q8_0, Q4_0) first and count must be multiples of the block size, which
// every whole row of a GGUF tensor is. Group-scaled I8 (see `scales`) and
// GPTQ packed weights decode from any element.
void decodeToFloat(const TensorView& t, int64_t first, int64_t count, float* out);

// Decode whole rows [row0, row0 + nrows) of the matrix view.
inline void decodeRows(const TensorView& t, int64_t row0, int64_t nrows, float* out) {
    decodeToFloat(t, row0 * t.cols(), nrows * t.cols(), out);
}

}  // namespace qs
