#include "pipeline/color_ops.hpp"

#include <cmath>
#include <vector>

#include "photometric/photometric.hpp"

namespace fastaug {
namespace {

// x * a + b in float32 (rounded once when the float-stage image is stored).
void multiply_add_f32(const ImageF32& x, float a, float b) { scale_offset<float, float>(x, x, a, b); }

// torchvision's adjust_brightness: uint8 clamp(floor(x * a), 0, 255) (its truncating store);
// float32 the plain product.
void brightness_u8(const ImageU8& x, float a, float) {
  adjust_brightness<uint8_t>(x, x, a, BrightnessRounding::floor);
}
void brightness_f32(const ImageF32& x, float a, float) {
  adjust_brightness<float>(x, x, a, BrightnessRounding::nearest);
}

// One value added to every channel: uint8 clamp(rint(x + a)); float32 x + a, not clipped.
template <typename T>
void channel_add(const ImageView<T>& x, float a, float) {
  thread_local std::vector<float> shifts;
  shifts.assign(static_cast<size_t>(x.channels), a);
  const bool u8 = sizeof(T) == 1;
  channel_shift<T>(x, x, shifts.data(), u8 ? 0.0f : -INFINITY, u8 ? 255.0f : INFINITY);
}

// torchvision's solarize: x >= threshold becomes bound - x (bound 255 for uint8, 1 for
// float32). The uint8 comparison is on integers: x >= a exactly when x >= ceil(a).
void solarize_u8(const ImageU8& x, float a, float) {
  const float t = std::ceil(a);
  const int threshold = t <= 0.0f ? 0 : t > 255.0f ? 256 : static_cast<int>(t);
  for (int64_t r = 0; r < x.height; ++r) {
    for (int64_t c = 0; c < x.width; ++c) {
      uint8_t* p = x.pixel(r, c);
      for (int64_t k = 0; k < x.channels; ++k)
        p[k] = p[k] >= threshold ? static_cast<uint8_t>(255 - p[k]) : p[k];
    }
  }
}
void solarize_f32(const ImageF32& x, float a, float) {
  for (int64_t r = 0; r < x.height; ++r) {
    for (int64_t c = 0; c < x.width; ++c) {
      float* p = x.pixel(r, c);
      for (int64_t k = 0; k < x.channels; ++k) p[k] = p[k] >= a ? 1.0f - p[k] : p[k];
    }
  }
}

const ColorOpInfo kTable[] = {
    {"none", ColorOpFamily::in_dtype, nullptr, nullptr},
    {"keras_channel_shift", ColorOpFamily::keras, nullptr, nullptr},
    {"keras_brightness", ColorOpFamily::keras, nullptr, nullptr},
    {"multiply_add", ColorOpFamily::float_stage, nullptr, multiply_add_f32, true},
    {"brightness", ColorOpFamily::in_dtype, brightness_u8, brightness_f32},
    {"channel_add", ColorOpFamily::in_dtype, channel_add<uint8_t>, channel_add<float>},
    {"solarize", ColorOpFamily::in_dtype, solarize_u8, solarize_f32},
};

}  // namespace

int32_t color_op_count() { return static_cast<int32_t>(sizeof(kTable) / sizeof(kTable[0])); }
const ColorOpInfo& color_op(int32_t code) { return kTable[code]; }

}  // namespace fastaug
