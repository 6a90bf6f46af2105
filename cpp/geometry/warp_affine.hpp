// Affine warp (inverse "pull" matrix, scipy.ndimage.affine_transform semantics for order <= 1).
#pragma once
#include "core/image.hpp"
#include "core/isa_namespaces.hpp"

namespace fastaug {

struct WarpParams {
  AffineMatrix matrix;  // inverse map, see AffineMatrix
  Interp interp = Interp::bilinear;
  FillMode fill = FillMode::constant;
  double cval = 0.0;  // value of every channel where `constant` fill applies
};

// Warps src into dst. dst has its own height and width and the same channel count; the
// two must not overlap. Values are interpolated in at least float32 precision; a uint8
// destination rounds half up and saturates to [0, 255] (as scipy casts). Instantiated for
// (uint8, uint8), (uint8, float), (float, float) and (float, uint8).
template <typename Tin, typename Tout>
void warp_affine(const ImageView<const Tin>& src, const ImageView<Tout>& dst, const WarpParams& p);

// warp_affine of uint8 into float32 that also sets [*lo, *hi] to the range of the values
// written (what min_max would find), in the same pass where the kernel can.
void warp_affine_with_range(const ConstImageU8& src, const ImageF32& dst, const WarpParams& p,
                            float* lo, float* hi);

// Per-ISA kernels behind warp_affine (same contract).
FASTAUG_DECLARE_PER_ISA(void warp_affine_kernel(const ConstImageU8& src, const ImageU8& dst, const WarpParams& p))
FASTAUG_DECLARE_PER_ISA(void warp_affine_kernel(const ConstImageU8& src, const ImageF32& dst, const WarpParams& p))
FASTAUG_DECLARE_PER_ISA(void warp_affine_kernel(const ConstImageF32& src, const ImageF32& dst, const WarpParams& p))
FASTAUG_DECLARE_PER_ISA(void warp_affine_kernel(const ConstImageF32& src, const ImageU8& dst, const WarpParams& p))
// The fused warp_affine_with_range where the kernel has one (axis-aligned matrices); false,
// with nothing written, otherwise.
FASTAUG_DECLARE_PER_ISA(bool warp_affine_range_kernel(const ConstImageU8& src, const ImageF32& dst,
                                                      const WarpParams& p, float* lo, float* hi))

// Shared by every ISA's kernel; defined once in warp_affine.cpp (compiled without ISA flags).
namespace warp_detail {

// scipy's algorithm, one pixel at a time, for output row r, columns [c_begin, c_end).
// The SIMD kernels use it for border pixels and row tails.
void reference_row(const ConstImageU8& src, const ImageU8& dst, const WarpParams& p, int64_t r,
                   int64_t c_begin, int64_t c_end);
void reference_row(const ConstImageU8& src, const ImageF32& dst, const WarpParams& p, int64_t r,
                   int64_t c_begin, int64_t c_end);
void reference_row(const ConstImageF32& src, const ImageF32& dst, const WarpParams& p, int64_t r,
                   int64_t c_begin, int64_t c_end);
void reference_row(const ConstImageF32& src, const ImageU8& dst, const WarpParams& p, int64_t r,
                   int64_t c_begin, int64_t c_end);

// The columns [*begin, *end) of output row r (of out_width) whose interpolation taps all lie
// inside a height x width input, so no fill-mode mapping applies to them.
void inlier_columns(const WarpParams& p, int64_t height, int64_t width, int64_t out_width,
                    int64_t r, int64_t* begin, int64_t* end);

// One output index of one axis of an axis-aligned bilinear map: its two input taps and the
// second tap's weight in Q15 (the first's is 1 minus it), with scipy's fill-mode mapping;
// i0 = -1 where the pixel takes cval.
struct LerpTap {
  int32_t i0, i1;
  int16_t w15;
};
// The taps of output indices [0, out_len) of an axis whose coordinate is offset + i * scale
// (as the kernels compute it), over an input axis of in_len (at most INT32_MAX).
void axis_lerp_taps(double scale, double offset, int64_t out_len, int64_t in_len, FillMode fill,
                    LerpTap* taps);
}  // namespace warp_detail

}  // namespace fastaug
