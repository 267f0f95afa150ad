// The SwiGLU gate of the LLaMA MLP (Shazeer 2020, "GLU Variants Improve
// Transformer"): down(silu(gate(x)) * up(x)), silu(g) = g / (1 + exp(-g)).
#pragma once

#include <cstdint>

namespace qs {

// gate[i] = silu(gate[i]) * up[i] for n elements.
void swigluInPlace(float* gate, const float* up, int64_t n);

}  // namespace qs
