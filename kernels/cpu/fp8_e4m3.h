// OCP FP8 E4M3 ("e4m3fn", OCP 8-bit Floating Point Specification v1.0):
// 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is
// NaN, largest finite 448, smallest subnormal 2^-9. The one codec for
// checkpoint decoding (F8_E4M3 tensors) and FP8 fake quantization.
#pragma once

#include <cstdint>

namespace qs {

inline constexpr double kF8e4m3Max = 448.0;

float decodeF8e4m3(uint8_t code);

// Round to nearest, ties to even. Magnitudes above 448 (and ±inf) saturate to
// ±448, as the FP8 quantizers clamp before casting (torch's own cast would
// give NaN from 464 up); NaN maps to the NaN code with the input's sign.
// Takes a double so a scaled float64 value is rounded once, not twice.
uint8_t encodeF8e4m3(double x);

}  // namespace qs
