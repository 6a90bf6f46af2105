// float32 -> 16-bit float storage (IEEE binary16 and bfloat16), scalar reference: round to
// nearest, ties to even; NaN stays a quiet NaN of the same sign; beyond the range: infinity.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace fastaug {

enum class HalfFormat : int { float16 = 1, bfloat16 = 2 };

inline uint32_t float_bits(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

inline uint16_t float16_bits(float x) {
  const uint32_t b = float_bits(x);
  const uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000u);
  const uint32_t a = b & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return sign | 0x7E00u;   // NaN
  if (a >= 0x477FF000u) return sign | 0x7C00u;  // >= 65520 rounds to infinity
  if (a < 0x38800000u) {
    // Below 2^-14: a subnormal half, the magnitude in units of 2^-24 rounded to an
    // integer (exact scaling by a power of two; nearbyint rounds ties to even). 1024 is
    // the smallest normal, which is also its encoding.
    float m;
    std::memcpy(&m, &a, sizeof m);
    return sign | static_cast<uint16_t>(std::nearbyint(m * 16777216.0f));
  }
  // Rebias the exponent (127 -> 15) and drop 13 mantissa bits, rounding to nearest even;
  // a carry out of the mantissa correctly bumps the exponent.
  uint32_t h = (a >> 13) - (112u << 10);
  const uint32_t rest = a & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<uint16_t>(h);
}

inline uint16_t bfloat16_bits(float x) {
  const uint32_t b = float_bits(x);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((b >> 16) | 0x0040u);
  return static_cast<uint16_t>((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

}  // namespace fastaug
