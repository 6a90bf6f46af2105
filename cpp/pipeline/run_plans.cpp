#include "pipeline/run_plans.hpp"
#include "pipeline/color_ops.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "geometry/warp_affine.hpp"
#include "photometric/photometric.hpp"
#include "core/simd_level.hpp"
#include "pipeline/thread_pool.hpp"
#include "resample/resample.hpp"

namespace fastaug {

namespace scalar {
namespace {

// finish_image's formula, one element at a time: photometric's Keras brightness, then
// scale_offset's rescale.
float finish_value(float x, int64_t channel, const FinishParams& f) {
  if (f.brightness) x = keras_brightness_value(x, f.lo, f.divisor, f.factor, f.keep_alpha && channel == 3);
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
  std::vector<float> image;           // float32 staging image for uint8 outputs
  std::vector<unsigned char> source_dtype;  // the warp in the source's dtype, when it differs
  std::vector<float> shifts;          // channel_shift's per-channel argument
  std::vector<unsigned char> interleaved;  // a channels-last image bound for planar output
  std::vector<float> row;             // one normalised row bound for 16-bit floats
};

Scratch& thread_scratch() {
  thread_local Scratch scratch;
  return scratch;
}

// A dense float32 image of dst's size in the thread's staging buffer.
template <typename T>
ImageF32 staging(Scratch& scratch, const ImageView<T>& dst) {
  const size_t size = static_cast<size_t>(dst.height * dst.width * dst.channels);
  if (scratch.image.size() < size) scratch.image.resize(size);
  return ImageF32{scratch.image.data(), dst.height, dst.width, dst.channels,
                  dst.width * dst.channels, dst.channels};
}

// Keras's channel shift, then its brightness, in place on the warped float32 image.
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

// Keras's steps (channel shift, then brightness, then rescale) on the float32 warp.
template <typename Tin, typename Tout>
void keras_plan(const ImageView<const Tin>& src, const ImageView<Tout>& dst, const WarpParams& warp,
                float shift, float brightness, float rescale) {
  const bool photometric = !std::isnan(shift) || !std::isnan(brightness);
  // Without a channel shift, the steps after the warp are one pass from a float32 staging
  // image that stays in cache to dst (written once).
  if (std::isnan(shift) && (!std::isnan(brightness) || (!std::is_same<Tout, float>::value && rescale != 1.0f))) {
    Scratch& scratch = thread_scratch();
    const ImageF32 x = staging(scratch, dst);
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
    const ImageF32 x = staging(scratch, dst);
    warp_affine<Tin, float>(src, x, warp);
    photometric_steps(x, shift, brightness, scratch);
    scale_offset<float, uint8_t>(x, dst, rescale, 0.0f);
  }
}

// (An image without ops has the family of code 0, "no op".)
ColorOpFamily family_of(const ImageOps& ops) { return color_op(ops.count ? ops.ops[0].code : 0).family; }

// Float-stage ops on the unrounded float32 warp, then rescale and the store.
template <typename Tin, typename Tout>
void float_stage_plan(const ImageView<const Tin>& src, const ImageView<Tout>& dst,
                      const WarpParams& warp, const ImageOps& ops, float rescale) {
  Scratch& scratch = thread_scratch();
  const ImageF32 x = std::is_same<Tout, float>::value
                         ? ImageF32{reinterpret_cast<float*>(dst.data), dst.height, dst.width,
                                    dst.channels, dst.row_stride, dst.col_stride}
                         : staging(scratch, dst);
  warp_affine<Tin, float>(src, x, warp);
  // A last multiply_add goes with the store when no rescale follows it: scale_offset computes
  // x * a + b and then rounds, the same arithmetic as the op and the store one after another.
  const ColorOp& last = ops.ops[ops.count - 1];
  const bool fused = rescale == 1.0f && color_op(last.code).multiply_add;
  for (int k = 0; k + fused < ops.count; ++k)
    color_op(ops.ops[k].code).apply_f32(x, ops.ops[k].a, ops.ops[k].b);
  const float a = fused ? last.a : rescale, b = fused ? last.b : 0.0f;
  if constexpr (std::is_same<Tout, float>::value)
    scale_offset<float, float>(x, x, a, b);
  else
    scale_offset<float, uint8_t>(x, dst, a, b);
}

// The geometry step of an in-dtype plan: antialiased resampling where settings ask for it
// and the map allows it (see PlanSettings::antialias), else the warp.
template <typename T>
void place(const ImageView<const T>& src, const ImageView<T>& dst, const WarpParams& warp,
           bool antialias) {
  const double* m = warp.matrix.m;
  if (antialias && m[1] == 0.0 && m[3] == 0.0 && m[0] != 0.0 && m[4] != 0.0) {
    // A flipped axis (negative scale) is resampled unflipped into a mirrored view of dst.
    ImageView<T> out = dst;
    double m0 = m[0], m2 = m[2], m4 = m[4], m5 = m[5];
    if (m0 < 0.0) {
      m2 += m0 * static_cast<double>(dst.height - 1);
      m0 = -m0;
      out.data = out.row(dst.height - 1);
      out.row_stride = -out.row_stride;
    }
    if (m4 < 0.0) {
      m5 += m4 * static_cast<double>(dst.width - 1);
      m4 = -m4;
      out.data += (dst.width - 1) * dst.col_stride;
      out.col_stride = -out.col_stride;
    }
    ResampleAxis y, x;
    if (resample_axis_from_pull(m0, m2, dst.height, src.height, &y) &&
        resample_axis_from_pull(m4, m5, dst.width, src.width, &x)) {
      resample_bilinear_aa<T>(src, out, y, x);
      return;
    }
  }
  warp_affine<T, T>(src, dst, warp);
}

template <typename T>
void apply_region(const ImageView<T>& x, const RegionOp& region) {
  const RegionOpInfo& info = region_op(region.code);
  if constexpr (std::is_same<T, uint8_t>::value)
    info.apply_u8(x, region);
  else
    info.apply_f32(x, region);
}

// In-dtype ops on an image of T, in place, the region ops among them where they come.
template <typename T>
void dtype_ops_inplace(const ImageView<T>& x, const ImageOps& ops) {
  int region = 0;
  for (int k = 0; k < ops.count; ++k) {
    for (; region < ops.region_count && ops.regions[region].after <= k; ++region)
      apply_region<T>(x, ops.regions[region]);
    const ColorOpInfo& op = color_op(ops.ops[k].code);
    if constexpr (std::is_same<T, uint8_t>::value)
      op.apply_u8(x, ops.ops[k].a, ops.ops[k].b);
    else
      op.apply_f32(x, ops.ops[k].a, ops.ops[k].b);
  }
  for (; region < ops.region_count; ++region) apply_region<T>(x, ops.regions[region]);
}

// out[..., k] = x[..., k] * scale[k] + offset[k] in float32 (settings' normalisation).
template <typename Tin>
void normalize_store(const ImageView<const Tin>& x, const ImageF32& dst, const PlanSettings& s) {
  normalize_channels<Tin>(x, dst, s.scale, s.offset);
}

// The normalisation stored as 16-bit floats, a row at a time through a float32 row.
template <typename Tin>
void narrow_normalize_store(const ImageView<const Tin>& x, const ImageView<uint16_t>& dst,
                            const PlanSettings& s) {
  Scratch& scratch = thread_scratch();
  const int64_t n = x.width * x.channels;
  if (scratch.row.size() < static_cast<size_t>(n)) scratch.row.resize(static_cast<size_t>(n));
  const ImageF32 row{scratch.row.data(), 1, x.width, x.channels, n, x.channels};
  for (int64_t r = 0; r < x.height; ++r) {
    normalize_channels<Tin>(ImageView<const Tin>{x.row(r), 1, x.width, x.channels, x.row_stride, x.col_stride},
                            row, s.scale, s.offset);
    if (dst.dense_rows())
      narrow_floats(row.data, dst.row(r), n, s.half);
    else
      for (int64_t c = 0; c < x.width; ++c)
        narrow_floats(row.data + c * x.channels, dst.pixel(r, c), x.channels, s.half);
  }
}

// The geometry in the source's dtype (uint8 rounds as warp_affine does), in-dtype ops in
// place, then rescale (or the normalisation) and the conversion to the output's dtype.
template <typename Tin, typename Tout>
void dtype_plan(const ImageView<const Tin>& src, const ImageView<Tout>& dst, const WarpParams& warp,
                const ImageOps& ops, const PlanSettings& settings) {
  const float rescale = settings.rescale;
  const bool normalize = settings.normalize_channels > 0;
  if constexpr (std::is_same<Tin, Tout>::value) {
    place<Tin>(src, dst, warp, settings.antialias);
    dtype_ops_inplace<Tout>(dst, ops);
    if constexpr (std::is_same<Tout, float>::value) {
      if (normalize) {
        normalize_store<float>(dst, dst, settings);
        return;
      }
    }
    if (rescale != 1.0f) scale_offset<Tout, Tout>(dst, dst, rescale, 0.0f);
  } else {
    Scratch& scratch = thread_scratch();
    const size_t size = static_cast<size_t>(dst.height * dst.width * dst.channels);
    if (scratch.source_dtype.size() < size * sizeof(Tin)) scratch.source_dtype.resize(size * sizeof(Tin));
    const ImageView<Tin> x{reinterpret_cast<Tin*>(scratch.source_dtype.data()), dst.height, dst.width,
                           dst.channels, dst.width * dst.channels, dst.channels};
    place<Tin>(src, x, warp, settings.antialias);
    dtype_ops_inplace<Tin>(x, ops);
    if constexpr (std::is_same<Tout, uint16_t>::value) {
      narrow_normalize_store<Tin>(x, dst, settings);
    } else {
      if constexpr (std::is_same<Tout, float>::value) {
        if (normalize) {
          normalize_store<Tin>(x, dst, settings);
          return;
        }
      }
      scale_offset<Tin, Tout>(x, dst, rescale, 0.0f);
    }
  }
}

template <typename Tin, typename Tout>
void run_plan(const ImageView<const Tin>& src, const ImageView<Tout>& dst, const WarpParams& warp,
              const ImageOps& ops, const PlanSettings& settings) {
  if constexpr (std::is_same<Tout, uint16_t>::value) {  // normalised to 16-bit floats
    dtype_plan<Tin, Tout>(src, dst, warp, ops, settings);
  } else {
    const float rescale = settings.rescale;
    const bool dtype_path =
        settings.antialias || settings.normalize_channels > 0 || ops.region_count > 0;
    if ((ops.count == 0 && !dtype_path) || (ops.count && family_of(ops) == ColorOpFamily::keras)) {
      float shift = NAN, brightness = NAN;
      for (int k = 0; k < ops.count; ++k)
        (ops.ops[k].code == kKerasChannelShift ? shift : brightness) = ops.ops[k].a;
      keras_plan<Tin, Tout>(src, dst, warp, shift, brightness, rescale);
    } else if (family_of(ops) == ColorOpFamily::float_stage) {
      float_stage_plan<Tin, Tout>(src, dst, warp, ops, rescale);
    } else {
      dtype_plan<Tin, Tout>(src, dst, warp, ops, settings);
    }
  }
}

}  // namespace

std::string validate_plan_ops(const ImageOps& ops, int64_t channels, int64_t height,
                              int64_t width) {
  if (ops.count < 0 || ops.count > kMaxColorOps) return "too many colour ops for one image";
  if (ops.region_count < 0 || ops.region_count > kMaxRegionOps)
    return "too many region ops for one image";
  if (ops.region_count && ops.count && family_of(ops) != ColorOpFamily::in_dtype)
    return "region ops run with in-dtype colour ops only";
  for (int k = 0; k < ops.region_count; ++k) {
    const RegionOp& r = ops.regions[k];
    if (r.code <= 0 || r.code >= region_op_count()) return "unknown region op code";
    if (r.after < 0 || r.after > ops.count || (k && r.after < ops.regions[k - 1].after))
      return "region ops must come in order, each after at most every colour op";
    if (channels > kMaxRegionValues) return "region ops support at most 16 channels";
    if (region_op(r.code).uses_values && r.value_count != 1 && r.value_count != channels)
      return "a region's fill needs 1 value or one per channel (" + std::to_string(channels) + ")";
  }
  int shifts = 0, brightness = 0;
  for (int k = 0; k < ops.count; ++k) {
    const int32_t c = ops.ops[k].code;
    if (c <= 0 || c >= color_op_count()) return "unknown colour op code";
    if (!std::isfinite(ops.ops[k].a) || !std::isfinite(ops.ops[k].b))
      return "colour op arguments must be finite";
    if (std::strcmp(color_op(c).name, "gaussian_blur") == 0) {
      const float a = ops.ops[k].a;
      const int code = a >= 0.0f && a < 16777216.0f ? static_cast<int>(a) : -1;
      const int nx = code % 4096, ny = code / 4096;
      if (code < 0 || static_cast<float>(code) != a || nx % 2 == 0 || ny % 2 == 0)
        return "gaussian_blur's kernel code must be kx + 4096 ky with odd kx, ky below 4096";
      if (nx / 2 >= width || ny / 2 >= height)
        return "gaussian_blur's kernel (" + std::to_string(nx) + ", " + std::to_string(ny) +
               ") needs an image wider than " + std::to_string(nx / 2) + " and taller than " +
               std::to_string(ny / 2) + " pixels (reflect padding), got " +
               std::to_string(height) + "x" + std::to_string(width);
      if (!(ops.ops[k].b > 0.0f)) return "gaussian_blur's sigma must be > 0";
    }
    if (color_op(c).gray_or_rgb && channels != 1 && channels != 3)
      return std::string(color_op(c).name) + " needs 1 or 3 channels, got " +
             std::to_string(channels);
    if (color_op(c).family != family_of(ops))
      return "an image's colour ops must be all Keras ops, all float-stage ops, or all "
             "in-dtype ops";
    if (c == kKerasChannelShift) {
      if (brightness || shifts) return "Keras ops come at most once each, channel shift first";
      ++shifts;
    } else if (c == kKerasBrightness) {
      if (brightness) return "Keras ops come at most once each, channel shift first";
      if (channels != 1 && channels != 3 && channels != 4)
        return "Unsupported channel number: " + std::to_string(channels) +
               " (brightness needs 1, 3 or 4 channels)";
      ++brightness;
    }
  }
  return "";
}

// planes[k * count + p] = pixels[p * channels + k]: a channels-last image to planes.
template <typename T>
void store_planes(const T* pixels, int64_t count, int64_t channels, T* planes) {
  if (channels == 3) {  // the common case, strided reads the compiler vectorises
    T* __restrict p0 = planes;
    T* __restrict p1 = planes + count;
    T* __restrict p2 = planes + 2 * count;
    for (int64_t p = 0; p < count; ++p) {
      p0[p] = pixels[3 * p];
      p1[p] = pixels[3 * p + 1];
      p2[p] = pixels[3 * p + 2];
    }
    return;
  }
  for (int64_t k = 0; k < channels; ++k)
    for (int64_t p = 0; p < count; ++p) planes[k * count + p] = pixels[p * channels + k];
}

template <typename Tin, typename Tout>
void run_plans(const ImageView<const Tin>* sources, const ImageStack<Tout>& out,
               const AffineMatrix* matrices, const ImageOps* ops, const PlanSettings& settings) {
  parallel_for(out.count, settings.num_threads, [&](int64_t i) {
    WarpParams warp;
    warp.matrix = matrices[i];
    warp.interp = settings.interp;
    warp.fill = settings.fill;
    warp.cval = settings.cval;
    if (!settings.planar_output) {
      run_plan<Tin, Tout>(sources[i], out.image(i), warp, ops[i], settings);
      return;
    }
    const int64_t channels = out.channels, plane = out.height * out.width;
    Scratch& scratch = thread_scratch();
    if constexpr (std::is_same<Tin, uint8_t>::value && std::is_same<Tout, float>::value) {
      if (settings.normalize_channels == 3 && !settings.half_output) {
        // The uint8 image in the thread's scratch, normalised straight into the planes.
        const size_t size = static_cast<size_t>(plane * 3);
        if (scratch.source_dtype.size() < size) scratch.source_dtype.resize(size);
        const ImageU8 x{scratch.source_dtype.data(), out.height, out.width, 3, out.width * 3, 3};
        place<uint8_t>(sources[i], x, warp, settings.antialias);
        dtype_ops_inplace<uint8_t>(x, ops[i]);
        normalize_rgb_planes(x.data, plane, settings.scale, settings.offset,
                             out.data + i * out.image_stride, plane);
        return;
      }
    }
    const size_t bytes = static_cast<size_t>(plane * channels) * sizeof(Tout);
    if (scratch.interleaved.size() < bytes) scratch.interleaved.resize(bytes);
    Tout* hwc = reinterpret_cast<Tout*>(scratch.interleaved.data());
    run_plan<Tin, Tout>(sources[i],
                        ImageView<Tout>{hwc, out.height, out.width, channels, out.width * channels, channels},
                        warp, ops[i], settings);
    store_planes(hwc, plane, channels, out.data + i * out.image_stride);
  });
}

#define FASTAUG_INSTANTIATE_RUN_PLANS(Tin, Tout)                                                    \
  template void run_plans<Tin, Tout>(const ImageView<const Tin>*, const ImageStack<Tout>&,        \
                                     const AffineMatrix*, const ImageOps*, const PlanSettings&);
FASTAUG_INSTANTIATE_RUN_PLANS(uint8_t, uint8_t)
FASTAUG_INSTANTIATE_RUN_PLANS(uint8_t, float)
FASTAUG_INSTANTIATE_RUN_PLANS(float, uint8_t)
FASTAUG_INSTANTIATE_RUN_PLANS(float, float)
FASTAUG_INSTANTIATE_RUN_PLANS(uint8_t, uint16_t)
FASTAUG_INSTANTIATE_RUN_PLANS(float, uint16_t)
#undef FASTAUG_INSTANTIATE_RUN_PLANS

}  // namespace fastaug
