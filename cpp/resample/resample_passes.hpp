// The uint8 passes of resample_bilinear_aa (resample.hpp), compiled per ISA
// (resample_simd.inl); resample.cpp forms the weights and runs the passes. Integer
// arithmetic throughout, so every ISA gives the same bytes as the scalar reference.
#pragma once
#include <cstdint>

#include "core/image.hpp"
#include "core/isa_namespaces.hpp"

namespace fastaug {

// One axis's weights in fixed point: output i reads `count[i]` source pixels from
// `first[i]` on with weights fixed[i * width + j] (int16 range, scaled by 2^precision; width
// a multiple of 4, the slots past count zero). pairs[i * width / 2 + k] holds weights 2k and
// 2k + 1 as two int16, low half first, as pmaddwd takes them.
struct FixedTaps {
  const int64_t* first;
  const int64_t* count;
  const int32_t* fixed;
  const int32_t* pairs;
  int64_t width;
  int precision;
};

// The x pass: mid(r, c) = clamp((half + sum_j w * src(row0 + r, first[c] + j)) >> precision)
// per channel, for every pixel of mid (half = 2^(precision - 1), or 0).
FASTAUG_DECLARE_PER_ISA(void resample_x_u8(const ConstImageU8& src, int64_t row0, const ImageU8& mid, const FixedTaps& taps))
// The y pass: dst(r, c) = the same over mid's rows first[r] - row0 + j. mid is dense.
FASTAUG_DECLARE_PER_ISA(void resample_y_u8(const ConstImageU8& mid, int64_t row0, const ImageU8& dst, const FixedTaps& taps))

}  // namespace fastaug
