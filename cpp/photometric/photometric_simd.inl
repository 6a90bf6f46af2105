// Photometric kernels compiled once per ISA (see core/isa_namespaces.hpp). The including file
// defines FASTAUG_ISA_NS and is compiled with that ISA's flags.
//
// Every op is a stream over elements, so images are walked as "runs" of contiguous elements
// (the whole image, a row, or one pixel); runs start at pixel boundaries, so element i of a
// run belongs to channel i % channels. Vector blocks hold 4 * kLanes elements, converted to
// float32; the tails use the same float formulas one element at a time. Each vector
// expression is written to match the scalar reference bit for bit, NaN handling included:
// max_ps(a, b) is (a > b ? a : b) and min_ps(a, b) is (a < b ? a : b).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/simd.hpp"
#include "core/simd_level.hpp"
#include "photometric/photometric.hpp"
#include "photometric/photometric_simd.hpp"

namespace fastaug {
namespace FASTAUG_ISA_NS {
namespace {

// ---------------------------------------------------------------- stores

template <typename T>
inline T store_as(float x);
template <>
inline uint8_t store_as<uint8_t>(float x) { return to_u8(x); }
template <>
inline float store_as<float>(float x) { return x; }
// Block values bound for a uint8 destination: store_block's int32 conversion turns NaN,
// -inf and anything below -2^31 into INT32_MIN, and its saturating packs take every negative
// value to 0, so only the top needs clamping (min_ps(255, NaN) keeps the NaN).
template <typename T>
inline VF prepare_store(VF x);
template <>
inline VF prepare_store<uint8_t>(VF x) { return f_min(f_set1(255.0f), x); }
template <>
inline VF prepare_store<float>(VF x) { return x; }

// ---------------------------------------------------------------- traversal

// Calls run(src_ptr, dst_ptr, count) over runs of elements contiguous in both images.
template <typename Ts, typename Td, typename Run>
void for_each_run(const ImageView<const Ts>& src, const ImageView<Td>& dst, Run&& run) {
  const int64_t row = src.width * src.channels;
  if (src.dense_rows() && dst.dense_rows()) {
    if (src.row_stride == row && dst.row_stride == row) {
      run(src.data, dst.data, src.height * row);
      return;
    }
    for (int64_t r = 0; r < src.height; ++r) run(src.row(r), dst.row(r), row);
    return;
  }
  for (int64_t r = 0; r < src.height; ++r)
    for (int64_t c = 0; c < src.width; ++c) run(src.pixel(r, c), dst.pixel(r, c), src.channels);
}

// dst[i] = block_op / tail_op (src[i]) over one run. block_op(VF v[4], int64_t first) works
// in place on elements first .. first + kBlock - 1; tail_op(float value, int64_t index)
// returns one result.
template <typename Ts, typename Td, typename BlockOp, typename TailOp>
void map_run(const Ts* s, Td* d, int64_t n, BlockOp&& block_op, TailOp&& tail_op) {
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    VF v[4];
    load_block(s + i, v);
    block_op(v, i);
    for (int k = 0; k < 4; ++k) v[k] = prepare_store<Td>(v[k]);
    store_block(d + i, v);
  }
  for (; i < n; ++i) d[i] = store_as<Td>(tail_op(static_cast<float>(s[i]), i));
}

// ---------------------------------------------------------------- byte tables (VBMI)

// A uint8 -> uint8 op is a 256-entry table per channel. The tables are built by running the
// arithmetic block/tail code over the bytes 0..255, so they hold exactly its results.
constexpr int kMaxTables = 4;
struct ByteTables {
  alignas(64) uint8_t t[kMaxTables][256];
};
struct AllBytes {
  alignas(64) uint8_t v[256];
  constexpr AllBytes() : v() {
    for (int i = 0; i < 256; ++i) v[i] = static_cast<uint8_t>(i);
  }
};
constexpr AllBytes kAllBytes;

#if defined(__AVX512BW__) && (defined(__GNUC__) || defined(__clang__))
#define FASTAUG_BYTE_TABLES 1

// dst[i] = tables.t[i % C][src[i]] over a run that starts at a pixel boundary. vpermt2b
// looks up 128 entries (index bit 6 picks one of two registers); index bit 7 picks the half.
template <int C>
__attribute__((target("avx512vbmi"))) void lookup_run(const uint8_t* s, uint8_t* d, int64_t n,
                                                      const ByteTables& tables) {
  __m512i t[C][4];
  for (int c = 0; c < C; ++c)
    for (int q = 0; q < 4; ++q) t[c][q] = _mm512_load_si512(tables.t[c] + 64 * q);
  // lanes[phase][c]: the lanes j of a block whose channel (phase + j) % C is c.
  __mmask64 lanes[C][C];
  for (int phase = 0; phase < C; ++phase)
    for (int c = 0; c < C; ++c) {
      uint64_t m = 0;
      for (int j = 0; j < 64; ++j)
        if ((phase + j) % C == c) m |= uint64_t{1} << j;
      lanes[phase][c] = m;
    }
  constexpr int step = 64 % C;
  int phase = 0;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i idx = _mm512_loadu_si512(s + i);
    const __mmask64 high = _mm512_movepi8_mask(idx);
    __m512i r;
    if (C == 1) {
      r = _mm512_mask_blend_epi8(high, _mm512_permutex2var_epi8(t[0][0], idx, t[0][1]),
                                 _mm512_permutex2var_epi8(t[0][2], idx, t[0][3]));
    } else {
      r = _mm512_setzero_si512();
      for (int c = 0; c < C; ++c) {
        const __mmask64 k = lanes[phase][c];
        r = _mm512_or_si512(r, _mm512_maskz_permutex2var_epi8(k & ~high, t[c][0], idx, t[c][1]));
        r = _mm512_or_si512(r, _mm512_maskz_permutex2var_epi8(k & high, t[c][2], idx, t[c][3]));
      }
      phase += step;
      if (phase >= C) phase -= C;
    }
    _mm512_storeu_si512(d + i, r);
  }
  for (int c = static_cast<int>(i % C); i < n; ++i) {
    d[i] = tables.t[c][s[i]];
    if (++c == C) c = 0;
  }
}

void lookup_image(const ConstImageU8& src, const ImageU8& dst, const ByteTables& tables,
                  int64_t channels) {
  auto apply = [&](auto run) { for_each_run(src, dst, run); };
  switch (channels) {
    case 1: return apply([&](const uint8_t* s, uint8_t* d, int64_t n) { lookup_run<1>(s, d, n, tables); });
    case 2: return apply([&](const uint8_t* s, uint8_t* d, int64_t n) { lookup_run<2>(s, d, n, tables); });
    case 3: return apply([&](const uint8_t* s, uint8_t* d, int64_t n) { lookup_run<3>(s, d, n, tables); });
    default: return apply([&](const uint8_t* s, uint8_t* d, int64_t n) { lookup_run<4>(s, d, n, tables); });
  }
}
#endif

// Applies a channel-independent float op to every element.
template <typename Ts, typename Td, typename VecOp, typename ScalarOp>
void map_elements(const ImageView<const Ts>& src, const ImageView<Td>& dst, VecOp vec_op,
                  ScalarOp scalar_op) {
#if defined(FASTAUG_BYTE_TABLES)
  if constexpr (std::is_same<Ts, uint8_t>::value && std::is_same<Td, uint8_t>::value) {
    if (avx512vbmi_enabled()) {
      ByteTables tables;
      map_run(
          kAllBytes.v, tables.t[0], 256,
          [&](VF* v, int64_t) { for (int k = 0; k < 4; ++k) v[k] = vec_op(v[k]); },
          [&](float x, int64_t) { return scalar_op(x); });
      lookup_image(src, dst, tables, 1);
      return;
    }
  }
#endif
  for_each_run(src, dst, [&](const Ts* s, Td* d, int64_t n) {
    map_run(
        s, d, n, [&](VF* v, int64_t) { for (int k = 0; k < 4; ++k) v[k] = vec_op(v[k]); },
        [&](float x, int64_t) { return scalar_op(x); });
  });
}

// ---------------------------------------------------------------- min / max

void min_max_floats(const ImageView<const float>& img, float* lo, float* hi) {
  const float inf = std::numeric_limits<float>::infinity();
  VF vlo[4], vhi[4];
  for (int k = 0; k < 4; ++k) vlo[k] = f_set1(inf), vhi[k] = f_set1(-inf);
  float slo = inf, shi = -inf;
  for_each_run(img, img, [&](const float* s, const float*, int64_t n) {
    int64_t i = 0;
    for (; i + kBlock <= n; i += kBlock)
      for (int k = 0; k < 4; ++k) {
        const VF v = f_load(s + i + k * kLanes);
        vlo[k] = f_min(vlo[k], v);
        vhi[k] = f_max(vhi[k], v);
      }
    for (; i < n; ++i) {
      slo = s[i] < slo ? s[i] : slo;
      shi = s[i] > shi ? s[i] : shi;
    }
  });
  alignas(64) float lanes[2][kLanes];
  f_store(lanes[0], f_min(f_min(vlo[0], vlo[1]), f_min(vlo[2], vlo[3])));
  f_store(lanes[1], f_max(f_max(vhi[0], vhi[1]), f_max(vhi[2], vhi[3])));
  for (int k = 0; k < kLanes; ++k) {
    slo = lanes[0][k] < slo ? lanes[0][k] : slo;
    shi = lanes[1][k] > shi ? lanes[1][k] : shi;
  }
  *lo = slo;
  *hi = shi;
}

}  // namespace

// ---------------------------------------------------------------- entry points

namespace {

// A uint8 -> uint8 scaling by f in [0, 2) as 16-bit integer arithmetic plus a one-bit
// correction: y = min(255, q*x + h(x)) + step * bit(x), with q in {0, 1}, h one multiply,
// floor(x*a / 2^16) (vpmulhuw) or round(x*a / 2^15) half up (vpmulhrsw), step in {-1, 0, +1}
// and bit(x) a 256-bit map looked up with byte shuffles. The multiply gets within one of the
// float kernel's table; the map holds exactly where it is one off (float32 products that round
// to a tie, rounded half to even, are what a single multiply cannot reproduce: x * 0.5, 0.7,
// 1.3 ...). Built only where it reproduces the table for every byte; the non-VBMI CPUs'
// brightness (VBMI machines look the table up).
struct FixedScale {
  bool round;   // h by vpmulhrsw, else vpmulhuw
  bool add_x;   // q == 1
  int step;
  uint16_t a;
  // bit(x) for x = 16 h + l is bit h of lo[l] (h < 8) or bit h - 8 of hi[l] (h >= 8): a byte
  // shuffle indexes lo with x & 0x8F (bit 7 set gives 0) and hi with that xor 0x80.
  alignas(16) uint8_t lo[16];
  alignas(16) uint8_t hi[16];
  // Ties to even without the map: with a second multiplier a_low that rounds the ties down
  // (y0) where a rounds them up (y1), y = y1 - (y1 & ~y0 & 1) picks the even one of two
  // adjacent results and leaves equal ones alone (3 vector ops against the map's 11).
  bool parity = false;
  uint16_t a_low = 0;
  // Factors in [1, 2) by parity: h = round(2x * a / 2^15), a ~ factor * 2^14 (q = 0), one
  // 16-bit add per half before the multiplies instead of adding x to both products.
  bool doubled = false;
};

alignas(16) constexpr uint8_t kBitOf[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};

// Vector blocks by fs; the elements after the last block are looked up in `exact` (the
// float kernel's results, which the fit has checked the blocks against).
template <bool kRound, int kStep, bool kParity = false, bool kDoubled = false>
void fixed_scale_run(const uint8_t* s, uint8_t* d, int64_t n, const FixedScale& fs,
                     const uint8_t* exact) {
  constexpr int64_t kBytes = sizeof(VI);
  const VI a = u16_set1(fs.a), a_low = u16_set1(fs.a_low);
  const VI low_nibble_and_top = u8_set1(0x8F), top = u8_set1(0x80), seven = u8_set1(7), one = u8_set1(1);
  const bool add_x = fs.add_x;
  // Elements up to the destination's next vector boundary go through `exact`: stores that
  // straddle cache lines cost more than the whole op's arithmetic margin, and numpy's large
  // arrays start 16 bytes into a page (docs/performance.md, "uint8 brightness").
  const int64_t head = std::min<int64_t>(n, static_cast<int64_t>(-reinterpret_cast<uintptr_t>(d) & (kBytes - 1)));
  int64_t i = 0;
  for (; i < head; ++i) d[i] = exact[s[i]];
  for (; i + kBytes <= n; i += kBytes) {
    const VI v = i_load(s + i);
    // Bytes widened to 16-bit lanes; unpack and pack both work per 128-bit lane, so the pack
    // puts the results back in order, and its unsigned saturation is the clamp to 255.
    VI lo = u8_widen_lo(v), hi = u8_widen_hi(v);
    if constexpr (kDoubled) lo = i16_add(lo, lo), hi = i16_add(hi, hi);
    auto scaled = [&](VI m) {
      VI l = kRound ? i16_mulhrs(lo, m) : u16_mulhi(lo, m);
      VI u = kRound ? i16_mulhrs(hi, m) : u16_mulhi(hi, m);
      if (add_x) l = i16_add(l, lo), u = i16_add(u, hi);
      return u16_packus(l, u);
    };
    VI y = scaled(a);
    if constexpr (kParity) {
      const VI y0 = scaled(a_low);
      y = u8_sub(y, i_and(i_andnot(y0, y), one));  // y0 is y or y - 1: keep the even one
    }
    if constexpr (kStep != 0) {
      const VI t = i_and(v, low_nibble_and_top);
      const VI bits = i_or(u8_lookup16(fs.lo, t), u8_lookup16(fs.hi, i_xor(t, top)));
      const VI mask = u8_lookup16(kBitOf, i_and(u16_srli(v, 4), seven));
      const VI bit = u8_min(i_and(bits, mask), one);
      y = kStep > 0 ? u8_adds(y, bit) : u8_subs(y, bit);
    }
    i_store(d + i, y);
  }
  for (; i < n; ++i) d[i] = exact[s[i]];
}

// fs without its map, for every byte value, computed by the vector loop that will run it (a
// scalar loop over the 256 values cost about a microsecond per candidate, paid per call).
void fixed_scale_bases(const FixedScale& fs, uint8_t* base) {
  static_assert(256 % sizeof(VI) == 0, "whole vector blocks: the run's tail never reads `exact`");
  // `base` is vector-aligned, so the run has no head either.
  FixedScale plain = fs;
  plain.step = 0;
  if (fs.parity && fs.doubled)
    fixed_scale_run<true, 0, true, true>(kAllBytes.v, base, 256, plain, nullptr);
  else if (fs.parity)
    fixed_scale_run<true, 0, true>(kAllBytes.v, base, 256, plain, nullptr);
  else if (fs.round)
    fixed_scale_run<true, 0>(kAllBytes.v, base, 256, plain, nullptr);
  else
    fixed_scale_run<false, 0>(kAllBytes.v, base, 256, plain, nullptr);
}

// Fills fs's map for `table` if the multiply is within one of it, in one direction; with
// `exact_only`, succeeds only where no map is needed (skipping the scalar pass over the
// differences, most of a failed candidate's cost).
bool fit_correction(const uint8_t* table, FixedScale* fs, bool exact_only = false) {
  alignas(64) uint8_t base[256];
  fixed_scale_bases(*fs, base);
  if (std::memcmp(base, table, 256) == 0) {
    fs->step = 0;
    return true;
  }
  if (exact_only) return false;
  bool up = false, down = false;
  for (int l = 0; l < 16; ++l) fs->lo[l] = fs->hi[l] = 0;
  for (uint32_t x = 0; x < 256; ++x) {
    const int d = static_cast<int>(table[x]) - static_cast<int>(base[x]);
    if (d == 0) continue;
    if (d != 1 && d != -1) return false;
    (d > 0 ? up : down) = true;
    uint8_t* half = x < 128 ? fs->lo : fs->hi;
    half[x & 15] = static_cast<uint8_t>(half[x & 15] | (1u << ((x >> 4) & 7)));
  }
  if (up && down) return false;
  fs->step = up ? 1 : down ? -1 : 0;
  return true;
}

// A FixedScale equal to `table` (the arithmetic kernel's results for every byte) for a
// scale near `factor`, or false (then the float path runs). Forms without a map go first
// (the multiply that matches the rounding, the neighbouring multipliers, the parity pairs),
// each decided by one vector pass and a memcmp; the maps are built only if none of them fits.
bool fit_fixed_scale(const uint8_t* table, float factor, bool nearest, FixedScale* out) {
  if (!(factor >= 0.0f && factor < 2.0f)) return false;
  const bool add_x = factor >= 1.0f;
  const double frac = static_cast<double>(factor) - (add_x ? 1.0 : 0.0);
  const int64_t rounded = std::llround(frac * 32768.0);  // vpmulhrsw is signed: at most 32767
  const FixedScale by_round{true, add_x, 0, static_cast<uint16_t>(rounded < 32767 ? rounded : 32767), {}, {}};
  const FixedScale by_floor{false, add_x, 0, static_cast<uint16_t>(static_cast<int64_t>(frac * 65536.0)), {}, {}};
  *out = nearest ? by_round : by_floor;
  if (fit_correction(table, out, /*exact_only=*/true)) return true;
  // The neighbouring multipliers: where a product lies a hair from a rounding boundary, one
  // of them may round it as float32 did. Tried before the parity pairs, whose kernel costs
  // about half as much again where both would fit.
  for (const int delta : {-1, 1}) {
    FixedScale near = nearest ? by_round : by_floor;
    const int64_t a = static_cast<int64_t>(near.a) + delta;
    if (a < 0 || a > (near.round ? 32767 : 65535)) continue;
    near.a = static_cast<uint16_t>(a);
    if (fit_correction(table, &near, /*exact_only=*/true)) {
      *out = near;
      return true;
    }
  }
  if (nearest) {
    // Ties to even by parity (see FixedScale), for the rounded multiplier and its neighbours.
    // Factors >= 1 double x first: adding x after both multiplies instead measured slower
    // than the map.
    const int64_t centre = add_x ? std::llround(static_cast<double>(factor) * 16384.0) : rounded;
    for (int64_t a1 = centre; a1 <= centre + 1 && a1 <= 32767; ++a1)
      for (int64_t a0 = a1 - 2; a0 < a1; ++a0) {
        if (a0 < 0) continue;
        FixedScale parity{true, false, 0, static_cast<uint16_t>(a1), {}, {}, true,
                          static_cast<uint16_t>(a0), add_x};
        if (fit_correction(table, &parity, /*exact_only=*/true)) {
          *out = parity;
          return true;
        }
      }
  }
  if (fit_correction(table, out)) return true;
  *out = nearest ? by_floor : by_round;
  return fit_correction(table, out);
}

void fixed_scale_image(const ConstImageU8& src, const ImageU8& dst, const FixedScale& fs,
                       const uint8_t* exact) {
  auto apply = [&](auto run) { for_each_run(src, dst, [&](const uint8_t* s, uint8_t* d, int64_t n) { run(s, d, n, fs, exact); }); };
  if (fs.parity) return fs.doubled ? apply(fixed_scale_run<true, 0, true, true>) : apply(fixed_scale_run<true, 0, true>);
  if (fs.round) {
    if (fs.step == 0) return apply(fixed_scale_run<true, 0>);
    return fs.step > 0 ? apply(fixed_scale_run<true, 1>) : apply(fixed_scale_run<true, -1>);
  }
  if (fs.step == 0) return apply(fixed_scale_run<false, 0>);
  return fs.step > 0 ? apply(fixed_scale_run<false, 1>) : apply(fixed_scale_run<false, -1>);
}

enum class U8Brightness { float_ops, table_lookup, multiply };

// How the uint8 kernel applies this factor at this level: VBMI table lookups, a FixedScale
// (then `exact` holds the float results for every byte and `fs` the fit), or float arithmetic.
U8Brightness plan_u8_brightness(float factor, BrightnessRounding rounding, uint8_t* exact,
                                FixedScale* fs) {
#if defined(FASTAUG_BYTE_TABLES)
  if (avx512vbmi_enabled()) return U8Brightness::table_lookup;
#endif
  const VF f = f_set1(factor);
  auto block = [](auto op) { return [op](VF* v, int64_t) { for (int k = 0; k < 4; ++k) v[k] = op(v[k]); }; };
  if (rounding == BrightnessRounding::floor)
    map_run(kAllBytes.v, exact, 256, block([&](VF v) { return f_floor(f_mul(f, v)); }),
            [&](float x, int64_t) { return floor_brightness(factor, x); });
  else
    map_run(kAllBytes.v, exact, 256, block([&](VF v) { return f_mul(v, f); }),
            [&](float x, int64_t) { return x * factor; });
  return fit_fixed_scale(exact, factor, rounding == BrightnessRounding::nearest, fs)
             ? U8Brightness::multiply
             : U8Brightness::float_ops;
}

}  // namespace

void adjust_brightness_kernel(const ConstImageU8& src, const ImageU8& dst, float factor,
                              BrightnessRounding rounding) {
  alignas(64) uint8_t exact[256];
  FixedScale fs;
  if (plan_u8_brightness(factor, rounding, exact, &fs) == U8Brightness::multiply) {
    fixed_scale_image(src, dst, fs, exact);
    return;
  }
  const VF f = f_set1(factor);
  // The uint8 store clamps to [0, 255] (prepare_store), so the floor needs no clamp here.
  if (rounding == BrightnessRounding::floor)
    map_elements(
        src, dst, [&](VF v) { return f_floor(f_mul(f, v)); },
        [&](float v) { return floor_brightness(factor, v); });
  else
    map_elements(
        src, dst, [&](VF v) { return f_mul(v, f); }, [&](float v) { return v * factor; });
}

const char* brightness_u8_method_kernel(float factor, BrightnessRounding rounding) {
  alignas(64) uint8_t exact[256];
  FixedScale fs;
  switch (plan_u8_brightness(factor, rounding, exact, &fs)) {
    case U8Brightness::table_lookup: return "table";
    case U8Brightness::float_ops: return "float";
    default: return fs.parity ? "multiply+parity" : fs.step != 0 ? "multiply+map" : "multiply";
  }
}

void adjust_brightness_kernel(const ConstImageF32& src, const ImageF32& dst, float factor,
                              BrightnessRounding rounding) {
  const VF f = f_set1(factor);
  if (rounding == BrightnessRounding::floor)
    map_elements(
        src, dst, [&](VF v) { return vfloor_brightness(f, v); },
        [&](float v) { return floor_brightness(factor, v); });
  else
    map_elements(
        src, dst, [&](VF v) { return f_mul(v, f); }, [&](float v) { return v * factor; });
}

namespace {

// Pixels with more channels than this are shifted one pixel (run) at a time.
constexpr int64_t kMaxPatternChannels = 64;

// The clamp is (x < lo ? lo : x) then (x > hi ? hi : x); for uint8 the caller passes integer
// bounds, so clamping before the rounding store equals rounding first.
template <typename T>
void channel_shift_impl(const ImageView<const T>& src, const ImageView<T>& dst,
                        const float* shift, float lo, float hi) {
  const int64_t channels = src.channels;
  const VF vlo = f_set1(lo), vhi = f_set1(hi);
  auto clamp = [&](float x) {
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
  };
  auto vclamp = [&](VF x) { return f_min(vhi, f_max(vlo, x)); };
  if (channels > kMaxPatternChannels || !(src.dense_rows() && dst.dense_rows())) {
    // Pixel by pixel: the shift array itself lines up with each pixel's channels.
    for_each_run(src, dst, [&](const T* s, T* d, int64_t n) {
      for (int64_t p = 0; p < n; p += channels)
        map_run(
            s + p, d + p, channels,
            [&](VF* v, int64_t i) {
              for (int k = 0; k < 4; ++k)
                v[k] = vclamp(f_add(v[k], f_load(shift + i + k * kLanes)));
            },
            [&](float x, int64_t i) { return clamp(x + shift[i]); });
    });
    return;
  }
  // Dense rows: the shift for element i of a run is pattern[i % channels]; keep a copy of
  // the shifts repeated out to one block past any phase, and advance the phase per block.
  float pattern[kBlock + kMaxPatternChannels];
  for (int64_t i = 0; i < kBlock + channels; ++i) pattern[i] = shift[i % channels];
  const int64_t step = kBlock % channels;
  for_each_run(src, dst, [&](const T* s, T* d, int64_t n) {
    int64_t phase = 0;
    map_run(
        s, d, n,
        [&](VF* v, int64_t) {
          for (int k = 0; k < 4; ++k)
            v[k] = vclamp(f_add(v[k], f_load(pattern + phase + k * kLanes)));
          phase += step;
          if (phase >= channels) phase -= channels;
        },
        [&](float x, int64_t i) { return clamp(x + pattern[i % channels]); });
  });
}

}  // namespace

namespace {

// Integer form of a uint8 channel shift: d = min(max(sat(s + add - sub), lo), hi), with
// per-channel add/sub bytes (one of them 0) repeated in patterns as in channel_shift_impl.
struct ByteShift {
  uint8_t add[sizeof(VI) + kMaxTables];
  uint8_t sub[sizeof(VI) + kMaxTables];
  int64_t channels;
  uint8_t lo, hi;
};

void byte_shift_run(const uint8_t* s, uint8_t* d, int64_t n, const ByteShift& bs) {
  constexpr int64_t kBytes = sizeof(VI);
  const int64_t channels = bs.channels, step = kBytes % channels;
  const VI lo = u8_set1(bs.lo), hi = u8_set1(bs.hi);
  // The patterns repeat every `period` vectors (3 for 3 channels, else 1): keep them in
  // registers and unroll, rather than chasing the phase from one vector to the next.
  const int64_t period = step == 0 ? 1 : channels;
  VI add[kMaxTables], sub[kMaxTables];
  for (int64_t p = 0; p < period; ++p) {
    add[p] = i_load(bs.add + (p * kBytes) % channels);
    sub[p] = i_load(bs.sub + (p * kBytes) % channels);
  }
  int64_t i = 0;
  for (; i + period * kBytes <= n; i += period * kBytes)
    for (int64_t p = 0; p < period; ++p) {
      const VI v = u8_subs(u8_adds(i_load(s + i + p * kBytes), add[p]), sub[p]);
      i_store(d + i + p * kBytes, u8_min(u8_max(v, lo), hi));
    }
  int64_t phase = 0;  // i is a multiple of the period here
  for (; i + kBytes <= n; i += kBytes) {
    VI v = u8_subs(u8_adds(i_load(s + i), i_load(bs.add + phase)), i_load(bs.sub + phase));
    i_store(d + i, u8_min(u8_max(v, lo), hi));
    phase += step;
    if (phase >= channels) phase -= channels;
  }
  for (int64_t c = i % channels; i < n; ++i) {
    int v = s[i] + bs.add[c];
    v = (v < 255 ? v : 255) - bs.sub[c];
    v = v > bs.lo ? v : bs.lo;  // also lifts v < 0 to lo >= 0
    d[i] = static_cast<uint8_t>(v < bs.hi ? v : bs.hi);
    if (++c == channels) c = 0;
  }
}

void set_byte_shift(ByteShift* bs, const int* k, int64_t channels, uint8_t lo, uint8_t hi) {
  for (int64_t j = 0; j < static_cast<int64_t>(sizeof(bs->add)); ++j) {
    const int kj = k[j % channels];
    bs->add[j] = static_cast<uint8_t>(kj > 0 ? kj : 0);
    bs->sub[j] = static_cast<uint8_t>(kj < 0 ? -kj : 0);
  }
  bs->channels = channels;
  bs->lo = lo;
  bs->hi = hi;
}

// True (and *bs set) if each channel's table is exactly "add the integer nearest its shift",
// saturated and clamped: then the shift runs on bytes. Ties and shifts whose float sum
// rounds differently for some values fail the check and keep the float formula.
bool shift_is_byte_add(const ByteTables& tables, const float* shift, int64_t channels,
                       uint8_t lo, uint8_t hi, ByteShift* bs) {
  int k[kMaxTables];
  for (int64_t c = 0; c < channels; ++c) {
    const float r = std::nearbyint(shift[c]);
    k[c] = r > 255.0f ? 255 : (r < -255.0f ? -255 : static_cast<int>(r));
    ByteShift one;
    set_byte_shift(&one, &k[c], 1, lo, hi);
    alignas(64) uint8_t check[256];
    byte_shift_run(kAllBytes.v, check, 256, one);
    if (std::memcmp(check, tables.t[c], 256) != 0) return false;
  }
  set_byte_shift(bs, k, channels, lo, hi);
  return true;
}

// shift_is_byte_add without the tables, for shifts whose fraction is clear of one half:
// for a byte x, x + shift[c] then has the fraction of shift[c], and its float32 sum (below
// 768 in magnitude where it matters, so within 2^-15 of exact) rounds to x + round(shift[c])
// whichever way ties go; clamping to the integer bounds commutes with that rounding. Shifts
// beyond +-255 saturate every byte either way. Saves building and checking the tables on
// every call, a cost that dominates small images.
bool shift_is_plain_byte_add(const float* shift, int64_t channels, uint8_t lo, uint8_t hi,
                             ByteShift* bs) {
  int k[kMaxTables];
  for (int64_t c = 0; c < channels; ++c) {
    const float s = shift[c];
    if (!(s > -256.0f && s < 256.0f)) return false;  // the table check decides
    const float r = std::nearbyint(s);
    if (std::fabs(std::fabs(s - r) - 0.5f) < 1.0f / 4096.0f) return false;
    k[c] = r > 255.0f ? 255 : (r < -255.0f ? -255 : static_cast<int>(r));  // saturates alike
  }
  set_byte_shift(bs, k, channels, lo, hi);
  return true;
}

}  // namespace

void channel_shift_kernel(const ConstImageU8& src, const ImageU8& dst, const float* shift,
                          float lo, float hi) {
  lo = std::ceil(clamp_u8_range(lo));
  hi = std::floor(clamp_u8_range(hi));
  const int64_t channels = src.channels;
  if (channels <= kMaxTables) {
    ByteShift bs;
    if (shift_is_plain_byte_add(shift, channels, static_cast<uint8_t>(lo),
                                static_cast<uint8_t>(hi), &bs)) {
      for_each_run(src, dst,
                   [&](const uint8_t* s, uint8_t* d, int64_t n) { byte_shift_run(s, d, n, bs); });
      return;
    }
    ByteTables tables;
    const VF vlo = f_set1(lo), vhi = f_set1(hi);
    for (int64_t c = 0; c < channels; ++c) {
      const float sc = shift[c];
      const VF vshift = f_set1(sc);
      map_run(
          kAllBytes.v, tables.t[c], 256,
          [&](VF* v, int64_t) {
            for (int k = 0; k < 4; ++k) v[k] = f_min(vhi, f_max(vlo, f_add(v[k], vshift)));
          },
          [&](float x, int64_t) {
            x += sc;
            x = x < lo ? lo : x;
            return x > hi ? hi : x;
          });
    }
    if (shift_is_byte_add(tables, shift, channels, static_cast<uint8_t>(lo),
                          static_cast<uint8_t>(hi), &bs)) {
      // Runs start at pixel boundaries, so the pattern phase restarts at 0 in each.
      for_each_run(src, dst,
                   [&](const uint8_t* s, uint8_t* d, int64_t n) { byte_shift_run(s, d, n, bs); });
      return;
    }
#if defined(FASTAUG_BYTE_TABLES)
    if (avx512vbmi_enabled()) {
      // One shift for every channel (Keras's case) needs one table: a much cheaper lookup.
      bool same = true;
      for (int64_t c = 1; c < channels && same; ++c)
        same = std::memcmp(tables.t[c], tables.t[0], 256) == 0;
      lookup_image(src, dst, tables, same ? 1 : channels);
      return;
    }
#endif
  }
  channel_shift_impl(src, dst, shift, lo, hi);
}

void channel_shift_kernel(const ConstImageF32& src, const ImageF32& dst, const float* shift,
                          float lo, float hi) {
  channel_shift_impl(src, dst, shift, lo, hi);
}

void min_max_kernel(const ConstImageU8& img, float* lo, float* hi) {
  constexpr int kBytes = static_cast<int>(sizeof(VI));
  VI vlo, vhi;
  {
    alignas(64) uint8_t init[kBytes];
    for (int k = 0; k < kBytes; ++k) init[k] = 255;
    vlo = i_load(init);
    for (int k = 0; k < kBytes; ++k) init[k] = 0;
    vhi = i_load(init);
  }
  uint8_t slo = 255, shi = 0;
  bool any = false;
  for_each_run(img, img, [&](const uint8_t* s, const uint8_t*, int64_t n) {
    any = any || n > 0;
    int64_t i = 0;
    for (; i + kBytes <= n; i += kBytes) {
      const VI v = i_load(s + i);
      vlo = u8_min(vlo, v);
      vhi = u8_max(vhi, v);
    }
    for (; i < n; ++i) {
      slo = s[i] < slo ? s[i] : slo;
      shi = s[i] > shi ? s[i] : shi;
    }
  });
  alignas(64) uint8_t lanes[2][kBytes];
  i_store(lanes[0], vlo);
  i_store(lanes[1], vhi);
  for (int k = 0; k < kBytes; ++k) {
    slo = lanes[0][k] < slo ? lanes[0][k] : slo;
    shi = lanes[1][k] > shi ? lanes[1][k] : shi;
  }
  const float inf = std::numeric_limits<float>::infinity();
  *lo = any ? static_cast<float>(slo) : inf;
  *hi = any ? static_cast<float>(shi) : -inf;
}

void min_max_kernel(const ConstImageF32& img, float* lo, float* hi) { min_max_floats(img, lo, hi); }

namespace {
template <typename Tin, typename Tout>
void scale_offset_impl(const ImageView<const Tin>& src, const ImageView<Tout>& dst, float scale,
                       float offset) {
  const VF s = f_set1(scale), o = f_set1(offset);
  map_elements(
      src, dst, [&](VF v) { return f_add(f_mul(v, s), o); },
      [&](float v) { return v * scale + offset; });
}
}  // namespace

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

namespace {
// Over runs that start at pixel boundaries: blocks of kBlock elements take the per-element
// factors from `channels` consecutive pattern blocks (the pattern repeats every `channels`
// blocks), the tails one element at a time.
template <typename Tin>
void normalize_channels_impl(const ImageView<const Tin>& src, const ImageF32& dst, const float* scale,
                             const float* offset) {
  const int64_t channels = src.channels;
  constexpr int64_t kMaxChannels = 4;
  alignas(64) float pattern_scale[kMaxChannels * kBlock], pattern_offset[kMaxChannels * kBlock];
  const bool vector = channels <= kMaxChannels;
  if (vector)
    for (int64_t e = 0; e < channels * kBlock; ++e) {
      pattern_scale[e] = scale[e % channels];
      pattern_offset[e] = offset[e % channels];
    }
  for_each_run(src, dst, [&](const Tin* s, float* d, int64_t n) {
    int64_t i = 0;
    if (vector)
      for (int64_t q = 0; i + kBlock <= n; i += kBlock, q = q + 1 == channels ? 0 : q + 1) {
        VF v[4];
        load_block(s + i, v);
        for (int k = 0; k < 4; ++k)
          v[k] = f_add(f_mul(v[k], f_load(pattern_scale + q * kBlock + k * kLanes)),
                       f_load(pattern_offset + q * kBlock + k * kLanes));
        store_block(d + i, v);
      }
    for (int64_t k = i % channels; i < n; ++i, k = k + 1 == channels ? 0 : k + 1)
      d[i] = static_cast<float>(s[i]) * scale[k] + offset[k];
  });
}
}  // namespace

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
  int64_t i = 0;
#if defined(FASTAUG_VECTOR_UNIT)
  const VF s[3] = {f_set1(scale[0]), f_set1(scale[1]), f_set1(scale[2])};
  const VF o[3] = {f_set1(offset[0]), f_set1(offset[1]), f_set1(offset[2])};
  for (; i + kLanes <= pixels; i += kLanes) {
    VF v[3];
    load_rgb(x + 3 * i, v);
    for (int k = 0; k < 3; ++k) f_store(planes + k * plane + i, f_add(f_mul(v[k], s[k]), o[k]));
  }
#endif
  for (; i < pixels; ++i)
    for (int64_t k = 0; k < 3; ++k)
      planes[k * plane + i] = static_cast<float>(x[3 * i + k]) * scale[k] + offset[k];
}

void narrow_floats_kernel(const float* src, uint16_t* dst, int64_t n, HalfFormat format) {
  int64_t i = 0;
  if (format == HalfFormat::bfloat16) {
    // Plain integer arithmetic, which the compiler vectorises at this level's width.
    for (; i < n; ++i) dst[i] = bfloat16_bits(src[i]);
    return;
  }
#if defined(__F16C__)
  // The conversion instruction rounds to nearest even and quiets NaNs, as the reference.
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
#endif
  for (; i < n; ++i) dst[i] = float16_bits(src[i]);
}

void keras_brightness_kernel(const ImageF32& img, float factor, bool keep_alpha) {
  KerasBrightness kb;
  float hi;
  min_max_floats(img, &kb.lo, &hi);
  const float range = hi - kb.lo;
  kb.divisor = range != 0.0f ? range : 1.0f;
  kb.factor = factor;
  kb.keep_alpha = keep_alpha;
  for_each_run(ConstImageF32(img), img, [&](const float* s, float* d, int64_t n) {
    map_run(
        s, d, n, [&](VF* v, int64_t) { kb.apply(v); }, [&](float x, int64_t i) { return kb.apply(x, i % 4); });
  });
}

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
