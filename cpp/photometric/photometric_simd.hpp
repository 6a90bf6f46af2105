// The photometric family's element formulas, per ISA. Its kernels (photometric_simd.inl)
// and the fused pass that applies them without a pass of their own (pipeline/
// run_plans_simd.inl) both call these, so each formula is written once. Each vector form
// matches its scalar form bit for bit, NaN included (see core/simd.hpp on min and max).
#pragma once
#include <cmath>
#include <cstdint>

#include "core/simd.hpp"

namespace fastaug {
namespace FASTAUG_ISA_NS {

inline float clamp_u8_range(float x) {  // NaN -> 0
  x = x > 0.0f ? x : 0.0f;
  return x < 255.0f ? x : 255.0f;
}
inline VF vclamp_u8_range(VF x) { return f_min(f_max(x, f_set1(0.0f)), f_set1(255.0f)); }
inline uint8_t to_u8(float x) { return static_cast<uint8_t>(std::nearbyint(clamp_u8_range(x))); }

// Keras/Pillow brightness on uint8-valued floats: clamp(floor(factor * v), 0, 255).
inline float floor_brightness(float factor, float v) {
  float x = std::floor(factor * v);
  x = x < 0.0f ? 0.0f : x;
  return x > 255.0f ? 255.0f : x;
}
inline VF vfloor_brightness(VF factor, VF v) {
  return f_min(f_set1(255.0f), f_max(f_set1(0.0f), f_floor(f_mul(factor, v))));
}

// keras-preprocessing 1.1.2's brightness (photometric.hpp, keras_brightness_inplace) once the
// image's minimum `lo` and `divisor` (its range, or 1 when the range is 0: x / 1 == x) are
// known. keep_alpha: RGBA, channel 3 keeps the stretched value.
struct KerasBrightness {
  float lo = 0.0f, divisor = 1.0f, factor = 1.0f;
  bool keep_alpha = false;

  // astype(uint8) of the value stretched to [0, 255]; NaN -> 0.
  float stretch(float x) const {
    x = (x - lo) / divisor * 255.0f;
    return x > 0.0f ? (x < 255.0f ? std::trunc(x) : 255.0f) : 0.0f;
  }
  VF stretch(VF x) const {
    return f_trunc(vclamp_u8_range(f_mul(f_div(f_sub(x, f_set1(lo)), f_set1(divisor)), f_set1(255.0f))));
  }
  float apply(float x, int64_t channel) const {
    const float u = stretch(x);
    return keep_alpha && channel == 3 ? u : floor_brightness(factor, u);
  }
  // A block whose element 0 is channel 0 of a pixel.
  void apply(VF v[4]) const {
    for (int k = 0; k < 4; ++k) {
      const VF u = stretch(v[k]);
      const VF out = vfloor_brightness(f_set1(factor), u);
      v[k] = keep_alpha ? f_blend_alpha(out, u) : out;
    }
  }
};

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
