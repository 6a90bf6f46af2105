#include "pipeline/augment_batch.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "geometry/warp_affine.hpp"
#include "photometric/photometric.hpp"
#include "core/simd_level.hpp"
#include "pipeline/thread_pool.hpp"

namespace fastaug {

namespace scalar {
namespace {

// finish_image's formula, one element at a time.
float finish_value(float x, int64_t channel, const FinishParams& f) {
  if (f.brightness) {
    x = (x - f.lo) / f.divisor * 255.0f;
    const float u = x > 0.0f ? (x < 255.0f ? std::trunc(x) : 255.0f) : 0.0f;
    if (f.keep_alpha && channel == 3) {
      x = u;
    } else {
      x = std::floor(f.factor * u);
      x = x < 0.0f ? 0.0f : x;
      x = x > 255.0f ? 255.0f : x;
    }
  }
  if (f.rescale != 1.0f) x = x * f.rescale + 0.0f;
  return x;
}
void store_value(float* p, float x) { *p = x; }
void store_value(uint8_t* p, float x) {
  x = x > 0.0f ? x : 0.0f;
  x = x < 255.0f ? x : 255.0f;
  *p = static_cast<uint8_t>(std::nearbyint(x));
}

template <typename Tout>
void finish_impl(const ConstImageF32& x, const ImageView<Tout>& dst, const FinishParams& f) {
  for (int64_t r = 0; r < dst.height; ++r)
    for (int64_t c = 0; c < dst.width; ++c)
      for (int64_t k = 0; k < dst.channels; ++k)
        store_value(dst.pixel(r, c) + k, finish_value(x.pixel(r, c)[k], k, f));
}

}  // namespace

void finish_image(const ConstImageF32& x, const ImageU8& dst, const FinishParams& f) {
  finish_impl(x, dst, f);
}
void finish_image(const ConstImageF32& x, const ImageF32& dst, const FinishParams& f) {
  finish_impl(x, dst, f);
}

void brightness_stretch_u8(const ConstImageF32& x, const ImageU8& dst, float lo, float divisor) {
  FinishParams f;
  f.brightness = true;
  f.lo = lo;
  f.divisor = divisor;
  f.factor = 1.0f;  // floor(1 * u) == u
  finish_impl(x, dst, f);
}

}  // namespace scalar

namespace {

// Per-thread working memory, reused across images and calls so the hot loop never allocates.
struct Scratch {
  std::vector<float> image;   // float32 staging image for uint8 outputs
  std::vector<float> shifts;  // channel_shift's per-channel argument
};

Scratch& thread_scratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Keras §3.3 then §3.4, in place on the warped float32 image.
void photometric_steps(const ImageF32& x, float shift, float brightness, Scratch& scratch) {
  if (!std::isnan(shift)) {
    float lo, hi;
    min_max<float>(x, &lo, &hi);
    scratch.shifts.assign(static_cast<size_t>(x.channels), shift);
    channel_shift<float>(x, x, scratch.shifts.data(), lo, hi);
  }
  if (!std::isnan(brightness)) keras_brightness_inplace(x, brightness, x.channels == 4);
}

template <typename Tout>
void finish(const ConstImageF32& x, const ImageView<Tout>& dst, const FinishParams& f) {
  FASTAUG_DISPATCH(finish_image, x, dst, f);
}

void stretch_to_u8(const ConstImageF32& x, const ImageU8& dst, const FinishParams& f) {
  FASTAUG_DISPATCH(brightness_stretch_u8, x, dst, f.lo, f.divisor);
}

template <typename Tin, typename Tout>
void augment_one(const ImageView<const Tin>& src, const ImageView<Tout>& dst, const WarpParams& warp,
                 float shift, float brightness, float rescale) {
  const bool photometric = !std::isnan(shift) || !std::isnan(brightness);
  // Without a channel shift, the steps after the warp are one pass from a float32 staging
  // image that stays in cache to dst (written once).
  if (std::isnan(shift) && (!std::isnan(brightness) || (!std::is_same<Tout, float>::value && rescale != 1.0f))) {
    Scratch& scratch = thread_scratch();
    const size_t size = static_cast<size_t>(dst.height * dst.width * dst.channels);
    if (scratch.image.size() < size) scratch.image.resize(size);
    const ImageF32 x{scratch.image.data(), dst.height, dst.width, dst.channels,
                     dst.width * dst.channels, dst.channels};
    FinishParams f;
    f.rescale = rescale;
    float lo, hi;
    if constexpr (std::is_same<Tin, uint8_t>::value) {
      if (!std::isnan(brightness)) warp_affine_with_range(src, x, warp, &lo, &hi);
      else warp_affine<Tin, float>(src, x, warp);
    } else {
      warp_affine<Tin, float>(src, x, warp);
      if (!std::isnan(brightness)) min_max<float>(x, &lo, &hi);
    }
    if (!std::isnan(brightness)) {
      const float range = hi - lo;  // == max(x - lo): float subtraction is monotonic
      f.brightness = true;
      f.lo = lo;
      // x / 1 == x exactly, so dividing by 1 when the range is 0 matches skipping the division.
      f.divisor = range != 0.0f ? range : 1.0f;
      f.factor = brightness;
      f.keep_alpha = dst.channels == 4;
    }
    if constexpr (std::is_same<Tout, uint8_t>::value) {
      if (f.brightness && !f.keep_alpha && rescale == 1.0f) {
        stretch_to_u8(x, dst, f);
        adjust_brightness<uint8_t>(dst, dst, brightness, BrightnessRounding::floor);
        return;
      }
    }
    finish<Tout>(x, dst, f);
    return;
  }
  if constexpr (std::is_same<Tout, float>::value) {
    // Warp straight into the output, then finish in place while it is still in cache.
    warp_affine<Tin, float>(src, dst, warp);
    Scratch& scratch = thread_scratch();
    photometric_steps(dst, shift, brightness, scratch);
    if (rescale != 1.0f) scale_offset<float, float>(dst, dst, rescale, 0.0f);
  } else {
    if (!photometric && rescale == 1.0f) {
      warp_affine<Tin, uint8_t>(src, dst, warp);
      return;
    }
    Scratch& scratch = thread_scratch();
    const size_t size = static_cast<size_t>(dst.height * dst.width * dst.channels);
    if (scratch.image.size() < size) scratch.image.resize(size);
    const ImageF32 x{scratch.image.data(), dst.height, dst.width, dst.channels,
                     dst.width * dst.channels, dst.channels};
    warp_affine<Tin, float>(src, x, warp);
    photometric_steps(x, shift, brightness, scratch);
    scale_offset<float, uint8_t>(x, dst, rescale, 0.0f);
  }
}

}  // namespace

template <typename Tin, typename Tout>
void augment_batch(const ImageStack<const Tin>& src, const ImageStack<Tout>& out,
                   const int64_t* indices, const AffineMatrix* matrices,
                   const float* channel_shift, const float* brightness,
                   const AugmentSettings& settings) {
  const int64_t c = out.channels;
  if (c != 1 && c != 3 && c != 4) {
    for (int64_t i = 0; i < out.count; ++i)
      if (!std::isnan(brightness[i]))
        throw std::invalid_argument("Unsupported channel number: " + std::to_string(c) +
                                    " (brightness needs 1, 3 or 4 channels)");
  }
  parallel_for(out.count, settings.num_threads, [&](int64_t i) {
    WarpParams warp;
    warp.matrix = matrices[i];
    warp.interp = settings.interp;
    warp.fill = settings.fill;
    warp.cval = settings.cval;
    augment_one<Tin, Tout>(src.image(indices[i]), out.image(i), warp, channel_shift[i],
                           brightness[i], settings.rescale);
  });
}

#define FASTAUG_INSTANTIATE_AUGMENT_BATCH(Tin, Tout)                                           \
  template void augment_batch<Tin, Tout>(const ImageStack<const Tin>&, const ImageStack<Tout>&, \
                                         const int64_t*, const AffineMatrix*, const float*,     \
                                         const float*, const AugmentSettings&);
FASTAUG_INSTANTIATE_AUGMENT_BATCH(uint8_t, uint8_t)
FASTAUG_INSTANTIATE_AUGMENT_BATCH(uint8_t, float)
FASTAUG_INSTANTIATE_AUGMENT_BATCH(float, uint8_t)
FASTAUG_INSTANTIATE_AUGMENT_BATCH(float, float)
#undef FASTAUG_INSTANTIATE_AUGMENT_BATCH

}  // namespace fastaug
