// The native plan executor: per image one warp, its colour ops, rescale and the store, in
// one pass, images spread over the shared thread pool.
#pragma once
#include <cstdint>
#include <string>

#include "core/half.hpp"
#include "core/image.hpp"
#include "core/isa_namespaces.hpp"
#include "pipeline/region_ops.hpp"

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

// One pointwise colour op of an image's plan: a code of the op table (color_ops.hpp) and
// its two arguments.
struct ColorOp {
  int32_t code;
  float a, b;
};

// The ops of one image: the non-zero entries, in order. An image's ops are all of one
// family (checked by validate_plan_ops); the Keras ops come at most once each, channel
// shift first.
constexpr int kMaxColorOps = 16;
// Region ops (region_ops.hpp) run with the in-dtype colour ops, each after the number of
// colour ops it names, in order.
constexpr int kMaxRegionOps = 32;
// Only the first `count` ops and `region_count` regions are set: the constructor leaves the
// rest uninitialised, since a batch's ImageOps (about 4 KB each) were otherwise zeroed on
// every call, a megabyte for a batch of 256 small images.
struct ImageOps {
  ImageOps() {}
  ColorOp ops[kMaxColorOps];
  int count = 0;
  RegionOp regions[kMaxRegionOps];
  int region_count = 0;
};

constexpr int kMaxNormalizeChannels = 16;

struct PlanSettings {
  Interp interp = Interp::bilinear;
  FillMode fill = FillMode::nearest;
  double cval = 0.0;
  float rescale = 1.0f;  // applied last, in float32: out = x * rescale
  int num_threads = 0;   // 0 = every CPU available to the process
  // Axis-aligned maps (flips included) over a whole-pixel box inside the source are
  // resampled with antialiasing (resample/resample.hpp) instead of warped, the box's edges
  // bounding the filter as when the crop is resized on its own; for plans with in-dtype ops
  // or none.
  bool antialias = false;
  // Per-channel normalisation after the in-dtype ops, into a float32 output:
  // out[..., k] = x[..., k] * scale[k] + offset[k] (instead of the rescale); 0 channels: none.
  int normalize_channels = 0;
  float scale[kMaxNormalizeChannels] = {};
  float offset[kMaxNormalizeChannels] = {};
  // The output is channels-first: out.image(i)'s memory holds `channels` dense planes of
  // height * width elements (out's row and column strides are those of a plane: width, 1).
  // Each image is made channels-last in the thread's scratch memory, then stored as planes.
  bool planar_output = false;
  // The normalised values are stored as 16-bit floats of `half` (out's elements are their
  // bits, Tout = uint16_t); only with normalisation.
  bool half_output = false;
  HalfFormat half = HalfFormat::float16;
};

// An empty string if `ops` is a plan this executor runs, else why not.
// `height` and `width`: of the image the ops run on (the output's), which neighbourhood ops
// need to fit.
std::string validate_plan_ops(const ImageOps& ops, int64_t channels, int64_t height,
                              int64_t width);

// The native plan executor. For every output image i in [0, out.count), in one pass:
//   x = warp of sources[i] with matrices[i] to out's size, unrounded float32 for
//       Keras and float-stage ops, else in the source's dtype (uint8 rounds half up);
//   x = ops[i] applied in order (color_ops.hpp; Keras's with keras-preprocessing 1.1.2's
//       formulas: channel shift clip(x + a, min(x), max(x)), then its PIL brightness);
//   out.image(i) = x * rescale (uint8: round half to even and saturate).
// Sources may differ in size (one batch from photos of any shape); each has out's channels.
// The caller has validated everything: equal channel counts, out not overlapping a source or
// itself, finite matrices, ops accepted by validate_plan_ops.
// Instantiated for Tin, Tout in {uint8_t, float}, and Tout = uint16_t (half_output).
template <typename Tin, typename Tout>
void run_plans(const ImageView<const Tin>* sources, const ImageStack<Tout>& out,
               const AffineMatrix* matrices, const ImageOps* ops, const PlanSettings& settings);

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
