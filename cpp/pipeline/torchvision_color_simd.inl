// torchvision_color.hpp's loops, compiled once per ISA; the including file defines
// FASTAUG_ISA_NS and is compiled with that ISA's flags (the baseline build, namespace
// scalar, is the reference). The loops are branch-free (selects, no table lookups) so the
// compiler could vectorise them; the per-ISA builds run them over core/simd.hpp's vectors,
// operation for operation, and the scalar loops for the tails. Every ISA computes the same
// values.
#include <cstdint>

#include "core/isa_namespaces.hpp"  // FASTAUG_VECTOR_UNIT
#if defined(FASTAUG_VECTOR_UNIT)
#include "core/simd.hpp"
#endif
#include "pipeline/torchvision_color.hpp"

namespace fastaug {
namespace FASTAUG_ISA_NS {
namespace {

// torchvision's a * b + c where its kernel fuses them: in double the float product is exact,
// and the sum is rounded once to float.
inline float fused(float a, float b, float c) {
  return static_cast<float>(static_cast<double>(a) * static_cast<double>(b) + static_cast<double>(c));
}
inline float luma(float r, float g, float b) { return fused(b, 0.114f, fused(g, 0.587f, r * 0.2989f)); }
inline float clamp(float v, float hi) { return v < 0.0f ? 0.0f : (v > hi ? hi : v); }
// A float in [0, 255] stored to uint8 by truncation; float32 stored as it is.
inline void put(uint8_t* p, float v) { *p = static_cast<uint8_t>(static_cast<int32_t>(v)); }
inline void put(float* p, float v) { *p = v; }
template <typename T>
constexpr float bound() { return sizeof(T) == 1 ? 255.0f : 1.0f; }
// uint8 lumas are floored (values in [0, 255], so truncation).
inline float floor_luma(float l, const uint8_t*) { return static_cast<float>(static_cast<int32_t>(l)); }
inline float floor_luma(float l, const float*) { return l; }

#if defined(FASTAUG_VECTOR_UNIT)
// fused() on lanes. AVX2, AVX-512 and NEON have FMA: the exact a * b + c rounded once, as
// torchvision's kernel computes it. SSE4.1 has none: the product, exact in double, plus c
// in double, then rounded to float, which is the same value unless the double sum was
// itself rounded and then lands on a float rounding tie (the scalar reference does so too).
#if defined(__AVX2__) || defined(FASTAUG_ISA_NEON)
inline VF vfused(VF a, VF b, VF c) { return f_fma(a, b, c); }
#else
inline VF vfused(VF a, VF b, VF c) {
  return f_from_d(d_add(d_mul(d_from_f_lo(a), d_from_f_lo(b)), d_from_f_lo(c)),
                  d_add(d_mul(d_from_f_hi(a), d_from_f_hi(b)), d_from_f_hi(c)));
}
#endif
inline VF vluma(VF r, VF g, VF b) {
  return vfused(b, f_set1(0.114f), vfused(g, f_set1(0.587f), f_mul(r, f_set1(0.2989f))));
}
inline VF vclamp(VF v, float hi) {
  return f_select(f_lt(v, f_set1(0.0f)), f_set1(0.0f), f_select(f_gt(v, f_set1(hi)), f_set1(hi), v));
}
// kLanes RGB pixels as planes: uint8 with exact reads (core/simd.hpp), float32 through a
// planar buffer (its interleaved loads and stores stay scalar).
inline void load_pixels(const uint8_t* p, VF v[3]) { load_rgb(p, v); }
inline void load_pixels(const float* p, VF v[3]) {
  alignas(64) float plane[3][kLanes];
  for (int j = 0; j < kLanes; ++j)
    for (int c = 0; c < 3; ++c) plane[c][j] = p[3 * j + c];
  for (int c = 0; c < 3; ++c) v[c] = f_load(plane[c]);
}
inline void store_pixels(uint8_t* p, const VF v[3]) { store_rgb_trunc(p, v); }
inline void store_pixels(float* p, const VF v[3]) {
  alignas(64) float plane[3][kLanes];
  for (int c = 0; c < 3; ++c) f_store(plane[c], v[c]);
  for (int j = 0; j < kLanes; ++j)
    for (int c = 0; c < 3; ++c) p[3 * j + c] = plane[c][j];
}
#endif

// uint8: the floored lumas are integers, summed exactly in integers; float32: in double.
double luma_sum_impl(const uint8_t* p, int64_t pixels) {
  int64_t total = 0, i = 0;
#if defined(FASTAUG_VECTOR_UNIT)
  // int32 lanes gain at most 255 a block: flushed to int64 well before they could overflow.
  constexpr int64_t kFlush = int64_t{1} << 20;
  while (i + kLanes <= pixels) {
    VI lanes = i_set1(0);
    for (int64_t steps = 0; steps < kFlush && i + kLanes <= pixels; ++steps, i += kLanes) {
      VF v[3];
      load_rgb(p + 3 * i, v);
      lanes = i_add(lanes, i_trunc_f(vluma(v[0], v[1], v[2])));
    }
    alignas(64) int32_t sums[kLanes];
    i_store(sums, lanes);
    for (int32_t x : sums) total += x;
  }
#endif
  for (; i < pixels; ++i) total += static_cast<int32_t>(luma(p[3 * i], p[3 * i + 1], p[3 * i + 2]));
  return static_cast<double>(total);
}
double luma_sum_impl(const float* p, int64_t pixels) {
  double total = 0.0;
  for (int64_t i = 0; i < pixels; ++i) total += luma(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
  return total;
}

template <typename T>
void blend_constant_impl(T* p, int64_t n, float other, float ratio, float rest) {
  int64_t e = 0;
#if defined(FASTAUG_VECTOR_UNIT)
  for (; e + kBlock <= n; e += kBlock) {
    VF v[4];
    load_block(p + e, v);
    for (VF& x : v) x = vclamp(vfused(f_set1(other), f_set1(rest), f_mul(x, f_set1(ratio))), bound<T>());
    if constexpr (sizeof(T) == 1) {
      store_block_trunc(p + e, v);
    } else {
      store_block(p + e, v);
    }
  }
#endif
  for (; e < n; ++e) put(p + e, clamp(fused(other, rest, static_cast<float>(p[e]) * ratio), bound<T>()));
}

template <typename T>
void blend_luma_impl(T* p, int64_t pixels, float ratio, float rest) {
  int64_t i = 0;
#if defined(FASTAUG_VECTOR_UNIT)
  for (; i + kLanes <= pixels; i += kLanes) {
    VF v[3];
    load_pixels(p + 3 * i, v);
    VF l = vluma(v[0], v[1], v[2]);
    if constexpr (sizeof(T) == 1) l = f_trunc(l);
    for (VF& c : v) c = vclamp(vfused(l, f_set1(rest), f_mul(c, f_set1(ratio))), bound<T>());
    store_pixels(p + 3 * i, v);
  }
#endif
  for (; i < pixels; ++i) {
    const float r = p[3 * i], g = p[3 * i + 1], b = p[3 * i + 2];
    const float l = floor_luma(luma(r, g, b), p);
    put(p + 3 * i, clamp(fused(l, rest, r * ratio), bound<T>()));
    put(p + 3 * i + 1, clamp(fused(l, rest, g * ratio), bound<T>()));
    put(p + 3 * i + 2, clamp(fused(l, rest, b * ratio), bound<T>()));
  }
}

template <typename T>
void to_luma_impl(T* p, int64_t pixels) {
  int64_t i = 0;
#if defined(FASTAUG_VECTOR_UNIT)
  for (; i + kLanes <= pixels; i += kLanes) {
    VF v[3];
    load_pixels(p + 3 * i, v);
    const VF l = vluma(v[0], v[1], v[2]);
    const VF out[3] = {l, l, l};
    store_pixels(p + 3 * i, out);
  }
#endif
  for (; i < pixels; ++i) {
    const float l = luma(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
    put(p + 3 * i, l);
    put(p + 3 * i + 1, l);
    put(p + 3 * i + 2, l);
  }
}

// RGB -> HSV (Pillow's formulas, as torchvision's _rgb_to_hsv), h += shift modulo 1, back to
// RGB (_hsv_to_rgb); uint8 through float32 [0, 1] and back as to_dtype_image scales.
constexpr float kToUnit = static_cast<float>(1.0 / 255.0);
constexpr float kFromUnit = 256.0f - 1e-3f;

// One pixel; r, g, b in [0, 1] for uint8 images (already scaled), the values for float32.
inline void shift_hue_pixel(float& r, float& g, float& b, float shift) {
  const float maxc = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const float minc = r < g ? (r < b ? r : b) : (g < b ? g : b);
  const bool eqc = maxc == minc;
  const float range = maxc - minc;
  const float s = range / (eqc ? 1.0f : maxc);
  const float divisor = eqc ? 1.0f : range;
  const float rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
  const bool neq_r = maxc != r, eq_g = maxc == g;
  // Masks as 0/1 factors (torchvision multiplies by them), combined with bitwise &.
  const float hg = ((rc + 2.0f) - bc) * static_cast<float>(eq_g & neq_r);
  const float hr = (bc - gc) * static_cast<float>(!neq_r);
  const float hb = ((gc + 4.0f) - rc) * static_cast<float>(neq_r & !eq_g);
  // fmod(., 1) of a value in [5/6, 11/6], then torch.remainder(h + shift, 1) of a value in
  // [-1/2, 3/2): both exact as these subtractions.
  float h = (hr + hg + hb) * static_cast<float>(1.0 / 6.0) + 1.0f;
  h = h >= 1.0f ? h - 1.0f : h;
  h = h + shift;
  h = h < 0.0f ? h + 1.0f : (h >= 1.0f ? h - 1.0f : h);
  const float h6 = h * 6.0f;  // in [0, 6]: truncation is the floor
  const int32_t sector_raw = static_cast<int32_t>(h6);
  const float f = h6 - static_cast<float>(sector_raw);
  const int32_t k = sector_raw == 6 ? 0 : sector_raw;
  const float v = maxc, sxf = s * f, one_minus_s = 1.0f - s;
  const float q = clamp((1.0f - sxf) * v, 1.0f), t = clamp((sxf + one_minus_s) * v, 1.0f);
  const float pv = clamp(one_minus_s * v, 1.0f);
  // torchvision's select table: sectors 0..5 take (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q).
  r = ((k == 0) | (k == 5)) ? v : (k == 1 ? q : (k == 4 ? t : pv));
  g = ((k == 1) | (k == 2)) ? v : (k == 0 ? t : (k == 3 ? q : pv));
  b = ((k == 3) | (k == 4)) ? v : (k == 2 ? t : (k == 5 ? q : pv));
}

#if defined(FASTAUG_VECTOR_UNIT)
inline VF clamp_unit(VF x) {
  return f_select(f_lt(x, f_set1(0.0f)), f_set1(0.0f), f_select(f_gt(x, f_set1(1.0f)), f_set1(1.0f), x));
}

// shift_hue_pixel on kLanes pixels, operation for operation (the sector as a float: an
// integer in [0, 6], or NaN where the scalar's int conversion gives INT32_MIN; both then
// match no sector).
inline void shift_hue_lanes(VF& r, VF& g, VF& b, float shift) {
  const VF one = f_set1(1.0f);
  const VF maxc = f_select(f_gt(r, g), f_max(r, b), f_max(g, b));
  const VF minc = f_select(f_lt(r, g), f_min(r, b), f_min(g, b));
  const FM eqc = f_eq(maxc, minc);
  const VF range = f_sub(maxc, minc);
  const VF s = f_div(range, f_select(eqc, one, maxc));
  const VF divisor = f_select(eqc, one, range);
  // Of torchvision's three terms only one is not multiplied by 0, and it uses two of rc, gc,
  // bc: (a + offset) - b with (a, b, offset) = (bc, gc, 0) where maxc == r, (rc, bc, 2)
  // where maxc == g != r, else (gc, rc, 4). The other terms add exact zeros, so two
  // divisions give the same h as three.
  const FM neq_r = f_ne(maxc, r), eq_g = f_eq(maxc, g);
  const FM g_max = fm_and(eq_g, neq_r), b_max = fm_and(neq_r, fm_not(eq_g));
  const VF a_num = f_select(g_max, f_sub(maxc, r), f_select(b_max, f_sub(maxc, g), f_sub(maxc, b)));
  const VF b_num = f_select(g_max, f_sub(maxc, b), f_select(b_max, f_sub(maxc, r), f_sub(maxc, g)));
  const VF offset = f_select(g_max, f_set1(2.0f), f_select(b_max, f_set1(4.0f), f_set1(0.0f)));
  const VF term = f_sub(f_add(f_div(a_num, divisor), offset), f_div(b_num, divisor));
  VF h = f_add(f_mul(term, f_set1(static_cast<float>(1.0 / 6.0))), one);
  h = f_select(f_ge(h, one), f_sub(h, one), h);
  h = f_add(h, f_set1(shift));
  h = f_select(f_lt(h, f_set1(0.0f)), f_add(h, one), f_select(f_ge(h, one), f_sub(h, one), h));
  const VF h6 = f_mul(h, f_set1(6.0f));
  const VF sector_raw = f_trunc(h6);
  const VF f = f_sub(h6, sector_raw);
  const VF k = f_select(f_eq(sector_raw, f_set1(6.0f)), f_set1(0.0f), sector_raw);
  const VF v = maxc, sxf = f_mul(s, f), one_minus_s = f_sub(one, s);
  const VF q = clamp_unit(f_mul(f_sub(one, sxf), v)), t = clamp_unit(f_mul(f_add(sxf, one_minus_s), v));
  const VF pv = clamp_unit(f_mul(one_minus_s, v));
  auto is = [&](float n) { return f_eq(k, f_set1(n)); };
  r = f_select(fm_or(is(0), is(5)), v, f_select(is(1), q, f_select(is(4), t, pv)));
  g = f_select(fm_or(is(1), is(2)), v, f_select(is(0), t, f_select(is(3), q, pv)));
  b = f_select(fm_or(is(3), is(4)), v, f_select(is(2), t, f_select(is(5), q, pv)));
}
#endif

template <typename T>
void shift_hue_impl(T* p, int64_t pixels, float shift) {
  constexpr bool u8 = sizeof(T) == 1;
  int64_t i = 0;
#if defined(FASTAUG_VECTOR_UNIT)
  if constexpr (u8) {
    for (; i + kLanes <= pixels; i += kLanes) {
      VF rgb[3];
      load_rgb(p + 3 * i, rgb);
      for (VF& c : rgb) c = f_mul(c, f_set1(kToUnit));
      shift_hue_lanes(rgb[0], rgb[1], rgb[2], shift);
      for (VF& c : rgb) c = f_mul(c, f_set1(kFromUnit));
      store_rgb_trunc(p + 3 * i, rgb);
    }
  } else {
    // float32 pixels go through planar buffers: interleaved loads and stores stay scalar.
    alignas(64) float plane[3][kLanes];
    for (; i + kLanes <= pixels; i += kLanes) {
      T* px = p + 3 * i;
      for (int j = 0; j < kLanes; ++j)
        for (int c = 0; c < 3; ++c) plane[c][j] = px[3 * j + c];
      VF rgb[3] = {f_load(plane[0]), f_load(plane[1]), f_load(plane[2])};
      shift_hue_lanes(rgb[0], rgb[1], rgb[2], shift);
      for (int c = 0; c < 3; ++c) f_store(plane[c], rgb[c]);
      for (int j = 0; j < kLanes; ++j)
        for (int c = 0; c < 3; ++c) px[3 * j + c] = plane[c][j];
    }
  }
#endif
  for (; i < pixels; ++i) {
    float rgb[3] = {static_cast<float>(p[3 * i]), static_cast<float>(p[3 * i + 1]),
                    static_cast<float>(p[3 * i + 2])};
    if (u8)
      for (float& c : rgb) c *= kToUnit;
    shift_hue_pixel(rgb[0], rgb[1], rgb[2], shift);
    for (int c = 0; c < 3; ++c) put(p + 3 * i + c, u8 ? rgb[c] * kFromUnit : rgb[c]);
  }
}

}  // namespace

double luma_sum(const uint8_t* p, int64_t pixels) { return luma_sum_impl(p, pixels); }
double luma_sum(const float* p, int64_t pixels) { return luma_sum_impl(p, pixels); }
void blend_constant(uint8_t* p, int64_t n, float other, float ratio, float rest) {
  blend_constant_impl(p, n, other, ratio, rest);
}
void blend_constant(float* p, int64_t n, float other, float ratio, float rest) {
  blend_constant_impl(p, n, other, ratio, rest);
}
void blend_luma(uint8_t* p, int64_t pixels, float ratio, float rest) { blend_luma_impl(p, pixels, ratio, rest); }
void blend_luma(float* p, int64_t pixels, float ratio, float rest) { blend_luma_impl(p, pixels, ratio, rest); }
void to_luma(uint8_t* p, int64_t pixels) { to_luma_impl(p, pixels); }
void to_luma(float* p, int64_t pixels) { to_luma_impl(p, pixels); }
void shift_hue(uint8_t* p, int64_t pixels, float shift) { shift_hue_impl(p, pixels, shift); }
void shift_hue(float* p, int64_t pixels, float shift) { shift_hue_impl(p, pixels, shift); }

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
