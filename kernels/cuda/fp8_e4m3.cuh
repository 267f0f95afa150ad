// Device twins of cpu/fp8_e4m3.h, step for step the same arithmetic (frexp,
// exact ldexp scaling, rint = round half to even), so every code matches the
// CPU codec bit for bit; the parity test checks all 256 codes and the encoder
// on random and edge values.
#pragma once

#include <cstdint>

#include "cpu/fp8_e4m3.h"

namespace qs::cuda {

__device__ inline float decodeF8e4m3(uint8_t code) {
    const bool neg = code & 0x80u;
    const int exp = (code >> 3) & 0xf;
    const int mant = code & 0x7;
    float mag;
    if (exp == 0xf && mant == 0x7)
        mag = __int_as_float(0x7fc00000);
    else if (exp == 0)
        mag = ldexpf(float(mant), -9);
    else
        mag = ldexpf(float(8 + mant), exp - 10);
    return neg ? -mag : mag;
}

__device__ inline uint8_t encodeF8e4m3(double x) {
    const uint8_t sign = signbit(x) ? 0x80u : 0x00u;
    if (isnan(x)) return sign | 0x7fu;
    const double a = fabs(x);
    if (a >= kF8e4m3Max) return sign | 0x7eu;
    if (a == 0.0) return sign;
    int e2 = 0;
    frexp(a, &e2);
    const int e = e2 - 1;
    const int unitExp = e < -6 ? -9 : e - 3;
    const double units = rint(ldexp(a, -unitExp));
    const int code = e < -6 ? int(units) : (e + 6) * 8 + int(units);
    return sign | uint8_t(code > 0x7e ? 0x7e : code);
}

}  // namespace qs::cuda
