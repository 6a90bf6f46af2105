// Affine warp kernels compiled once per ISA (see core/isa_namespaces.hpp). The including
// file defines FASTAUG_ISA_NS and is compiled with that ISA's flags.
//
// Per output row, a block of kLanes pixels is done at once: coordinates in double with
// scipy's operation order (so order-0 picks the same pixel), clamped into the image before
// any integer conversion (so no coordinate, however wild, reads out of bounds), taps fetched
// with 32-bit gathers, interpolation in float32. Fill modes `nearest` and `constant` reduce
// to that clamp (plus a cval mask), so whole rows run vectorised; for reflect, wrap and
// mirror only the columns whose taps are all inside the image do, and the border pixels go
// through the scalar reference. Axis-aligned matrices (shift, zoom, flips) take a separable
// path with the same arithmetic and results (see warp_axis_aligned). Packed uint8-to-uint8
// warps step coordinates in fixed point inside the image (see FixedSteps).

// GCC 12's AVX-512 headers build their "undefined" vectors from self-initialised locals,
// which -Wmaybe-uninitialized reports once inlined here; the values are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/simd.hpp"
#include "core/simd_level.hpp"
#include "geometry/warp_affine.hpp"

namespace fastaug {
namespace FASTAUG_ISA_NS {
namespace {

// ------------------------------------------------------------------ tap reads and stores
// The warp's own per-ISA pieces, over core/simd.hpp's types: a block is kLanes output
// pixels, its coordinates two VDs, its taps and offsets VI, its values VF.

// Tap reads without gather instructions: the four int32 byte offsets of an xmm leave it as
// two qword extracts, are split in general registers, and each feeds a scalar load; the
// compiler assembles the loaded values (vmovq/vpinsrq/vinserti128). The address work then
// runs on the integer ports, which the vector code leaves idle, and nothing waits on a
// store. On Zen 4 this beats vpgatherdq on AVX2 and AVX-512; storing the offsets to memory
// and reloading them, or inserting from memory with vpinsrq, measured no faster than the
// gathers (docs/performance.md, "Affine warps").
#if defined(FASTAUG_ISA_NEON)
inline void split_offsets4(VI offsets, int64_t o[4]) {
  o[0] = vgetq_lane_s32(offsets, 0);
  o[1] = vgetq_lane_s32(offsets, 1);
  o[2] = vgetq_lane_s32(offsets, 2);
  o[3] = vgetq_lane_s32(offsets, 3);
}
#else
inline void split_offsets4(__m128i offsets, int64_t o[4]) {
  const int64_t pair01 = _mm_cvtsi128_si64(offsets), pair23 = _mm_extract_epi64(offsets, 1);
  o[0] = static_cast<int32_t>(pair01);
  o[1] = pair01 >> 32;
  o[2] = static_cast<int32_t>(pair23);
  o[3] = pair23 >> 32;
}
#endif
template <typename T>
inline T read_at(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Four 4-byte reads at base + offsets: SSE4's and AVX2's 4-byte gathers, faster than
// offsets stored and reloaded (SSE4) or vpgatherdd (AVX2). AVX-512 keeps vpgatherdd:
// sixteen loads per block made its uint8 order-0 border blocks slower.
#if defined(FASTAUG_ISA_NEON)
inline VI load_dwords4(const uint8_t* base, VI offsets) {
  int64_t o[4];
  split_offsets4(offsets, o);
  VI v = vdupq_n_s32(read_at<int32_t>(base + o[0]));
  v = vsetq_lane_s32(read_at<int32_t>(base + o[1]), v, 1);
  v = vsetq_lane_s32(read_at<int32_t>(base + o[2]), v, 2);
  return vsetq_lane_s32(read_at<int32_t>(base + o[3]), v, 3);
}
#else
inline __m128i load_dwords4(const uint8_t* base, __m128i offsets) {
  int64_t o[4];
  split_offsets4(offsets, o);
  return _mm_setr_epi32(read_at<int32_t>(base + o[0]), read_at<int32_t>(base + o[1]),
                        read_at<int32_t>(base + o[2]), read_at<int32_t>(base + o[3]));
}
#endif

#if defined(__AVX2__)
// Four 8-byte reads at base + offsets, as one vector of qwords.
inline __m256i load_qwords4(const uint8_t* base, __m128i offsets) {
  int64_t o[4];
  split_offsets4(offsets, o);
  return _mm256_setr_epi64x(read_at<long long>(base + o[0]), read_at<long long>(base + o[1]),
                            read_at<long long>(base + o[2]), read_at<long long>(base + o[3]));
}
#endif

#if defined(FASTAUG_ISA_NEON)

// As SSE4.1's below: no gather instruction, four scalar loads; stores through byte tables.
inline VI i_gather(const void* base, VI byte_offsets) {
  return load_dwords4(static_cast<const uint8_t*>(base), byte_offsets);
}
inline VF f_gather(const void* base, VI byte_offsets) { return vreinterpretq_f32_s32(i_gather(base, byte_offsets)); }
inline VI u8_round(VF t) {
  const VF v = f_min(f_max(t, f_set1(0.0f)), f_set1(255.0f));
  const VI i = i_trunc_f(v);
  const FM up = f_ge(f_sub(v, f_from_i(i)), f_set1(0.5f));
  return vsubq_s32(i, vreinterpretq_s32_u32(up));
}
inline void store_packed_c1(uint8_t* p, VI v) {
  static const int8_t kLow[16] = {0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  const int32_t bytes = vgetq_lane_s32(vreinterpretq_s32_u8(b16_shuffle(vreinterpretq_u8_s32(v), b16_load(kLow))), 0);
  std::memcpy(p, &bytes, 4);
}
inline void store_packed_c3(uint8_t* p, VI v) {
  static const int8_t kDrop4th[16] = {0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1};
  alignas(16) uint8_t packed[16];
  b16_store(packed, b16_shuffle(vreinterpretq_u8_s32(v), b16_load(kDrop4th)));
  std::memcpy(p, packed, 12);
}
inline void store_packed_c4(uint8_t* p, VI v) { vst1q_s32(reinterpret_cast<int32_t*>(p), v); }
template <int C>
inline void gather_pairs(const uint8_t* base, VI start, VI shift, VI* first, VI* second) {
  alignas(16) int32_t st[4], sh[4];
  alignas(16) uint32_t a[4], b[4];
  vst1q_s32(st, start);
  vst1q_s32(sh, shift);
  for (int l = 0; l < 4; ++l) {
    uint64_t q;
    std::memcpy(&q, base + st[l], 8);
    q >>= sh[l];
    a[l] = static_cast<uint32_t>(q);
    b[l] = static_cast<uint32_t>(q >> (8 * C));
  }
  *first = vreinterpretq_s32_u32(vld1q_u32(a));
  *second = vreinterpretq_s32_u32(vld1q_u32(b));
}

#elif defined(__AVX512BW__)

inline VI i_gather(const void* base, VI byte_offsets) {
  return _mm512_i32gather_epi32(byte_offsets, base, 1);
}
inline VF f_gather(const void* base, VI byte_offsets) {
  return _mm512_i32gather_ps(byte_offsets, base, 1);
}
// scipy's uint8 cast (t > 0 ? t + 0.5 : 0, truncated), saturated; exact for any float t
// because the half-up step compares the fraction instead of adding 0.5 in float.
inline VI u8_round(VF t) {
  const VF v = _mm512_min_ps(_mm512_max_ps(t, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
  const VI i = _mm512_cvttps_epi32(v);
  const __mmask16 up =
      _mm512_cmp_ps_mask(_mm512_sub_ps(v, _mm512_cvtepi32_ps(i)), _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  return _mm512_mask_add_epi32(i, up, i, _mm512_set1_epi32(1));
}
// Dense stores of packed pixels (channel k in byte k of each lane).
inline void store_packed_c1(uint8_t* p, VI v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(v));
}
inline void store_packed_c3(uint8_t* p, VI v) {
  const VI drop4th = _mm512_broadcast_i32x4(
      _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1));
  const VI squeeze = _mm512_setr_epi32(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 15, 15, 15);
  const VI packed = _mm512_permutexvar_epi32(squeeze, _mm512_shuffle_epi8(v, drop4th));
  // Two plain stores: masked stores are slow on AMD cores.
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_castsi512_si256(packed));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 32), _mm512_extracti32x4_epi32(packed, 2));
}
inline void store_packed_c4(uint8_t* p, VI v) { _mm512_storeu_si512(p, v); }
// Interleaves three channel vectors into 16 RGB float pixels: output slot j holds channel
// j % 3 of pixel j / 3.
inline void store_f32_c3(float* p, VF c0, VF c1, VF c2) {
  const VI from01[3] = {
      _mm512_setr_epi32(0, 16, 0, 1, 17, 1, 2, 18, 2, 3, 19, 3, 4, 20, 4, 5),
      _mm512_setr_epi32(21, 5, 6, 22, 6, 7, 23, 7, 8, 24, 8, 9, 25, 9, 10, 26),
      _mm512_setr_epi32(10, 11, 27, 11, 12, 28, 12, 13, 29, 13, 14, 30, 14, 15, 31, 15)};
  const VI from2[3] = {_mm512_setr_epi32(0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5),
                       _mm512_setr_epi32(5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10),
                       _mm512_setr_epi32(10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15)};
  constexpr __mmask16 kTake2[3] = {0x4924, 0x2492, 0x9249};
  for (int k = 0; k < 3; ++k) {
    const VF v01 = _mm512_permutex2var_ps(c0, from01[k], c1);
    _mm512_storeu_ps(p + 16 * k, _mm512_mask_permutexvar_ps(v01, kTake2[k], from2[k], c2));
  }
}
// Eight 8-byte reads at base + the int32 byte offsets in `offsets` (see split_offsets4).
inline __m512i load_qwords8(const uint8_t* base, __m256i offsets) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(load_qwords4(base, _mm256_castsi256_si128(offsets))),
                            load_qwords4(base, _mm256_extracti128_si256(offsets, 1)), 1);
}
// Per lane, 8 bytes from base + start, shifted right by `shift` bits: `first` gets bytes
// 0-3, `second` bytes C to C+3 (two horizontally adjacent pixels of C <= 4 bytes).
template <int C>
inline void gather_pairs(const uint8_t* base, VI start, VI shift, VI* first, VI* second) {
  const __m256i s_lo = _mm512_castsi512_si256(start), s_hi = _mm512_extracti64x4_epi64(start, 1);
  const __m512i q_lo = _mm512_srlv_epi64(load_qwords8(base, s_lo),
                                         _mm512_cvtepu32_epi64(_mm512_castsi512_si256(shift)));
  const __m512i q_hi = _mm512_srlv_epi64(load_qwords8(base, s_hi),
                                         _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(shift, 1)));
  *first = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(q_lo)),
                              _mm512_cvtepi64_epi32(q_hi), 1);
  *second = _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm512_cvtepi64_epi32(_mm512_srli_epi64(q_lo, 8 * C))),
      _mm512_cvtepi64_epi32(_mm512_srli_epi64(q_hi, 8 * C)), 1);
}
// gather_pairs for starts that needed no shift: the pair's dwords picked by permutes.
template <int C>
inline void gather_pairs_unshifted(const uint8_t* base, VI start, VI* first, VI* second) {
  const __m512i q_lo = load_qwords8(base, _mm512_castsi512_si256(start));
  const __m512i q_hi = load_qwords8(base, _mm512_extracti64x4_epi64(start, 1));
  const __m512i low_dwords =
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  *first = _mm512_permutex2var_epi32(q_lo, low_dwords, q_hi);
  *second = _mm512_permutex2var_epi32(_mm512_srli_epi64(q_lo, 8 * C), low_dwords,
                                      _mm512_srli_epi64(q_hi, 8 * C));
}
// Per lane, the 2*C floats from byte offset `off` on (C 8-byte reads per lane):
// out[f] is float f of that run, so a tap pixel and its right neighbour in one go.
template <int C>
inline void gather_float_runs(const uint8_t* base, VI off, VF* out) {
  const __m256i o_lo = _mm512_castsi512_si256(off), o_hi = _mm512_extracti64x4_epi64(off, 1);
  for (int q = 0; q < C; ++q) {
    const __m512i a = load_qwords8(base + 8 * q, o_lo);
    const __m512i b = load_qwords8(base + 8 * q, o_hi);
    out[2 * q] = _mm512_castsi512_ps(_mm512_inserti64x4(
        _mm512_castsi256_si512(_mm512_cvtepi64_epi32(a)), _mm512_cvtepi64_epi32(b), 1));
    out[2 * q + 1] = _mm512_castsi512_ps(_mm512_inserti64x4(
        _mm512_castsi256_si512(_mm512_cvtepi64_epi32(_mm512_srli_epi64(a, 32))),
        _mm512_cvtepi64_epi32(_mm512_srli_epi64(b, 32)), 1));
  }
}

#elif defined(__AVX2__)

inline VI i_gather(const void* base, VI byte_offsets) {
  const auto* b = static_cast<const uint8_t*>(base);
  return _mm256_set_m128i(load_dwords4(b, _mm256_extracti128_si256(byte_offsets, 1)),
                          load_dwords4(b, _mm256_castsi256_si128(byte_offsets)));
}
inline VF f_gather(const void* base, VI byte_offsets) {
  return _mm256_castsi256_ps(i_gather(base, byte_offsets));
}
inline VI u8_round(VF t) {
  const VF v = _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
  const VI i = _mm256_cvttps_epi32(v);
  const VF up = _mm256_cmp_ps(_mm256_sub_ps(v, _mm256_cvtepi32_ps(i)), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  return _mm256_sub_epi32(i, _mm256_castps_si256(up));
}
inline void store_packed_c1(uint8_t* p, VI v) {
  const VI low_bytes = _mm256_shuffle_epi8(
      v, _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8,
                          12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
  const VI joined = _mm256_permutevar8x32_epi32(low_bytes, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(joined));
}
inline void store_packed_c3(uint8_t* p, VI v) {
  const VI drop4th = _mm256_shuffle_epi8(
      v, _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6,
                          8, 9, 10, 12, 13, 14, -1, -1, -1, -1));
  const VI packed = _mm256_permutevar8x32_epi32(drop4th, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p + 16), _mm256_extracti128_si256(packed, 1));
}
inline void store_packed_c4(uint8_t* p, VI v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
// Interleaves three channel vectors into 8 RGB float pixels.
inline void store_f32_c3(float* p, VF c0, VF c1, VF c2) {
  const VI pick[3] = {_mm256_setr_epi32(0, 0, 0, 1, 1, 1, 2, 2), _mm256_setr_epi32(2, 3, 3, 3, 4, 4, 4, 5),
                      _mm256_setr_epi32(5, 5, 6, 6, 6, 7, 7, 7)};
  // Output slot j holds channel j % 3: blend masks per output vector (bit i = lane i).
  constexpr int kTake1[3] = {0x92, 0x24, 0x49}, kTake2[3] = {0x24, 0x49, 0x92};
  for (int k = 0; k < 3; ++k) {
    const VF a = _mm256_permutevar8x32_ps(c0, pick[k]);
    const VF b = _mm256_permutevar8x32_ps(c1, pick[k]);
    const VF c = _mm256_permutevar8x32_ps(c2, pick[k]);
    const VF m1 = _mm256_castsi256_ps(lane_mask(kTake1[k])), m2 = _mm256_castsi256_ps(lane_mask(kTake2[k]));
    _mm256_storeu_ps(p + 8 * k, _mm256_blendv_ps(_mm256_blendv_ps(a, b, m1), c, m2));
  }
}
template <int C>
inline void gather_float_runs(const uint8_t* base, VI off, VF* out) {
  const __m128i o_lo = _mm256_castsi256_si128(off), o_hi = _mm256_extracti128_si256(off, 1);
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  for (int q = 0; q < C; ++q) {
    // Each read's dwords regrouped as (4 even, 4 odd).
    const __m256i lo = _mm256_permutevar8x32_epi32(load_qwords4(base + 8 * q, o_lo), even);
    const __m256i hi = _mm256_permutevar8x32_epi32(load_qwords4(base + 8 * q, o_hi), even);
    out[2 * q] = _mm256_castsi256_ps(_mm256_permute2x128_si256(lo, hi, 0x20));
    out[2 * q + 1] = _mm256_castsi256_ps(_mm256_permute2x128_si256(lo, hi, 0x31));
  }
}
template <int C>
inline void gather_pairs(const uint8_t* base, VI start, VI shift, VI* first, VI* second) {
  const __m256i q_lo = _mm256_srlv_epi64(load_qwords4(base, _mm256_castsi256_si128(start)),
                                         _mm256_cvtepu32_epi64(_mm256_castsi256_si128(shift)));
  const __m256i q_hi = _mm256_srlv_epi64(load_qwords4(base, _mm256_extracti128_si256(start, 1)),
                                         _mm256_cvtepu32_epi64(_mm256_extracti128_si256(shift, 1)));
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  auto low_dwords = [&](__m256i q) {
    return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(q, even));
  };
  *first = _mm256_set_m128i(low_dwords(q_hi), low_dwords(q_lo));
  *second = _mm256_set_m128i(low_dwords(_mm256_srli_epi64(q_hi, 8 * C)),
                             low_dwords(_mm256_srli_epi64(q_lo, 8 * C)));
}
// Pixel pairs for offsets that need no read-limit shift, with fewer shuffles than
// gather_pairs: a byte shuffle puts each qword's pixel in dword 0 and its right neighbour in
// dword 1, and shufps picks them out of both gathers. The lanes come back in the order
// kPairOrder (pixels 0, 1, 4, 5, 2, 3, 6, 7), which callers permute to and from.
inline VI pair_order() { return _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7); }  // its own inverse
template <int C>
inline void gather_pairs_reordered(const uint8_t* base, VI start, VI* first, VI* second) {
  static_assert(C >= 2 && C <= 4, "a pixel and its neighbour's first 4 bytes fit in 8");
  const __m128i split = _mm_setr_epi8(0, 1, 2, 3, C, C + 1, C + 2, C + 3, 8, 9, 10, 11, 8 + C,
                                      9 + C, 10 + C, 11 + C);
  const __m256i split2 = _mm256_set_m128i(split, split);
  const __m256 lo = _mm256_castsi256_ps(
      _mm256_shuffle_epi8(load_qwords4(base, _mm256_castsi256_si128(start)), split2));
  const __m256 hi = _mm256_castsi256_ps(
      _mm256_shuffle_epi8(load_qwords4(base, _mm256_extracti128_si256(start, 1)), split2));
  *first = _mm256_castps_si256(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
  *second = _mm256_castps_si256(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
}
inline VI i_permute(VI a, VI order) { return _mm256_permutevar8x32_epi32(a, order); }
inline VF f_permute(VF a, VI order) { return _mm256_permutevar8x32_ps(a, order); }

#else  // SSE4.1

// No gather instruction: four scalar loads.
inline VI i_gather(const void* base, VI byte_offsets) {
  return load_dwords4(static_cast<const uint8_t*>(base), byte_offsets);
}
inline VF f_gather(const void* base, VI byte_offsets) { return _mm_castsi128_ps(i_gather(base, byte_offsets)); }
inline VI u8_round(VF t) {
  const VF v = _mm_min_ps(_mm_max_ps(t, _mm_setzero_ps()), _mm_set1_ps(255.0f));
  const VI i = _mm_cvttps_epi32(v);
  const VF up = _mm_cmpge_ps(_mm_sub_ps(v, _mm_cvtepi32_ps(i)), _mm_set1_ps(0.5f));
  return _mm_sub_epi32(i, _mm_castps_si128(up));
}
inline void store_packed_c1(uint8_t* p, VI v) {
  const int32_t bytes = _mm_cvtsi128_si32(
      _mm_shuffle_epi8(v, _mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)));
  std::memcpy(p, &bytes, 4);
}
inline void store_packed_c3(uint8_t* p, VI v) {
  const VI packed =
      _mm_shuffle_epi8(v, _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), packed);
  const int32_t tail = _mm_extract_epi32(packed, 2);
  std::memcpy(p + 8, &tail, 4);
}
inline void store_packed_c4(uint8_t* p, VI v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
template <int C>
inline void gather_pairs(const uint8_t* base, VI start, VI shift, VI* first, VI* second) {
  alignas(16) int32_t st[4], sh[4];
  alignas(16) uint32_t a[4], b[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(st), start);
  _mm_store_si128(reinterpret_cast<__m128i*>(sh), shift);
  for (int l = 0; l < 4; ++l) {
    uint64_t q;
    std::memcpy(&q, base + st[l], 8);
    q >>= sh[l];
    a[l] = static_cast<uint32_t>(q);
    b[l] = static_cast<uint32_t>(q >> (8 * C));
  }
  *first = _mm_load_si128(reinterpret_cast<const __m128i*>(a));
  *second = _mm_load_si128(reinterpret_cast<const __m128i*>(b));
}

#endif


// ------------------------------------------------------------------ the kernel

// One input axis's constants for the reflect, wrap and mirror coordinate mapping.
struct AxisMap {
  VD n, last, one_minus_n, neg_n, period, neg_period;
  VI tap_fold;  // taps i >= n fold to tap_fold - i
  VI last_i;
  bool single;  // length 1: every coordinate maps to 0
};

// Everything a block needs, prepared once per image.
struct Setup {
  AxisMap ymap, xmap;
  FillMode fill;
  const uint8_t* base;   // src.data as bytes; gathers use byte offsets from it
  int32_t row_bytes;     // src strides in bytes
  int32_t col_bytes;
  int32_t last_row;      // height - 1, width - 1
  int32_t last_col;
  int32_t read_limit4;   // highest byte offset a 4-byte read may start at (uint8 input)
  int32_t read_limit8;   // same for an 8-byte read (only with pair_reads)
  bool pair_reads;       // uint8 bilinear: both horizontal taps come from one read
  bool float_runs;       // float bilinear: same, for inlier blocks
  bool constant_fill;
  bool vbmi;             // avx512vbmi_enabled(), read once per image
  uint32_t cval_packed;  // cval in every byte (uint8 output)
  float cval_f;          // cval as float (float output)
};

// Each lane's 4 bytes at byte offset `off`; a read that would pass the image's last byte
// starts earlier and is shifted down, so it never touches memory outside the image.
inline VI u8_pixels(const Setup& s, VI off) {
#if defined(__AVX512BW__)
  if (!i_any_gt(off, i_set1(s.read_limit4))) return i_gather(s.base, off);
#endif
  const VI start = i_min(off, i_set1(s.read_limit4));
  return i_srlv(i_gather(s.base, start), i_sll<3>(i_sub(off, start)));
}

// Pixels at offsets `off` and their right-hand neighbours (same read-limit rule, 8 bytes).
// A neighbour past the row end is garbage, but bilinear then gives it weight exactly 0.
template <int C>
inline void u8_pixel_pairs(const Setup& s, VI off, VI* left, VI* right) {
  if constexpr (C == 1) {
    *left = u8_pixels(s, off);
    *right = i_srl<8>(*left);
  } else {
#if defined(__AVX512BW__)
    if (!i_any_gt(off, i_set1(s.read_limit8))) return gather_pairs_unshifted<C>(s.base, off, left, right);
#endif
    const VI start = i_min(off, i_set1(s.read_limit8));
    gather_pairs<C>(s.base, start, i_sll<3>(i_sub(off, start)), left, right);
  }
}

// Channel k of the taps, as float: from gathered uint8 pixels, or gathered at float offsets.
template <typename Tin, int k>
inline VF tap_channel(const Setup& s, VI handle) {
  if constexpr (std::is_same<Tin, uint8_t>::value) {
    (void)s;
    return f_from_i(i_byte<k>(handle));
  } else {
    return f_gather(s.base + 4 * k, handle);
  }
}

template <int C, typename Fn>
inline void for_channels(Fn&& fn) {
  fn(std::integral_constant<int, 0>());
  if constexpr (C > 1) fn(std::integral_constant<int, 1>());
  if constexpr (C > 2) fn(std::integral_constant<int, 2>());
  if constexpr (C > 3) fn(std::integral_constant<int, 3>());
}

template <int C>
inline void store_u8(const ImageU8& dst, int64_t r, int64_t c, VI packed) {
  uint8_t* p = dst.pixel(r, c);
  if (dst.col_stride == C) {
    if constexpr (C == 1) return store_packed_c1(p, packed);
    if constexpr (C == 3) return store_packed_c3(p, packed);
    if constexpr (C == 4) return store_packed_c4(p, packed);
  }
  alignas(64) int32_t lanes[kLanes];
  i_store(lanes, packed);
  for (int l = 0; l < kLanes; ++l) std::memcpy(p + l * dst.col_stride, &lanes[l], C);
}

template <int C>
inline void store_f32(const ImageF32& dst, int64_t r, int64_t c, const VF* ch) {
  float* p = dst.pixel(r, c);
  if (C == 1 && dst.col_stride == 1) return f_store(p, ch[0]);
#if defined(__AVX2__)
  if constexpr (C == 3) {
    if (dst.col_stride == 3) return store_f32_c3(p, ch[0], ch[1], ch[2]);
  }
#endif
  alignas(64) float lanes[C][kLanes];
  for (int k = 0; k < C; ++k) f_store(lanes[k], ch[k]);
  for (int l = 0; l < kLanes; ++l)
    for (int k = 0; k < C; ++k) p[l * dst.col_stride + k] = lanes[k][l];
}

// scipy's map_coordinate (warp_affine.cpp) for reflect, wrap and mirror, lane by lane with
// the same double operations, so order 0 picks the pixels the scalar reference picks.
inline VD map_coordinate(VD v, FillMode mode, const AxisMap& a) {
  const VD zero = d_set1(0.0), one = d_set1(1.0);
  const DM below_range = d_lt(v, zero), above_range = d_gt(v, a.last);
  VD below = zero, above = zero;
  if (!a.single) {
    const VD neg_v = d_sub(zero, v);
    const VD above_folded = d_sub(v, d_mul(a.period, d_trunc(d_div(v, a.period))));
    if (mode == FillMode::mirror) {
      const VD t = d_add(d_mul(a.period, d_trunc(d_div(neg_v, a.period))), v);
      below = d_select(d_le(t, a.one_minus_n), d_add(t, a.period), d_sub(zero, t));
      above = d_select(d_ge(above_folded, a.n), d_sub(a.period, above_folded), above_folded);
    } else if (mode == FillMode::reflect) {
      const VD t = d_select(d_lt(v, a.neg_period),
                            d_add(d_mul(a.period, d_trunc(d_div(neg_v, a.period))), v), v);
      const VD tiny = d_set1(1e-15);
      const VD mirrored = d_sub(d_select(d_gt(t, d_set1(-1e-15)), tiny, d_sub(zero, t)), one);
      below = d_select(d_lt(t, a.neg_n), d_add(t, a.period), mirrored);
      above = d_select(d_ge(above_folded, a.n), d_sub(d_sub(a.period, above_folded), one),
                       above_folded);
    } else {  // wrap
      below = d_add(v, d_mul(a.period, d_add(d_trunc(d_div(neg_v, a.period)), one)));
      above = above_folded;
    }
  }
  return d_select(below_range, below, d_select(above_range, above, v));
}

// scipy's rule for a tap outside the axis (reflect reflects; wrap and mirror mirror), then
// clamped like the reference; valid for taps in [-1, n + 1].
inline VI map_tap(VI i, bool reflect, const AxisMap& a) {
  const VI j = reflect ? i_max(i, i_sub(i_set1(-1), i)) : i_abs(i);
  return i_min(i_max(i_min(j, i_sub(a.tap_fold, j)), i_set1(0)), a.last_i);
}

// Row state: the double parts of the coordinate formula that do not change along a row.
struct RowCoords {
  VD y_base, x_base;  // m[2] + r * m[0], m[5] + r * m[3]
  VD last_row, last_col, zero, half;
};

// The products c*m1 and c*m4 of a block's columns (the same for every row).
struct ColumnProducts {
  VD m1_lo, m1_hi, m4_lo, m4_hi;
};

// One block of kLanes output pixels starting at column c. kBorder blocks may sample
// anywhere: for nearest and constant fill the coordinates are clamped into the image (the
// latter masking lanes to cval); reflect, wrap and mirror map coordinates and taps as the
// reference does. Other blocks lie in the row's inlier span, where coordinates are already
// inside; their indices are still clamped, so memory safety never rests on the span.
template <typename Tin, typename Tout, int C, bool kBilinear, bool kBorder>
void warp_block(const Setup& s, const RowCoords& rc, const ColumnProducts& cp,
                const ImageView<Tout>& dst, int64_t r, int64_t c) {
  // scipy's order: (m2 + r*m0) + c*m1.
  VD y_lo = d_add(rc.y_base, cp.m1_lo);
  VD y_hi = d_add(rc.y_base, cp.m1_hi);
  VD x_lo = d_add(rc.x_base, cp.m4_lo);
  VD x_hi = d_add(rc.x_base, cp.m4_hi);
  unsigned inside = kAllLanes;
  const VI zero_i = i_set1(0);
  VI t00, t01, t10, t11;  // tap handles: gathered uint8 pixels, or float byte offsets
  VF fx, fy;
  bool sampled = false;
  VF top_run[2 * C], bottom_run[2 * C];  // float bilinear taps read as runs (see below)
  bool runs = false;
  if constexpr (kBorder) {
    if (s.fill != FillMode::nearest && s.fill != FillMode::constant) {
      const bool reflect = s.fill == FillMode::reflect;
      DM ok_y_lo, ok_y_hi, ok_x_lo, ok_x_hi;
      // cc > -1 holds except for NaN (scipy then fills cval); precision-lost values clamp.
      auto settle = [&](VD v, const AxisMap& a, DM* ok) {
        VD cc = map_coordinate(v, s.fill, a);
        *ok = d_gt(cc, d_set1(-1.0));
        cc = d_select(d_gt(cc, a.n), a.last, cc);
        return d_select(*ok, cc, d_set1(0.0));
      };
      y_lo = settle(y_lo, s.ymap, &ok_y_lo);
      y_hi = settle(y_hi, s.ymap, &ok_y_hi);
      x_lo = settle(x_lo, s.xmap, &ok_x_lo);
      x_hi = settle(x_hi, s.xmap, &ok_x_hi);
      inside = d_bits(d_and(ok_y_lo, ok_x_lo), d_and(ok_y_hi, ok_x_hi));
      const VI row_bytes = i_set1(s.row_bytes), col_bytes = i_set1(s.col_bytes);
      auto read = [&](VI off) {
        if constexpr (std::is_same<Tin, uint8_t>::value) return u8_pixels(s, off); else return off;
      };
      if constexpr (!kBilinear) {
        const VI iy = map_tap(i_trunc_d(d_floor(d_add(y_lo, rc.half)), d_floor(d_add(y_hi, rc.half))),
                              reflect, s.ymap);
        const VI ix = map_tap(i_trunc_d(d_floor(d_add(x_lo, rc.half)), d_floor(d_add(x_hi, rc.half))),
                              reflect, s.xmap);
        t00 = read(i_add(i_mul(iy, row_bytes), i_mul(ix, col_bytes)));
      } else {
        const VD fly_lo = d_floor(y_lo), fly_hi = d_floor(y_hi);
        const VD flx_lo = d_floor(x_lo), flx_hi = d_floor(x_hi);
        fy = f_from_d(d_sub(y_lo, fly_lo), d_sub(y_hi, fly_hi));
        fx = f_from_d(d_sub(x_lo, flx_lo), d_sub(x_hi, flx_hi));
        const VI one = i_set1(1);
        const VI iy = i_trunc_d(fly_lo, fly_hi), ix = i_trunc_d(flx_lo, flx_hi);
        const VI r0 = i_mul(map_tap(iy, reflect, s.ymap), row_bytes);
        const VI r1 = i_mul(map_tap(i_add(iy, one), reflect, s.ymap), row_bytes);
        const VI c0 = i_mul(map_tap(ix, reflect, s.xmap), col_bytes);
        const VI c1 = i_mul(map_tap(i_add(ix, one), reflect, s.xmap), col_bytes);
        t00 = read(i_add(r0, c0)), t01 = read(i_add(r0, c1));
        t10 = read(i_add(r1, c0)), t11 = read(i_add(r1, c1));
      }
      sampled = true;
    } else {
      const VD yc_lo = d_clamp(y_lo, rc.zero, rc.last_row), yc_hi = d_clamp(y_hi, rc.zero, rc.last_row);
      const VD xc_lo = d_clamp(x_lo, rc.zero, rc.last_col), xc_hi = d_clamp(x_hi, rc.zero, rc.last_col);
      // Constant fill samples only inside coordinates; nearest excludes only NaN ones (an
      // overflowing matrix), which take cval as in the reference.
      inside = s.constant_fill
                   ? d_eq_bits(yc_lo, y_lo, yc_hi, y_hi) & d_eq_bits(xc_lo, x_lo, xc_hi, x_hi)
                   : d_eq_bits(y_lo, y_lo, y_hi, y_hi) & d_eq_bits(x_lo, x_lo, x_hi, x_hi);
      y_lo = yc_lo, y_hi = yc_hi, x_lo = xc_lo, x_hi = xc_hi;
    }
  }
  if (!sampled && inside != 0) {
    const VI row_bytes = i_set1(s.row_bytes), col_bytes = i_set1(s.col_bytes);
    const VI last_row = i_set1(s.last_row), last_col = i_set1(s.last_col);
    if constexpr (!kBilinear) {
      // floor(x + 0.5) as a truncation: the coordinate is >= 0 here.
      const VI iy = i_min(i_max(i_trunc_d(d_add(y_lo, rc.half), d_add(y_hi, rc.half)), zero_i), last_row);
      const VI ix = i_min(i_max(i_trunc_d(d_add(x_lo, rc.half), d_add(x_hi, rc.half)), zero_i), last_col);
      const VI off = i_add(i_mul(iy, row_bytes), i_mul(ix, col_bytes));
      if constexpr (std::is_same<Tin, uint8_t>::value) t00 = u8_pixels(s, off); else t00 = off;
    } else {
      const VD ty_lo = d_trunc(y_lo), ty_hi = d_trunc(y_hi);
      const VD tx_lo = d_trunc(x_lo), tx_hi = d_trunc(x_hi);
      fy = f_from_d(d_sub(y_lo, ty_lo), d_sub(y_hi, ty_hi));
      fx = f_from_d(d_sub(x_lo, tx_lo), d_sub(x_hi, tx_hi));
      const VI one = i_set1(1);
      const VI iy0 = i_min(i_max(i_trunc_d(ty_lo, ty_hi), zero_i), last_row);
      const VI ix0 = i_min(i_max(i_trunc_d(tx_lo, tx_hi), zero_i), last_col);
      const VI r0 = i_mul(iy0, row_bytes), r1 = i_mul(i_min(i_add(iy0, one), last_row), row_bytes);
      const VI c0 = i_mul(ix0, col_bytes);
      if constexpr (std::is_same<Tin, uint8_t>::value) {
        if (s.pair_reads) {
          u8_pixel_pairs<C>(s, i_add(r0, c0), &t00, &t01);
          u8_pixel_pairs<C>(s, i_add(r1, c0), &t10, &t11);
        } else {
          const VI c1 = i_mul(i_min(i_add(ix0, one), last_col), col_bytes);
          t00 = u8_pixels(s, i_add(r0, c0));
          t01 = u8_pixels(s, i_add(r0, c1));
          t10 = u8_pixels(s, i_add(r1, c0));
          t11 = u8_pixels(s, i_add(r1, c1));
        }
      } else {
#if defined(__AVX2__)
        if (!kBorder && s.float_runs) {
          // Inlier span: x0 + 1 is inside the row, so one run of 2*C floats holds both taps
          // (the clamp keeps that true whatever the coordinates).
          const VI c0_run = i_mul(i_min(ix0, i_set1(s.last_col - 1)), col_bytes);
          gather_float_runs<C>(s.base, i_add(r0, c0_run), top_run);
          gather_float_runs<C>(s.base, i_add(r1, c0_run), bottom_run);
          runs = true;
        }
#endif
        const VI c1 = i_mul(i_min(i_add(ix0, one), last_col), col_bytes);
        t00 = i_add(r0, c0), t01 = i_add(r0, c1), t10 = i_add(r1, c0), t11 = i_add(r1, c1);
      }
    }
  }
  auto channel = [&](auto k) -> VF {
    constexpr int kk = decltype(k)::value;
    if constexpr (!kBilinear) {
      return tap_channel<Tin, kk>(s, t00);
    } else {
      if (runs) {
        const VF top = f_lerp(top_run[kk], top_run[C + kk], fx);
        return f_lerp(top, f_lerp(bottom_run[kk], bottom_run[C + kk], fx), fy);
      }
      const VF top = f_lerp(tap_channel<Tin, kk>(s, t00), tap_channel<Tin, kk>(s, t01), fx);
      const VF bottom = f_lerp(tap_channel<Tin, kk>(s, t10), tap_channel<Tin, kk>(s, t11), fx);
      return f_lerp(top, bottom, fy);
    }
  };

  if constexpr (std::is_same<Tout, uint8_t>::value) {
    VI packed = i_set1(static_cast<int32_t>(s.cval_packed));
    if (inside != 0) {
      VI value;
      if constexpr (!kBilinear && std::is_same<Tin, uint8_t>::value) {
        value = t00;  // the source pixel's bytes, unchanged
      } else {
        value = zero_i;
        for_channels<C>([&](auto k) {
          // Interpolated uint8 data stays within [0, 255]: plain rounding is within the
          // bilinear tolerance. Float data needs scipy's exact cast with saturation.
          const VF v = channel(k);
          VI rounded;
          if constexpr (kBilinear && std::is_same<Tin, uint8_t>::value) rounded = i_round_f(v);
          else rounded = u8_round(v);
          value = i_or(value, i_sll<8 * decltype(k)::value>(rounded));
        });
      }
      packed = inside == kAllLanes ? value : i_blend(inside, packed, value);
    }
    store_u8<C>(dst, r, c, packed);
  } else {
    VF ch[C];
    const VF fill = f_set1(s.cval_f);
    for_channels<C>([&](auto k) {
      constexpr int kk = decltype(k)::value;
      if (inside == 0) {
        ch[kk] = fill;
      } else {
        const VF v = channel(k);
        ch[kk] = inside == kAllLanes ? v : f_blend(inside, fill, v);
      }
    });
    store_f32<C>(dst, r, c, ch);
  }
}

// c*m1 and c*m4 for c in [0, width), each the very product warp_block would form.
class ColumnProductTable {
 public:
  ColumnProductTable(int64_t width, double m1, double m4)
      : m1_(new double[width + kLanes]), m4_(new double[width + kLanes]) {
    const VD a = d_set1(m1), b = d_set1(m4), lane = d_lane_index();
    for (int64_t c = 0; c < width; c += kHalf) {
      const VD col = d_add(d_set1(static_cast<double>(c)), lane);
      d_store(m1_ + c, d_mul(col, a));
      d_store(m4_ + c, d_mul(col, b));
    }
  }
  ~ColumnProductTable() {
    delete[] m1_;
    delete[] m4_;
  }
  ColumnProductTable(const ColumnProductTable&) = delete;
  ColumnProductTable& operator=(const ColumnProductTable&) = delete;
  // The block of kLanes columns from c (c + kLanes <= width).
  ColumnProducts at(int64_t c) const {
    return {d_load(m1_ + c), d_load(m1_ + c + kHalf), d_load(m4_ + c), d_load(m4_ + c + kHalf)};
  }
  double m1(int64_t c) const { return m1_[c]; }
  double m4(int64_t c) const { return m4_[c]; }

 private:
  double* m1_;
  double* m4_;
};

// Each output row's inlier span (warp_detail::inlier_columns).
struct RowSpans {
  explicit RowSpans(int64_t height) : begin(new int64_t[height]), end(new int64_t[height]) {}
  ~RowSpans() {
    delete[] begin;
    delete[] end;
  }
  RowSpans(const RowSpans&) = delete;
  RowSpans& operator=(const RowSpans&) = delete;
  int64_t* begin;
  int64_t* end;
};

// ------------------------------------------------------------------ fixed-point inlier blocks
// Inside a row's inlier span, uint8-to-uint8 warps of packed pixels step their coordinates
// in fixed point instead of forming each in double: from the span's first column (exact,
// in 32.32), by whole blocks (in 32.32, so the steps' rounding adds up to nothing that
// matters), and to each lane in 16.16; within 2/65536 of the double value in all.
// - Order 0 only copies pixels: the half-up rounding is a shift, and the pixels are copied
//   with scalar loads and stores, which beat a gather here. A block with any coordinate
//   within kTieMargin/65536 of a rounding tie (where the fixed point could round otherwise
//   than the double would) goes through warp_block instead, so results stay scipy's.
// - Bilinear takes its weights from the 16-bit fractions (within 2^-15 of the double ones:
//   within 0.02 of the double-weighted value, so still within 1 of scipy's).
// Both are faster than coordinates formed in double (docs/performance.md, "Affine warps").
constexpr double kFixedOne = 65536.0;
constexpr double kFixedOne32 = 4294967296.0;
constexpr int32_t kTieMargin = 4;

struct FixedSteps {
  VI lane_y, lane_x;                   // round(l * m1 * 2^16), round(l * m4 * 2^16) for lane l
  // Zero unless prepare_fixed_steps succeeds: the row loop steps them for every block.
  int64_t block_step_y = 0, block_step_x = 0;  // round(kLanes * m1 * 2^32), same for m4
  int64_t bias = 0;                            // one half for order 0 (rounding is then truncation)
  int64_t fixed32(double coordinate) const {
    return round_even_i64(coordinate * kFixedOne32) + bias;
  }
};

// Whether warp_rows can take inlier blocks in fixed point: uint8 in and out, pixels packed in
// both, rows laid out forwards (so every byte offset is >= 0), coordinates (at most the
// image size, in the inlier span) and lane steps that fit 16.16 in int32, and (bilinear)
// pixel pairs readable in one 8-byte read.
template <typename Tin, typename Tout, int C, bool kBilinear>
bool prepare_fixed_steps(const ImageView<const Tin>& src, const ImageView<Tout>& dst,
                         const WarpParams& p, const Setup& s, FixedSteps* fs) {
  if (!std::is_same<Tin, uint8_t>::value || !std::is_same<Tout, uint8_t>::value) return false;
  const double* m = p.matrix.m;
  const double step_limit = 1024.0;
  if (src.col_stride != C || dst.col_stride != C || src.row_stride <= 0 || src.height > 16384 ||
      src.width > 16384 || !(m[1] >= -step_limit && m[1] <= step_limit) ||
      !(m[4] >= -step_limit && m[4] <= step_limit) || (kBilinear && !s.pair_reads))
    return false;
  alignas(64) int32_t ly[kLanes], lx[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    ly[l] = round_even_i32(static_cast<double>(l) * m[1] * kFixedOne);
    lx[l] = round_even_i32(static_cast<double>(l) * m[4] * kFixedOne);
  }
  fs->lane_y = i_load(ly);
  fs->lane_x = i_load(lx);
  fs->block_step_y = round_even_i64(kLanes * m[1] * kFixedOne32);
  fs->block_step_x = round_even_i64(kLanes * m[4] * kFixedOne32);
  fs->bias = kBilinear ? 0 : int64_t{1} << 31;
  return true;
}

// A block's per-lane 16.16 coordinates from its first column's 32.32 ones.
inline VI lane_coords(int64_t first, VI lane_steps) {
  return i_add(i_set1(static_cast<int32_t>(first >> 16)), lane_steps);
}

template <int C>
inline VI column_bytes(VI column) {
  if constexpr (C == 2) return i_sll<1>(column);
  if constexpr (C == 3) return i_add(column, i_sll<1>(column));
  if constexpr (C == 4) return i_sll<2>(column);
  return column;
}

// The source byte offsets of an order-0 block whose first column's coordinates are y and x
// (FixedSteps::fixed32), stored to `offsets`; false where warp_block must do the block.
// The lane coordinates are first clamped to [lo, hi]: for fill "nearest", the image's range
// (that fill's rule for order 0), where they then hold exact halves, never near a tie.
template <int C>
bool nearest_copy_offsets(const Setup& s, const FixedSteps& fs, VI lo, VI hi_y, VI hi_x,
                          int64_t y, int64_t x, int32_t* offsets) {
  const VI yl = i_min(i_max(lane_coords(y, fs.lane_y), lo), hi_y);
  const VI xl = i_min(i_max(lane_coords(x, fs.lane_x), lo), hi_x);
  const VI fraction = i_set1(0xFFFF), margin = i_set1(kTieMargin);
  const VI tie_distance = i_min(i_and(i_add(yl, margin), fraction), i_and(i_add(xl, margin), fraction));
  if (i_any_lt(tie_distance, i_add(margin, margin))) return false;
  const VI off = i_add(i_mul(i_srl<16>(yl), i_set1(s.row_bytes)), column_bytes<C>(i_srl<16>(xl)));
  // Memory safety rests on this check alone: every read is 4 bytes inside the image.
  if (i_any_gt_unsigned(off, i_set1(s.read_limit4))) return false;
  i_store(offsets, off);
  return true;
}

// Copies the pixels at `offsets` to n (a multiple of kLanes) consecutive output pixels from
// `out`. Run after a row's offsets are collected: scalar loads straight after the vector
// store of their offsets would wait for it.
template <int C>
void copy_pixels(const uint8_t* base, const int32_t* offsets, int64_t n, uint8_t* out) {
  for (int64_t b = 0; b < n; b += kLanes) {
    const int32_t* o = offsets + b;
    uint8_t* q = out + C * b;
    if constexpr (C == 1) {
      for (int l = 0; l < kLanes; ++l) q[l] = base[o[l]];
    } else {
      // 4-byte copies: each one's spare bytes land in the next pixel, written after it;
      // the run's last pixel gets exactly C bytes.
      for (int l = 0; l < kLanes - 1; ++l) std::memcpy(q + C * l, base + o[l], 4);
      if (b + kLanes < n) std::memcpy(q + C * (kLanes - 1), base + o[kLanes - 1], 4);
      else std::memcpy(q + C * (kLanes - 1), base + o[kLanes - 1], C);
    }
  }
}

// FixedTaps's per-image constants, as vectors (kept in registers across a row's blocks: the
// compiler cannot tell that the stores to the output leave Setup alone).
struct FixedTapLimits {
  VI zero, last_row, row_bytes, y_max, x_max;
  explicit FixedTapLimits(const Setup& s)
      : zero(i_set1(0)), last_row(i_set1(s.last_row)), row_bytes(i_set1(s.row_bytes)),
        y_max(i_set1(s.last_row << 16)), x_max(i_set1(s.last_col << 16)) {}
};

// A bilinear block's weights and tap offsets from its first column's coordinates y and x
// (FixedSteps::fixed32). The coordinates are clamped into the image first. Inside it that
// changes nothing but the rounding of the block start and lane steps, which can put a lane
// a hair below 0 (-1 in 16.16) where the double coordinate is a hair above: clamped, it
// reads row or column 0 as it should. Outside the image clamping is scipy's `nearest` rule
// for order 1 (the edge pixel, whatever the weights). The taps' second row is the first
// one's next, or itself at the last row; the second column may lie past the row's end,
// but its weight is then 0.
template <int C>
struct FixedTaps {
  VF fy, fx;
  VI top, bottom;  // byte offsets of the top and bottom tap pairs
  FixedTaps(const FixedTapLimits& k, const FixedSteps& fs, int64_t y, int64_t x) {
    const VI yl = i_min(i_max(lane_coords(y, fs.lane_y), k.zero), k.y_max);
    const VI xl = i_min(i_max(lane_coords(x, fs.lane_x), k.zero), k.x_max);
    const VI fraction = i_set1(0xFFFF);
    const VF scale = f_set1(1.0f / 65536.0f);
    fy = f_mul(f_from_i(i_and(yl, fraction)), scale);
    fx = f_mul(f_from_i(i_and(xl, fraction)), scale);
    const VI iy = i_srl<16>(yl);
    top = i_add(i_mul(iy, k.row_bytes), column_bytes<C>(i_srl<16>(xl)));
    bottom = i_add_where_less(top, k.row_bytes, iy, k.last_row);
  }
};

// A bilinear block's weights and pixel pairs, read from its first column's coordinates y and
// x (see FixedTaps); the pair reads keep to the image whatever the coordinates.
struct FixedBlockTaps {
  VF fy, fx;
  VI t00, t01, t10, t11;  // top-left, top-right, bottom-left, bottom-right pixels
  bool reordered;         // AVX2: lanes in pair_order()
};

template <int C>
inline void read_fixed_block(const Setup& s, const FixedTapLimits& limits, const FixedSteps& fs,
                             int64_t y, int64_t x, FixedBlockTaps* b) {
  const FixedTaps<C> taps(limits, fs, y, x);
  b->fy = taps.fy;
  b->fx = taps.fx;
  b->reordered = false;
#if defined(__AVX2__) && !defined(__AVX512BW__)
  // AVX2 without the read-limit shift: taps in pair_order(), so the weights go there too and
  // the result comes back before the store, cheaper than restoring the taps' order.
  if (C >= 2 && !i_any_gt(i_max(taps.top, taps.bottom), i_set1(s.read_limit8))) {
    gather_pairs_reordered<C < 2 ? 2 : C>(s.base, taps.top, &b->t00, &b->t01);
    gather_pairs_reordered<C < 2 ? 2 : C>(s.base, taps.bottom, &b->t10, &b->t11);
    b->fx = f_permute(b->fx, pair_order());
    b->fy = f_permute(b->fy, pair_order());
    b->reordered = true;
    return;
  }
#endif
  u8_pixel_pairs<C>(s, taps.top, &b->t00, &b->t01);
  u8_pixel_pairs<C>(s, taps.bottom, &b->t10, &b->t11);
}

template <int C>
inline void store_fixed_block(const FixedBlockTaps& b, const ImageU8& dst, int64_t r, int64_t c) {
  VI value = i_set1(0);
  for_channels<C>([&](auto k) {
    constexpr int kk = decltype(k)::value;
    const VF upper = f_lerp(f_from_i(i_byte<kk>(b.t00)), f_from_i(i_byte<kk>(b.t01)), b.fx);
    const VF lower = f_lerp(f_from_i(i_byte<kk>(b.t10)), f_from_i(i_byte<kk>(b.t11)), b.fx);
    value = i_or(value, i_sll<8 * kk>(i_round_f(f_lerp(upper, lower, b.fy))));
  });
#if defined(__AVX2__) && !defined(__AVX512BW__)
  if (b.reordered) value = i_permute(value, pair_order());
#endif
  store_u8<C>(dst, r, c, value);
}

#if defined(__AVX512BW__) && (defined(__GNUC__) || defined(__clang__))
#define FASTAUG_WARP_VBMI 1
#define FASTAUG_TARGET_VBMI __attribute__((target("avx512vbmi")))

// Byte-permute indices for the VBMI bilinear blocks. With the two 8-lane qword gathers of a
// block as one 128-byte table, lane l's 8 bytes sit at 8l: tap[b] moves byte b of lane l's
// run (channel b % C of the left pixel, or of the right one for b >= C) to byte 0 of dword
// l. pack3 interleaves three dword vectors' low bytes into 16 RGB pixels: bytes 3l and
// 3l + 1 from the first two (table offsets 0 and 64), byte 3l + 2 from the third.
struct VbmiBilinearIndex {
  uint8_t tap[8][64];
  uint8_t pack01[64];
  uint8_t pack2[64];
  constexpr VbmiBilinearIndex() : tap(), pack01(), pack2() {
    for (int b = 0; b < 8; ++b)
      for (int l = 0; l < 16; ++l) tap[b][4 * l] = static_cast<uint8_t>(8 * l + b);
    for (int l = 0; l < 16; ++l) {
      pack01[3 * l] = static_cast<uint8_t>(4 * l);
      pack01[3 * l + 1] = static_cast<uint8_t>(64 + 4 * l);
      pack2[3 * l + 2] = static_cast<uint8_t>(4 * l);
    }
  }
};
constexpr VbmiBilinearIndex kVbmiBilinear{};
constexpr __mmask64 kDwordLowBytes = 0x1111111111111111ull;
constexpr __mmask64 kEveryThirdByte = 0x4924924924924924ull;  // bytes 3l + 2

// Channel k of the taps whose qword runs are `lo` (lanes 0-7) and `hi` (lanes 8-15), as
// float: byte k (left pixel) or C + k (right pixel) zero-extended in one permute.
template <int b>
FASTAUG_TARGET_VBMI inline VF vbmi_tap(__m512i lo, __m512i hi) {
  const __m512i index = _mm512_loadu_si512(kVbmiBilinear.tap[b]);
  return _mm512_cvtepi32_ps(_mm512_maskz_permutex2var_epi8(kDwordLowBytes, lo, index, hi));
}

template <int C, int k>
FASTAUG_TARGET_VBMI inline VI vbmi_bilinear_channel(__m512i top_lo, __m512i top_hi,
                                                    __m512i bottom_lo, __m512i bottom_hi,
                                                    VF fx, VF fy) {
  const VF upper = f_lerp(vbmi_tap<k>(top_lo, top_hi), vbmi_tap<C + k>(top_lo, top_hi), fx);
  const VF lower = f_lerp(vbmi_tap<k>(bottom_lo, bottom_hi), vbmi_tap<C + k>(bottom_lo, bottom_hi), fx);
  return i_round_f(f_lerp(upper, lower, fy));
}

// A VBMI block's weights and gathered tap runs (lanes 0-7 and 8-15 of each row).
struct VbmiTaps {
  VF fy, fx;
  __m512i top_lo, top_hi, bottom_lo, bottom_hi;
};

// False, gathering nothing, where an 8-byte read would pass the image's end.
template <int C>
FASTAUG_TARGET_VBMI inline bool vbmi_gather_taps(const Setup& s, const FixedTapLimits& limits,
                                                 const FixedSteps& fs, int64_t y, int64_t x,
                                                 VbmiTaps* t) {
  const FixedTaps<C> taps(limits, fs, y, x);
  if (i_any_gt(taps.bottom, i_set1(s.read_limit8))) return false;
  t->fy = taps.fy;
  t->fx = taps.fx;
  t->top_lo = load_qwords8(s.base, _mm512_castsi512_si256(taps.top));
  t->top_hi = load_qwords8(s.base, _mm512_extracti64x4_epi64(taps.top, 1));
  t->bottom_lo = load_qwords8(s.base, _mm512_castsi512_si256(taps.bottom));
  t->bottom_hi = load_qwords8(s.base, _mm512_extracti64x4_epi64(taps.bottom, 1));
  return true;
}

// read_fixed_block + store_fixed_block for packed RGB or RGBA output, with VBMI byte permutes
// instead of pshufb on split pair vectors (the same arithmetic, so the same result): the
// two gathers' qwords go straight to each channel's floats, and the rounded channels
// straight to packed pixels. The next block's gathers are issued before this block's
// arithmetic, so the two overlap.
template <int C>
FASTAUG_TARGET_VBMI void bilinear_fixed_row_vbmi(const Setup& s, const FixedSteps& fs, int64_t y,
                                                 int64_t x, const ImageU8& dst, int64_t r,
                                                 int64_t c, int64_t blocks) {
  static_assert(C == 3 || C == 4, "VBMI bilinear blocks are for packed RGB and RGBA");
  const FixedTapLimits limits(s);
  VbmiTaps t, next;
  bool gathered = blocks > 0 && vbmi_gather_taps<C>(s, limits, fs, y, x, &t);
  for (int64_t b = 0; b < blocks; ++b, c += kLanes, y += fs.block_step_y, x += fs.block_step_x) {
    const bool next_gathered = b + 1 < blocks && vbmi_gather_taps<C>(
        s, limits, fs, y + fs.block_step_y, x + fs.block_step_x, &next);
    if (!gathered) {
      FixedBlockTaps taps;
      read_fixed_block<C>(s, limits, fs, y, x, &taps);
      store_fixed_block<C>(taps, dst, r, c);
    } else {
      const VI v0 = vbmi_bilinear_channel<C, 0>(t.top_lo, t.top_hi, t.bottom_lo, t.bottom_hi, t.fx, t.fy);
      const VI v1 = vbmi_bilinear_channel<C, 1>(t.top_lo, t.top_hi, t.bottom_lo, t.bottom_hi, t.fx, t.fy);
      const VI v2 = vbmi_bilinear_channel<C, 2>(t.top_lo, t.top_hi, t.bottom_lo, t.bottom_hi, t.fx, t.fy);
      uint8_t* p = dst.pixel(r, c);
      if constexpr (C == 3) {
        const __m512i rg = _mm512_permutex2var_epi8(v0, _mm512_loadu_si512(kVbmiBilinear.pack01), v1);
        const __m512i rgb = _mm512_mask_permutexvar_epi8(
            rg, kEveryThirdByte, _mm512_loadu_si512(kVbmiBilinear.pack2), v2);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_castsi512_si256(rgb));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 32), _mm512_extracti32x4_epi32(rgb, 2));
      } else {
        const VI v3 = vbmi_bilinear_channel<C, 3>(t.top_lo, t.top_hi, t.bottom_lo, t.bottom_hi, t.fx, t.fy);
        store_packed_c4(p, i_or(i_or(v0, i_sll<8>(v1)), i_or(i_sll<16>(v2), i_sll<24>(v3))));
      }
    }
    t = next;
    gathered = next_gathered;
  }
}
#endif

// `blocks` bilinear blocks from column c on, the first at coordinates y and x
// (FixedSteps::fixed32).
template <int C>
void bilinear_fixed_row(const Setup& s, const FixedSteps& fs, int64_t y, int64_t x,
                        const ImageU8& dst, int64_t r, int64_t c, int64_t blocks) {
#if defined(FASTAUG_WARP_VBMI)
  if constexpr (C == 3 || C == 4) {
    if (s.vbmi) return bilinear_fixed_row_vbmi<C>(s, fs, y, x, dst, r, c, blocks);
  }
#endif
  // The next block's reads are issued before this block's arithmetic, so the two overlap.
  const FixedTapLimits limits(s);
  FixedBlockTaps taps, next;
  if (blocks > 0) read_fixed_block<C>(s, limits, fs, y, x, &taps);
  for (int64_t b = 0; b < blocks; ++b, c += kLanes, y += fs.block_step_y, x += fs.block_step_x) {
    if (b + 1 < blocks) read_fixed_block<C>(s, limits, fs, y + fs.block_step_y, x + fs.block_step_x, &next);
    store_fixed_block<C>(taps, dst, r, c);
    taps = next;
  }
}

// Output columns [c0, c1) of row r set to cval.
template <typename Tout, int C>
void fill_cval(const Setup& s, const ImageView<Tout>& dst, int64_t r, int64_t c0, int64_t c1) {
  if (c0 >= c1) return;
  Tout value;
  if constexpr (std::is_same<Tout, uint8_t>::value) value = static_cast<uint8_t>(s.cval_packed & 0xFF);
  else value = s.cval_f;
  Tout* out = dst.pixel(r, c0);
  if (dst.col_stride == C) {
    std::fill_n(out, (c1 - c0) * C, value);
    return;
  }
  for (int64_t c = c0; c < c1; ++c, out += dst.col_stride)
    for (int k = 0; k < C; ++k) out[k] = value;
}

template <typename Tin, typename Tout, int C, bool kBilinear>
void warp_rows(const ImageView<const Tin>& src, const ImageView<Tout>& dst, const WarpParams& p,
               const Setup& s) {
  const double* m = p.matrix.m;
  const bool vector_borders = dst.width >= kLanes;
  RowCoords rc;
  rc.last_row = d_set1(static_cast<double>(src.height - 1));
  rc.last_col = d_set1(static_cast<double>(src.width - 1));
  rc.zero = d_set1(0.0);
  rc.half = d_set1(0.5);
  // c*m1 and c*m4 for every column, computed once per image: [0, width) of each.
  ColumnProductTable products(dst.width, m[1], m[4]);
  auto border_block = [&](int64_t r, int64_t c) {
    warp_block<Tin, Tout, C, kBilinear, true>(s, rc, products.at(c), dst, r, c);
  };
  // Columns [c0, c1) outside the inlier span. A partial block runs over c1 (or, at the
  // row's end, is moved back to end there); recomputing a few pixels writes the same values.
  auto border_columns = [&](int64_t r, int64_t c0, int64_t c1) {
    if (c0 >= c1) return;
    if (!vector_borders) return warp_detail::reference_row(src, dst, p, r, c0, c1);
    for (int64_t c = c0; c < c1; c += kLanes)
      border_block(r, c + kLanes <= dst.width ? c : dst.width - kLanes);
  };
  FixedSteps fs;
  const bool fixed = prepare_fixed_steps<Tin, Tout, C, kBilinear>(src, dst, p, s, &fs);
  // Fill "nearest": a row (of a strip) with border columns is done in fixed-point blocks
  // throughout, where its coordinates fit them (FixedTaps and the order-0 copies clamp as
  // the fill rule does), instead of the slower border blocks in double.
  const bool clamped_rows = fixed && p.fill == FillMode::nearest;
  // Order 0, fill "constant": a pixel takes cval exactly where its coordinates leave the
  // image, which is outside the row's inlier span.
  const bool cval_outside = !kBilinear && p.fill == FillMode::constant;
  auto fixed_range = [&](double rd, int64_t c) {
    constexpr double kLimit = 32000.0;  // 16.16 in int32, with room for the steps' rounding
    const double y = (m[2] + rd * m[0]) + products.m1(c), x = (m[5] + rd * m[3]) + products.m4(c);
    return y > -kLimit && y < kLimit && x > -kLimit && x < kLimit;
  };
  // Each row's inlier span, found on first use (-1 until then): the rows fill "nearest" runs
  // in fixed point throughout never need one, and finding a span costs a few percent of a
  // bilinear rotation.
  RowSpans spans(dst.height);
  for (int64_t r = 0; r < dst.height; ++r) spans.begin[r] = -1;  // no std templates here
  auto inlier_span = [&](int64_t r, int64_t* begin, int64_t* end) {
    if (spans.begin[r] < 0)
      warp_detail::inlier_columns(p, src.height, src.width, dst.width, r, &spans.begin[r], &spans.end[r]);
    *begin = spans.begin[r];
    *end = spans.end[r];
  };
  // Column strips, top to bottom: a rotated output row reads a band of source rows, and
  // within a strip the bands of consecutive rows overlap in cache. Wide strips measured
  // best since the fixed-point blocks: they give long runs of order-0 copies.
  constexpr int64_t kStrip = 512;
  alignas(64) int32_t run_offsets[kStrip];
  for (int64_t strip_begin = 0; strip_begin < dst.width; strip_begin += kStrip) {
    const int64_t strip_end = strip_begin + kStrip < dst.width ? strip_begin + kStrip : dst.width;
    auto clip = [&](int64_t v) { return v < strip_begin ? strip_begin : v > strip_end ? strip_end : v; };
    for (int64_t r = 0; r < dst.height; ++r) {
      const double rd = static_cast<double>(r);
      int64_t begin = strip_begin, end = strip_end;  // the fixed point clamps as fill "nearest" does
      const bool clamped = clamped_rows && fixed_range(rd, strip_begin) && fixed_range(rd, strip_end - 1);
      if (!clamped) {
        inlier_span(r, &begin, &end);
        begin = clip(begin);
        end = clip(end);
      }
      // Order-0 coordinates carry the +0.5 of FixedSteps::bias.
      const int32_t no_clamp = std::numeric_limits<int32_t>::max();
      const VI clamp_lo = i_set1(clamped ? 0x8000 : -no_clamp - 1);
      const VI clamp_y = i_set1(clamped ? (s.last_row << 16) + 0x8000 : no_clamp);
      const VI clamp_x = i_set1(clamped ? (s.last_col << 16) + 0x8000 : no_clamp);
      rc.y_base = d_set1(m[2] + rd * m[0]);
      rc.x_base = d_set1(m[5] + rd * m[3]);
      int64_t c = begin;
      // Order-0 copies: consecutive blocks' offsets collected, then copied in one go.
      int64_t run_begin = c, run_length = 0, y_fixed = 0, x_fixed = 0;
      auto flush_run = [&] {
        if constexpr (std::is_same<Tout, uint8_t>::value)
          copy_pixels<C>(s.base, run_offsets, run_length, dst.pixel(r, run_begin));
        run_length = 0;
      };
      if (fixed && c < end) {  // the coordinates as warp_block forms them
        y_fixed = fs.fixed32((m[2] + rd * m[0]) + products.m1(c));
        x_fixed = fs.fixed32((m[5] + rd * m[3]) + products.m4(c));
      }
      if constexpr (std::is_same<Tout, uint8_t>::value && kBilinear) {
        if (fixed && c + kLanes <= end) {
          const int64_t blocks = (end - c) / kLanes;
          bilinear_fixed_row<C>(s, fs, y_fixed, x_fixed, dst, r, c, blocks);
          c += blocks * kLanes;
        }
      }
      for (; c + kLanes <= end; c += kLanes, y_fixed += fs.block_step_y, x_fixed += fs.block_step_x) {
        if constexpr (std::is_same<Tout, uint8_t>::value) {
          if (fixed && nearest_copy_offsets<C>(s, fs, clamp_lo, clamp_y, clamp_x, y_fixed, x_fixed,
                                               run_offsets + run_length)) {
            if (run_length == 0) run_begin = c;
            run_length += kLanes;
            continue;
          }
        }
        flush_run();
        warp_block<Tin, Tout, C, kBilinear, false>(s, rc, products.at(c), dst, r, c);
      }
      flush_run();
      if (cval_outside) {
        border_columns(r, c, end);
        fill_cval<Tout, C>(s, dst, r, strip_begin, begin);
        fill_cval<Tout, C>(s, dst, r, end, strip_end);
        continue;
      }
      border_columns(r, strip_begin, begin);
      border_columns(r, c, strip_end);
    }
  }
}

// ------------------------------------------------------------------ axis-aligned matrices
// With m[1] == m[3] == 0 (shifts, zooms and flips; the generator's usual workload) the row
// coordinate depends on r alone and the column coordinate on c alone. Each axis's taps and
// weights are then computed once, with the operations warp_block uses, and the bilinear
// sum splits: every source row needed is interpolated horizontally once, into a float row
// that consecutive output rows reuse, and output row r is lerp(row(y0), row(y1), fy).
// warp_block computes lerp(lerp(t00, t01, fx), lerp(t10, t11, fx), fy) with the same float
// operations, so both paths give bit-identical results (except uint8-to-uint8 bilinear,
// whose general path takes fixed-point weights inside the image: within 1 there).

// One block of kLanes output positions along one axis.
struct AxisBlock {
  VI off0, off1;    // byte offsets of the two taps along the axis (order 0: off0 only)
  VF frac;          // weight of the off1 tap
  unsigned inside;  // lanes that sample the image; the others take cval
#if defined(__AVX2__)
  // uint8 rows whose taps all lie in one window of two vectors (128 bytes with AVX-512,
  // 64 with AVX2): the taps' pixels are picked from two vector loads with dword permutes
  // instead of gathered. Per tap, the dword of the window it starts in and the bit shift to
  // its first byte.
  bool windowed;
  int32_t window;  // the window's byte offset within the row
  struct WindowTap {
    VI first, second;            // dword indices of the tap's first 4 bytes, and the next
    VI right_shift, left_shift;  // bit shift to the tap's first byte, and 32 minus it
  } tap0, tap1;
#endif
};

#if defined(__AVX2__)
constexpr int kWindowBytes = 2 * static_cast<int>(sizeof(VI));

#if defined(__AVX512BW__)
inline VI window_dwords(VI lo, VI hi, VI dword) { return _mm512_permutex2var_epi32(lo, dword, hi); }
inline VI load_window_half(const uint8_t* p) { return _mm512_loadu_si512(p); }
// AVX-512's two-source permute reads the index's bit 4 itself.
inline VI window_index(VI dword) { return dword; }
#else
// Dword `dword` (0-15) of the 64-byte window lo:hi: both halves permuted, and the index
// (prepared by window_index: bit 3 moved to the sign bit) picks one.
inline VI window_dwords(VI lo, VI hi, VI index) {
  return _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(_mm256_permutevar8x32_epi32(lo, index)),
                       _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(hi, index)),
                       _mm256_castsi256_ps(index)));
}
inline VI load_window_half(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
// vpermd reads bits 0-2 only, so bit 3 can sit in the sign bit too, where blendv looks.
inline VI window_index(VI dword) { return i_or(dword, i_sll<28>(dword)); }
#endif

// 4 bytes per lane starting at the tap's byte of the window lo:hi. Where the read runs past
// the window's end the excess bytes are garbage; plan_window only accepts blocks whose C
// meaningful bytes lie inside.
inline VI window_pixels(VI lo, VI hi, const AxisBlock::WindowTap& t) {
  const VI first = window_dwords(lo, hi, t.first);
  const VI second = window_dwords(lo, hi, t.second);
  // A shift of 0 makes the left shift 32, which variable shifts turn into 0.
  return i_or(i_srlv(first, t.right_shift), i_sllv(second, t.left_shift));
}

// Sets up b's window when src rows are packed uint8 pixels at least a window long and
// b's taps (C bytes from each offset) fit in one window inside the row.
template <typename Tin, int C>
void plan_window(AxisBlock* b, const Setup& s, int64_t src_width) {
  b->windowed = false;
  const int64_t row_len = src_width * C;
  if (!std::is_same<Tin, uint8_t>::value || s.col_bytes != C || row_len < kWindowBytes) return;
  alignas(64) int32_t o0[kLanes], o1[kLanes];
  i_store(o0, b->off0);
  i_store(o1, b->off1);
  int32_t lo = o0[0], hi = o0[0];
  for (int l = 0; l < kLanes; ++l) {
    const int32_t first = o0[l] < o1[l] ? o0[l] : o1[l], last = o0[l] < o1[l] ? o1[l] : o0[l];
    lo = first < lo ? first : lo;
    hi = last > hi ? last : hi;
  }
  const int32_t window = lo < row_len - kWindowBytes ? lo : static_cast<int32_t>(row_len - kWindowBytes);
  if (lo < 0 || hi + C > window + kWindowBytes) return;
  b->windowed = true;
  b->window = window;
  const VI w = i_set1(window), three = i_set1(3);
  const VI rel0 = i_sub(b->off0, w), rel1 = i_sub(b->off1, w);
  auto tap = [&](VI rel) {
    AxisBlock::WindowTap t;
    const VI dword = i_srl<2>(rel);
    t.first = window_index(dword);
    t.second = window_index(i_add(dword, i_set1(1)));
    t.right_shift = i_sll<3>(i_and(rel, three));
    t.left_shift = i_sub(i_set1(32), t.right_shift);
    return t;
  };
  b->tap0 = tap(rel0);
  b->tap1 = tap(rel1);
}
#endif

// warp_block's per-axis arithmetic for the coordinates lo, hi (kLanes positions).
template <bool kBilinear>
AxisBlock axis_block(const Setup& s, const AxisMap& a, VD lo, VD hi, int32_t stride_bytes,
                     int32_t last_index) {
  const VD zero = d_set1(0.0), half = d_set1(0.5);
  const VI zero_i = i_set1(0), one = i_set1(1), last_i = i_set1(last_index);
  const VD last = d_set1(static_cast<double>(last_index));
  VI i0, i1 = zero_i;
  VF frac = f_set1(0.0f);
  AxisBlock b;
  if (s.fill == FillMode::nearest || s.fill == FillMode::constant) {
    const VD c_lo = d_clamp(lo, zero, last), c_hi = d_clamp(hi, zero, last);
    b.inside = s.constant_fill ? d_eq_bits(c_lo, lo, c_hi, hi) : d_eq_bits(lo, lo, hi, hi);
    if constexpr (kBilinear) {
      const VD t_lo = d_trunc(c_lo), t_hi = d_trunc(c_hi);
      frac = f_from_d(d_sub(c_lo, t_lo), d_sub(c_hi, t_hi));
      i0 = i_min(i_max(i_trunc_d(t_lo, t_hi), zero_i), last_i);
      i1 = i_min(i_add(i0, one), last_i);
    } else {
      i0 = i_min(i_max(i_trunc_d(d_add(c_lo, half), d_add(c_hi, half)), zero_i), last_i);
    }
  } else {
    const bool reflect = s.fill == FillMode::reflect;
    DM ok_lo, ok_hi;
    auto settle = [&](VD v, DM* ok) {
      VD cc = map_coordinate(v, s.fill, a);
      *ok = d_gt(cc, d_set1(-1.0));
      cc = d_select(d_gt(cc, a.n), a.last, cc);
      return d_select(*ok, cc, zero);
    };
    lo = settle(lo, &ok_lo);
    hi = settle(hi, &ok_hi);
    b.inside = d_bits(ok_lo, ok_hi);
    if constexpr (kBilinear) {
      const VD fl_lo = d_floor(lo), fl_hi = d_floor(hi);
      frac = f_from_d(d_sub(lo, fl_lo), d_sub(hi, fl_hi));
      const VI i = i_trunc_d(fl_lo, fl_hi);
      i0 = map_tap(i, reflect, a);
      i1 = map_tap(i_add(i, one), reflect, a);
    } else {
      i0 = map_tap(i_trunc_d(d_floor(d_add(lo, half)), d_floor(d_add(hi, half))), reflect, a);
    }
  }
  b.off0 = i_mul(i0, i_set1(stride_bytes));
  b.off1 = i_mul(i1, i_set1(stride_bytes));
  b.frac = frac;
  return b;
}

// Working memory of one axis-aligned warp, allocated once per call.
template <int C>
struct AxisAlignedScratch {
  int64_t blocks = 0;
  AxisBlock* cols = nullptr;      // per column block
  int32_t* row_off0 = nullptr;    // per output row: byte offsets of the two source rows,
  int32_t* row_off1 = nullptr;
  float* row_frac = nullptr;      // the second row's weight,
  uint8_t* row_inside = nullptr;  // and whether the row samples the image at all
  VF* rows[2] = {nullptr, nullptr};  // horizontally interpolated source rows, C per block
  // The source row offset each holds; offsets are int32, so kNoRow is none of them.
  static constexpr int64_t kNoRow = std::numeric_limits<int64_t>::min();
  int64_t row_key[2] = {kNoRow, kNoRow};

  AxisAlignedScratch(int64_t width, int64_t height)
      : blocks((width + kLanes - 1) / kLanes),
        cols(new AxisBlock[blocks]),
        row_off0(new int32_t[height + kLanes]),
        row_off1(new int32_t[height + kLanes]),
        row_frac(new float[height + kLanes]),
        row_inside(new uint8_t[height + kLanes]),
        rows{new VF[blocks * C], new VF[blocks * C]} {}
  ~AxisAlignedScratch() {
    delete[] cols;
    delete[] row_off0;
    delete[] row_off1;
    delete[] row_frac;
    delete[] row_inside;
    delete[] rows[0];
    delete[] rows[1];
  }
  AxisAlignedScratch(const AxisAlignedScratch&) = delete;
  AxisAlignedScratch& operator=(const AxisAlignedScratch&) = delete;
};

// Source row `row_bytes` interpolated along x at every column block, channel-planar per block.
template <typename Tin, int C>
void interpolate_row(const Setup& s, const AxisBlock* cols, int64_t blocks, int32_t row_bytes,
                     VF* out) {
  const VI row = i_set1(row_bytes);
  for (int64_t b = 0; b < blocks; ++b) {
    const AxisBlock& t = cols[b];
    VI left, right;
#if defined(__AVX2__)
    if (t.windowed) {
      const uint8_t* p = s.base + row_bytes + t.window;
      const VI lo = load_window_half(p), hi = load_window_half(p + sizeof(VI));
      left = window_pixels(lo, hi, t.tap0);
      right = window_pixels(lo, hi, t.tap1);
    } else
#endif
    if constexpr (std::is_same<Tin, uint8_t>::value) {
      left = u8_pixels(s, i_add(row, t.off0));
      right = u8_pixels(s, i_add(row, t.off1));
    } else {
      left = i_add(row, t.off0);
      right = i_add(row, t.off1);
    }
    for_channels<C>([&](auto k) {
      constexpr int kk = decltype(k)::value;
      out[b * C + kk] = f_lerp(tap_channel<Tin, kk>(s, left), tap_channel<Tin, kk>(s, right), t.frac);
    });
  }
}

// The interpolated source row at byte offset `key`, computed into a slot other than `keep`'s
// unless a slot already holds it.
// Two row slots keyed by source row offset: the one holding `key`, or the other than
// `keep`'s one refilled by fill(key, slot's row).
template <typename Fill>
const VF* two_row_cache(VF* const rows[2], int64_t keys[2], int64_t key, int64_t keep, Fill&& fill) {
  for (int k = 0; k < 2; ++k)
    if (keys[k] == key) return rows[k];
  const int slot = keys[0] == keep ? 1 : 0;
  fill(key, rows[slot]);
  keys[slot] = key;
  return rows[slot];
}

template <typename Tin, int C>
const VF* cached_row(const Setup& s, AxisAlignedScratch<C>& w, int64_t key, int64_t keep) {
  return two_row_cache(w.rows, w.row_key, key, keep, [&](int64_t k, VF* out) {
    interpolate_row<Tin, C>(s, w.cols, w.blocks, static_cast<int32_t>(k), out);
  });
}

// Packed uint8 pixels, bilinear: rows as W * C interleaved elements instead of channel planes.
// Element e of an output row lerps bytes x0 * C + k and x1 * C + k of a source row (e's column
// taps, k = e % C), and the taps of 4 consecutive elements lie in one 16-byte window of the
// row wherever the column step is below about 4 pixels: one load and two byte shuffles give
// their left and right taps as zero-extended dwords, and the vertical lerp is a streaming pass
// with no shuffles. Element for element these are the float operations of the planar path
// above, so the results are bit-identical to it. A vector with a window that does not fit
// (a reflect border, a zoom out past about 4x) reads its taps one by one.
template <int C>
struct PackedColumns {
  static constexpr int kGroups = kLanes / 4;  // 16-byte windows per vector
  int64_t n, vectors;  // elements per row; vectors covering them (the last one padded)
  int32_t* idx0;       // per element: the taps' byte offsets in a source row
  int32_t* idx1;
  int32_t* window;     // per 4 elements: the window's byte offset in the row
  VI* mask0;           // per vector: the shuffles that pick the taps out of the windows
  VI* mask1;           // (the right taps' only where they are not the left ones' + C)
  VF* frac;            // per vector: the right tap's weights
  unsigned* inside;    // per vector: lanes whose column samples the image
  uint8_t* kind;       // per vector: kByteReads, kNextPixel or kOwnMasks
  // How a vector reads its taps: one by one (a window does not fit), or from the windows
  // with the right taps C bytes after the left ones (inside the image: mask1 is mask0 + C,
  // one load fewer) or through masks of their own (clamped or reflected taps).
  enum : uint8_t { kByteReads, kNextPixel, kOwnMasks };
  VF* rows[2];         // horizontally interpolated source rows
  int64_t row_key[2] = {AxisAlignedScratch<C>::kNoRow, AxisAlignedScratch<C>::kNoRow};

  explicit PackedColumns(int64_t width)
      : n(width * C), vectors((width * C + kLanes - 1) / kLanes),
        idx0(new int32_t[vectors * kLanes]), idx1(new int32_t[vectors * kLanes]),
        window(new int32_t[vectors * kGroups]), mask0(new VI[vectors]), mask1(new VI[vectors]),
        frac(new VF[vectors]), inside(new unsigned[vectors]), kind(new uint8_t[vectors]),
        rows{new VF[vectors], new VF[vectors]} {}
  ~PackedColumns() {
    delete[] idx0;
    delete[] idx1;
    delete[] window;
    delete[] mask0;
    delete[] mask1;
    delete[] frac;
    delete[] inside;
    delete[] kind;
    delete[] rows[0];
    delete[] rows[1];
  }
  PackedColumns(const PackedColumns&) = delete;
  PackedColumns& operator=(const PackedColumns&) = delete;

  // From the per-column taps (byte offsets of pixels), weights and inside flags, for source
  // rows of row_len bytes.
  void plan(const int32_t* off0, const int32_t* off1, const float* col_frac,
            const uint8_t* col_inside, int64_t row_len) {
    alignas(64) float fr[kLanes];
    alignas(64) int8_t m0[kLanes * 4], m1[kLanes * 4];
    for (int64_t v = 0; v < vectors; ++v) {
      unsigned bits = 0;
      bool fits = row_len >= 16, next_pixel = true;
      for (int l = 0; l < kLanes; ++l) {
        const int64_t e = v * kLanes + l;
        const int64_t c = e / C, k = e % C;
        const bool real = e < n;  // padding reads byte 0 and is never stored
        idx0[e] = real ? off0[c] + static_cast<int32_t>(k) : 0;
        idx1[e] = real ? off1[c] + static_cast<int32_t>(k) : 0;
        fr[l] = real ? col_frac[c] : 0.0f;
        bits |= (!real || col_inside[c]) ? 1u << l : 0u;
      }
      for (int g = 0; g < kGroups && fits; ++g) {
        const int32_t* a = idx0 + v * kLanes + 4 * g;
        const int32_t* b = idx1 + v * kLanes + 4 * g;
        int32_t lo = a[0], hi = a[0];
        for (int j = 0; j < 4; ++j) {
          lo = a[j] < lo ? a[j] : lo, lo = b[j] < lo ? b[j] : lo;
          hi = a[j] > hi ? a[j] : hi, hi = b[j] > hi ? b[j] : hi;
        }
        for (int j = 0; j < 4; ++j) next_pixel = next_pixel && b[j] == a[j] + C;
        const int32_t start = lo < row_len - 16 ? lo : static_cast<int32_t>(row_len - 16);
        fits = hi < start + 16;
        window[v * kGroups + g] = start;
        for (int j = 0; j < 4; ++j)
          for (int byte = 0; byte < 4; ++byte) {
            const int at = 16 * g + 4 * j + byte;
            m0[at] = static_cast<int8_t>(byte == 0 ? a[j] - start : -128);
            m1[at] = static_cast<int8_t>(byte == 0 ? b[j] - start : -128);
          }
      }
      kind[v] = !fits ? kByteReads : next_pixel ? kNextPixel : kOwnMasks;
      if (fits) mask0[v] = i_load(m0), mask1[v] = i_load(m1);
      frac[v] = f_load(fr);
      inside[v] = bits;
    }
  }

  // Source row `row` interpolated along x into out. The tables are read through locals,
  // which the stores through `out` cannot alias.
  void interpolate(const uint8_t* row, VF* out) const {
    const int32_t* const windows = window;
    const VI* const m0 = mask0;
    const VI* const m1 = mask1;
    const VF* const weights = frac;
    const uint8_t* const kinds = kind;
    const int64_t count = vectors;
    // The mask dwords are index | 0x80808000: adding C moves the index only.
    const VI next = i_set1(C);
    for (int64_t v = 0; v < count; ++v) {
      VI a, b;
      if (kinds[v] != kByteReads) {
        const VI w = load_windows16(row, windows + v * kGroups);
        const VI mask = m0[v];
        a = u8_shuffle16(w, mask);
        b = u8_shuffle16(w, kinds[v] == kNextPixel ? i_add(mask, next) : m1[v]);
      } else {
        alignas(64) int32_t ta[kLanes], tb[kLanes];
        for (int l = 0; l < kLanes; ++l) ta[l] = row[idx0[v * kLanes + l]], tb[l] = row[idx1[v * kLanes + l]];
        a = i_load(ta);
        b = i_load(tb);
      }
      out[v] = f_lerp(f_from_i(a), f_from_i(b), weights[v]);
    }
  }

  const VF* cached(const uint8_t* base, int64_t key, int64_t keep) {
    return two_row_cache(rows, row_key, key, keep,
                         [&](int64_t k, VF* out) { interpolate(base + k, out); });
  }
};

// Output row r of the packed bilinear warp: n elements of lerp(top, bottom, fy), cval where
// the column is outside; with `range`, their lowest and highest value folded in.
template <typename Tout, int C>
void store_packed_row(const PackedColumns<C>& pc, const VF* top, const VF* bottom, VF fy,
                      VF cval, Tout* out, VF* lowest, VF* highest, bool range) {
  const unsigned* const inside = pc.inside;
  auto value = [&](int64_t v) {
    const VF x = f_lerp(top[v], bottom[v], fy);
    return inside[v] == kAllLanes ? x : f_blend(inside[v], cval, x);
  };
  const int64_t n = pc.n;
  if constexpr (std::is_same<Tout, float>::value) {
    const int64_t full = n / kLanes;
    for (int64_t v = 0; v < full; ++v) {
      const VF x = value(v);
      f_store(out + v * kLanes, x);
      if (range) *lowest = f_min(*lowest, x), *highest = f_max(*highest, x);
    }
    if (const int64_t tail = n - full * kLanes) {
      alignas(64) float t[kLanes];
      f_store(t, value(full));
      std::memcpy(out + full * kLanes, t, static_cast<size_t>(tail) * sizeof(float));
      // The padding lanes repeat lane 0, so they change neither the lowest nor the highest.
      for (int l = static_cast<int>(tail); l < kLanes; ++l) t[l] = t[0];
      if (range) *lowest = f_min(*lowest, f_load(t)), *highest = f_max(*highest, f_load(t));
    }
  } else {
    (void)lowest, (void)highest, (void)range;
    const int64_t blocks = n / kBlock;
    for (int64_t b = 0; b < blocks; ++b) {
      const VF x[4] = {value(4 * b), value(4 * b + 1), value(4 * b + 2), value(4 * b + 3)};
      store_block(out + b * kBlock, x);
    }
    if (const int64_t rest = n - blocks * kBlock) {
      VF x[4];
      for (int j = 0; j < 4; ++j) x[j] = 4 * blocks + j < pc.vectors ? value(4 * blocks + j) : cval;
      alignas(64) uint8_t t[kBlock];
      store_block(t, x);
      std::memcpy(out + blocks * kBlock, t, static_cast<size_t>(rest));
    }
  }
}

// With `range` (float output only), also the lowest and highest value written, gathered
// from the blocks as they are stored instead of a second pass over the image.
template <typename Tin, typename Tout, int C, bool kBilinear>
void warp_axis_aligned(const ImageView<const Tin>& src, const ImageView<Tout>& dst,
                       const WarpParams& p, const Setup& s, float* range = nullptr) {
  const double* m = p.matrix.m;
  AxisAlignedScratch<C> w(dst.width, dst.height);
  const VD lane = d_lane_index();
  // Coordinates exactly as warp_block forms them: (m2 + r*m0) + c*m1 with c*m1 = 0*m1
  // (m1 is +-0), and (m5 + r*m3) + c*m4 with r*m3 = 0*m3.
  const VD zero_m1 = d_mul(d_set1(0.0), d_set1(m[1]));
  const VD zero_m3 = d_set1(0.0 * m[3]);
  for (int64_t b = 0; b < w.blocks; ++b) {
    const int64_t c = b * kLanes + kLanes <= dst.width ? b * kLanes : dst.width - kLanes;
    const VD col_lo = d_add(d_set1(static_cast<double>(c)), lane);
    const VD col_hi = d_add(d_set1(static_cast<double>(c + kHalf)), lane);
    const VD m4 = d_set1(m[4]), m5 = d_set1(m[5]);
    w.cols[b] = axis_block<kBilinear>(s, s.xmap, d_add(d_add(m5, zero_m3), d_mul(col_lo, m4)),
                                      d_add(d_add(m5, zero_m3), d_mul(col_hi, m4)), s.col_bytes,
                                      s.last_col);
#if defined(__AVX2__)
    plan_window<Tin, C>(&w.cols[b], s, src.width);
#else
    (void)src;  // only the AVX2 and AVX-512 column windows need the source width
#endif
  }
  for (int64_t r = 0; r < dst.height; r += kLanes) {
    const VD row_lo = d_add(d_set1(static_cast<double>(r)), lane);
    const VD row_hi = d_add(d_set1(static_cast<double>(r + kHalf)), lane);
    const VD m0 = d_set1(m[0]), m2 = d_set1(m[2]);
    const AxisBlock t = axis_block<kBilinear>(s, s.ymap, d_add(d_add(m2, d_mul(row_lo, m0)), zero_m1),
                                              d_add(d_add(m2, d_mul(row_hi, m0)), zero_m1),
                                              s.row_bytes, s.last_row);
    i_store(w.row_off0 + r, t.off0);
    i_store(w.row_off1 + r, t.off1);
    f_store(w.row_frac + r, t.frac);
    for (int l = 0; l < kLanes; ++l) w.row_inside[r + l] = (t.inside >> l) & 1;
  }
  const size_t row_bytes_out = static_cast<size_t>(dst.width * C) * sizeof(Tout);
  const VI cval_packed = i_set1(static_cast<int32_t>(s.cval_packed));
  const VF cval_f = f_set1(s.cval_f);
  VF lowest = f_set1(std::numeric_limits<float>::infinity());
  VF highest = f_set1(-std::numeric_limits<float>::infinity());
  // A row sampling what the previous one did is a copy of it.
  auto repeats_previous = [&](int64_t r) {
    return r > 0 && dst.dense_rows() && w.row_inside[r - 1] == w.row_inside[r] &&
           (!w.row_inside[r] || (w.row_off0[r] == w.row_off0[r - 1] &&
                                 (!kBilinear || (w.row_off1[r] == w.row_off1[r - 1] &&
                                                 w.row_frac[r] == w.row_frac[r - 1]))));
  };
  bool packed = false;
  if constexpr (std::is_same<Tin, uint8_t>::value && kBilinear) packed = s.col_bytes == C && dst.dense_rows();
  if (packed) {
    int32_t* off0 = new int32_t[dst.width];
    int32_t* off1 = new int32_t[dst.width];
    float* frac = new float[dst.width];
    uint8_t* inside = new uint8_t[dst.width];
    for (int64_t b = 0; b < w.blocks; ++b) {
      const int64_t c = b * kLanes + kLanes <= dst.width ? b * kLanes : dst.width - kLanes;
      i_store(off0 + c, w.cols[b].off0);
      i_store(off1 + c, w.cols[b].off1);
      f_store(frac + c, w.cols[b].frac);
      for (int l = 0; l < kLanes; ++l) inside[c + l] = (w.cols[b].inside >> l) & 1;
    }
    PackedColumns<C> pc(dst.width);
    pc.plan(off0, off1, frac, inside, src.width * C);
    delete[] off0;
    delete[] off1;
    delete[] frac;
    delete[] inside;
    const float cval = std::is_same<Tout, uint8_t>::value ? static_cast<float>(s.cval_packed & 0xFF) : s.cval_f;
    for (int64_t r = 0; r < dst.height; ++r) {
      Tout* out = dst.row(r);
      if (repeats_previous(r)) {
        std::memcpy(out, dst.row(r - 1), row_bytes_out);
      } else if (!w.row_inside[r]) {
        for (int64_t e = 0; e < pc.n; ++e) out[e] = static_cast<Tout>(cval);
        if (range) lowest = f_min(lowest, f_set1(cval)), highest = f_max(highest, f_set1(cval));
      } else {
        const VF* top = pc.cached(s.base, w.row_off0[r], w.row_off1[r]);
        const VF* bottom = pc.cached(s.base, w.row_off1[r], w.row_off0[r]);
        store_packed_row<Tout, C>(pc, top, bottom, f_set1(w.row_frac[r]), f_set1(cval), out,
                                  &lowest, &highest, range != nullptr);
      }
    }
  }
  for (int64_t r = 0; r < dst.height && !packed; ++r) {
    const bool row_inside = w.row_inside[r] != 0;
    if (repeats_previous(r)) {
      std::memcpy(dst.row(r), dst.row(r - 1), row_bytes_out);
      continue;
    }
    const VF* top = nullptr;
    const VF* bottom = nullptr;
    if (kBilinear && row_inside) {
      top = cached_row<Tin, C>(s, w, w.row_off0[r], w.row_off1[r]);
      bottom = cached_row<Tin, C>(s, w, w.row_off1[r], w.row_off0[r]);
    }
    const VF fy = f_set1(w.row_frac[r]);
    const VI row = i_set1(w.row_off0[r]);
    for (int64_t b = 0; b < w.blocks; ++b) {
      const int64_t c = b * kLanes + kLanes <= dst.width ? b * kLanes : dst.width - kLanes;
      const unsigned inside = row_inside ? w.cols[b].inside : 0u;
      VI pixels = i_set1(0);  // order 0: the source pixels (uint8) or their offsets (float)
      if (!kBilinear && inside != 0) {
        const AxisBlock& t = w.cols[b];
        pixels = i_add(row, t.off0);
#if defined(__AVX2__)
        if (t.windowed) {
          const uint8_t* p = s.base + w.row_off0[r] + t.window;
          pixels = window_pixels(load_window_half(p), load_window_half(p + sizeof(VI)), t.tap0);
        } else
#endif
        if constexpr (std::is_same<Tin, uint8_t>::value) pixels = u8_pixels(s, pixels);
      }
      auto channel = [&](auto k) -> VF {
        constexpr int kk = decltype(k)::value;
        if constexpr (kBilinear) return f_lerp(top[b * C + kk], bottom[b * C + kk], fy);
        else return tap_channel<Tin, kk>(s, pixels);
      };
      if constexpr (std::is_same<Tout, uint8_t>::value) {
        VI packed = cval_packed;
        if (inside != 0) {
          VI value;
          if constexpr (!kBilinear && std::is_same<Tin, uint8_t>::value) {
            value = pixels;
          } else {
            value = i_set1(0);
            for_channels<C>([&](auto k) {
              const VF v = channel(k);
              VI rounded;
              if constexpr (kBilinear && std::is_same<Tin, uint8_t>::value) rounded = i_round_f(v);
              else rounded = u8_round(v);
              value = i_or(value, i_sll<8 * decltype(k)::value>(rounded));
            });
          }
          packed = inside == kAllLanes ? value : i_blend(inside, packed, value);
        }
        store_u8<C>(dst, r, c, packed);
      } else {
        VF ch[C];
        for_channels<C>([&](auto k) {
          constexpr int kk = decltype(k)::value;
          if (inside == 0) {
            ch[kk] = cval_f;
          } else {
            const VF v = channel(k);
            ch[kk] = inside == kAllLanes ? v : f_blend(inside, cval_f, v);
          }
          if (range) lowest = f_min(lowest, ch[kk]), highest = f_max(highest, ch[kk]);
        });
        store_f32<C>(dst, r, c, ch);
      }
    }
  }
  // Copied rows repeat values already counted; an overlapping last block recounts some.
  if (range) {
    alignas(64) float lanes[2][kLanes];
    f_store(lanes[0], lowest);
    f_store(lanes[1], highest);
    range[0] = lanes[0][0], range[1] = lanes[1][0];
    for (int l = 1; l < kLanes; ++l) {
      range[0] = lanes[0][l] < range[0] ? lanes[0][l] : range[0];  // no std templates in ISA code
      range[1] = lanes[1][l] > range[1] ? lanes[1][l] : range[1];
    }
  }
}

// ------------------------------------------------------------------ fractional translations
// A translation (uint8 to uint8, packed pixels, bilinear) weighs the two taps of every inside
// column alike, and those of every inside row. Each source row is interpolated along x once,
// the channels left interleaved (a pixel's right neighbour is C bytes on), into 16-bit words
// with 6 fractional bits, and each output row is the lerp of two such rows by that row's
// weight, rounded. Weights are Q15 (pmulhrsw), so the result stays within 1 of exact
// bilinear, the uint8 path's contract. Border columns, whose taps the fill mode maps, take
// their own taps and weights in the same arithmetic; cval columns and rows are filled last.

// x * w15 / 2^15, rounded half up: pmulhrsw on one word.
inline int32_t mulhrs_q15(int32_t x, int32_t w15) { return (x * w15 + 16384) >> 15; }
inline int16_t lerp_q6(int32_t a, int32_t b, int32_t w15) {
  return static_cast<int16_t>((a << 6) + mulhrs_q15((b - a) * 64, w15));
}
inline uint8_t round_q6(int32_t top, int32_t bottom, int32_t w15) {
  return static_cast<uint8_t>((top + mulhrs_q15(bottom - top, w15) + 32) >> 6);
}

// out[j] = lerp_q6(a[j], a[j + step], w15) for j in [0, n).
void lerp_row_q6(const uint8_t* a, int64_t step, int64_t n, int16_t w15, int16_t* out) {
  constexpr int64_t kWords = sizeof(VI) / 2;
  const VI w = u16_set1(static_cast<uint16_t>(w15));
  int64_t j = 0;
  for (; j + kWords <= n; j += kWords) {
    const VI left = i16_slli<6>(u16_load_u8(a + j));
    const VI right = i16_slli<6>(u16_load_u8(a + j + step));
    i_store(out + j, i16_add(left, i16_mulhrs(i16_sub(right, left), w)));
  }
  for (; j < n; ++j) out[j] = lerp_q6(a[j], a[j + step], w15);
}

// out[j] = round_q6(top[j], bottom[j], w15) for j in [0, n).
void lerp_rows_q6(const int16_t* top, const int16_t* bottom, int64_t n, int16_t w15, uint8_t* out) {
  constexpr int64_t kWords = sizeof(VI) / 2;
  const VI w = u16_set1(static_cast<uint16_t>(w15)), half = u16_set1(32);
  auto words = [&](int64_t j) {
    const VI t = i_load(top + j);
    return u16_srli(i16_add(i16_add(t, i16_mulhrs(i16_sub(i_load(bottom + j), t), w)), half), 6);
  };
  int64_t j = 0;
  for (; j + 2 * kWords <= n; j += 2 * kWords) u16_store_u8(out + j, words(j), words(j + kWords));
  for (; j < n; ++j) out[j] = round_q6(top[j], bottom[j], w15);
}

void warp_translation(const ConstImageU8& src, const ImageU8& dst, const WarpParams& p) {
  using warp_detail::LerpTap;
  const double* m = p.matrix.m;
  const int64_t channels = src.channels, width = dst.width, height = dst.height;
  const int64_t row_values = width * channels;
  std::vector<LerpTap> cols(static_cast<size_t>(width)), rows(static_cast<size_t>(height));
  warp_detail::axis_lerp_taps(m[4], m[5], width, src.width, p.fill, cols.data());
  warp_detail::axis_lerp_taps(m[0], m[2], height, src.height, p.fill, rows.data());
  auto col = [&](int64_t c) -> const LerpTap& { return cols[static_cast<size_t>(c)]; };
  // The longest run of columns reading consecutive pixel pairs with one weight: the vector part.
  int64_t run_lo = 0, run_hi = 0;
  for (int64_t c = 0; c < width;) {
    if (col(c).i0 < 0 || col(c).i1 != col(c).i0 + 1) {
      ++c;
      continue;
    }
    int64_t e = c + 1;
    while (e < width && col(e).i0 == col(e - 1).i0 + 1 && col(e).i1 == col(e).i0 + 1 &&
           col(e).w15 == col(c).w15)
      ++e;
    if (e - c > run_hi - run_lo) run_lo = c, run_hi = e;
    c = e;
  }
  // The values of the columns outside the run that have taps, flat: where each goes in a
  // row, the byte offsets of its two taps, and its weight.
  struct BorderValue {
    int32_t at, tap0, tap1, w15;
  };
  std::vector<BorderValue> border;
  std::vector<std::pair<int64_t, int64_t>> cval_runs;  // [begin, end) of cval columns
  for (int64_t c = 0; c < width; ++c) {
    if (c >= run_lo && c < run_hi) continue;
    const LerpTap& t = col(c);
    if (t.i0 >= 0) {
      for (int64_t k = 0; k < channels; ++k)
        border.push_back({static_cast<int32_t>(c * channels + k),
                          static_cast<int32_t>(t.i0 * channels + k),
                          static_cast<int32_t>(t.i1 * channels + k), t.w15});
    } else if (!cval_runs.empty() && cval_runs.back().second == c) {
      ++cval_runs.back().second;
    } else {
      cval_runs.push_back({c, c + 1});
    }
  }
  const double v = p.cval > 0 ? p.cval + 0.5 : 0.0;
  const uint8_t cval = static_cast<uint8_t>(v >= 255.0 ? 255.0 : v);

  // Zeroed once: the cval columns of a slot are never written, their output is cval.
  std::vector<int16_t> slots[2] = {std::vector<int16_t>(static_cast<size_t>(row_values)),
                                   std::vector<int16_t>(static_cast<size_t>(row_values))};
  int64_t slot_row[2] = {-1, -1};
  // Source row y interpolated along x, in a slot other than the one holding row `keep`.
  auto source_row = [&](int64_t y, int64_t keep) -> const int16_t* {
    for (int k = 0; k < 2; ++k)
      if (slot_row[k] == y) return slots[k].data();
    const int k = slot_row[0] == keep ? 1 : 0;
    int16_t* h = slots[k].data();
    const uint8_t* in = src.row(y);
    if (run_hi > run_lo)
      lerp_row_q6(in + col(run_lo).i0 * channels, channels, (run_hi - run_lo) * channels,
                  col(run_lo).w15, h + run_lo * channels);
    for (const BorderValue& b : border) h[b.at] = lerp_q6(in[b.tap0], in[b.tap1], b.w15);
    slot_row[k] = y;
    return h;
  };
  for (int64_t r = 0; r < height; ++r) {
    const LerpTap& t = rows[static_cast<size_t>(r)];
    uint8_t* out = dst.row(r);
    if (t.i0 < 0) {
      std::memset(out, cval, static_cast<size_t>(row_values));
      continue;
    }
    const LerpTap& before = rows[static_cast<size_t>(r > 0 ? r - 1 : 0)];
    if (r > 0 && before.i0 == t.i0 && before.i1 == t.i1 && before.w15 == t.w15) {
      std::memcpy(out, dst.row(r - 1), static_cast<size_t>(row_values));
      continue;
    }
    const int16_t* top = source_row(t.i0, t.i1);
    const int16_t* bottom = t.w15 == 0 || t.i1 == t.i0 ? top : source_row(t.i1, t.i0);
    lerp_rows_q6(top, bottom, row_values, t.w15, out);
    for (const auto& run : cval_runs)
      std::memset(out + run.first * channels, cval,
                  static_cast<size_t>((run.second - run.first) * channels));
  }
}

template <typename Tout>
void set_fill(Setup* s, double cval);
template <>
void set_fill<uint8_t>(Setup* s, double cval) {
  const double v = cval > 0 ? cval + 0.5 : 0.0;
  const uint32_t byte = static_cast<uint32_t>(v >= 255.0 ? 255.0 : v);
  s->cval_packed = byte * 0x01010101u;
}
template <>
void set_fill<float>(Setup* s, double cval) {
  s->cval_f = static_cast<float>(cval);
}

// With `range`, does only the axis-aligned vector path, which also reports the range of
// the values written (see warp_axis_aligned), and returns false without writing anything
// for any other warp.
template <typename Tin, typename Tout>
bool warp_image(const ImageView<const Tin>& src, const ImageView<Tout>& dst, const WarpParams& p,
                float* range = nullptr) {
  const int64_t channels = src.channels;
  const int64_t item = sizeof(Tin);
  // The vector path addresses taps with int32 byte offsets and reads 4 bytes per uint8
  // pixel: it needs the whole image within an int32 span and at least 4 bytes of it.
  const int64_t row_span = src.row_stride * item * (src.height - 1);
  const int64_t col_span = src.col_stride * item * (src.width - 1);
  const int64_t lo = (row_span < 0 ? row_span : 0) + (col_span < 0 ? col_span : 0);
  const int64_t hi = (row_span > 0 ? row_span : 0) + (col_span > 0 ? col_span : 0) + channels * item;
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  const bool vector_ok = channels >= 1 && channels <= 4 && src.height <= kMax &&
                         src.width <= kMax && lo >= -kMax && hi <= kMax && hi - lo >= 4;
  // Narrower outputs go through warp_rows, which hands them to the scalar reference.
  const bool axis_aligned = vector_ok && p.matrix.m[1] == 0.0 && p.matrix.m[3] == 0.0 &&
                            dst.width >= kLanes;
  if (range && !axis_aligned) return false;
  if constexpr (std::is_same<Tin, uint8_t>::value && std::is_same<Tout, uint8_t>::value) {
    if (vector_ok && p.interp == Interp::bilinear && p.matrix.m[0] == 1.0 &&
        p.matrix.m[4] == 1.0 && p.matrix.m[1] == 0.0 && p.matrix.m[3] == 0.0 &&
        src.col_stride == channels && dst.col_stride == channels) {
      warp_translation(src, dst, p);
      return true;
    }
  }
  if (!vector_ok) {
    for (int64_t r = 0; r < dst.height; ++r) warp_detail::reference_row(src, dst, p, r, 0, dst.width);
    return true;
  }
  Setup s;
  s.base = reinterpret_cast<const uint8_t*>(src.data);
  s.row_bytes = static_cast<int32_t>(src.row_stride * item);
  s.col_bytes = static_cast<int32_t>(src.col_stride * item);
  s.last_row = static_cast<int32_t>(src.height - 1);
  s.last_col = static_cast<int32_t>(src.width - 1);
  s.read_limit4 = static_cast<int32_t>(hi - 4);
  s.read_limit8 = static_cast<int32_t>(hi - 8);
  // One read covers a pixel and its right neighbour when pixels are packed in the row.
  s.pair_reads = std::is_same<Tin, uint8_t>::value && src.col_stride == channels &&
                 (channels == 1 || hi - lo >= 8);
  s.float_runs = std::is_same<Tin, float>::value && src.col_stride == channels && src.width >= 2;
  s.constant_fill = p.fill == FillMode::constant;
  s.vbmi = avx512vbmi_enabled();
  s.fill = p.fill;
  auto axis_map = [&](int64_t len) {
    AxisMap a;
    const double n = static_cast<double>(len);
    const double period = p.fill == FillMode::mirror ? 2 * n - 2 : p.fill == FillMode::reflect ? 2 * n : n - 1;
    a.n = d_set1(n);
    a.last = d_set1(n - 1);
    a.one_minus_n = d_set1(1 - n);
    a.neg_n = d_set1(-n);
    a.period = d_set1(period);
    a.neg_period = d_set1(-period);
    a.tap_fold = i_set1(static_cast<int32_t>(p.fill == FillMode::reflect ? 2 * len - 1 : 2 * len - 2));
    a.last_i = i_set1(static_cast<int32_t>(len - 1));
    a.single = len <= 1;
    return a;
  };
  s.ymap = axis_map(src.height);
  s.xmap = axis_map(src.width);
  s.cval_packed = 0;
  s.cval_f = 0;
  set_fill<Tout>(&s, p.cval);
  const bool bilinear = p.interp == Interp::bilinear;
  switch (channels) {
#define FASTAUG_WARP_CASE(C)                                                           \
  case C:                                                                              \
    if (axis_aligned)                                                                  \
      bilinear ? warp_axis_aligned<Tin, Tout, C, true>(src, dst, p, s, range)          \
               : warp_axis_aligned<Tin, Tout, C, false>(src, dst, p, s, range);        \
    else                                                                               \
      bilinear ? warp_rows<Tin, Tout, C, true>(src, dst, p, s)                         \
               : warp_rows<Tin, Tout, C, false>(src, dst, p, s);                       \
    return true;
    FASTAUG_WARP_CASE(1)
    FASTAUG_WARP_CASE(2)
    FASTAUG_WARP_CASE(3)
    FASTAUG_WARP_CASE(4)
#undef FASTAUG_WARP_CASE
  }
  return false;  // unreachable: vector_ok limits channels to 1-4
}

}  // namespace

void warp_affine_kernel(const ConstImageU8& src, const ImageU8& dst, const WarpParams& p) {
  warp_image(src, dst, p);
}
void warp_affine_kernel(const ConstImageU8& src, const ImageF32& dst, const WarpParams& p) {
  warp_image(src, dst, p);
}
void warp_affine_kernel(const ConstImageF32& src, const ImageF32& dst, const WarpParams& p) {
  warp_image(src, dst, p);
}
void warp_affine_kernel(const ConstImageF32& src, const ImageU8& dst, const WarpParams& p) {
  warp_image(src, dst, p);
}
bool warp_affine_range_kernel(const ConstImageU8& src, const ImageF32& dst, const WarpParams& p,
                              float* lo, float* hi) {
  float range[2];
  if (!warp_image(src, dst, p, range)) return false;
  *lo = range[0];
  *hi = range[1];
  return true;
}

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
