// Fused per-image augmentation (warp, channel shift, brightness, rescale, store) over a
// batch, images spread over the shared thread pool.
#pragma once
#include <cstdint>

#include "core/image.hpp"
#include "core/isa_namespaces.hpp"

namespace fastaug {

// `count` images of equal shape (height, width, channels) with channels contiguous;
// strides are in elements and may be anything, negative included.
template <typename T>
struct ImageStack {
  T* data = nullptr;
  int64_t count = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
  int64_t image_stride = 0;
  int64_t row_stride = 0;
  int64_t col_stride = 0;

  ImageView<T> image(int64_t i) const {
    return ImageView<T>{data + i * image_stride, height, width, channels, row_stride, col_stride};
  }
};

struct AugmentSettings {
  Interp interp = Interp::bilinear;
  FillMode fill = FillMode::nearest;
  double cval = 0.0;
  float rescale = 1.0f;
  int num_threads = 0;  // 0 = every CPU available to the process
};

// For every output image i in [0, out.count), in float32 as keras-preprocessing 1.1.2 does:
//   x = warp of src.image(indices[i]) with matrices[i] (flips folded in) to out's size;
//   if channel_shift[i] is not NaN: x = clamp(x + channel_shift[i], min(x), max(x));
//   if brightness[i] is not NaN:    keras_brightness_inplace(x, brightness[i], channels == 4);
//   if rescale != 1:                x *= rescale;
//   out.image(i) = x (uint8: round half to even and saturate).
// A uint8 out with neither photometric step nor rescale is warped straight to uint8, which
// rounds as warp_affine does (half up).
// The caller has validated everything: indices in [0, src.count), equal channel counts,
// out not overlapping src or itself, finite matrices. Throws std::invalid_argument if a
// brightness is set and channels is not 1, 3 or 4. Instantiated for Tin, Tout in
// {uint8_t, float}.
template <typename Tin, typename Tout>
void augment_batch(const ImageStack<const Tin>& src, const ImageStack<Tout>& out,
                   const int64_t* indices, const AffineMatrix* matrices,
                   const float* channel_shift, const float* brightness,
                   const AugmentSettings& settings);

// The steps after the warp, fused into one pass from the dense float32 image x (the warp's
// output) to dst of the same size (channels contiguous, any strides), each element:
//   if brightness: u = trunc(clamp((x - lo) / divisor * 255, 0, 255));
//                  x = keep_alpha && channel == 3 ? u : clamp(floor(factor * u), 0, 255)
//   if rescale != 1: x = x * rescale + 0
//   dst = x (uint8: NaN -> 0, saturate, round half to even)
// with the float32 operations, in this order, of keras_brightness_inplace and scale_offset,
// so the result is the one those passes give.
struct FinishParams {
  bool brightness = false;
  float lo = 0.0f, divisor = 1.0f, factor = 1.0f;
  bool keep_alpha = false;
  float rescale = 1.0f;
};
FASTAUG_DECLARE_PER_ISA(void finish_image(const ConstImageF32& x, const ImageU8& dst, const FinishParams& f))
FASTAUG_DECLARE_PER_ISA(void finish_image(const ConstImageF32& x, const ImageF32& dst, const FinishParams& f))

// The first half of finish_image's brightness, to bytes: dst = trunc(clamp((x - lo) / divisor
// * 255, 0, 255)) (NaN -> 0). For uint8 outputs without alpha or rescale, the second half,
// clamp(floor(factor * u), 0, 255), is then adjust_brightness's floor rounding on dst in
// place, which runs on integers.
FASTAUG_DECLARE_PER_ISA(void brightness_stretch_u8(const ConstImageF32& x, const ImageU8& dst, float lo, float divisor))

}  // namespace fastaug
