// Antialiased separable resampling: torchvision's resize(antialias=True) and Pillow's
// bilinear filter, whose support grows with the downscale factor so every source pixel
// counts. Used by the plan executor for axis-aligned crop-resize maps.
#pragma once
#include <cstdint>

#include "core/image.hpp"

namespace fastaug {

// One axis of an axis-aligned pull map: output index i reads around source coordinate
// scale * (i + 0.5) + start (pixel edges at integers), and only source pixels in
// [lo, hi) (the crop box) take part, as when the crop is resized on its own.
struct ResampleAxis {
  double scale = 1.0;  // source pixels per output pixel (> 0)
  double start = 0.0;
  int64_t lo = 0, hi = 0;
};

// The axis of pull rows (m0, m2) (source centre = m0 * i + m2, pixel centres at integers)
// over `size` output pixels, or false if m0 <= 0 or the window [start, start + m0 * size)
// leaves [0, source_size). A window on whole pixels is taken as a crop resized on its own
// (its edges bound the filter, as torchvision's resized_crop); any other as a window of a
// resize of the whole source (the source's edges bound it, as resize then crop).
bool resample_axis_from_pull(double m0, double m2, int64_t size, int64_t source_size,
                             ResampleAxis* axis);

// dst(r, c) = sum over the y window of wy * (sum over the x window of wx * src), bilinear
// (triangle) weights of support max(1, scale) normalised per output pixel, the x pass
// first. uint8: in fixed point with torchvision's int16 weights, each pass rounding and
// saturating, as its uint8 kernel (and Pillow's) stores between the passes; an axis with scale 1 and a whole-pixel start is
// copied, not filtered. float32: no rounding. Tin = Tout.
template <typename T>
void resample_bilinear_aa(const ImageView<const T>& src, const ImageView<T>& dst,
                          const ResampleAxis& y, const ResampleAxis& x);

}  // namespace fastaug
