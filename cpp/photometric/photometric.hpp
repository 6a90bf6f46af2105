// Per-pixel intensity operations. src and dst have equal shapes; dst may alias src exactly
// (same data and strides: in place) but must not otherwise overlap it.
#pragma once
#include <cstdint>

#include "core/half.hpp"
#include "core/image.hpp"
#include "core/isa_namespaces.hpp"

namespace fastaug {

enum class BrightnessRounding : int {
  // uint8: clamp(rint(float32(v) * float32(f)), 0, 255), rint = round half to even.
  // float32: v * f.
  nearest = 0,
  // Keras/Pillow ImageEnhance.Brightness: clamp(floor(float32(f) * float32(v)), 0, 255),
  // for uint8 and float32 alike.
  floor = 1,
};

template <typename T>
void adjust_brightness(const ImageView<const T>& src, const ImageView<T>& dst, float factor,
                       BrightnessRounding rounding);

// How the active SIMD level computes uint8 adjust_brightness for this factor (same results
// whichever): "float" (float32 arithmetic per element), "table" (AVX-512 VBMI byte-table
// lookups), or 16-bit integer multiplies checked against the float results for all 256
// bytes: "multiply", "multiply+parity" (ties to even by a second multiply), "multiply+map"
// (a 256-bit correction map). For tests and benchmarks that watch the fast paths.
const char* brightness_u8_method(float factor, BrightnessRounding rounding);

// dst = clamp(src + shift[c], lo, hi) per channel c (shift has `channels` entries), in float32;
// uint8 rounds half to even before clamping, and lo/hi are clamped to [0, 255] first, then
// rounded inward (ceil(lo), floor(hi)) so the output stays within [lo, hi]. The clamp is
// min(max(x, lo), hi), numpy.clip's rule: hi wins if lo > hi, and a float NaN stays NaN.
template <typename T>
void channel_shift(const ImageView<const T>& src, const ImageView<T>& dst, const float* shift,
                   float lo, float hi);

// Minimum and maximum over every pixel and channel (NaN-free input assumed). An empty image
// gives lo = +inf, hi = -inf.
template <typename T>
void min_max(const ImageView<const T>& img, float* lo, float* hi);

// dst = src * scale + offset in float32, one pass (rescale, dtype conversion).
// A uint8 destination rounds half to even and saturates; NaN becomes 0 (every float -> uint8
// conversion in this family does so).
template <typename Tin, typename Tout>
void scale_offset(const ImageView<const Tin>& src, const ImageView<Tout>& dst, float scale,
                  float offset);

// dst[..., k] = src[..., k] * scale[k] + offset[k] in float32 (Normalize: scale = 1 / std,
// offset = -mean / std, folded with the dtype's range); scale and offset hold `channels`
// entries. dst may alias a float32 src exactly.
template <typename Tin>
void normalize_channels(const ImageView<const Tin>& src, const ImageF32& dst, const float* scale,
                        const float* offset);

// planes[k * plane + i] = x[3 * i + k] * scale[k] + offset[k] (normalize_channels' float32
// arithmetic) for `pixels` dense RGB pixels: the normalisation stored channels-first.
void normalize_rgb_planes(const uint8_t* x, int64_t pixels, const float* scale,
                          const float* offset, float* planes, int64_t plane);

// dst[i] = src[i] as a 16-bit float of `format` (core/half.hpp's rounding), i < n.
void narrow_floats(const float* src, uint16_t* dst, int64_t n, HalfFormat format);

// uint8 -> uint8 kernels at the AVX-512 level apply a 256-entry table per channel (built
// with the arithmetic kernel, so results are identical) when avx512vbmi_enabled().

// Per-ISA entry points behind the templates above (same arguments, one overload per dtype
// combination). Callers use the public functions, which dispatch on the active SIMD level.
FASTAUG_DECLARE_PER_ISA(void adjust_brightness_kernel(const ConstImageU8& src, const ImageU8& dst, float factor, BrightnessRounding rounding))
FASTAUG_DECLARE_PER_ISA(void adjust_brightness_kernel(const ConstImageF32& src, const ImageF32& dst, float factor, BrightnessRounding rounding))
FASTAUG_DECLARE_PER_ISA(const char* brightness_u8_method_kernel(float factor, BrightnessRounding rounding))
FASTAUG_DECLARE_PER_ISA(void channel_shift_kernel(const ConstImageU8& src, const ImageU8& dst, const float* shift, float lo, float hi))
FASTAUG_DECLARE_PER_ISA(void channel_shift_kernel(const ConstImageF32& src, const ImageF32& dst, const float* shift, float lo, float hi))
FASTAUG_DECLARE_PER_ISA(void min_max_kernel(const ConstImageU8& img, float* lo, float* hi))
FASTAUG_DECLARE_PER_ISA(void min_max_kernel(const ConstImageF32& img, float* lo, float* hi))
FASTAUG_DECLARE_PER_ISA(void scale_offset_kernel(const ConstImageU8& src, const ImageU8& dst, float scale, float offset))
FASTAUG_DECLARE_PER_ISA(void scale_offset_kernel(const ConstImageU8& src, const ImageF32& dst, float scale, float offset))
FASTAUG_DECLARE_PER_ISA(void scale_offset_kernel(const ConstImageF32& src, const ImageF32& dst, float scale, float offset))
FASTAUG_DECLARE_PER_ISA(void scale_offset_kernel(const ConstImageF32& src, const ImageU8& dst, float scale, float offset))
FASTAUG_DECLARE_PER_ISA(void normalize_channels_kernel(const ConstImageU8& src, const ImageF32& dst, const float* scale, const float* offset))
FASTAUG_DECLARE_PER_ISA(void normalize_channels_kernel(const ConstImageF32& src, const ImageF32& dst, const float* scale, const float* offset))
FASTAUG_DECLARE_PER_ISA(void normalize_rgb_planes_kernel(const uint8_t* x, int64_t pixels, const float* scale, const float* offset, float* planes, int64_t plane))
FASTAUG_DECLARE_PER_ISA(void narrow_floats_kernel(const float* src, uint16_t* dst, int64_t n, HalfFormat format))
FASTAUG_DECLARE_PER_ISA(void keras_brightness_kernel(const ImageF32& img, float factor, bool keep_alpha))

// keras-preprocessing 1.1.2 brightness, in place on a float32 image (docs/keras-semantics.md, "Brightness"):
// m = min(x); x' = x - m; M = max(x'); if M != 0: x' /= M; x' *= 255 (all float32);
// u = trunc(x') as uint8; x = clamp(floor(float32(f) * u), 0, 255).
// With keep_alpha (4 channels: RGBA), channel 3 becomes u unchanged, as Pillow keeps alpha.
void keras_brightness_inplace(const ImageF32& img, float factor, bool keep_alpha);

// keras_brightness_inplace's formula for one element x, given the image's minimum `lo` and
// `divisor` (its range, or 1 when the range is 0); alpha: the element is an RGBA alpha
// value kept at its stretched value. The scalar reference, which the executor's scalar
// fused pass calls too (the SIMD levels apply photometric_simd.hpp's KerasBrightness).
float keras_brightness_value(float x, float lo, float divisor, float factor, bool alpha);

}  // namespace fastaug
