// One LLaMA decoder block's weights as float32, the unit the layer-major
// passes hold in memory. Callers may change them before running the block:
// the quantization pipeline substitutes quantized-then-dequantized matrices
// and runs the very same forward pass.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qs {

// How a linear layer's input is rounded before its matmul, so that
// weight-activation schemes (W8A8 INT8 / FP8) are simulated exactly: the
// forward pass fake-quantizes the input rows (cpu/fake_quant.h) and then
// multiplies as usual. None leaves the input untouched.
struct InputQuant {
    enum class Format : uint8_t { None, Int8, F8E4M3 };
    Format format = Format::None;
    bool perToken = true;     // a dynamic scale per row (token); else staticScale over the whole input
    double staticScale = 0;   // per-tensor static scale (from calibration), used when !perToken

    bool operator==(const InputQuant&) const = default;
};

// A torch nn.Linear weight: [outFeatures, inFeatures] row-major, y = x · Wᵀ.
struct LinearWeights {
    int64_t outFeatures = 0;
    int64_t inFeatures = 0;
    std::vector<float> w;
    InputQuant inputQuant;
};

// The seven projections, in the order of kProjections (formats/tensor_names.h).
enum class Projection { Q, K, V, O, Gate, Up, Down };
inline constexpr int kProjectionCount = 7;

struct DecoderBlockWeights {
    int block = -1;
    std::array<LinearWeights, kProjectionCount> linear;  // indexed by Projection
    std::vector<float> inputNorm;          // input_layernorm.weight [hidden], before attention
    std::vector<float> postAttentionNorm;  // post_attention_layernorm.weight [hidden], before the MLP

    LinearWeights& operator[](Projection p) { return linear[size_t(p)]; }
    const LinearWeights& operator[](Projection p) const { return linear[size_t(p)]; }
};

}  // namespace qs
