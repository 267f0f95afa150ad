// The integer quantization grid shared by RTN, GPTQ, AWQ and the W8A8
// schemes: codes 0..maxq (maxq = 2^bits - 1) and x ≈ scale * (code - zero).
//   symmetric:  scale = absmax / (2^(bits-1) - 1), zero = 2^(bits-1), so the
//               codes cover [-2^(bits-1), 2^(bits-1) - 1] * scale and ±absmax
//               land exactly on codes (8 bits: absmax / 127, the W8A8 convention;
//               zero 2^(bits-1) is also what GPTQ's packed qzeros store).
//   asymmetric: scale = (hi - lo) / maxq over a range widened to include 0,
//               zero = round(-lo / scale), so 0 is exactly representable.
// Scales and rounding are computed in float64 (round half to even, as
// torch.round) so a plain float64 reference reproduces every code.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace qs {

struct IntGrid {
    double scale = 1.0;
    double zero = 0.0;
    int maxq = 15;
};

// Fits a grid to the range [lo, hi] of the values it will quantize. A range
// of only zeros gets scale 1, so every value stays 0.
inline IntGrid fitIntGrid(double lo, double hi, int bits, bool symmetric) {
    IntGrid g;
    g.maxq = (1 << bits) - 1;
    if (symmetric) {
        const double absmax = std::max(std::fabs(lo), std::fabs(hi));
        const int half = 1 << (bits - 1);
        g.scale = absmax > 0 ? absmax / double(half - 1) : 1.0;
        g.zero = half;
        return g;
    }
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
    g.scale = hi > lo ? (hi - lo) / double(g.maxq) : 1.0;
    g.zero = std::nearbyint(-lo / g.scale);
    return g;
}

inline int quantizeToCode(double x, const IntGrid& g) {
    const double q = std::nearbyint(x / g.scale) + g.zero;
    // NaN compares false both ways: it lands on code 0 like a value below the
    // grid, instead of an undefined float-to-int conversion.
    if (!(q >= 0.0)) return 0;
    return int(std::min(q, double(g.maxq)));
}

inline float dequantizeCode(int code, const IntGrid& g) { return float(g.scale * (double(code) - g.zero)); }

// Round to the grid and back: what a quantized weight computes with.
inline float fakeQuantize(float x, const IntGrid& g) { return dequantizeCode(quantizeToCode(x, g), g); }

}  // namespace qs
