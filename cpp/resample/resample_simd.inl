// resample_passes.hpp's uint8 passes, compiled once per ISA (the including file defines
// FASTAUG_ISA_NS; the baseline build, namespace scalar, is the reference). Both passes
// multiply pairs of uint8 values by pairs of int16 weights (pmaddwd) into int32 sums: the
// same integers as the scalar loops, in another order, which integer addition ignores.
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/isa_namespaces.hpp"  // FASTAUG_VECTOR_UNIT
#include "core/simd_level.hpp"      // avx512vbmi_enabled
#if defined(FASTAUG_VECTOR_UNIT)
#include "core/simd.hpp"  // B16: pmaddwd and packs on every architecture
#endif

#include "resample/resample_passes.hpp"

namespace fastaug {
namespace FASTAUG_ISA_NS {
namespace {

inline uint8_t clamp_u8(int32_t v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }
inline int32_t half_of(int precision) { return precision ? int32_t{1} << (precision - 1) : 0; }

// One output pixel of the x pass, one tap at a time.
inline void x_pixel_scalar(const uint8_t* p, int64_t step, int64_t channels, const int32_t* w,
                           int64_t taps, int precision, uint8_t* o) {
  for (int64_t k = 0; k < channels; ++k) {
    int32_t s = half_of(precision);
    const uint8_t* q = p + k;
    for (int64_t j = 0; j < taps; ++j, q += step) s += w[j] * *q;
    o[k] = clamp_u8(s >> precision);
  }
}

#if defined(FASTAUG_VECTOR_UNIT)
// (w0, w1) as two int16 in every int32 lane.
inline B16 weight_pair(int32_t w0, int32_t w1) {
  return b16_set1_i32(static_cast<int32_t>((static_cast<uint32_t>(w1) << 16) | (static_cast<uint32_t>(w0) & 0xFFFFu)));
}
// Four int32 sums to bytes 0..3 of a lane: >> precision, clamped to [0, 255].
inline B16 sums_to_u8(B16 s, int precision) {
  const B16 shifted = b16_sra_i32(s, precision);
  return b16_pack_i32_u8(shifted, shifted);
}

// x pass, 3 channels with contiguous pixels: four taps per step from one 16-byte load
// (12 bytes used; taken only where all 16 lie inside the image), as two pairs of taps. The
// weight rows are padded with zeros to a multiple of four taps, so a last partial step
// adds nothing for the taps past count. kCheckEnd: some load of this row could pass the
// image's end (its last rows); other rows skip the test, which keeps the loop in registers.
template <bool kCheckEnd>
void x_row_rgb(const uint8_t* row, const uint8_t* image_end, const FixedTaps& t, int64_t out_width,
               uint8_t* out) {
  static const int8_t kPairs01[16] = {0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1};
  static const int8_t kPairs23[16] = {6, -1, 9, -1, 7, -1, 10, -1, 8, -1, 11, -1, -1, -1, -1, -1};
  const B16 pairs01 = b16_load(kPairs01), pairs23 = b16_load(kPairs23);
  const B16 half = b16_set1_i32(half_of(t.precision));
  const int64_t half_width = t.width / 2;
  // Four taps of output pixel c from j on, added to s.
  auto step = [&](int64_t c, int64_t j, B16 s) {
    const B16 px = b16_load(row + 3 * (t.first[c] + j));
    const int32_t* wp = t.pairs + c * half_width + j / 2;
    s = b16_add_i32(s, b16_madd_i16(b16_shuffle(px, pairs01), b16_set1_i32(wp[0])));
    return b16_add_i32(s, b16_madd_i16(b16_shuffle(px, pairs23), b16_set1_i32(wp[1])));
  };
  // Whether four taps from j on may be read with one 16-byte load.
  auto wide = [&](int64_t c, int64_t j) {
    return !kCheckEnd || row + 3 * (t.first[c] + j) + 16 <= image_end;
  };
  // Output pixel c from its sums over taps [0, j), finishing the rest one tap at a time.
  auto finish = [&](int64_t c, int64_t j, B16 s) {
    alignas(16) int32_t lanes[4];
    b16_store(lanes, s);
    const int32_t* w = t.fixed + c * t.width;
    for (; j < t.count[c]; ++j) {
      const uint8_t* q = row + 3 * (t.first[c] + j);
      lanes[0] += w[j] * q[0];
      lanes[1] += w[j] * q[1];
      lanes[2] += w[j] * q[2];
    }
    for (int k = 0; k < 3; ++k) out[3 * c + k] = clamp_u8(lanes[k] >> t.precision);
  };
  int64_t c = 0;
  // Two output pixels at a time (independent sums: twice the work in flight), each stored
  // with 4 bytes whose last is rewritten by the next pixel.
  for (; c + 2 < out_width; c += 2) {
    const int64_t taps = t.count[c] > t.count[c + 1] ? t.count[c] : t.count[c + 1];
    B16 s0 = half, s1 = half;
    int64_t j = 0;
    for (; j < taps && wide(c, j) && wide(c + 1, j); j += 4) {
      s0 = step(c, j, s0);
      s1 = step(c + 1, j, s1);
    }
    if (j < taps) {
      finish(c, j, s0);
      finish(c + 1, j, s1);
      continue;
    }
    const int32_t b0 = b16_low_i32(sums_to_u8(s0, t.precision));
    const int32_t b1 = b16_low_i32(sums_to_u8(s1, t.precision));
    std::memcpy(out + 3 * c, &b0, 4);
    std::memcpy(out + 3 * c + 3, &b1, 4);
  }
  for (; c < out_width; ++c) {
    B16 s = half;
    int64_t j = 0;
    for (; j < t.count[c] && wide(c, j); j += 4) s = step(c, j, s);
    finish(c, j, s);
  }
}

// y pass over one output row of n elements: the taps' mid rows two at a time, 8 elements a
// step (exact 8-byte reads).
void y_row(const uint8_t* const* rows, const int32_t* w, int64_t taps, int precision, int64_t n,
           uint8_t* out) {
  const B16 half = b16_set1_i32(half_of(precision));
  int64_t e = 0;
#if defined(__AVX512BW__) || defined(__AVX2__)
  // The same steps on wider registers, 32 (AVX-512) or 16 (AVX2) elements at a time. The
  // unpacks and packs work within 128-bit lanes, which leaves the packed words in element
  // order; the narrowing clamps as clamp_u8 does.
#if defined(__AVX512BW__)
  using W = __m512i;
  constexpr int64_t kStep = 32;
  auto load = [](const uint8_t* p) { return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); };
  auto set1 = [](int32_t v) { return _mm512_set1_epi32(v); };
  auto madd = [](W a, W b) { return _mm512_madd_epi16(a, b); };
  auto add = [](W a, W b) { return _mm512_add_epi32(a, b); };
  auto unpacklo = [](W a, W b) { return _mm512_unpacklo_epi16(a, b); };
  auto unpackhi = [](W a, W b) { return _mm512_unpackhi_epi16(a, b); };
  const W zero = _mm512_setzero_si512();
  auto store = [&](uint8_t* o, W lo, W hi) {
    const __m128i count = _mm_cvtsi32_si128(precision);
    const W words = _mm512_packs_epi32(_mm512_sra_epi32(lo, count), _mm512_sra_epi32(hi, count));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm512_cvtusepi16_epi8(_mm512_max_epi16(words, zero)));
  };
#else
  using W = __m256i;
  constexpr int64_t kStep = 16;
  auto load = [](const uint8_t* p) { return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); };
  auto set1 = [](int32_t v) { return _mm256_set1_epi32(v); };
  auto madd = [](W a, W b) { return _mm256_madd_epi16(a, b); };
  auto add = [](W a, W b) { return _mm256_add_epi32(a, b); };
  auto unpacklo = [](W a, W b) { return _mm256_unpacklo_epi16(a, b); };
  auto unpackhi = [](W a, W b) { return _mm256_unpackhi_epi16(a, b); };
  const W zero = _mm256_setzero_si256();
  auto store = [&](uint8_t* o, W lo, W hi) {
    const __m128i count = _mm_cvtsi32_si128(precision);
    const W words = _mm256_packs_epi32(_mm256_sra_epi32(lo, count), _mm256_sra_epi32(hi, count));
    const W bytes = _mm256_permute4x64_epi64(_mm256_packus_epi16(words, words), 0xD8);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm256_castsi256_si128(bytes));
  };
#endif
  const W wide_half = set1(half_of(precision));
  for (; e + kStep <= n; e += kStep) {
    W lo = wide_half, hi = wide_half;
    int64_t j = 0;
    for (; j + 2 <= taps; j += 2) {
      const W a = load(rows[j] + e), b = load(rows[j + 1] + e);
      const W wab = set1(static_cast<int32_t>((static_cast<uint32_t>(w[j + 1]) << 16) |
                                              (static_cast<uint32_t>(w[j]) & 0xFFFFu)));
      lo = add(lo, madd(unpacklo(a, b), wab));
      hi = add(hi, madd(unpackhi(a, b), wab));
    }
    if (j < taps) {
      const W a = load(rows[j] + e);
      const W wa = set1(static_cast<int32_t>(static_cast<uint32_t>(w[j]) & 0xFFFFu));
      lo = add(lo, madd(unpacklo(a, zero), wa));
      hi = add(hi, madd(unpackhi(a, zero), wa));
    }
    store(out + e, lo, hi);
  }
#endif
  for (; e + 8 <= n; e += 8) {
    B16 lo = half, hi = half;
    int64_t j = 0;
    for (; j + 2 <= taps; j += 2) {
      const B16 a = b16_load8_u16(rows[j] + e);
      const B16 b = b16_load8_u16(rows[j + 1] + e);
      const B16 wab = weight_pair(w[j], w[j + 1]);
      lo = b16_add_i32(lo, b16_madd_i16(b16_unpacklo_i16(a, b), wab));
      hi = b16_add_i32(hi, b16_madd_i16(b16_unpackhi_i16(a, b), wab));
    }
    if (j < taps) {
      const B16 a = b16_load8_u16(rows[j] + e);
      const B16 wa = weight_pair(w[j], 0);
      lo = b16_add_i32(lo, b16_madd_i16(b16_unpacklo_i16(a, b16_zero()), wa));
      hi = b16_add_i32(hi, b16_madd_i16(b16_unpackhi_i16(a, b16_zero()), wa));
    }
    b16_store8(out + e, b16_pack_i32_u8(b16_sra_i32(lo, precision), b16_sra_i32(hi, precision)));
  }
  for (; e < n; ++e) {
    int32_t s = half_of(precision);
    for (int64_t j = 0; j < taps; ++j) s += w[j] * rows[j][e];
    out[e] = clamp_u8(s >> precision);
  }
}
#endif

#if defined(__AVX512BW__) && (defined(__GNUC__) || defined(__clang__))
#define FASTAUG_RESAMPLE_VBMI 1
// x pass, 3 channels, with VBMI: output pixels in blocks of up to 16, one channel per int32
// lane. Where a block's source pixels fit in 128 bytes (42 pixels: 16 output pixels up to a
// downscale of about 2.3x, 8 up to 4.5x, 4 up to 8x), two masked loads bring them in, and per pair of taps one zero-masked vpermt2b per
// channel puts each lane's two tap bytes in its two int16 halves for pmaddwd; the sums are
// the scalar loop's integers. The index and weight vectors depend only on the taps, so they
// are built once per call.
struct VbmiXBlock {
  int64_t c0, lanes;  // output pixels c0 .. c0 + lanes - 1
  int64_t base;       // the first source pixel the block reads
  int64_t pairs;      // tap pairs
  size_t table;       // its vectors in VbmiXPlan::vectors: per pair 3 indices, then weights
  // The source bytes it reads (the 128 from base on, as two masked loads) and the output
  // bytes it writes.
  __mmask64 lo_bytes, hi_bytes, out_bytes;
};
// The first n bytes of 64 (n <= 64).
inline __mmask64 first_bytes(int64_t n) {
  return n <= 0 ? 0 : n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1;
}
struct VbmiXPlan {
  std::vector<VbmiXBlock> blocks;
  std::vector<__m512i> vectors;
};

// The plan for taps t over out_width output pixels, or false where some block's source
// pixels do not fit in 128 bytes.
bool plan_vbmi_x(const FixedTaps& t, int64_t out_width, VbmiXPlan* plan) {
  constexpr int64_t kLanes = 16, kMaxPixels = 128 / 3;
  const int64_t half_width = t.width / 2;
  for (int64_t c0 = 0, lanes = 0; c0 < out_width; c0 += lanes) {
    // 16 lanes where their source pixels fit, else 8 or 4 (stronger downscales).
    int64_t lo = 0, hi = 0, taps = 0;
    for (lanes = out_width - c0 < kLanes ? out_width - c0 : kLanes;; lanes /= 2) {
      lo = INT64_MAX, hi = 0, taps = 0;
      for (int64_t l = 0; l < lanes; ++l) {
        const int64_t c = c0 + l, n = t.count[c];
        if (n == 0) continue;
        lo = t.first[c] < lo ? t.first[c] : lo;
        hi = t.first[c] + n > hi ? t.first[c] + n : hi;
        taps = n > taps ? n : taps;
      }
      if (taps == 0) lo = hi = 0;
      if (hi - lo <= kMaxPixels) break;
      if (lanes <= 4) return false;
    }
    const int64_t bytes = 3 * (hi - lo);
    VbmiXBlock b{c0, lanes, lo, (taps + 1) / 2, plan->vectors.size(),
                 first_bytes(bytes), first_bytes(bytes - 64), first_bytes(3 * lanes)};
    for (int64_t p = 0; p < b.pairs; ++p) {
      alignas(64) uint8_t index[3][64] = {};
      alignas(64) int32_t weights[16] = {};
      for (int64_t l = 0; l < lanes; ++l) {
        const int64_t c = c0 + l, n = t.count[c];
        if (2 * p >= n) continue;  // zero weights; index 0 reads a byte that is multiplied by 0
        weights[l] = t.pairs[c * half_width + p];
        for (int k = 0; k < 3; ++k) {
          const int64_t tap0 = t.first[c] - lo + 2 * p;
          index[k][4 * l] = static_cast<uint8_t>(3 * tap0 + k);
          // The second tap's weight is 0 past count; its byte must still lie in the window.
          index[k][4 * l + 2] = static_cast<uint8_t>(2 * p + 1 < n ? 3 * (tap0 + 1) + k : 3 * tap0 + k);
        }
      }
      for (int k = 0; k < 3; ++k) plan->vectors.push_back(_mm512_load_si512(index[k]));
      plan->vectors.push_back(_mm512_load_si512(weights));
    }
    plan->blocks.push_back(b);
  }
  return true;
}

// RGB bytes of 16 pixels from three 16-byte channel planes held in lanes 0..2 of v.
struct RgbFromPlanes {
  uint8_t index[64];
  constexpr RgbFromPlanes() : index() {
    for (int i = 0; i < 64; ++i) index[i] = static_cast<uint8_t>(i < 48 ? (i % 3) * 16 + i / 3 : 0);
  }
};
constexpr RgbFromPlanes kRgbFromPlanes;

__attribute__((target("avx512vbmi"))) void x_rows_rgb_vbmi(const ConstImageU8& src, int64_t row0,
                                                          const ImageU8& mid, const FixedTaps& t,
                                                          const VbmiXPlan& plan) {
  const __m512i half = _mm512_set1_epi32(half_of(t.precision));
  const __m512i interleave = _mm512_loadu_si512(kRgbFromPlanes.index);
  const __m128i shift = _mm_cvtsi32_si128(t.precision);
  constexpr __mmask64 kLowBytes = 0x5555555555555555ull;  // byte 0 of every int16
  for (int64_t r = 0; r < mid.height; ++r) {
    const uint8_t* row = src.row(row0 + r);
    uint8_t* out = mid.row(r);
    for (const VbmiXBlock& b : plan.blocks) {
      const uint8_t* p = row + 3 * b.base;
      const __m512i w_lo = _mm512_maskz_loadu_epi8(b.lo_bytes, p);
      const __m512i w_hi = _mm512_maskz_loadu_epi8(b.hi_bytes, p + 64);
      // Three named sums, not an array: the compiler keeps them in registers.
      __m512i acc0 = half, acc1 = half, acc2 = half;
      const __m512i* v = plan.vectors.data() + b.table;
      for (int64_t q = 0; q < b.pairs; ++q, v += 4) {
        const __m512i w = v[3];
        acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(_mm512_maskz_permutex2var_epi8(kLowBytes, w_lo, v[0], w_hi), w));
        acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(_mm512_maskz_permutex2var_epi8(kLowBytes, w_lo, v[1], w_hi), w));
        acc2 = _mm512_add_epi32(acc2, _mm512_madd_epi16(_mm512_maskz_permutex2var_epi8(kLowBytes, w_lo, v[2], w_hi), w));
      }
      // (No lambda here: it would not inherit the target attribute, nor be inlined.)
      const __m512i zero = _mm512_setzero_si512();
      const __m128i r8 = _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_sra_epi32(acc0, shift), zero));
      const __m128i g8 = _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_sra_epi32(acc1, shift), zero));
      const __m128i b8 = _mm512_cvtusepi32_epi8(_mm512_max_epi32(_mm512_sra_epi32(acc2, shift), zero));
      const __m512i planes =
          _mm512_inserti32x4(_mm512_inserti32x4(_mm512_castsi128_si512(r8), g8, 1), b8, 2);
      const __m512i rgb = _mm512_permutexvar_epi8(interleave, planes);
      _mm512_mask_storeu_epi8(out + 3 * b.c0, b.out_bytes, rgb);
    }
  }
}
#endif

}  // namespace

void resample_x_u8(const ConstImageU8& src, int64_t row0, const ImageU8& mid, const FixedTaps& t) {
  const int64_t channels = mid.channels;
#if defined(FASTAUG_VECTOR_UNIT)
  if (channels == 3 && src.col_stride == 3 && mid.col_stride == 3) {
#if defined(FASTAUG_RESAMPLE_VBMI)
    if (avx512vbmi_enabled()) {
      VbmiXPlan plan;
      if (plan_vbmi_x(t, mid.width, &plan)) {
        x_rows_rgb_vbmi(src, row0, mid, t, plan);
        return;
      }
    }
#endif
    const uint8_t* image_end = src.pixel(src.height - 1, src.width - 1) + 3;
    // Past the furthest pixel a row's loads reach: steps stay within a weight row's padded
    // width from a pixel's first tap (a pair of pixels steps to the larger count of the two).
    int64_t reach = 0;
    for (int64_t c = 0; c < mid.width; ++c) reach = t.first[c] > reach ? t.first[c] : reach;
    reach += t.width;
    for (int64_t r = 0; r < mid.height; ++r) {
      const uint8_t* row = src.row(row0 + r);
      if (row + 3 * reach + 16 <= image_end)
        x_row_rgb<false>(row, image_end, t, mid.width, mid.row(r));
      else
        x_row_rgb<true>(row, image_end, t, mid.width, mid.row(r));
    }
    return;
  }
#endif
  for (int64_t r = 0; r < mid.height; ++r)
    for (int64_t c = 0; c < mid.width; ++c)
      x_pixel_scalar(src.pixel(row0 + r, t.first[c]), src.col_stride, channels, t.fixed + c * t.width,
                     t.count[c], t.precision, mid.pixel(r, c));
}

void resample_y_u8(const ConstImageU8& mid, int64_t row0, const ImageU8& dst, const FixedTaps& t) {
#if defined(FASTAUG_VECTOR_UNIT)
  constexpr int64_t kMaxTaps = 64;
  const uint8_t* rows[kMaxTaps];
#endif
  for (int64_t r = 0; r < dst.height; ++r) {
    const int32_t* w = t.fixed + r * t.width;
    const int64_t taps = t.count[r];
    const int64_t first = t.first[r] - row0;
#if defined(FASTAUG_VECTOR_UNIT)
    if (taps <= kMaxTaps && dst.dense_rows()) {
      for (int64_t j = 0; j < taps; ++j) rows[j] = mid.row(first + j);
      y_row(rows, w, taps, t.precision, dst.width * dst.channels, dst.row(r));
      continue;
    }
#endif
    for (int64_t c = 0; c < dst.width; ++c)
      for (int64_t k = 0; k < dst.channels; ++k) {
        int32_t s = half_of(t.precision);
        for (int64_t j = 0; j < taps; ++j) s += w[j] * mid.pixel(first + j, c)[k];
        dst.pixel(r, c)[k] = clamp_u8(s >> t.precision);
      }
  }
}

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
