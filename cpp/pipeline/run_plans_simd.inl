// run_plans's fused Keras finishing pass (see FinishParams), compiled once per ISA; the
// including file defines FASTAUG_ISA_NS and is compiled with that ISA's flags.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "pipeline/run_plans.hpp"

namespace fastaug {
namespace FASTAUG_ISA_NS {
namespace {

#if defined(__AVX512BW__)
constexpr int kLanes = 16;
using VF = __m512;
inline VF vset(float v) { return _mm512_set1_ps(v); }
inline VF vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, VF v) { _mm512_storeu_ps(p, v); }
inline VF vadd(VF a, VF b) { return _mm512_add_ps(a, b); }
inline VF vsub(VF a, VF b) { return _mm512_sub_ps(a, b); }
inline VF vmul(VF a, VF b) { return _mm512_mul_ps(a, b); }
inline VF vdiv(VF a, VF b) { return _mm512_div_ps(a, b); }
// The second operand wins where either is NaN, as in the scalar ternaries.
inline VF vmin(VF a, VF b) { return _mm512_min_ps(a, b); }
inline VF vmax(VF a, VF b) { return _mm512_max_ps(a, b); }
inline VF vtrunc(VF v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline VF vfloor(VF v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline VF blend_alpha(VF a, VF b) { return _mm512_mask_blend_ps(0x8888, a, b); }
// 16 values already clamped to [0, 255], rounded half to even, stored as bytes.
inline void store16_u8(uint8_t* p, const VF* v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(v[0])));
}
// 4 * kLanes values already clamped to [0, 255], truncated, stored as bytes.
inline void store_trunc_u8(uint8_t* p, const VF* v) {
  for (int k = 0; k < 4; ++k)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16 * k), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(v[k])));
}
#elif defined(__AVX2__)
constexpr int kLanes = 8;
using VF = __m256;
inline VF vset(float v) { return _mm256_set1_ps(v); }
inline VF vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, VF v) { _mm256_storeu_ps(p, v); }
inline VF vadd(VF a, VF b) { return _mm256_add_ps(a, b); }
inline VF vsub(VF a, VF b) { return _mm256_sub_ps(a, b); }
inline VF vmul(VF a, VF b) { return _mm256_mul_ps(a, b); }
inline VF vdiv(VF a, VF b) { return _mm256_div_ps(a, b); }
inline VF vmin(VF a, VF b) { return _mm256_min_ps(a, b); }
inline VF vmax(VF a, VF b) { return _mm256_max_ps(a, b); }
inline VF vtrunc(VF v) { return _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline VF vfloor(VF v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline VF blend_alpha(VF a, VF b) { return _mm256_blend_ps(a, b, 0x88); }
inline void store16_u8(uint8_t* p, const VF* v) {
  const __m256i a = _mm256_cvtps_epi32(v[0]), b = _mm256_cvtps_epi32(v[1]);
  const __m128i lo = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  const __m128i hi = _mm_packs_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(lo, hi));
}
inline void store_trunc_u8(uint8_t* p, const VF* v) {
  const __m256i ab = _mm256_packs_epi32(_mm256_cvttps_epi32(v[0]), _mm256_cvttps_epi32(v[1]));
  const __m256i cd = _mm256_packs_epi32(_mm256_cvttps_epi32(v[2]), _mm256_cvttps_epi32(v[3]));
  // packs work per 128-bit lane: dword 2j+k holds bytes 4j..4j+3 of v[k]; gather them back.
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                      _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}
#else
constexpr int kLanes = 4;
using VF = __m128;
inline VF vset(float v) { return _mm_set1_ps(v); }
inline VF vload(const float* p) { return _mm_loadu_ps(p); }
inline void vstore(float* p, VF v) { _mm_storeu_ps(p, v); }
inline VF vadd(VF a, VF b) { return _mm_add_ps(a, b); }
inline VF vsub(VF a, VF b) { return _mm_sub_ps(a, b); }
inline VF vmul(VF a, VF b) { return _mm_mul_ps(a, b); }
inline VF vdiv(VF a, VF b) { return _mm_div_ps(a, b); }
inline VF vmin(VF a, VF b) { return _mm_min_ps(a, b); }
inline VF vmax(VF a, VF b) { return _mm_max_ps(a, b); }
inline VF vtrunc(VF v) { return _mm_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline VF vfloor(VF v) { return _mm_round_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline VF blend_alpha(VF a, VF b) { return _mm_blend_ps(a, b, 0x8); }
inline void store16_u8(uint8_t* p, const VF* v) {
  const __m128i lo = _mm_packs_epi32(_mm_cvtps_epi32(v[0]), _mm_cvtps_epi32(v[1]));
  const __m128i hi = _mm_packs_epi32(_mm_cvtps_epi32(v[2]), _mm_cvtps_epi32(v[3]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(lo, hi));
}
inline void store_trunc_u8(uint8_t* p, const VF* v) {
  const __m128i ab = _mm_packs_epi32(_mm_cvttps_epi32(v[0]), _mm_cvttps_epi32(v[1]));
  const __m128i cd = _mm_packs_epi32(_mm_cvttps_epi32(v[2]), _mm_cvttps_epi32(v[3]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(ab, cd));
}
#endif

constexpr int kPerStep = 16;  // elements per loop step (16 bytes of uint8 output)
constexpr int kVecs = kPerStep / kLanes;

// The scalar formula, for row tails and non-dense outputs.
inline float finish_value(float x, int64_t channel, const FinishParams& f) {
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
inline void store_value(float* p, float x) { *p = x; }
inline void store_value(uint8_t* p, float x) {
  x = x > 0.0f ? x : 0.0f;
  x = x < 255.0f ? x : 255.0f;
  *p = static_cast<uint8_t>(std::nearbyint(x));
}

inline void store_step(float* p, VF* v) {
  for (int k = 0; k < kVecs; ++k) vstore(p + k * kLanes, v[k]);
}
inline void store_step(uint8_t* p, VF* v) {
  const VF zero = vset(0.0f), top = vset(255.0f);
  for (int k = 0; k < kVecs; ++k) v[k] = vmin(vmax(v[k], zero), top);
  store16_u8(p, v);
}

// n elements from x to out; element 0 is channel 0 of a pixel.
template <typename Tout>
void finish_run(const float* x, Tout* out, int64_t n, int64_t channels, const FinishParams& f) {
  const VF lo = vset(f.lo), divisor = vset(f.divisor), factor = vset(f.factor);
  const VF v255 = vset(255.0f), zero = vset(0.0f), rescale = vset(f.rescale), plus_zero = vset(0.0f);
  // With 4 channels every step starts on a pixel, so the alpha lanes are fixed.
  const bool alpha = f.keep_alpha && channels == 4;
  int64_t i = 0;
  for (; i + kPerStep <= n; i += kPerStep) {
    VF v[kVecs];
    for (int k = 0; k < kVecs; ++k) {
      v[k] = vload(x + i + k * kLanes);
      if (f.brightness) {
        const VF u = vtrunc(vmin(vmax(vmul(vdiv(vsub(v[k], lo), divisor), v255), zero), v255));
        const VF b = vmin(v255, vmax(zero, vfloor(vmul(factor, u))));
        v[k] = alpha ? blend_alpha(b, u) : b;
      }
      if (f.rescale != 1.0f) v[k] = vadd(vmul(v[k], rescale), plus_zero);
    }
    store_step(out + i, v);
  }
  for (; i < n; ++i) store_value(out + i, finish_value(x[i], i % channels, f));
}

template <typename Tout>
void finish_impl(const ConstImageF32& x, const ImageView<Tout>& dst, const FinishParams& f) {
  const int64_t channels = dst.channels;
  for (int64_t r = 0; r < dst.height; ++r) {
    if (dst.dense_rows() && x.dense_rows()) {
      finish_run(x.row(r), dst.row(r), dst.width * channels, channels, f);
      continue;
    }
    for (int64_t c = 0; c < dst.width; ++c) {
      const float* s = x.pixel(r, c);
      Tout* d = dst.pixel(r, c);
      for (int64_t k = 0; k < channels; ++k) store_value(d + k, finish_value(s[k], k, f));
    }
  }
}

inline uint8_t stretch_value(float x, float lo, float divisor) {
  x = (x - lo) / divisor * 255.0f;
  return static_cast<uint8_t>(x > 0.0f ? (x < 255.0f ? x : 255.0f) : 0.0f);  // NaN -> 0
}

void stretch_run(const float* x, uint8_t* out, int64_t n, float lo, float divisor) {
  constexpr int64_t kStep = 4 * kLanes;
  const VF vlo = vset(lo), vdivisor = vset(divisor), v255 = vset(255.0f), zero = vset(0.0f);
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    VF v[4];
    for (int k = 0; k < 4; ++k)
      v[k] = vmin(vmax(vmul(vdiv(vsub(vload(x + i + k * kLanes), vlo), vdivisor), v255), zero), v255);
    store_trunc_u8(out + i, v);
  }
  for (; i < n; ++i) out[i] = stretch_value(x[i], lo, divisor);
}

}  // namespace

void finish_image(const ConstImageF32& x, const ImageU8& dst, const FinishParams& f) {
  finish_impl(x, dst, f);
}
void finish_image(const ConstImageF32& x, const ImageF32& dst, const FinishParams& f) {
  finish_impl(x, dst, f);
}

void brightness_stretch_u8(const ConstImageF32& x, const ImageU8& dst, float lo, float divisor) {
  for (int64_t r = 0; r < dst.height; ++r) {
    if (dst.dense_rows() && x.dense_rows()) {
      stretch_run(x.row(r), dst.row(r), dst.width * dst.channels, lo, divisor);
      continue;
    }
    for (int64_t c = 0; c < dst.width; ++c)
      for (int64_t k = 0; k < dst.channels; ++k) dst.pixel(r, c)[k] = stretch_value(x.pixel(r, c)[k], lo, divisor);
  }
}

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
