#include "photometric/photometric.hpp"

#include <cmath>
#include <limits>

#include "core/simd_level.hpp"

namespace fastaug {

// Scalar reference: one element at a time, written as the formulas in photometric.hpp read.
namespace scalar {
namespace {

// float -> uint8: NaN -> 0, saturate, round half to even (the default FP rounding mode).
uint8_t to_u8(float x) {
  x = x > 0.0f ? x : 0.0f;
  x = x < 255.0f ? x : 255.0f;
  return static_cast<uint8_t>(std::nearbyint(x));
}

template <typename T>
T store_as(float x);
template <>
uint8_t store_as<uint8_t>(float x) { return to_u8(x); }
template <>
float store_as<float>(float x) { return x; }

// Calls f(src_element, dst_element, channel) for every element.
template <typename Ts, typename Td, typename F>
void for_each_element(const ImageView<const Ts>& src, const ImageView<Td>& dst, F f) {
  for (int64_t r = 0; r < src.height; ++r)
    for (int64_t c = 0; c < src.width; ++c) {
      const Ts* s = src.pixel(r, c);
      Td* d = dst.pixel(r, c);
      for (int64_t k = 0; k < src.channels; ++k) d[k] = f(s[k], k);
    }
}

// Keras clamps the floor-rounded product to [0, 255] whatever the dtype (NaN passes, as
// through numpy.clip; to_u8 then maps it to 0).
float floor_brightness(float factor, float v) {
  float x = std::floor(factor * v);
  x = x < 0.0f ? 0.0f : x;
  return x > 255.0f ? 255.0f : x;
}

}  // namespace

void adjust_brightness_kernel(const ConstImageU8& src, const ImageU8& dst, float factor,
                              BrightnessRounding rounding) {
  if (rounding == BrightnessRounding::floor)
    for_each_element(src, dst, [&](uint8_t v, int64_t) {
      return to_u8(floor_brightness(factor, static_cast<float>(v)));
    });
  else
    for_each_element(src, dst, [&](uint8_t v, int64_t) {
      return to_u8(static_cast<float>(v) * factor);
    });
}

void adjust_brightness_kernel(const ConstImageF32& src, const ImageF32& dst, float factor,
                              BrightnessRounding rounding) {
  if (rounding == BrightnessRounding::floor)
    for_each_element(src, dst, [&](float v, int64_t) { return floor_brightness(factor, v); });
  else
    for_each_element(src, dst, [&](float v, int64_t) { return v * factor; });
}

const char* brightness_u8_method_kernel(float, BrightnessRounding) { return "float"; }

void channel_shift_kernel(const ConstImageU8& src, const ImageU8& dst, const float* shift,
                          float lo, float hi) {
  lo = std::ceil(lo > 0.0f ? (lo < 255.0f ? lo : 255.0f) : 0.0f);
  hi = std::floor(hi > 0.0f ? (hi < 255.0f ? hi : 255.0f) : 0.0f);
  // lo and hi are integers now, so clamping before the rounding in to_u8 equals after.
  for_each_element(src, dst, [&](uint8_t v, int64_t k) {
    float x = static_cast<float>(v) + shift[k];
    x = x < lo ? lo : x;
    x = x > hi ? hi : x;
    return to_u8(x);
  });
}

void channel_shift_kernel(const ConstImageF32& src, const ImageF32& dst, const float* shift,
                          float lo, float hi) {
  for_each_element(src, dst, [&](float v, int64_t k) {
    float x = v + shift[k];
    x = x < lo ? lo : x;  // comparisons written so that NaN passes through, as numpy.clip
    x = x > hi ? hi : x;
    return x;
  });
}

template <typename T>
static void min_max_impl(const ImageView<const T>& img, float* lo, float* hi) {
  float mn = std::numeric_limits<float>::infinity(), mx = -mn;
  for (int64_t r = 0; r < img.height; ++r)
    for (int64_t c = 0; c < img.width; ++c)
      for (int64_t k = 0; k < img.channels; ++k) {
        const float v = static_cast<float>(img.pixel(r, c)[k]);
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
      }
  *lo = mn;
  *hi = mx;
}

void min_max_kernel(const ConstImageU8& img, float* lo, float* hi) { min_max_impl(img, lo, hi); }
void min_max_kernel(const ConstImageF32& img, float* lo, float* hi) { min_max_impl(img, lo, hi); }

template <typename Tin, typename Tout>
static void scale_offset_impl(const ImageView<const Tin>& src, const ImageView<Tout>& dst,
                              float scale, float offset) {
  for_each_element(src, dst, [&](Tin v, int64_t) {
    return store_as<Tout>(static_cast<float>(v) * scale + offset);
  });
}

void scale_offset_kernel(const ConstImageU8& src, const ImageU8& dst, float scale, float offset) {
  scale_offset_impl(src, dst, scale, offset);
}
void scale_offset_kernel(const ConstImageU8& src, const ImageF32& dst, float scale, float offset) {
  scale_offset_impl(src, dst, scale, offset);
}
void scale_offset_kernel(const ConstImageF32& src, const ImageF32& dst, float scale,
                         float offset) {
  scale_offset_impl(src, dst, scale, offset);
}
void scale_offset_kernel(const ConstImageF32& src, const ImageU8& dst, float scale, float offset) {
  scale_offset_impl(src, dst, scale, offset);
}

template <typename Tin>
static void normalize_channels_impl(const ImageView<const Tin>& src, const ImageF32& dst,
                                    const float* scale, const float* offset) {
  for_each_element(src, dst, [&](Tin v, int64_t k) { return static_cast<float>(v) * scale[k] + offset[k]; });
}
void normalize_channels_kernel(const ConstImageU8& src, const ImageF32& dst, const float* scale,
                               const float* offset) {
  normalize_channels_impl(src, dst, scale, offset);
}
void normalize_channels_kernel(const ConstImageF32& src, const ImageF32& dst, const float* scale,
                               const float* offset) {
  normalize_channels_impl(src, dst, scale, offset);
}

void normalize_rgb_planes_kernel(const uint8_t* x, int64_t pixels, const float* scale,
                                 const float* offset, float* planes, int64_t plane) {
  for (int64_t k = 0; k < 3; ++k)
    for (int64_t i = 0; i < pixels; ++i)
      planes[k * plane + i] = static_cast<float>(x[3 * i + k]) * scale[k] + offset[k];
}

void narrow_floats_kernel(const float* src, uint16_t* dst, int64_t n, HalfFormat format) {
  if (format == HalfFormat::bfloat16)
    for (int64_t i = 0; i < n; ++i) dst[i] = bfloat16_bits(src[i]);
  else
    for (int64_t i = 0; i < n; ++i) dst[i] = float16_bits(src[i]);
}

void keras_brightness_kernel(const ImageF32& img, float factor, bool keep_alpha) {
  float lo, hi;
  min_max_impl<float>(img, &lo, &hi);
  const float range = hi - lo;  // == max(x - lo): float subtraction is monotonic
  const float divisor = range != 0.0f ? range : 1.0f;  // x / 1 == x: as skipping the division
  for (int64_t r = 0; r < img.height; ++r)
    for (int64_t c = 0; c < img.width; ++c) {
      float* p = img.pixel(r, c);
      for (int64_t k = 0; k < img.channels; ++k)
        p[k] = keras_brightness_value(p[k], lo, divisor, factor, keep_alpha && k == 3);
    }
}

}  // namespace scalar

template <typename T>
void adjust_brightness(const ImageView<const T>& src, const ImageView<T>& dst, float factor,
                       BrightnessRounding rounding) {
  FASTAUG_DISPATCH(adjust_brightness_kernel, src, dst, factor, rounding);
}

const char* brightness_u8_method(float factor, BrightnessRounding rounding) {
  FASTAUG_DISPATCH(brightness_u8_method_kernel, factor, rounding);
}

template <typename T>
void channel_shift(const ImageView<const T>& src, const ImageView<T>& dst, const float* shift,
                   float lo, float hi) {
  FASTAUG_DISPATCH(channel_shift_kernel, src, dst, shift, lo, hi);
}

template <typename T>
void min_max(const ImageView<const T>& img, float* lo, float* hi) {
  FASTAUG_DISPATCH(min_max_kernel, img, lo, hi);
}

template <typename Tin, typename Tout>
void scale_offset(const ImageView<const Tin>& src, const ImageView<Tout>& dst, float scale,
                  float offset) {
  FASTAUG_DISPATCH(scale_offset_kernel, src, dst, scale, offset);
}

template <typename Tin>
void normalize_channels(const ImageView<const Tin>& src, const ImageF32& dst, const float* scale,
                        const float* offset) {
  FASTAUG_DISPATCH(normalize_channels_kernel, src, dst, scale, offset);
}

void normalize_rgb_planes(const uint8_t* x, int64_t pixels, const float* scale,
                          const float* offset, float* planes, int64_t plane) {
  FASTAUG_DISPATCH(normalize_rgb_planes_kernel, x, pixels, scale, offset, planes, plane);
}

void narrow_floats(const float* src, uint16_t* dst, int64_t n, HalfFormat format) {
  FASTAUG_DISPATCH(narrow_floats_kernel, src, dst, n, format);
}

float keras_brightness_value(float x, float lo, float divisor, float factor, bool alpha) {
  x = (x - lo) / divisor * 255.0f;
  // astype(uint8) truncates; x is in [0, 255] for finite input, NaN -> 0 keeps it defined.
  x = x > 0.0f ? (x < 255.0f ? std::trunc(x) : 255.0f) : 0.0f;
  return alpha ? x : scalar::floor_brightness(factor, x);
}

void keras_brightness_inplace(const ImageF32& img, float factor, bool keep_alpha) {
  FASTAUG_DISPATCH(keras_brightness_kernel, img, factor, keep_alpha);
}

template void adjust_brightness<uint8_t>(const ConstImageU8&, const ImageU8&, float,
                                         BrightnessRounding);
template void adjust_brightness<float>(const ConstImageF32&, const ImageF32&, float,
                                       BrightnessRounding);
template void channel_shift<uint8_t>(const ConstImageU8&, const ImageU8&, const float*, float,
                                     float);
template void channel_shift<float>(const ConstImageF32&, const ImageF32&, const float*, float,
                                   float);
template void min_max<uint8_t>(const ConstImageU8&, float*, float*);
template void min_max<float>(const ConstImageF32&, float*, float*);
template void scale_offset<uint8_t, uint8_t>(const ConstImageU8&, const ImageU8&, float, float);
template void scale_offset<uint8_t, float>(const ConstImageU8&, const ImageF32&, float, float);
template void scale_offset<float, float>(const ConstImageF32&, const ImageF32&, float, float);
template void scale_offset<float, uint8_t>(const ConstImageF32&, const ImageU8&, float, float);
template void normalize_channels<uint8_t>(const ConstImageU8&, const ImageF32&, const float*, const float*);
template void normalize_channels<float>(const ConstImageF32&, const ImageF32&, const float*, const float*);

}  // namespace fastaug
