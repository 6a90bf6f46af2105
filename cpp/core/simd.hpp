// The one vector vocabulary of the per-ISA kernels: every family's *_simd.inl writes its
// algorithm once over these types and functions, and each per-ISA translation unit (compiled
// with that ISA's flags, FASTAUG_ISA_NS defined) gets the matching definitions below.
//
// Types: VF (float32 lanes), VI (the same register as int32 lanes, or as bytes / 16-bit
// words for the u8_ / u16_ / i16_ ops), VD (double, half as many lanes: a block of kLanes
// coordinates is two VDs), DM (a predicate on a VD). Lane masks passed as `unsigned` are bit
// sets, bit l for lane l. min/max follow the instructions' NaN rule: the second operand is
// returned where either is NaN, so min(a, b) is (a < b ? a : b) and max(a, b) is (a > b ? a : b),
// as the scalar references write them.
#pragma once

#if !defined(FASTAUG_ISA_NS)
#error "core/simd.hpp is for per-ISA translation units (define FASTAUG_ISA_NS first)"
#endif
// NEON units (*_neon.cpp, aarch64 only) also define FASTAUG_ISA_NEON: the scalar units of an
// aarch64 build see __ARM_NEON too, so the compiler's macro cannot tell them apart.
#if defined(FASTAUG_ISA_NEON)
#if !defined(__ARM_NEON) || !defined(__aarch64__)
#error "FASTAUG_ISA_NEON units are for AArch64"
#endif
#include <arm_neon.h>
#elif !defined(__SSE4_1__)
#error "core/simd.hpp needs SSE4.1 or better"
#else
#include <immintrin.h>
#endif

#include <climits>

#include <cstdint>
#include <cstring>

namespace fastaug {
namespace FASTAUG_ISA_NS {

#if defined(FASTAUG_ISA_NEON)

// AArch64 Advanced SIMD: 128-bit, four float lanes like SSE4. Where NEON's rules differ from
// the x86 instructions the other sections use, these follow x86, so every level computes
// the same bytes: min/max return the second operand on NaN (NEON's FMIN/FMAX return NaN);
// float -> int32 conversions give INT32_MIN for NaN and out-of-range values (NEON
// saturates, NaN -> 0); pshufb's byte lookup reads only the index's low four bits.
constexpr int kLanes = 4;
using VD = float64x2_t;
using VI = int32x4_t;
using VF = float32x4_t;
using DM = uint64x2_t;  // per-lane predicate on a VD
using FM = uint32x4_t;  // per-lane predicate on a VF

inline uint8x16_t as_u8(VI a) { return vreinterpretq_u8_s32(a); }
inline uint16x8_t as_u16(VI a) { return vreinterpretq_u16_s32(a); }
inline int16x8_t as_i16(VI a) { return vreinterpretq_s16_s32(a); }
inline uint32x4_t as_u32(VI a) { return vreinterpretq_u32_s32(a); }
inline VI from_u8(uint8x16_t a) { return vreinterpretq_s32_u8(a); }
inline VI from_u16(uint16x8_t a) { return vreinterpretq_s32_u16(a); }
inline VI from_i16(int16x8_t a) { return vreinterpretq_s32_s16(a); }
inline VI from_u32(uint32x4_t a) { return vreinterpretq_s32_u32(a); }
// Lane l all ones where bit l of `bits` is set.
// (Constants are loaded from arrays: MSVC's NEON types take no brace initialisers.)
inline uint32x4_t lane_bits() {
  static const uint32_t kBits[4] = {1, 2, 4, 8};
  return vld1q_u32(kBits);
}
inline uint32x4_t lane_mask(unsigned bits) { return vtstq_u32(vdupq_n_u32(bits), lane_bits()); }
inline unsigned f_mask_bits(uint32x4_t m) { return vaddvq_u32(vandq_u32(m, lane_bits())); }
inline unsigned d_mask_bits(uint64x2_t m) {
  return static_cast<unsigned>(vgetq_lane_u64(m, 0) & 1u) | static_cast<unsigned>(vgetq_lane_u64(m, 1) & 1u) << 1;
}
// x86's cvt(t)ps2dq: the converted lane where x is in [-2^31, 2^31), else INT32_MIN.
inline VI x86_int32(VF x, int32x4_t converted) {
  const uint32x4_t in_range = vandq_u32(vcgeq_f32(x, vdupq_n_f32(-2147483648.0f)),
                                        vcltq_f32(x, vdupq_n_f32(2147483648.0f)));
  return vbslq_s32(in_range, converted, vdupq_n_s32(INT32_MIN));
}

inline VD d_set1(double v) { return vdupq_n_f64(v); }
inline VD d_add(VD a, VD b) { return vaddq_f64(a, b); }
inline VD d_sub(VD a, VD b) { return vsubq_f64(a, b); }
inline VD d_mul(VD a, VD b) { return vmulq_f64(a, b); }
inline VD d_div(VD a, VD b) { return vdivq_f64(a, b); }
inline VD d_max_x86(VD a, VD b) { return vbslq_f64(vcgtq_f64(a, b), a, b); }
inline VD d_min_x86(VD a, VD b) { return vbslq_f64(vcltq_f64(a, b), a, b); }
inline VD d_clamp(VD x, VD lo, VD hi) { return d_min_x86(d_max_x86(x, lo), hi); }
inline VD d_trunc(VD a) { return vrndq_f64(a); }
inline VD d_floor(VD a) { return vrndmq_f64(a); }
inline VD d_lane_index() {
  static const double kIndex[2] = {0.0, 1.0};
  return vld1q_f64(kIndex);
}
inline VD d_load(const double* p) { return vld1q_f64(p); }
inline void d_store(double* p, VD v) { vst1q_f64(p, v); }
inline unsigned d_eq_bits(VD lo_a, VD lo_b, VD hi_a, VD hi_b) {
  return d_mask_bits(vceqq_f64(lo_a, lo_b)) | d_mask_bits(vceqq_f64(hi_a, hi_b)) << 2;
}
// cvttpd2dq: truncation, INT32_MIN outside [-2^31, 2^31) and for NaN.
inline int32x2_t trunc_d_half(VD x) {
  const uint64x2_t in_range = vandq_u64(vcgtq_f64(x, vdupq_n_f64(-2147483649.0)),
                                        vcltq_f64(x, vdupq_n_f64(2147483648.0)));
  const int64x2_t v = vbslq_s64(in_range, vcvtq_s64_f64(x), vdupq_n_s64(INT32_MIN));
  return vmovn_s64(v);
}
inline VI i_trunc_d(VD lo, VD hi) { return vcombine_s32(trunc_d_half(lo), trunc_d_half(hi)); }
inline VF f_from_d(VD lo, VD hi) { return vcvt_high_f32_f64(vcvt_f32_f64(lo), hi); }
inline VI i_set1(int32_t v) { return vdupq_n_s32(v); }
inline VI i_add(VI a, VI b) { return vaddq_s32(a, b); }
inline VI i_sub(VI a, VI b) { return vsubq_s32(a, b); }
inline VI i_mul(VI a, VI b) { return vmulq_s32(a, b); }
inline VI i_min(VI a, VI b) { return vminq_s32(a, b); }
inline VI i_max(VI a, VI b) { return vmaxq_s32(a, b); }
inline VI i_and(VI a, VI b) { return vandq_s32(a, b); }
inline VI i_or(VI a, VI b) { return vorrq_s32(a, b); }
inline VI i_xor(VI a, VI b) { return veorq_s32(a, b); }
inline VI i_andnot(VI a, VI b) { return vbicq_s32(b, a); }  // ~a & b
// Shifts by register (USHL): counts of 32 and more give 0, as pslld/psrld/psrlvd do.
template <int k> inline VI i_sll(VI a) { return from_u32(vshlq_u32(as_u32(a), vdupq_n_s32(k))); }
template <int k> inline VI i_srl(VI a) { return from_u32(vshlq_u32(as_u32(a), vdupq_n_s32(-k))); }
inline VI i_srlv(VI a, VI counts) { return from_u32(vshlq_u32(as_u32(a), vnegq_s32(counts))); }
inline VI i_sllv(VI a, VI counts) { return from_u32(vshlq_u32(as_u32(a), counts)); }
inline VI i_blend(unsigned take_b, VI a, VI b) { return vbslq_s32(lane_mask(take_b), b, a); }
inline void i_store(void* p, VI v) { vst1q_s32(static_cast<int32_t*>(p), v); }
inline VI i_load(const void* p) { return vld1q_s32(static_cast<const int32_t*>(p)); }
inline VI i_add_where_less(VI a, VI b, VI x, VI limit) {
  return vaddq_s32(a, vandq_s32(vreinterpretq_s32_u32(vcltq_s32(x, limit)), b));
}
inline bool i_any_lt(VI a, VI b) { return vmaxvq_u32(vcltq_s32(a, b)) != 0; }
inline bool i_any_gt(VI a, VI b) { return vmaxvq_u32(vcgtq_s32(a, b)) != 0; }
inline bool i_any_gt_unsigned(VI a, VI b) { return vmaxvq_u32(vcgtq_u32(as_u32(a), as_u32(b))) != 0; }
inline VI i_abs(VI a) { return vabsq_s32(a); }  // INT32_MIN stays INT32_MIN, as pabsd
template <int k> inline VI i_byte(VI a) {
  return vandq_s32(from_u32(vshlq_u32(as_u32(a), vdupq_n_s32(-8 * k))), vdupq_n_s32(0xFF));
}

inline VF f_set1(float v) { return vdupq_n_f32(v); }
inline VF f_load(const float* p) { return vld1q_f32(p); }
inline void f_store(float* p, VF v) { vst1q_f32(p, v); }
inline VF f_add(VF a, VF b) { return vaddq_f32(a, b); }
inline VF f_sub(VF a, VF b) { return vsubq_f32(a, b); }
inline VF f_mul(VF a, VF b) { return vmulq_f32(a, b); }
inline VF f_div(VF a, VF b) { return vdivq_f32(a, b); }
// Unfused, as SSE4's (FMA belongs to the AVX2 and AVX-512 levels' definitions).
inline VF f_lerp(VF a, VF b, VF t) { return vaddq_f32(vmulq_f32(t, vsubq_f32(b, a)), a); }
inline VF f_fma(VF a, VF b, VF c) { return vfmaq_f32(c, a, b); }  // a * b + c, rounded once
inline VF f_from_i(VI a) { return vcvtq_f32_s32(a); }
inline VF f_blend(unsigned take_b, VF a, VF b) { return vbslq_f32(lane_mask(take_b), b, a); }
inline VF f_min(VF a, VF b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
inline VF f_max(VF a, VF b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
inline VF f_floor(VF v) { return vrndmq_f32(v); }
inline VF f_trunc(VF v) { return vrndq_f32(v); }
inline VF f_blend_alpha(VF a, VF b) { return vbslq_f32(lane_mask(0x8), b, a); }
// Round half to even (FCVTNS; x86's default MXCSR mode), x86's out-of-range rule.
inline VI i_round_f(VF a) { return x86_int32(a, vcvtnq_s32_f32(a)); }
inline VI i_trunc_f(VF a) { return x86_int32(a, vcvtq_s32_f32(a)); }

inline DM d_lt(VD a, VD b) { return vcltq_f64(a, b); }
inline DM d_le(VD a, VD b) { return vcleq_f64(a, b); }
inline DM d_gt(VD a, VD b) { return vcgtq_f64(a, b); }
inline DM d_ge(VD a, VD b) { return vcgeq_f64(a, b); }
inline DM d_and(DM a, DM b) { return vandq_u64(a, b); }
inline VD d_select(DM m, VD if_true, VD if_false) { return vbslq_f64(m, if_true, if_false); }
inline unsigned d_bits(DM lo, DM hi) { return d_mask_bits(lo) | d_mask_bits(hi) << 2; }
inline VD d_from_f_lo(VF a) { return vcvt_f64_f32(vget_low_f32(a)); }
inline VD d_from_f_hi(VF a) { return vcvt_high_f64_f32(a); }

// Comparisons are ordered (false on NaN) but f_ne, which is true then, as != is.
inline FM f_lt(VF a, VF b) { return vcltq_f32(a, b); }
inline FM f_gt(VF a, VF b) { return vcgtq_f32(a, b); }
inline FM f_ge(VF a, VF b) { return vcgeq_f32(a, b); }
inline FM f_eq(VF a, VF b) { return vceqq_f32(a, b); }
inline FM f_ne(VF a, VF b) { return vmvnq_u32(vceqq_f32(a, b)); }
inline FM fm_and(FM a, FM b) { return vandq_u32(a, b); }
inline FM fm_or(FM a, FM b) { return vorrq_u32(a, b); }
inline bool fm_any(FM m) { return vmaxvq_u32(m) != 0; }
inline FM fm_not(FM a) { return vmvnq_u32(a); }
inline VF f_select(FM m, VF if_true, VF if_false) { return vbslq_f32(m, if_true, if_false); }

// Bytes and 16-bit words.
inline VI u8_min(VI a, VI b) { return from_u8(vminq_u8(as_u8(a), as_u8(b))); }
inline VI u8_max(VI a, VI b) { return from_u8(vmaxq_u8(as_u8(a), as_u8(b))); }
inline VI u8_adds(VI a, VI b) { return from_u8(vqaddq_u8(as_u8(a), as_u8(b))); }
inline VI u8_subs(VI a, VI b) { return from_u8(vqsubq_u8(as_u8(a), as_u8(b))); }
inline VI u8_sub(VI a, VI b) { return from_u8(vsubq_u8(as_u8(a), as_u8(b))); }
inline VI u8_set1(uint8_t x) { return from_u8(vdupq_n_u8(x)); }
inline VI u16_set1(uint16_t x) { return from_u16(vdupq_n_u16(x)); }
// pmulhuw: the high 16 bits of each unsigned 16 x 16 product.
inline VI u16_mulhi(VI a, VI b) {
  const uint32x4_t lo = vmull_u16(vget_low_u16(as_u16(a)), vget_low_u16(as_u16(b)));
  const uint32x4_t hi = vmull_high_u16(as_u16(a), as_u16(b));
  return from_u16(vuzp2q_u16(vreinterpretq_u16_u32(lo), vreinterpretq_u16_u32(hi)));
}
// pmulhrsw: (a * b + 2^14) >> 15, kept to 16 bits without saturation (-32768 * -32768
// wraps to -32768 as on x86; NEON's SQRDMULH would saturate it).
inline VI i16_mulhrs(VI a, VI b) {
  const int32x4_t lo = vmull_s16(vget_low_s16(as_i16(a)), vget_low_s16(as_i16(b)));
  const int32x4_t hi = vmull_high_s16(as_i16(a), as_i16(b));
  return from_i16(vcombine_s16(vrshrn_n_s32(lo, 15), vrshrn_n_s32(hi, 15)));
}
inline VI u16_srli(VI a, int n) { return from_u16(vshlq_u16(as_u16(a), vdupq_n_s16(static_cast<int16_t>(-n)))); }
inline VI u8_widen_lo(VI a) { return from_u16(vmovl_u8(vget_low_u8(as_u8(a)))); }
inline VI u8_widen_hi(VI a) { return from_u16(vmovl_high_u8(as_u8(a))); }
// packuswb: signed words to unsigned bytes, saturating.
inline VI u16_packus(VI a, VI b) { return from_u8(vqmovun_high_s16(vqmovun_s16(as_i16(a)), as_i16(b))); }
inline VI i16_add(VI a, VI b) { return from_i16(vaddq_s16(as_i16(a), as_i16(b))); }
inline VI i16_sub(VI a, VI b) { return from_i16(vsubq_s16(as_i16(a), as_i16(b))); }
template <int n> inline VI i16_slli(VI a) { return from_i16(vshlq_n_s16(as_i16(a), n)); }
// The sizeof(VI) / 2 bytes at p, zero-extended to 16-bit words in order.
inline VI u16_load_u8(const uint8_t* p) { return from_u16(vmovl_u8(vld1_u8(p))); }
// Two vectors of 16-bit words to sizeof(VI) bytes at p, saturated, in order.
inline void u16_store_u8(uint8_t* p, VI a, VI b) { vst1q_u8(p, as_u8(u16_packus(a, b))); }
// pshufb: a set high bit gives 0, otherwise the low four bits pick (TBL gives 0 for >= 16).
inline uint8x16_t pshufb(uint8x16_t table, uint8x16_t index) {
  return vqtbl1q_u8(table, vandq_u8(index, vdupq_n_u8(0x8F)));
}
inline VI u8_lookup16(const uint8_t* table, VI index) { return from_u8(pshufb(vld1q_u8(table), as_u8(index))); }
// Lane group g (16 bytes) from row + offsets[g]; then pshufb within each group.
inline VI load_windows16(const uint8_t* row, const int32_t* offsets) { return from_u8(vld1q_u8(row + offsets[0])); }
inline VI u8_shuffle16(VI table, VI index) { return from_u8(pshufb(as_u8(table), as_u8(index))); }

// Blocks of 16 uint8 <-> four VF; byte 4k + l is lane l of v[k], as SSE4's layout.
inline void load_block(const uint8_t* p, VF v[4]) {
  const uint8x16_t b = vld1q_u8(p);
  const uint16x8_t lo = vmovl_u8(vget_low_u8(b)), hi = vmovl_high_u8(b);
  v[0] = vcvtq_f32_u32(vmovl_u16(vget_low_u16(lo)));
  v[1] = vcvtq_f32_u32(vmovl_high_u16(lo));
  v[2] = vcvtq_f32_u32(vmovl_u16(vget_low_u16(hi)));
  v[3] = vcvtq_f32_u32(vmovl_high_u16(hi));
}
// int32 -> int16 -> uint8, each step saturating (x86's packssdw then packuswb).
inline uint8x16_t pack_u8(VI a, VI b, VI c, VI d) {
  const int16x8_t ab = vqmovn_high_s32(vqmovn_s32(a), b);
  const int16x8_t cd = vqmovn_high_s32(vqmovn_s32(c), d);
  return vqmovun_high_s16(vqmovun_s16(ab), cd);
}
// Rounds half to even; NaN and values outside int32 become INT32_MIN, then 0 (as SSE4).
inline void store_block(uint8_t* p, const VF v[4]) {
  vst1q_u8(p, pack_u8(i_round_f(v[0]), i_round_f(v[1]), i_round_f(v[2]), i_round_f(v[3])));
}
inline void store_block_trunc(uint8_t* p, const VF* v) {
  vst1q_u8(p, pack_u8(i_trunc_f(v[0]), i_trunc_f(v[1]), i_trunc_f(v[2]), i_trunc_f(v[3])));
}

#elif defined(__AVX512BW__)

constexpr int kLanes = 16;
using VD = __m512d;
using VI = __m512i;
using VF = __m512;
inline VD d_set1(double v) { return _mm512_set1_pd(v); }
inline VD d_add(VD a, VD b) { return _mm512_add_pd(a, b); }
inline VD d_sub(VD a, VD b) { return _mm512_sub_pd(a, b); }
inline VD d_mul(VD a, VD b) { return _mm512_mul_pd(a, b); }
// max(x, lo) returns lo for a NaN x (the second operand wins on NaN).
inline VD d_clamp(VD x, VD lo, VD hi) { return _mm512_min_pd(_mm512_max_pd(x, lo), hi); }
inline VD d_trunc(VD a) { return _mm512_roundscale_pd(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline VD d_lane_index() { return _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7); }
inline VD d_load(const double* p) { return _mm512_loadu_pd(p); }
inline void d_store(double* p, VD v) { _mm512_storeu_pd(p, v); }
inline unsigned d_eq_bits(VD lo_a, VD lo_b, VD hi_a, VD hi_b) {
  return static_cast<unsigned>(_mm512_cmp_pd_mask(lo_a, lo_b, _CMP_EQ_OQ)) |
         static_cast<unsigned>(_mm512_cmp_pd_mask(hi_a, hi_b, _CMP_EQ_OQ)) << 8;
}
inline VI i_trunc_d(VD lo, VD hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvttpd_epi32(lo)),
                            _mm512_cvttpd_epi32(hi), 1);
}
inline VF f_from_d(VD lo, VD hi) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}
inline VI i_set1(int32_t v) { return _mm512_set1_epi32(v); }
inline VI i_add(VI a, VI b) { return _mm512_add_epi32(a, b); }
inline VI i_sub(VI a, VI b) { return _mm512_sub_epi32(a, b); }
inline VI i_mul(VI a, VI b) { return _mm512_mullo_epi32(a, b); }
inline VI i_min(VI a, VI b) { return _mm512_min_epi32(a, b); }
inline VI i_and(VI a, VI b) { return _mm512_and_si512(a, b); }
inline VI i_or(VI a, VI b) { return _mm512_or_si512(a, b); }
template <int k> inline VI i_sll(VI a) { return _mm512_slli_epi32(a, k); }
template <int k> inline VI i_srl(VI a) { return _mm512_srli_epi32(a, k); }
inline VI i_blend(unsigned take_b, VI a, VI b) {
  return _mm512_mask_blend_epi32(static_cast<__mmask16>(take_b), a, b);
}
inline void i_store(void* p, VI v) { _mm512_storeu_si512(p, v); }
inline VI i_load(const void* p) { return _mm512_loadu_si512(p); }
inline VI i_srlv(VI a, VI counts) { return _mm512_srlv_epi32(a, counts); }
inline VI i_sllv(VI a, VI counts) { return _mm512_sllv_epi32(a, counts); }
inline VF f_set1(float v) { return _mm512_set1_ps(v); }
inline VF f_sub(VF a, VF b) { return _mm512_sub_ps(a, b); }
inline VF f_mul(VF a, VF b) { return _mm512_mul_ps(a, b); }
inline VF f_lerp(VF a, VF b, VF t) { return _mm512_fmadd_ps(t, _mm512_sub_ps(b, a), a); }
inline VF f_fma(VF a, VF b, VF c) { return _mm512_fmadd_ps(a, b, c); }  // a * b + c, rounded once
inline VF f_from_i(VI a) { return _mm512_cvtepi32_ps(a); }
inline VF f_blend(unsigned take_b, VF a, VF b) {
  return _mm512_mask_blend_ps(static_cast<__mmask16>(take_b), a, b);
}
inline void f_store(float* p, VF v) { _mm512_storeu_ps(p, v); }
inline VI i_max(VI a, VI b) { return _mm512_max_epi32(a, b); }
// a + b in the lanes where x < limit, a elsewhere.
inline VI i_add_where_less(VI a, VI b, VI x, VI limit) {
  return _mm512_mask_add_epi32(a, _mm512_cmplt_epi32_mask(x, limit), a, b);
}
using DM = __mmask8;  // per-lane predicate on a VD
inline DM d_lt(VD a, VD b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
inline DM d_le(VD a, VD b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
inline DM d_gt(VD a, VD b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
inline DM d_ge(VD a, VD b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
inline VD d_select(DM m, VD if_true, VD if_false) { return _mm512_mask_blend_pd(m, if_false, if_true); }
inline VD d_div(VD a, VD b) { return _mm512_div_pd(a, b); }
inline VD d_floor(VD a) { return _mm512_roundscale_pd(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline unsigned d_bits(DM lo, DM hi) { return static_cast<unsigned>(lo) | static_cast<unsigned>(hi) << 8; }
inline VI i_abs(VI a) { return _mm512_abs_epi32(a); }
inline DM d_and(DM a, DM b) { return static_cast<DM>(a & b); }
// Byte k of every lane, zero-extended.
template <int k> inline VI i_byte(VI a) {
  return _mm512_shuffle_epi8(a, _mm512_broadcast_i32x4(_mm_setr_epi32(
      k | 0x80808000, (4 + k) | 0x80808000, (8 + k) | 0x80808000, (12 + k) | 0x80808000)));
}
inline VI i_round_f(VF a) { return _mm512_cvtps_epi32(a); }
inline VF f_min(VF a, VF b) { return _mm512_min_ps(a, b); }
inline VF f_max(VF a, VF b) { return _mm512_max_ps(a, b); }
inline bool i_any_gt(VI a, VI b) { return _mm512_cmpgt_epi32_mask(a, b) != 0; }
inline bool i_any_lt(VI a, VI b) { return _mm512_cmplt_epi32_mask(a, b) != 0; }
inline bool i_any_gt_unsigned(VI a, VI b) { return _mm512_cmpgt_epu32_mask(a, b) != 0; }

// More float ops; then byte and 16-bit lanes, and blocks of 4 * kLanes uint8 <-> float32.
inline VF f_load(const float* p) { return _mm512_loadu_ps(p); }
inline VF f_add(VF a, VF b) { return _mm512_add_ps(a, b); }
inline VF f_div(VF a, VF b) { return _mm512_div_ps(a, b); }
inline VF f_floor(VF v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline VF f_trunc(VF v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
// Lanes 3, 7, 11, 15 (the alpha channel of RGBA pixels) from b, the rest from a.
inline VF f_blend_alpha(VF a, VF b) { return _mm512_mask_blend_ps(0x8888, a, b); }
inline void load_block(const uint8_t* p, VF v[4]) {
  for (int k = 0; k < 4; ++k)
    v[k] = _mm512_cvtepi32_ps(
        _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k))));
}
// Converts with rounding half to even and packs with unsigned saturation: NaN and values
// below -2^31 become INT32_MIN, then 0; only values above 255 need clamping first.
inline void store_block(uint8_t* p, const VF v[4]) {
  const __m512i ab = _mm512_packs_epi32(_mm512_cvtps_epi32(v[0]), _mm512_cvtps_epi32(v[1]));
  const __m512i cd = _mm512_packs_epi32(_mm512_cvtps_epi32(v[2]), _mm512_cvtps_epi32(v[3]));
  // packs work per 128-bit lane: dword 4j+k holds bytes 4j..4j+3 of v[k]; gather them back.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  _mm512_storeu_si512(p, _mm512_permutexvar_epi32(order, _mm512_packus_epi16(ab, cd)));
}
inline VI u8_min(VI a, VI b) { return _mm512_min_epu8(a, b); }
inline VI u8_max(VI a, VI b) { return _mm512_max_epu8(a, b); }
inline VI u8_adds(VI a, VI b) { return _mm512_adds_epu8(a, b); }
inline VI u8_subs(VI a, VI b) { return _mm512_subs_epu8(a, b); }
inline VI u8_set1(uint8_t x) { return _mm512_set1_epi8(static_cast<char>(x)); }
inline VI u16_set1(uint16_t x) { return _mm512_set1_epi16(static_cast<short>(x)); }
inline VI u16_mulhi(VI a, VI b) { return _mm512_mulhi_epu16(a, b); }
inline VI i16_mulhrs(VI a, VI b) { return _mm512_mulhrs_epi16(a, b); }
inline VI u16_srli(VI a, int n) { return _mm512_srli_epi16(a, static_cast<unsigned>(n)); }
inline VI i_xor(VI a, VI b) { return _mm512_xor_si512(a, b); }
inline VI i_andnot(VI a, VI b) { return _mm512_andnot_si512(a, b); }  // ~a & b
inline VI u8_widen_lo(VI a) { return _mm512_unpacklo_epi8(a, _mm512_setzero_si512()); }
inline VI u8_widen_hi(VI a) { return _mm512_unpackhi_epi8(a, _mm512_setzero_si512()); }
inline VI u16_packus(VI a, VI b) { return _mm512_packus_epi16(a, b); }
inline VI i16_add(VI a, VI b) { return _mm512_add_epi16(a, b); }
inline VI i16_sub(VI a, VI b) { return _mm512_sub_epi16(a, b); }
template <int n> inline VI i16_slli(VI a) { return _mm512_slli_epi16(a, n); }
inline VI u16_load_u8(const uint8_t* p) {
  return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
inline void u16_store_u8(uint8_t* p, VI a, VI b) {  // packus works per 128-bit lane
  _mm512_storeu_si512(p, _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7),
                                                  _mm512_packus_epi16(a, b)));
}
inline VI u8_sub(VI a, VI b) { return _mm512_sub_epi8(a, b); }
// pshufb within each 16-byte lane, the 16-byte table repeated in every lane.
inline VI u8_lookup16(const uint8_t* table, VI index) {
  return _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table))), index);
}
inline VI load_windows16(const uint8_t* row, const int32_t* offsets) {
  auto at = [&](int g) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + offsets[g])); };
  const __m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(at(0)), at(1), 1);
  const __m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(at(2)), at(3), 1);
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
inline VI u8_shuffle16(VI table, VI index) { return _mm512_shuffle_epi8(table, index); }
// 4 * kLanes values already clamped to [0, 255], truncated, stored as bytes.
inline void store_block_trunc(uint8_t* p, const VF* v) {
  for (int k = 0; k < 4; ++k)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16 * k), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(v[k])));
}

// Float predicates (FM: a lane mask) and selects; comparisons are the scalar operators':
// ordered, so false with a NaN operand, but f_ne, which is true then as != is.
using FM = __mmask16;
inline FM f_lt(VF a, VF b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
inline FM f_gt(VF a, VF b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
inline FM f_ge(VF a, VF b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
inline FM f_eq(VF a, VF b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
inline FM f_ne(VF a, VF b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
inline FM fm_and(FM a, FM b) { return static_cast<FM>(a & b); }
inline FM fm_or(FM a, FM b) { return static_cast<FM>(a | b); }
inline bool fm_any(FM m) { return m != 0; }
inline FM fm_not(FM a) { return static_cast<FM>(~a); }
inline VF f_select(FM m, VF if_true, VF if_false) { return _mm512_mask_blend_ps(m, if_false, if_true); }

inline VI i_trunc_f(VF a) { return _mm512_cvttps_epi32(a); }

inline VD d_from_f_lo(VF a) { return _mm512_cvtps_pd(_mm512_castps512_ps256(a)); }
inline VD d_from_f_hi(VF a) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1)); }

#elif defined(__AVX2__)

constexpr int kLanes = 8;
using VD = __m256d;
using VI = __m256i;
using VF = __m256;
inline VD d_set1(double v) { return _mm256_set1_pd(v); }
inline VD d_add(VD a, VD b) { return _mm256_add_pd(a, b); }
inline VD d_sub(VD a, VD b) { return _mm256_sub_pd(a, b); }
inline VD d_mul(VD a, VD b) { return _mm256_mul_pd(a, b); }
inline VD d_clamp(VD x, VD lo, VD hi) { return _mm256_min_pd(_mm256_max_pd(x, lo), hi); }
inline VD d_trunc(VD a) { return _mm256_round_pd(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline VD d_lane_index() { return _mm256_setr_pd(0, 1, 2, 3); }
inline VD d_load(const double* p) { return _mm256_loadu_pd(p); }
inline void d_store(double* p, VD v) { _mm256_storeu_pd(p, v); }
inline unsigned d_eq_bits(VD lo_a, VD lo_b, VD hi_a, VD hi_b) {
  return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(lo_a, lo_b, _CMP_EQ_OQ))) |
         static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(hi_a, hi_b, _CMP_EQ_OQ))) << 4;
}
inline VI i_trunc_d(VD lo, VD hi) {
  return _mm256_set_m128i(_mm256_cvttpd_epi32(hi), _mm256_cvttpd_epi32(lo));
}
inline VF f_from_d(VD lo, VD hi) { return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo)); }
inline VI i_set1(int32_t v) { return _mm256_set1_epi32(v); }
inline VI i_add(VI a, VI b) { return _mm256_add_epi32(a, b); }
inline VI i_sub(VI a, VI b) { return _mm256_sub_epi32(a, b); }
inline VI i_mul(VI a, VI b) { return _mm256_mullo_epi32(a, b); }
inline VI i_min(VI a, VI b) { return _mm256_min_epi32(a, b); }
inline VI i_and(VI a, VI b) { return _mm256_and_si256(a, b); }
inline VI i_or(VI a, VI b) { return _mm256_or_si256(a, b); }
template <int k> inline VI i_sll(VI a) { return _mm256_slli_epi32(a, k); }
template <int k> inline VI i_srl(VI a) { return _mm256_srli_epi32(a, k); }
inline VI lane_mask(unsigned bits) {
  const VI sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), sel), sel);
}
inline VI i_blend(unsigned take_b, VI a, VI b) { return _mm256_blendv_epi8(a, b, lane_mask(take_b)); }
inline void i_store(void* p, VI v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
inline VI i_load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline VI i_srlv(VI a, VI counts) { return _mm256_srlv_epi32(a, counts); }
inline VI i_sllv(VI a, VI counts) { return _mm256_sllv_epi32(a, counts); }
inline VF f_set1(float v) { return _mm256_set1_ps(v); }
inline VF f_sub(VF a, VF b) { return _mm256_sub_ps(a, b); }
inline VF f_mul(VF a, VF b) { return _mm256_mul_ps(a, b); }
inline VF f_lerp(VF a, VF b, VF t) { return _mm256_fmadd_ps(t, _mm256_sub_ps(b, a), a); }
inline VF f_fma(VF a, VF b, VF c) { return _mm256_fmadd_ps(a, b, c); }
inline VF f_from_i(VI a) { return _mm256_cvtepi32_ps(a); }
inline VF f_blend(unsigned take_b, VF a, VF b) {
  return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(lane_mask(take_b)));
}
inline void f_store(float* p, VF v) { _mm256_storeu_ps(p, v); }
inline VI i_max(VI a, VI b) { return _mm256_max_epi32(a, b); }
inline VI i_add_where_less(VI a, VI b, VI x, VI limit) {
  return _mm256_add_epi32(a, _mm256_and_si256(_mm256_cmpgt_epi32(limit, x), b));
}
inline bool i_any_lt(VI a, VI b) { return _mm256_movemask_epi8(_mm256_cmpgt_epi32(b, a)) != 0; }
inline bool i_any_gt_unsigned(VI a, VI b) {
  return _mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_max_epu32(a, b), b)) != -1;
}
using DM = __m256d;  // per-lane predicate on a VD
inline DM d_lt(VD a, VD b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
inline DM d_le(VD a, VD b) { return _mm256_cmp_pd(a, b, _CMP_LE_OQ); }
inline DM d_gt(VD a, VD b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
inline DM d_ge(VD a, VD b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
inline VD d_select(DM m, VD if_true, VD if_false) { return _mm256_blendv_pd(if_false, if_true, m); }
inline VD d_div(VD a, VD b) { return _mm256_div_pd(a, b); }
inline VD d_floor(VD a) { return _mm256_round_pd(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline unsigned d_bits(DM lo, DM hi) {
  return static_cast<unsigned>(_mm256_movemask_pd(lo)) | static_cast<unsigned>(_mm256_movemask_pd(hi)) << 4;
}
inline VI i_abs(VI a) { return _mm256_abs_epi32(a); }
inline DM d_and(DM a, DM b) { return _mm256_and_pd(a, b); }
template <int k> inline VI i_byte(VI a) {
  const __m128i pattern = _mm_setr_epi32(k | 0x80808000, (4 + k) | 0x80808000,
                                         (8 + k) | 0x80808000, (12 + k) | 0x80808000);
  return _mm256_shuffle_epi8(a, _mm256_set_m128i(pattern, pattern));
}
inline VI i_round_f(VF a) { return _mm256_cvtps_epi32(a); }
inline VF f_min(VF a, VF b) { return _mm256_min_ps(a, b); }
inline VF f_max(VF a, VF b) { return _mm256_max_ps(a, b); }
inline bool i_any_gt(VI a, VI b) { return _mm256_movemask_epi8(_mm256_cmpgt_epi32(a, b)) != 0; }

// More float ops; then byte and 16-bit lanes, and blocks of 4 * kLanes uint8 <-> float32.
inline VF f_load(const float* p) { return _mm256_loadu_ps(p); }
inline VF f_add(VF a, VF b) { return _mm256_add_ps(a, b); }
inline VF f_div(VF a, VF b) { return _mm256_div_ps(a, b); }
inline VF f_floor(VF v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline VF f_trunc(VF v) { return _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline VF f_blend_alpha(VF a, VF b) { return _mm256_blend_ps(a, b, 0x88); }
inline void load_block(const uint8_t* p, VF v[4]) {
  for (int k = 0; k < 4; ++k)
    v[k] = _mm256_cvtepi32_ps(
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8 * k))));
}
inline void store_block(uint8_t* p, const VF v[4]) {
  const __m256i ab = _mm256_packs_epi32(_mm256_cvtps_epi32(v[0]), _mm256_cvtps_epi32(v[1]));
  const __m256i cd = _mm256_packs_epi32(_mm256_cvtps_epi32(v[2]), _mm256_cvtps_epi32(v[3]));
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                      _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd), order));
}
inline VI u8_min(VI a, VI b) { return _mm256_min_epu8(a, b); }
inline VI u8_max(VI a, VI b) { return _mm256_max_epu8(a, b); }
inline VI u8_adds(VI a, VI b) { return _mm256_adds_epu8(a, b); }
inline VI u8_subs(VI a, VI b) { return _mm256_subs_epu8(a, b); }
inline VI u8_set1(uint8_t x) { return _mm256_set1_epi8(static_cast<char>(x)); }
inline VI u16_set1(uint16_t x) { return _mm256_set1_epi16(static_cast<short>(x)); }
inline VI u16_mulhi(VI a, VI b) { return _mm256_mulhi_epu16(a, b); }
inline VI i16_mulhrs(VI a, VI b) { return _mm256_mulhrs_epi16(a, b); }
inline VI u16_srli(VI a, int n) { return _mm256_srli_epi16(a, n); }
inline VI i_xor(VI a, VI b) { return _mm256_xor_si256(a, b); }
inline VI i_andnot(VI a, VI b) { return _mm256_andnot_si256(a, b); }
inline VI u8_widen_lo(VI a) { return _mm256_unpacklo_epi8(a, _mm256_setzero_si256()); }
inline VI u8_widen_hi(VI a) { return _mm256_unpackhi_epi8(a, _mm256_setzero_si256()); }
inline VI u16_packus(VI a, VI b) { return _mm256_packus_epi16(a, b); }
inline VI i16_add(VI a, VI b) { return _mm256_add_epi16(a, b); }
inline VI i16_sub(VI a, VI b) { return _mm256_sub_epi16(a, b); }
template <int n> inline VI i16_slli(VI a) { return _mm256_slli_epi16(a, n); }
inline VI u16_load_u8(const uint8_t* p) {
  return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline void u16_store_u8(uint8_t* p, VI a, VI b) {  // packus works per 128-bit lane
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                      _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8));
}
inline VI u8_sub(VI a, VI b) { return _mm256_sub_epi8(a, b); }
inline VI u8_lookup16(const uint8_t* table, VI index) {
  return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table))), index);
}
inline VI load_windows16(const uint8_t* row, const int32_t* offsets) {
  return _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + offsets[0]))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + offsets[1])), 1);
}
inline VI u8_shuffle16(VI table, VI index) { return _mm256_shuffle_epi8(table, index); }
inline void store_block_trunc(uint8_t* p, const VF* v) {
  const __m256i ab = _mm256_packs_epi32(_mm256_cvttps_epi32(v[0]), _mm256_cvttps_epi32(v[1]));
  const __m256i cd = _mm256_packs_epi32(_mm256_cvttps_epi32(v[2]), _mm256_cvttps_epi32(v[3]));
  // packs work per 128-bit lane: dword 2j+k holds bytes 4j..4j+3 of v[k]; gather them back.
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                      _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

using FM = __m256;
inline FM f_lt(VF a, VF b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
inline FM f_gt(VF a, VF b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
inline FM f_ge(VF a, VF b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
inline FM f_eq(VF a, VF b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
inline FM f_ne(VF a, VF b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_UQ); }
inline FM fm_and(FM a, FM b) { return _mm256_and_ps(a, b); }
inline FM fm_or(FM a, FM b) { return _mm256_or_ps(a, b); }
inline bool fm_any(FM m) { return _mm256_movemask_ps(m) != 0; }
inline FM fm_not(FM a) { return _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(-1))); }
inline VF f_select(FM m, VF if_true, VF if_false) { return _mm256_blendv_ps(if_false, if_true, m); }

inline VI i_trunc_f(VF a) { return _mm256_cvttps_epi32(a); }

inline VD d_from_f_lo(VF a) { return _mm256_cvtps_pd(_mm256_castps256_ps128(a)); }
inline VD d_from_f_hi(VF a) { return _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)); }

#else  // SSE4.1

constexpr int kLanes = 4;
using VD = __m128d;
using VI = __m128i;
using VF = __m128;
inline VD d_set1(double v) { return _mm_set1_pd(v); }
inline VD d_add(VD a, VD b) { return _mm_add_pd(a, b); }
inline VD d_sub(VD a, VD b) { return _mm_sub_pd(a, b); }
inline VD d_mul(VD a, VD b) { return _mm_mul_pd(a, b); }
inline VD d_clamp(VD x, VD lo, VD hi) { return _mm_min_pd(_mm_max_pd(x, lo), hi); }
inline VD d_trunc(VD a) { return _mm_round_pd(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline VD d_lane_index() { return _mm_setr_pd(0, 1); }
inline VD d_load(const double* p) { return _mm_loadu_pd(p); }
inline void d_store(double* p, VD v) { _mm_storeu_pd(p, v); }
inline unsigned d_eq_bits(VD lo_a, VD lo_b, VD hi_a, VD hi_b) {
  return static_cast<unsigned>(_mm_movemask_pd(_mm_cmpeq_pd(lo_a, lo_b))) |
         static_cast<unsigned>(_mm_movemask_pd(_mm_cmpeq_pd(hi_a, hi_b))) << 2;
}
inline VI i_trunc_d(VD lo, VD hi) { return _mm_unpacklo_epi64(_mm_cvttpd_epi32(lo), _mm_cvttpd_epi32(hi)); }
inline VF f_from_d(VD lo, VD hi) { return _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi)); }
inline VI i_set1(int32_t v) { return _mm_set1_epi32(v); }
inline VI i_add(VI a, VI b) { return _mm_add_epi32(a, b); }
inline VI i_sub(VI a, VI b) { return _mm_sub_epi32(a, b); }
inline VI i_mul(VI a, VI b) { return _mm_mullo_epi32(a, b); }
inline VI i_min(VI a, VI b) { return _mm_min_epi32(a, b); }
inline VI i_and(VI a, VI b) { return _mm_and_si128(a, b); }
inline VI i_or(VI a, VI b) { return _mm_or_si128(a, b); }
template <int k> inline VI i_sll(VI a) { return _mm_slli_epi32(a, k); }
template <int k> inline VI i_srl(VI a) { return _mm_srli_epi32(a, k); }
inline VI lane_mask(unsigned bits) {
  const VI sel = _mm_setr_epi32(1, 2, 4, 8);
  return _mm_cmpeq_epi32(_mm_and_si128(_mm_set1_epi32(static_cast<int>(bits)), sel), sel);
}
inline VI i_blend(unsigned take_b, VI a, VI b) { return _mm_blendv_epi8(a, b, lane_mask(take_b)); }
inline void i_store(void* p, VI v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
inline VI i_load(const void* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline VI i_srlv(VI a, VI counts) {
  alignas(16) uint32_t v[4], n[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(v), a);
  _mm_store_si128(reinterpret_cast<__m128i*>(n), counts);
  for (int l = 0; l < 4; ++l) v[l] >>= n[l];
  return _mm_load_si128(reinterpret_cast<const __m128i*>(v));
}
inline VF f_set1(float v) { return _mm_set1_ps(v); }
inline VF f_sub(VF a, VF b) { return _mm_sub_ps(a, b); }
inline VF f_mul(VF a, VF b) { return _mm_mul_ps(a, b); }
inline VF f_lerp(VF a, VF b, VF t) { return _mm_add_ps(_mm_mul_ps(t, _mm_sub_ps(b, a)), a); }
inline VF f_from_i(VI a) { return _mm_cvtepi32_ps(a); }
inline VF f_blend(unsigned take_b, VF a, VF b) {
  return _mm_blendv_ps(a, b, _mm_castsi128_ps(lane_mask(take_b)));
}
inline void f_store(float* p, VF v) { _mm_storeu_ps(p, v); }
inline VI i_max(VI a, VI b) { return _mm_max_epi32(a, b); }
inline VI i_add_where_less(VI a, VI b, VI x, VI limit) {
  return _mm_add_epi32(a, _mm_and_si128(_mm_cmpgt_epi32(limit, x), b));
}
inline bool i_any_lt(VI a, VI b) { return _mm_movemask_epi8(_mm_cmplt_epi32(a, b)) != 0; }
inline bool i_any_gt_unsigned(VI a, VI b) {
  return _mm_movemask_epi8(_mm_cmpeq_epi32(_mm_max_epu32(a, b), b)) != 0xFFFF;
}
using DM = __m128d;  // per-lane predicate on a VD
inline DM d_lt(VD a, VD b) { return _mm_cmplt_pd(a, b); }
inline DM d_le(VD a, VD b) { return _mm_cmple_pd(a, b); }
inline DM d_gt(VD a, VD b) { return _mm_cmpgt_pd(a, b); }
inline DM d_ge(VD a, VD b) { return _mm_cmpge_pd(a, b); }
inline VD d_select(DM m, VD if_true, VD if_false) { return _mm_blendv_pd(if_false, if_true, m); }
inline VD d_div(VD a, VD b) { return _mm_div_pd(a, b); }
inline VD d_floor(VD a) { return _mm_round_pd(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline unsigned d_bits(DM lo, DM hi) {
  return static_cast<unsigned>(_mm_movemask_pd(lo)) | static_cast<unsigned>(_mm_movemask_pd(hi)) << 2;
}
inline VI i_abs(VI a) { return _mm_abs_epi32(a); }
inline DM d_and(DM a, DM b) { return _mm_and_pd(a, b); }
template <int k> inline VI i_byte(VI a) {
  return _mm_shuffle_epi8(a, _mm_setr_epi32(k | 0x80808000, (4 + k) | 0x80808000,
                                            (8 + k) | 0x80808000, (12 + k) | 0x80808000));
}
inline VI i_round_f(VF a) { return _mm_cvtps_epi32(a); }
inline VF f_min(VF a, VF b) { return _mm_min_ps(a, b); }
inline VF f_max(VF a, VF b) { return _mm_max_ps(a, b); }

// More float ops; then byte and 16-bit lanes, and blocks of 4 * kLanes uint8 <-> float32.
inline VF f_load(const float* p) { return _mm_loadu_ps(p); }
inline VF f_add(VF a, VF b) { return _mm_add_ps(a, b); }
inline VF f_div(VF a, VF b) { return _mm_div_ps(a, b); }
inline VF f_floor(VF v) { return _mm_round_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline VF f_trunc(VF v) { return _mm_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline VF f_blend_alpha(VF a, VF b) { return _mm_blend_ps(a, b, 0x8); }
inline void load_block(const uint8_t* p, VF v[4]) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  v[0] = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(b));
  v[1] = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(b, 4)));
  v[2] = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(b, 8)));
  v[3] = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(b, 12)));
}
inline void store_block(uint8_t* p, const VF v[4]) {
  const __m128i ab = _mm_packs_epi32(_mm_cvtps_epi32(v[0]), _mm_cvtps_epi32(v[1]));
  const __m128i cd = _mm_packs_epi32(_mm_cvtps_epi32(v[2]), _mm_cvtps_epi32(v[3]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(ab, cd));
}
inline VI u8_min(VI a, VI b) { return _mm_min_epu8(a, b); }
inline VI u8_max(VI a, VI b) { return _mm_max_epu8(a, b); }
inline VI u8_adds(VI a, VI b) { return _mm_adds_epu8(a, b); }
inline VI u8_subs(VI a, VI b) { return _mm_subs_epu8(a, b); }
inline VI u8_set1(uint8_t x) { return _mm_set1_epi8(static_cast<char>(x)); }
inline VI u16_set1(uint16_t x) { return _mm_set1_epi16(static_cast<short>(x)); }
inline VI u16_mulhi(VI a, VI b) { return _mm_mulhi_epu16(a, b); }
inline VI i16_mulhrs(VI a, VI b) { return _mm_mulhrs_epi16(a, b); }
inline VI u16_srli(VI a, int n) { return _mm_srli_epi16(a, n); }
inline VI i_xor(VI a, VI b) { return _mm_xor_si128(a, b); }
inline VI i_andnot(VI a, VI b) { return _mm_andnot_si128(a, b); }
inline VI u8_widen_lo(VI a) { return _mm_unpacklo_epi8(a, _mm_setzero_si128()); }
inline VI u8_widen_hi(VI a) { return _mm_unpackhi_epi8(a, _mm_setzero_si128()); }
inline VI u16_packus(VI a, VI b) { return _mm_packus_epi16(a, b); }
inline VI i16_add(VI a, VI b) { return _mm_add_epi16(a, b); }
inline VI i16_sub(VI a, VI b) { return _mm_sub_epi16(a, b); }
template <int n> inline VI i16_slli(VI a) { return _mm_slli_epi16(a, n); }
inline VI u16_load_u8(const uint8_t* p) {
  return _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline void u16_store_u8(uint8_t* p, VI a, VI b) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(a, b));
}
inline VI u8_sub(VI a, VI b) { return _mm_sub_epi8(a, b); }
inline VI u8_lookup16(const uint8_t* table, VI index) {
  return _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table)), index);
}
inline VI load_windows16(const uint8_t* row, const int32_t* offsets) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + offsets[0]));
}
inline VI u8_shuffle16(VI table, VI index) { return _mm_shuffle_epi8(table, index); }
inline void store_block_trunc(uint8_t* p, const VF* v) {
  const __m128i ab = _mm_packs_epi32(_mm_cvttps_epi32(v[0]), _mm_cvttps_epi32(v[1]));
  const __m128i cd = _mm_packs_epi32(_mm_cvttps_epi32(v[2]), _mm_cvttps_epi32(v[3]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(ab, cd));
}

using FM = __m128;
inline FM f_lt(VF a, VF b) { return _mm_cmplt_ps(a, b); }
inline FM f_gt(VF a, VF b) { return _mm_cmpgt_ps(a, b); }
inline FM f_ge(VF a, VF b) { return _mm_cmpge_ps(a, b); }
inline FM f_eq(VF a, VF b) { return _mm_cmpeq_ps(a, b); }
inline FM f_ne(VF a, VF b) { return _mm_cmpneq_ps(a, b); }
inline FM fm_and(FM a, FM b) { return _mm_and_ps(a, b); }
inline FM fm_or(FM a, FM b) { return _mm_or_ps(a, b); }
inline bool fm_any(FM m) { return _mm_movemask_ps(m) != 0; }
inline FM fm_not(FM a) { return _mm_xor_ps(a, _mm_castsi128_ps(_mm_set1_epi32(-1))); }
inline VF f_select(FM m, VF if_true, VF if_false) { return _mm_blendv_ps(if_false, if_true, m); }

inline VI i_trunc_f(VF a) { return _mm_cvttps_epi32(a); }

inline VD d_from_f_lo(VF a) { return _mm_cvtps_pd(a); }
inline VD d_from_f_hi(VF a) { return _mm_cvtps_pd(_mm_movehl_ps(a, a)); }

#endif

constexpr int kHalf = kLanes / 2;
constexpr unsigned kAllLanes = (1u << kLanes) - 1;
constexpr int kBlock = 4 * kLanes;  // elements of a block: load_block, store_block

// kLanes RGB uint8 pixels (3 * kLanes bytes, read and written exactly: no byte past them is
// touched) as one VF per channel. Per channel, pshufb picks its bytes from each 16-byte
// piece of the pixels and the pieces are or-ed together.
struct Bytes16 {
  int8_t b[16];
};
// pshufb masks. Gather: byte j < count of channel c's plane from the 16 bytes of pixels at
// byte `start` (-1, a zero, where that byte is elsewhere). Scatter: the 16 pixel bytes from
// byte `start` on that are channel c, from its plane.
constexpr Bytes16 rgb_gather(int c, int start, int count) {
  Bytes16 m{};
  for (int j = 0; j < 16; ++j) {
    const int at = 3 * j + c - start;
    m.b[j] = static_cast<int8_t>(j < count && at >= 0 && at < 16 ? at : -1);
  }
  return m;
}
constexpr Bytes16 rgb_scatter(int c, int start) {
  Bytes16 m{};
  for (int k = 0; k < 16; ++k) {
    const int at = start + k;
    m.b[k] = static_cast<int8_t>(at % 3 == c && at / 3 < 16 ? at / 3 : -1);
  }
  return m;
}
#if defined(FASTAUG_ISA_NEON)
// 4 pixels (12 bytes, copied through a 16-byte buffer so no byte past them is touched):
// one table lookup per channel puts byte 3l + c in lane l (index 0xFF reads as 0).
inline void load_rgb(const uint8_t* p, VF v[3]) {
  uint8_t px[16] = {};
  std::memcpy(px, p, 12);
  const uint8x16_t bytes = vld1q_u8(px);
  for (int c = 0; c < 3; ++c) {
    uint8_t idx[16];
    for (int j = 0; j < 16; ++j) idx[j] = j % 4 == 0 ? static_cast<uint8_t>(3 * (j / 4) + c) : 0xFF;
    v[c] = vcvtq_f32_u32(vreinterpretq_u32_u8(vqtbl1q_u8(bytes, vld1q_u8(idx))));
  }
}
// Truncates values in [0, 256) to bytes (planes r0..r3 g0..g3 b0..b3) and interleaves them.
inline void store_rgb_trunc(uint8_t* p, const VF v[3]) {
  const uint8x16_t planes = pack_u8(i_trunc_f(v[0]), i_trunc_f(v[1]), i_trunc_f(v[2]), vdupq_n_s32(0));
  static const uint8_t kInterleave[16] = {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 12, 12, 12};
  uint8_t px[16];
  vst1q_u8(px, vqtbl1q_u8(planes, vld1q_u8(kInterleave)));
  std::memcpy(p, px, 12);
}
#else
inline __m128i mask16(const Bytes16& m) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(m.b)); }
inline __m128i or3(__m128i a, __m128i b, __m128i c) { return _mm_or_si128(_mm_or_si128(a, b), c); }
#endif

#if defined(FASTAUG_ISA_NEON)
// load_rgb and store_rgb_trunc are above.
#elif defined(__AVX512BW__)
// 16 pixels: three 16-byte pieces, each channel's 16 bytes or-ed from three shuffles.
constexpr Bytes16 kRgbGather[3][3] = {
    {rgb_gather(0, 0, 16), rgb_gather(0, 16, 16), rgb_gather(0, 32, 16)},
    {rgb_gather(1, 0, 16), rgb_gather(1, 16, 16), rgb_gather(1, 32, 16)},
    {rgb_gather(2, 0, 16), rgb_gather(2, 16, 16), rgb_gather(2, 32, 16)}};
constexpr Bytes16 kRgbScatter[3][3] = {  // [piece][channel]
    {rgb_scatter(0, 0), rgb_scatter(1, 0), rgb_scatter(2, 0)},
    {rgb_scatter(0, 16), rgb_scatter(1, 16), rgb_scatter(2, 16)},
    {rgb_scatter(0, 32), rgb_scatter(1, 32), rgb_scatter(2, 32)}};
inline void load_rgb(const uint8_t* p, VF v[3]) {
  __m128i piece[3];
  for (int q = 0; q < 3; ++q) piece[q] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * q));
  for (int c = 0; c < 3; ++c) {
    const __m128i bytes = or3(_mm_shuffle_epi8(piece[0], mask16(kRgbGather[c][0])),
                              _mm_shuffle_epi8(piece[1], mask16(kRgbGather[c][1])),
                              _mm_shuffle_epi8(piece[2], mask16(kRgbGather[c][2])));
    v[c] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
  }
}
// Truncates values in [0, 256) to bytes and stores them interleaved.
inline void store_rgb_trunc(uint8_t* p, const VF v[3]) {
  __m128i plane[3];
  for (int c = 0; c < 3; ++c) plane[c] = _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(v[c]));
  for (int q = 0; q < 3; ++q)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16 * q),
                     or3(_mm_shuffle_epi8(plane[0], mask16(kRgbScatter[q][0])),
                         _mm_shuffle_epi8(plane[1], mask16(kRgbScatter[q][1])),
                         _mm_shuffle_epi8(plane[2], mask16(kRgbScatter[q][2]))));
}
#elif defined(__AVX2__)
// 8 pixels (24 bytes): pieces at bytes 0 and 8 (both pick a byte in 8..15: the same one).
constexpr Bytes16 kRgbGather[3][2] = {{rgb_gather(0, 0, 8), rgb_gather(0, 8, 8)},
                                      {rgb_gather(1, 0, 8), rgb_gather(1, 8, 8)},
                                      {rgb_gather(2, 0, 8), rgb_gather(2, 8, 8)}};
constexpr Bytes16 kRgbScatter[2][3] = {{rgb_scatter(0, 0), rgb_scatter(1, 0), rgb_scatter(2, 0)},
                                       {rgb_scatter(0, 16), rgb_scatter(1, 16), rgb_scatter(2, 16)}};
inline void load_rgb(const uint8_t* p, VF v[3]) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8));
  for (int c = 0; c < 3; ++c) {
    const __m128i bytes = _mm_or_si128(_mm_shuffle_epi8(lo, mask16(kRgbGather[c][0])),
                                       _mm_shuffle_epi8(hi, mask16(kRgbGather[c][1])));
    v[c] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
  }
}
inline void store_rgb_trunc(uint8_t* p, const VF v[3]) {
  __m128i plane[3];
  for (int c = 0; c < 3; ++c) {
    const __m256i i = _mm256_cvttps_epi32(v[c]);
    const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
    plane[c] = _mm_packus_epi16(words, words);  // the 8 bytes, twice
  }
  auto piece = [&](int q) {
    return or3(_mm_shuffle_epi8(plane[0], mask16(kRgbScatter[q][0])),
               _mm_shuffle_epi8(plane[1], mask16(kRgbScatter[q][1])),
               _mm_shuffle_epi8(plane[2], mask16(kRgbScatter[q][2])));
  };
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), piece(0));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p + 16), piece(1));
}
#else
// 4 pixels (12 bytes): an 8-byte load and a 4-byte insert.
inline void load_rgb(const uint8_t* p, VF v[3]) {
  int32_t last;
  std::memcpy(&last, p + 8, 4);
  const __m128i px = _mm_insert_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)), last, 2);
  v[0] = _mm_cvtepi32_ps(_mm_shuffle_epi8(px, _mm_setr_epi8(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1)));
  v[1] = _mm_cvtepi32_ps(_mm_shuffle_epi8(px, _mm_setr_epi8(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1)));
  v[2] = _mm_cvtepi32_ps(_mm_shuffle_epi8(px, _mm_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1)));
}
inline void store_rgb_trunc(uint8_t* p, const VF v[3]) {
  const __m128i r = _mm_cvttps_epi32(v[0]), g = _mm_cvttps_epi32(v[1]), b = _mm_cvttps_epi32(v[2]);
  const __m128i px = _mm_or_si128(
      _mm_or_si128(_mm_shuffle_epi8(r, _mm_setr_epi8(0, -1, -1, 4, -1, -1, 8, -1, -1, 12, -1, -1, -1, -1, -1, -1)),
                   _mm_shuffle_epi8(g, _mm_setr_epi8(-1, 0, -1, -1, 4, -1, -1, 8, -1, -1, 12, -1, -1, -1, -1, -1))),
      _mm_shuffle_epi8(b, _mm_setr_epi8(-1, -1, 0, -1, -1, 4, -1, -1, 8, -1, -1, 12, -1, -1, -1, -1)));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), px);
  const int32_t last = _mm_extract_epi32(px, 2);
  std::memcpy(p + 8, &last, 4);
}
#endif

// 16 bytes as one register at every level (xmm on x86, a NEON q register): the byte
// shuffles, pmaddwd sums and packs that some families' own SIMD paths are written in, with
// x86's rules on every architecture. And double -> int with x86's cvtsd2si (round half to
// even; NaN and out-of-range give the integer's minimum).
#if defined(FASTAUG_ISA_NEON)
using B16 = uint8x16_t;
inline B16 b16_load(const void* p) { return vld1q_u8(static_cast<const uint8_t*>(p)); }
inline void b16_store(void* p, B16 v) { vst1q_u8(static_cast<uint8_t*>(p), v); }
inline B16 b16_or(B16 a, B16 b) { return vorrq_u8(a, b); }
inline B16 b16_shuffle(B16 v, B16 index) { return pshufb(v, index); }  // pshufb
inline B16 b16_set1_i32(int32_t v) { return vreinterpretq_u8_s32(vdupq_n_s32(v)); }
inline B16 b16_add_i32(B16 a, B16 b) {
  return vreinterpretq_u8_s32(vaddq_s32(vreinterpretq_s32_u8(a), vreinterpretq_s32_u8(b)));
}
// pmaddwd: int16 products, adjacent pairs summed into int32.
inline B16 b16_madd_i16(B16 a, B16 b) {
  const int16x8_t x = vreinterpretq_s16_u8(a), y = vreinterpretq_s16_u8(b);
  const int32x4_t lo = vmull_s16(vget_low_s16(x), vget_low_s16(y));
  const int32x4_t hi = vmull_high_s16(x, y);
  return vreinterpretq_u8_s32(vpaddq_s32(lo, hi));
}
inline B16 b16_sra_i32(B16 a, int n) {
  return vreinterpretq_u8_s32(vshlq_s32(vreinterpretq_s32_u8(a), vdupq_n_s32(-n)));
}
// packssdw then packuswb of (a, b): eight int32 to bytes 0..7 (saturating), twice.
inline B16 b16_pack_i32_u8(B16 a, B16 b) {
  const int16x8_t words = vqmovn_high_s32(vqmovn_s32(vreinterpretq_s32_u8(a)), vreinterpretq_s32_u8(b));
  const uint8x8_t bytes = vqmovun_s16(words);
  return vcombine_u8(bytes, bytes);
}
inline B16 b16_load8_u16(const uint8_t* p) { return vreinterpretq_u8_u16(vmovl_u8(vld1_u8(p))); }
inline B16 b16_unpacklo_i16(B16 a, B16 b) {
  return vreinterpretq_u8_u16(vzip1q_u16(vreinterpretq_u16_u8(a), vreinterpretq_u16_u8(b)));
}
inline B16 b16_unpackhi_i16(B16 a, B16 b) {
  return vreinterpretq_u8_u16(vzip2q_u16(vreinterpretq_u16_u8(a), vreinterpretq_u16_u8(b)));
}
inline B16 b16_zero() { return vdupq_n_u8(0); }
inline void b16_store8(uint8_t* p, B16 v) { vst1_u8(p, vget_low_u8(v)); }
inline int32_t b16_low_i32(B16 v) { return vgetq_lane_s32(vreinterpretq_s32_u8(v), 0); }
inline int64_t round_even_i64(double x) {
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) return INT64_MIN;
  return vcvtnd_s64_f64(x);
}
inline int32_t round_even_i32(double x) {
  if (!(x >= -2147483648.5 && x < 2147483647.5)) return INT32_MIN;
  return static_cast<int32_t>(vcvtnd_s64_f64(x));
}
#else
using B16 = __m128i;
inline B16 b16_load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline void b16_store(void* p, B16 v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }
inline B16 b16_or(B16 a, B16 b) { return _mm_or_si128(a, b); }
inline B16 b16_shuffle(B16 v, B16 index) { return _mm_shuffle_epi8(v, index); }
inline B16 b16_set1_i32(int32_t v) { return _mm_set1_epi32(v); }
inline B16 b16_add_i32(B16 a, B16 b) { return _mm_add_epi32(a, b); }
inline B16 b16_madd_i16(B16 a, B16 b) { return _mm_madd_epi16(a, b); }
inline B16 b16_sra_i32(B16 a, int n) { return _mm_sra_epi32(a, _mm_cvtsi32_si128(n)); }
inline B16 b16_pack_i32_u8(B16 a, B16 b) {
  const __m128i words = _mm_packs_epi32(a, b);
  return _mm_packus_epi16(words, words);
}
inline B16 b16_load8_u16(const uint8_t* p) {
  return _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline B16 b16_unpacklo_i16(B16 a, B16 b) { return _mm_unpacklo_epi16(a, b); }
inline B16 b16_unpackhi_i16(B16 a, B16 b) { return _mm_unpackhi_epi16(a, b); }
inline B16 b16_zero() { return _mm_setzero_si128(); }
inline void b16_store8(uint8_t* p, B16 v) { _mm_storel_epi64(reinterpret_cast<__m128i*>(p), v); }
inline int32_t b16_low_i32(B16 v) { return _mm_cvtsi128_si32(v); }
inline int64_t round_even_i64(double x) { return _mm_cvtsd_si64(_mm_set_sd(x)); }
inline int32_t round_even_i32(double x) { return _mm_cvtsd_si32(_mm_set_sd(x)); }
#endif

inline void load_block(const float* p, VF v[4]) {
  for (int k = 0; k < 4; ++k) v[k] = f_load(p + k * kLanes);
}
inline void store_block(float* p, const VF v[4]) {
  for (int k = 0; k < 4; ++k) f_store(p + k * kLanes, v[k]);
}

}  // namespace FASTAUG_ISA_NS
}  // namespace fastaug
