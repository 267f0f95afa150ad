#include "tensor/tensor_view.h"

#include <cassert>
#include <cstring>

#include "cpu/fp8_e4m3.h"
#include "cpu/gptq_packing.h"
#include "cpu/int_grid.h"

namespace qs {

int64_t TensorView::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

int64_t TensorView::cols() const { return shape.empty() ? 1 : shape.back(); }

int64_t TensorView::rows() const {
    const int64_t c = cols();
    return c == 0 ? 0 : numel() / c;
}

namespace {
template <typename T>
T load(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// GGUF Q8_0: per block of 32, an f16 scale d then 32 int8 q; x = d * q.
void decodeQ8_0(const std::byte* blocks, int64_t nblocks, float* out) {
    for (int64_t b = 0; b < nblocks; ++b) {
        const std::byte* blk = blocks + b * 34;
        const float d = f16ToFloat(load<uint16_t>(blk));
        const auto* q = reinterpret_cast<const int8_t*>(blk + 2);
        for (int i = 0; i < 32; ++i) out[b * 32 + i] = d * float(q[i]);
    }
}

// GGUF Q4_0: f16 scale d then 16 bytes; element i < 16 is the low nibble of
// byte i, element i + 16 the high nibble; x = d * (nibble - 8).
void decodeQ4_0(const std::byte* blocks, int64_t nblocks, float* out) {
    for (int64_t b = 0; b < nblocks; ++b) {
        const std::byte* blk = blocks + b * 18;
        const float d = f16ToFloat(load<uint16_t>(blk));
        const auto* q = reinterpret_cast<const uint8_t*>(blk + 2);
        for (int i = 0; i < 16; ++i) {
            out[b * 32 + i] = d * float(int(q[i] & 0x0f) - 8);
            out[b * 32 + i + 16] = d * float(int(q[i] >> 4) - 8);
        }
    }
}
// GPTQ packed weights (see TensorView::GptqParts): the element's code, its
// group's F16 scale and packed zero, through the same grid math as RTN and
// GPTQ in memory (cpu/int_grid.h), so a re-opened export decodes to exactly
// the weights computed with F16-rounded scales.
void decodeGptq(const TensorView& t, int bits, int64_t first, int64_t count, float* out) {
    const int64_t outF = t.rows(), inF = t.cols(), zeroWords = gptqPackedWords(outF, bits);
    for (int64_t i = 0; i < count; ++i) {
        const int64_t r = (first + i) / inF, c = (first + i) % inF;
        const uint32_t code = gptqPackedCode(t.data + r * 4, outF, c, bits);
        const int64_t g = t.gptq.gIdx ? load<int32_t>(t.gptq.gIdx + c * 4) : c / t.groupSize;
        IntGrid grid;
        grid.maxq = (1 << bits) - 1;
        grid.scale = f16ToFloat(load<uint16_t>(t.scales + (g * outF + r) * 2));
        grid.zero = double(gptqPackedCode(t.gptq.qzeros + g * zeroWords * 4, 1, r, bits)) + t.gptq.zeroOffset;
        out[i] = dequantizeCode(int(code), grid);
    }
}
}  // namespace

void decodeToFloat(const TensorView& t, int64_t first, int64_t count, float* out) {
    const std::byte* p = t.data;
    switch (t.dtype) {
    case DType::F32:
        std::memcpy(out, p + first * 4, size_t(count) * 4);
        return;
    case DType::F16:
        for (int64_t i = 0; i < count; ++i) out[i] = f16ToFloat(load<uint16_t>(p + (first + i) * 2));
        return;
    case DType::BF16:
        for (int64_t i = 0; i < count; ++i) out[i] = bf16ToFloat(load<uint16_t>(p + (first + i) * 2));
        return;
    case DType::F8E4M3:
        for (int64_t i = 0; i < count; ++i) out[i] = decodeF8e4m3(uint8_t(p[first + i]));
        return;
    case DType::I8:
        if (t.scales) {
            for (int64_t i = 0; i < count; ++i)
                out[i] = float(int8_t(p[first + i])) * load<float>(t.scales + (first + i) / t.groupSize * 4);
            return;
        }
        for (int64_t i = 0; i < count; ++i) out[i] = float(int8_t(p[first + i]));
        return;
    case DType::I32:
        for (int64_t i = 0; i < count; ++i) out[i] = float(load<int32_t>(p + (first + i) * 4));
        return;
    case DType::Q8_0:
        assert(first % 32 == 0 && count % 32 == 0);
        decodeQ8_0(p + first / 32 * 34, count / 32, out);
        return;
    case DType::Q4_0:
        assert(first % 32 == 0 && count % 32 == 0);
        decodeQ4_0(p + first / 32 * 18, count / 32, out);
        return;
    case DType::Gptq2: decodeGptq(t, 2, first, count, out); return;
    case DType::Gptq3: decodeGptq(t, 3, first, count, out); return;
    case DType::Gptq4: decodeGptq(t, 4, first, count, out); return;
    case DType::Gptq8: decodeGptq(t, 8, first, count, out); return;
    }
}

}  // namespace qs
