#include "autoaugment/torch_affine.hpp"

#include <cmath>
#include <type_traits>
#include <vector>

namespace fastaug {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr double kDegToRad = kPi / 180.0;  // Python's math.radians factor
constexpr double kRadToDeg = 180.0 / kPi;  // math.degrees

// _get_inverse_affine_matrix(center, angle, translate, scale=1, shear), inverted.
void inverse_matrix(double cx, double cy, double angle, double tx, double ty, double shear_x,
                    double shear_y, double m[6]) {
  const double rot = angle * kDegToRad, sx = shear_x * kDegToRad, sy = shear_y * kDegToRad;
  const double cos_sy = std::cos(sy), tan_sx = std::tan(sx), rot_minus_sy = rot - sy;
  const double cx_plus_tx = cx + tx, cy_plus_ty = cy + ty;
  const double a = std::cos(rot_minus_sy) / cos_sy;
  const double b = -(a * tan_sx + std::sin(rot));
  const double c = std::sin(rot_minus_sy) / cos_sy;
  const double d = std::cos(rot) - c * tan_sx;
  m[0] = d / 1.0;
  m[1] = -b / 1.0;
  m[2] = 0.0;
  m[3] = -c / 1.0;
  m[4] = a / 1.0;
  m[5] = 0.0;
  m[2] += cx - m[0] * cx_plus_tx - m[1] * cy_plus_ty;
  m[5] += cy - m[3] * cx_plus_tx - m[4] * cy_plus_ty;
}

template <typename T>
T fill_value(float fill) {
  if constexpr (std::is_same<T, uint8_t>::value) {
    const float v = std::nearbyint(fill);
    return static_cast<uint8_t>(v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v));
  } else {
    return fill;
  }
}

template <typename T>
struct Copy {
  std::vector<T> data;
};

template <typename T>
Copy<T>& copy_of(const ImageView<T>& x) {
  thread_local Copy<T> c;
  c.data.resize(static_cast<size_t>(x.height * x.width * x.channels));
  for (int64_t r = 0; r < x.height; ++r)
    for (int64_t col = 0; col < x.width; ++col) {
      const T* p = x.pixel(r, col);
      for (int64_t k = 0; k < x.channels; ++k)
        c.data[static_cast<size_t>((r * x.width + col) * x.channels + k)] = p[k];
    }
  return c;
}

// out(r, c) = in(src_r, src_c) for torch.rot90's exact quarter turns (k counter-clockwise).
template <typename T>
void quarter_turns(const ImageView<T>& x, int k) {
  const Copy<T>& in = copy_of(x);
  const int64_t h = x.height, w = x.width, ch = x.channels;
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c) {
      int64_t sr, sc;
      if (k == 1) {
        sr = c, sc = w - 1 - r;
      } else if (k == 2) {
        sr = h - 1 - r, sc = w - 1 - c;
      } else {
        sr = h - 1 - c, sc = r;
      }
      const T* p = in.data.data() + (sr * w + sc) * ch;
      T* out = x.pixel(r, c);
      for (int64_t j = 0; j < ch; ++j) out[j] = p[j];
    }
}

// The float32 grid of _affine_grid (output = input size) and grid_sample's nearest lookup.
template <typename T>
void grid_nearest(const ImageView<T>& x, const double m[6], float fill) {
  const Copy<T>& in = copy_of(x);
  const int64_t h = x.height, w = x.width, ch = x.channels;
  const float theta[6] = {static_cast<float>(m[0]), static_cast<float>(m[1]),
                          static_cast<float>(m[2]), static_cast<float>(m[3]),
                          static_cast<float>(m[4]), static_cast<float>(m[5])};
  const float half_w = 0.5f * static_cast<float>(w), half_h = 0.5f * static_cast<float>(h);
  // rescaled_theta = theta^T / [w / 2, h / 2]: column j of the grid from row j of theta.
  const float rx[3] = {theta[0] / half_w, theta[1] / half_w, theta[2] / half_w};
  const float ry[3] = {theta[3] / half_h, theta[4] / half_h, theta[5] / half_h};
  const float scale_x = static_cast<float>(w) / 2.0f, scale_y = static_cast<float>(h) / 2.0f;
  const T outside = fill_value<T>(fill);
  for (int64_t r = 0; r < h; ++r) {
    // linspace((1 - n) / 2, (n - 1) / 2, n) has step 1 and exact half-integer values.
    const float gy = static_cast<float>((1.0 - static_cast<double>(h)) * 0.5) + static_cast<float>(r);
    for (int64_t c = 0; c < w; ++c) {
      const float gx = static_cast<float>((1.0 - static_cast<double>(w)) * 0.5) + static_cast<float>(c);
      // The product of base_grid and rescaled_theta, each product and sum rounded. torch's
      // CPU bmm forms it so on AVX2 machines; its BLAS fuses some steps on some AVX-512 ones,
      // which moves a sample only where it lies within rounding of a pixel edge.
      const float u = (gx * rx[0] + gy * rx[1]) + rx[2];
      const float v = (gx * ry[0] + gy * ry[1]) + ry[2];
      // grid_sample's unnormalisation (align_corners=False), then round half to even.
      const float ix = std::nearbyint((u + 1.0f) * scale_x - 0.5f);
      const float iy = std::nearbyint((v + 1.0f) * scale_y - 0.5f);
      T* out = x.pixel(r, c);
      if (ix >= 0.0f && ix < static_cast<float>(w) && iy >= 0.0f && iy < static_cast<float>(h)) {
        const T* p = in.data.data() + (static_cast<int64_t>(iy) * w + static_cast<int64_t>(ix)) * ch;
        for (int64_t j = 0; j < ch; ++j) out[j] = p[j];
      } else {
        for (int64_t j = 0; j < ch; ++j) out[j] = outside;
      }
    }
  }
}

}  // namespace

template <typename T>
void torch_affine_op(const ImageView<T>& x, TorchAffineOp op, double magnitude, float fill) {
  // Every op sets m; zeros keep GCC (aarch64) from warning that a value outside the enum
  // would leave it unset.
  double m[6] = {};
  const double w = static_cast<double>(x.width), h = static_cast<double>(x.height);
  switch (op) {
    case TorchAffineOp::shear_x:
    case TorchAffineOp::shear_y: {
      // center=[0, 0]: the top-left corner, in coordinates centred on the image.
      const double shear = std::atan(magnitude) * kRadToDeg;
      const bool along_x = op == TorchAffineOp::shear_x;
      inverse_matrix(0.0 - w * 0.5, 0.0 - h * 0.5, 0.0, 0.0, 0.0, along_x ? shear : 0.0,
                     along_x ? 0.0 : shear, m);
      break;
    }
    case TorchAffineOp::translate_x:
    case TorchAffineOp::translate_y: {
      const double t = std::trunc(magnitude);  // int(magnitude)
      const bool along_x = op == TorchAffineOp::translate_x;
      inverse_matrix(0.0, 0.0, 0.0, along_x ? t : 0.0, along_x ? 0.0 : t, 0.0, 0.0, m);
      break;
    }
    case TorchAffineOp::rotate: {
      double angle = std::fmod(magnitude, 360.0);  // Python's angle % 360
      if (angle < 0.0) angle += 360.0;
      if (angle == 0.0) return;
      if (angle == 180.0) return quarter_turns(x, 2);
      if (x.height == x.width && angle == 90.0) return quarter_turns(x, 1);
      if (x.height == x.width && angle == 270.0) return quarter_turns(x, 3);
      inverse_matrix(0.0, 0.0, -angle, 0.0, 0.0, 0.0, 0.0, m);
      break;
    }
  }
  grid_nearest(x, m, fill);
}

template void torch_affine_op<uint8_t>(const ImageU8&, TorchAffineOp, double, float);
template void torch_affine_op<float>(const ImageF32&, TorchAffineOp, double, float);

}  // namespace fastaug
