// Strided channels-last image views shared by every kernel family.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fastaug {

// An (height, width, channels) image. Channels are contiguous (stride 1 element);
// rows and columns may have any stride, negative included, counted in elements.
template <typename T>
struct ImageView {
  T* data = nullptr;
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
  int64_t row_stride = 0;  // elements between (r, c, 0) and (r + 1, c, 0)
  int64_t col_stride = 0;  // elements between (r, c, 0) and (r, c + 1, 0)

  T* pixel(int64_t r, int64_t c) const { return data + r * row_stride + c * col_stride; }
  T* row(int64_t r) const { return data + r * row_stride; }
  // Dense rows: pixels packed back to back, so a row is one run of width*channels elements.
  bool dense_rows() const { return col_stride == channels; }
  operator ImageView<const T>() const {
    return ImageView<const T>{data, height, width, channels, row_stride, col_stride};
  }
};

using ImageU8 = ImageView<uint8_t>;
using ImageF32 = ImageView<float>;
using ConstImageU8 = ImageView<const uint8_t>;
using ConstImageF32 = ImageView<const float>;

// Boundary handling, with scipy.ndimage's exact rules for order <= 1
// (docs/keras-semantics.md, "Boundary rules").
enum class FillMode : int { constant = 0, nearest = 1, reflect = 2, wrap = 3, mirror = 4 };

// Spline order: 0 = nearest neighbour, 1 = bilinear.
enum class Interp : int { nearest = 0, bilinear = 1 };

// Inverse ("pull") affine map in scipy's convention: output pixel (r, c) reads the input at
//   in_r = m[0]*r + m[1]*c + m[2],   in_c = m[3]*r + m[4]*c + m[5].
struct AffineMatrix {
  double m[6];
};

}  // namespace fastaug
