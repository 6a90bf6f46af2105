#include "pipeline/color_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/simd_level.hpp"
#include "autoaugment/torch_affine.hpp"
#include "filter/filter.hpp"
#include "photometric/photometric.hpp"
#include "pipeline/torchvision_color.hpp"

namespace fastaug {
namespace {

// x * a + b in float32 (rounded once when the float-stage image is stored).
void multiply_add_f32(const ImageF32& x, float a, float b) { scale_offset<float, float>(x, x, a, b); }

// torchvision's adjust_brightness: uint8 clamp(floor(x * a), 0, 255) (its truncating store);
// float32 clamp(x * a, 0, 1).
void brightness_u8(const ImageU8& x, float a, float) {
  adjust_brightness<uint8_t>(x, x, a, BrightnessRounding::floor);
}
void brightness_f32(const ImageF32& x, float a, float) {
  for (int64_t r = 0; r < x.height; ++r)
    for (int64_t c = 0; c < x.width; ++c) {
      float* p = x.pixel(r, c);
      for (int64_t k = 0; k < x.channels; ++k) {
        const float v = p[k] * a;
        p[k] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);  // NaN stays NaN, as torch.clamp
      }
    }
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
// solarize with the threshold as a fraction of the bound (RandAugment's magnitude): torch
// forms bound * a in double and compares in float32.
void solarize_fraction_u8(const ImageU8& x, float a, float) {
  solarize_u8(x, static_cast<float>(255.0 * static_cast<double>(a)), 0.0f);
}
void solarize_f32(const ImageF32& x, float a, float) {
  for (int64_t r = 0; r < x.height; ++r) {
    for (int64_t c = 0; c < x.width; ++c) {
      float* p = x.pixel(r, c);
      for (int64_t k = 0; k < x.channels; ++k) p[k] = p[k] >= a ? 1.0f - p[k] : p[k];
    }
  }
}


// ---- torchvision's colour ops (transforms.v2.functional), same float32 operation order;
// their float32 images are in [0, 1]. The per-element loops of contrast, saturation, hue and
// grayscale are in torchvision_color_simd.inl, compiled per ISA.

// Every pixel of x, row by row: fn(pixel pointer).
template <typename T, typename Fn>
void each_pixel(const ImageView<T>& x, Fn fn) {
  for (int64_t r = 0; r < x.height; ++r)
    for (int64_t c = 0; c < x.width; ++c) fn(x.pixel(r, c));
}

// fn(pointer, pixels) over runs of whole pixels: each dense row at once, else pixel by pixel.
template <typename T, typename Fn>
void each_run(const ImageView<T>& x, Fn fn) {
  for (int64_t r = 0; r < x.height; ++r) {
    if (x.dense_rows()) {
      fn(x.row(r), x.width);
      continue;
    }
    for (int64_t c = 0; c < x.width; ++c) fn(x.pixel(r, c), int64_t{1});
  }
}

template <typename T>
double luma_sum_at_level(const T* p, int64_t pixels) { FASTAUG_DISPATCH(luma_sum, p, pixels); }
template <typename T>
void blend_constant_at_level(T* p, int64_t n, float other, float ratio, float rest) {
  FASTAUG_DISPATCH(blend_constant, p, n, other, ratio, rest);
}
template <typename T>
void blend_luma_at_level(T* p, int64_t pixels, float ratio, float rest) {
  FASTAUG_DISPATCH(blend_luma, p, pixels, ratio, rest);
}
template <typename T>
void to_luma_at_level(T* p, int64_t pixels) { FASTAUG_DISPATCH(to_luma, p, pixels); }
template <typename T>
void shift_hue_at_level(T* p, int64_t pixels, float shift) { FASTAUG_DISPATCH(shift_hue, p, pixels, shift); }

// _blend's 1 - ratio: `ratio` is float32 exactly, and torchvision forms 1 - ratio in double
// from the Python float.
float rest_of(float ratio) { return static_cast<float>(1.0 - static_cast<double>(ratio)); }

// adjust_contrast: blend with the mean of the (uint8: floored) luma, or of the one channel.
// b: torchvision's 1 - ratio when the caller formed it from a ratio that is not a float32
// (0: 1 - a, which is exact for float32 ratios).
template <typename T>
void contrast(const ImageView<T>& x, float a, float b) {
  double total = 0.0;  // exact for uint8 lumas (torchvision sums float32)
  if (x.channels == 3) {
    each_run(x, [&](T* p, int64_t n) { total += luma_sum_at_level<T>(p, n); });
  } else {
    each_pixel(x, [&](T* p) { total += static_cast<float>(p[0]); });
  }
  const float count = static_cast<float>(x.height * x.width);
  const float mean = static_cast<float>(total) / count;
  const float rest = b != 0.0f ? b : rest_of(a);
  each_run(x, [&](T* p, int64_t n) {
    blend_constant_at_level<T>(p, n * x.channels, mean, a, rest);
  });
}

// adjust_saturation: blend each pixel with its (uint8: floored) luma; one channel unchanged.
template <typename T>
void saturation(const ImageView<T>& x, float a, float b) {
  if (x.channels == 1) return;
  const float rest = b != 0.0f ? b : rest_of(a);  // b as contrast's
  each_run(x, [&](T* p, int64_t n) { blend_luma_at_level<T>(p, n, a, rest); });
}

// adjust_hue by `a` turns; one channel unchanged.
template <typename T>
void hue(const ImageView<T>& x, float a, float) {
  if (x.channels == 1) return;
  each_run(x, [&](T* p, int64_t n) { shift_hue_at_level<T>(p, n, a); });
}

// rgb_to_grayscale with three output channels (uint8 truncated); one channel unchanged.
template <typename T>
void grayscale(const ImageView<T>& x, float, float) {
  if (x.channels == 1) return;
  each_run(x, [&](T* p, int64_t n) { to_luma_at_level<T>(p, n); });
}

template <typename T>
constexpr float bound_of() { return sizeof(T) == 1 ? 255.0f : 1.0f; }
inline uint8_t store_u8(float v) { return static_cast<uint8_t>(v); }  // v in [0, 255]

// invert: 255 - x (uint8), 1 - x (float32).
void invert_u8(const ImageU8& x, float, float) {
  each_pixel(x, [&](uint8_t* p) {
    for (int64_t k = 0; k < x.channels; ++k) p[k] = static_cast<uint8_t>(255 - p[k]);
  });
}
void invert_f32(const ImageF32& x, float, float) {
  each_pixel(x, [&](float* p) {
    for (int64_t k = 0; k < x.channels; ++k) p[k] = 1.0f - p[k];
  });
}

// posterize to `a` bits (0..8): uint8 keeps the top bits; float32 floor(x * 2^a), clamped to
// [0, 2^a - 1], over 2^a.
int posterize_bits(float a) { return a <= 0.0f ? 0 : (a >= 8.0f ? 8 : static_cast<int>(a)); }
void posterize_u8(const ImageU8& x, float a, float) {
  const int bits = posterize_bits(a);
  if (bits >= 8) return;
  const uint8_t mask = static_cast<uint8_t>(((1 << bits) - 1) << (8 - bits));
  each_pixel(x, [&](uint8_t* p) {
    for (int64_t k = 0; k < x.channels; ++k) p[k] &= mask;
  });
}
void posterize_f32(const ImageF32& x, float a, float) {
  const float levels = static_cast<float>(1 << posterize_bits(a));
  const float top = levels - 1.0f, inverse = static_cast<float>(1.0 / static_cast<double>(levels));
  each_pixel(x, [&](float* p) {
    for (int64_t k = 0; k < x.channels; ++k) {
      float v = std::floor(p[k] * levels);
      v = v < 0.0f ? 0.0f : (v > top ? top : v);
      p[k] = v * inverse;
    }
  });
}

// autocontrast: each channel stretched from its [min, max] to [0, bound].
template <typename T>
void autocontrast(const ImageView<T>& x, float, float) {
  const bool u8 = sizeof(T) == 1;
  const float bound = bound_of<T>();
  const float per_level = static_cast<float>(1.0 / static_cast<double>(bound));
  for (int64_t k = 0; k < x.channels; ++k) {
    float lo = INFINITY, hi = -INFINITY;
    each_pixel(x, [&](T* p) {
      const float v = static_cast<float>(p[k]);
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    });
    float inverse_scale = (hi - lo) * per_level;
    if (hi == lo) {
      lo = 0.0f;
      inverse_scale = 1.0f;
    }
    each_pixel(x, [&](T* p) {
      float v = (static_cast<float>(p[k]) - lo) / inverse_scale;
      v = v < 0.0f ? 0.0f : (v > bound ? bound : v);
      p[k] = u8 ? static_cast<T>(store_u8(v)) : static_cast<T>(v);
    });
  }
}

// equalize: Pillow's histogram equalisation per channel (torchvision's equalize_image); a
// channel whose values are all but one level's is left as it is. float32 is binned to uint8
// as to_dtype_image does (x * 255.999) and scaled back by 1/255.
template <typename T>
void equalize(const ImageView<T>& x, float, float) {
  const bool u8 = sizeof(T) == 1;
  const float from_unit = 256.0f - 1e-3f, to_unit = static_cast<float>(1.0 / 255.0);
  const auto level = [&](T v) {
    return u8 ? static_cast<int>(v) : static_cast<int>(static_cast<uint8_t>(static_cast<float>(v) * from_unit));
  };
  const int64_t count = x.height * x.width;
  for (int64_t k = 0; k < x.channels; ++k) {
    int64_t hist[256] = {0};
    each_pixel(x, [&](T* p) { ++hist[level(p[k])]; });
    int64_t cumulative[256];
    int64_t total = 0;
    int last = 0;  // the last non-empty bin: the first bin where the cumulative count peaks
    for (int b = 0; b < 256; ++b) {
      total += hist[b];
      cumulative[b] = total;
      if (hist[b]) last = b;
    }
    const int64_t step = (count - hist[last]) / 255;
    if (step == 0) continue;
    uint8_t lut[256];
    lut[0] = 0;
    for (int b = 1; b < 256; ++b) {
      const int64_t v = (cumulative[b - 1] + step / 2) / step;
      lut[b] = static_cast<uint8_t>(v > 255 ? 255 : v);
    }
    each_pixel(x, [&](T* p) {
      const uint8_t v = lut[level(p[k])];
      p[k] = u8 ? static_cast<T>(v) : static_cast<T>(static_cast<float>(v) * to_unit);
    });
  }
}

// ---- neighbourhood ops (cpp/filter/), in place on the warped image.

// torchvision's gaussian_blur: a = kx + 4096 ky (odd tap counts across and down, below
// 4096: the op table has two float arguments), b = sigma for both axes.
template <typename T>
void gaussian_blur(const ImageView<T>& x, float a, float sigma) {
  const int code = static_cast<int>(a);
  const int nx = code % 4096, ny = code / 4096;
  thread_local std::vector<float> kx, ky;
  kx.resize(static_cast<size_t>(nx));
  ky.resize(static_cast<size_t>(ny));
  gaussian_kernel1d(nx, sigma, kx.data());
  gaussian_kernel1d(ny, sigma, ky.data());
  separable_filter<T>(x, kx.data(), nx, ky.data(), ny);
}

// torchvision's adjust_sharpness: a = the factor (for the record), b = 1 - factor as
// torchvision forms it (in double from the Python float, then float32).
template <typename T>
void sharpness(const ImageView<T>& x, float, float b) {
  sharpen<T>(x, b);
}

// ---- RandAugment's geometric ops, as torchvision runs them after the ops before them
// (autoaugment/): a = torchvision's magnitude, b = the fill.
template <typename T, TorchAffineOp kOp>
void torch_affine(const ImageView<T>& x, float a, float b) {
  torch_affine_op<T>(x, kOp, static_cast<double>(a), b);
}

const ColorOpInfo kTable[] = {
    {"none", ColorOpFamily::in_dtype, nullptr, nullptr},
    {"keras_channel_shift", ColorOpFamily::keras, nullptr, nullptr},
    {"keras_brightness", ColorOpFamily::keras, nullptr, nullptr},
    {"multiply_add", ColorOpFamily::float_stage, nullptr, multiply_add_f32, true},
    {"brightness", ColorOpFamily::in_dtype, brightness_u8, brightness_f32},
    {"channel_add", ColorOpFamily::in_dtype, channel_add<uint8_t>, channel_add<float>},
    {"solarize", ColorOpFamily::in_dtype, solarize_u8, solarize_f32},
    {"contrast", ColorOpFamily::in_dtype, contrast<uint8_t>, contrast<float>, false, true},
    {"saturation", ColorOpFamily::in_dtype, saturation<uint8_t>, saturation<float>, false, true},
    {"hue", ColorOpFamily::in_dtype, hue<uint8_t>, hue<float>, false, true},
    {"grayscale", ColorOpFamily::in_dtype, grayscale<uint8_t>, grayscale<float>, false, true},
    {"invert", ColorOpFamily::in_dtype, invert_u8, invert_f32},
    {"posterize", ColorOpFamily::in_dtype, posterize_u8, posterize_f32},
    {"autocontrast", ColorOpFamily::in_dtype, autocontrast<uint8_t>, autocontrast<float>, false, true},
    {"equalize", ColorOpFamily::in_dtype, equalize<uint8_t>, equalize<float>},
    {"gaussian_blur", ColorOpFamily::in_dtype, gaussian_blur<uint8_t>, gaussian_blur<float>},
    {"sharpness", ColorOpFamily::in_dtype, sharpness<uint8_t>, sharpness<float>, false, true},
    {"shear_x", ColorOpFamily::in_dtype, torch_affine<uint8_t, TorchAffineOp::shear_x>,
     torch_affine<float, TorchAffineOp::shear_x>},
    {"shear_y", ColorOpFamily::in_dtype, torch_affine<uint8_t, TorchAffineOp::shear_y>,
     torch_affine<float, TorchAffineOp::shear_y>},
    {"translate_x", ColorOpFamily::in_dtype, torch_affine<uint8_t, TorchAffineOp::translate_x>,
     torch_affine<float, TorchAffineOp::translate_x>},
    {"translate_y", ColorOpFamily::in_dtype, torch_affine<uint8_t, TorchAffineOp::translate_y>,
     torch_affine<float, TorchAffineOp::translate_y>},
    {"solarize_fraction", ColorOpFamily::in_dtype, solarize_fraction_u8, solarize_f32},
    {"rotate", ColorOpFamily::in_dtype, torch_affine<uint8_t, TorchAffineOp::rotate>,
     torch_affine<float, TorchAffineOp::rotate>},
};

}  // namespace

int32_t color_op_count() { return static_cast<int32_t>(sizeof(kTable) / sizeof(kTable[0])); }
const ColorOpInfo& color_op(int32_t code) { return kTable[code]; }

}  // namespace fastaug
