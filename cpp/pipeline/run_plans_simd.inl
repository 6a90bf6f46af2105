// run_plans's fused Keras finishing pass (see FinishParams), compiled once per ISA; the
// including file defines FASTAUG_ISA_NS and is compiled with that ISA's flags. The
// brightness is the photometric family's formula (photometric/photometric_simd.hpp), applied
// here to the warped floats before they are stored, instead of in a pass of its own.
#include <cstdint>

#include "core/simd.hpp"
#include "photometric/photometric_simd.hpp"
#include "pipeline/run_plans.hpp"

namespace fastaug {
namespace FASTAUG_ISA_NS {
namespace {

struct Finish {
  KerasBrightness brightness;
  bool has_brightness;
  float rescale;

  Finish(const FinishParams& f, int64_t channels)
      : brightness{f.lo, f.divisor, f.factor, f.keep_alpha && channels == 4},
        has_brightness(f.brightness), rescale(f.rescale) {}

  float value(float x, int64_t channel) const {
    if (has_brightness) x = brightness.apply(x, channel);
    if (rescale != 1.0f) x = x * rescale + 0.0f;  // scale_offset's formula, offset 0
    return x;
  }
  // A block whose element 0 is channel 0 of a pixel.
  void block(VF v[4]) const {
    if (has_brightness) brightness.apply(v);
    if (rescale != 1.0f)
      for (int k = 0; k < 4; ++k) v[k] = f_add(f_mul(v[k], f_set1(rescale)), f_set1(0.0f));
  }
};

inline void store_value(float* p, float x) { *p = x; }
inline void store_value(uint8_t* p, float x) { *p = to_u8(x); }
inline void store_values(float* p, VF* v) { store_block(p, v); }
inline void store_values(uint8_t* p, VF* v) {
  for (int k = 0; k < 4; ++k) v[k] = vclamp_u8_range(v[k]);
  store_block(p, v);
}

// n elements from x to out; element 0 is channel 0 of a pixel.
template <typename Tout>
void finish_run(const float* x, Tout* out, int64_t n, int64_t channels, const Finish& f) {
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    VF v[4];
    load_block(x + i, v);
    f.block(v);
    store_values(out + i, v);
  }
  for (; i < n; ++i) store_value(out + i, f.value(x[i], i % channels));
}

template <typename Tout>
void finish_impl(const ConstImageF32& x, const ImageView<Tout>& dst, const FinishParams& params) {
  const int64_t channels = dst.channels;
  const Finish f(params, channels);
  for (int64_t r = 0; r < dst.height; ++r) {
    if (dst.dense_rows() && x.dense_rows()) {
      finish_run(x.row(r), dst.row(r), dst.width * channels, channels, f);
      continue;
    }
    for (int64_t c = 0; c < dst.width; ++c) {
      const float* s = x.pixel(r, c);
      Tout* d = dst.pixel(r, c);
      for (int64_t k = 0; k < channels; ++k) store_value(d + k, f.value(s[k], k));
    }
  }
}

// The stretch's divisions, most of its cost, become multiplies where a bracket shows they
// truncate alike: 255 / divisor nudged down and up by 2^-20 of itself (far more than the
// division's and the multiply's roundings, 2^-24 each) brackets (x - lo) / divisor * 255, and
// where both ends truncate to one integer, that is the stretch. min(divisor, x - lo) keeps
// values the division would take past 255 at 255 or above, and NaN as NaN, so clamping after
// the truncation is clamping before it. Values within about 255 * 2^-20 of an integer miss
// the bracket, and an integer-valued image (an identity warp) misses it at nearly every
// block: after kGiveUp misses in a row the image divides throughout.
struct StretchBracket {
  static constexpr int kGiveUp = 8;
  VF down, up;
  int misses;

  explicit StretchBracket(const KerasBrightness& kb) {
    const double scale = 255.0 / static_cast<double>(kb.divisor);
    const bool normal = scale > 1e-30 && scale < 1e30;  // no overflow or underflow below
    down = f_set1(static_cast<float>(scale * (1.0 - 0x1p-20)));
    up = f_set1(static_cast<float>(scale * (1.0 + 0x1p-20)));
    misses = normal ? 0 : kGiveUp;
  }
  // The block stretched (and true), or untouched (and false) where the bracket missed.
  bool stretch(const KerasBrightness& kb, VF v[4]) {
    if (misses >= kGiveUp) return false;
    VF low[4];
    FM differ = f_ne(f_set1(0.0f), f_set1(0.0f));
    for (int k = 0; k < 4; ++k) {
      const VF a = f_min(f_set1(kb.divisor), f_sub(v[k], f_set1(kb.lo)));
      low[k] = f_trunc(f_mul(a, down));
      differ = fm_or(differ, f_ne(low[k], f_trunc(f_mul(a, up))));
    }
    if (fm_any(differ)) return ++misses, false;
    misses = 0;
    for (int k = 0; k < 4; ++k) v[k] = vclamp_u8_range(low[k]);
    return true;
  }
};

void stretch_run(const float* x, uint8_t* out, int64_t n, const KerasBrightness& kb,
                 StretchBracket& bracket) {
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    VF v[4];
    load_block(x + i, v);
    if (!bracket.stretch(kb, v))
      for (int k = 0; k < 4; ++k) v[k] = kb.stretch(v[k]);
    store_block_trunc(out + i, v);
  }
  for (; i < n; ++i) out[i] = static_cast<uint8_t>(kb.stretch(x[i]));
}

}  // namespace

void finish_image(const ConstImageF32& x, const ImageU8& dst, const FinishParams& f) {
  finish_impl(x, dst, f);
}
void finish_image(const ConstImageF32& x, const ImageF32& dst, const FinishParams& f) {
  finish_impl(x, dst, f);
}

void brightness_stretch_u8(const ConstImageF32& x, const ImageU8& dst, float lo, float divisor) {
  KerasBrightness kb;
  kb.lo = lo;
  kb.divisor = divisor;
  StretchBracket bracket(kb);
  for (int64_t r = 0; r < dst.height; ++r) {
    if (dst.dense_rows() && x.dense_rows()) {
      stretch_run(x.row(r), dst.row(r), dst.width * dst.channels, kb, bracket);
      continue;
    }
    for (int64_t c = 0; c < dst.width; ++c)
      for (int64_t k = 0; k < dst.channels; ++k)
        dst.pixel(r, c)[k] = static_cast<uint8_t>(kb.stretch(x.pixel(r, c)[k]));
  }
}

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
