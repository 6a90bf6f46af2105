// resample_passes.hpp's uint8 passes, compiled once per ISA (the including file defines
// FASTAUG_ISA_NS; the baseline build, namespace scalar, is the reference). Both passes
// multiply pairs of uint8 values by pairs of int16 weights (pmaddwd) into int32 sums: the
// same integers as the scalar loops, in another order, which integer addition ignores.
#include <cstdint>
#include <cstring>

#include "core/isa_namespaces.hpp"  // FASTAUG_VECTOR_UNIT
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

}  // namespace

void resample_x_u8(const ConstImageU8& src, int64_t row0, const ImageU8& mid, const FixedTaps& t) {
  const int64_t channels = mid.channels;
#if defined(FASTAUG_VECTOR_UNIT)
  if (channels == 3 && src.col_stride == 3 && mid.col_stride == 3) {
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
