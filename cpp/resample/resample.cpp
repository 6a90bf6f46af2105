#include "resample/resample.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace fastaug {
namespace {

// The window and normalised weights of every output pixel of one axis, with torchvision's
// (and Pillow's) arithmetic: centre = scale * (i + 0.5), support = max(1, scale), taps
// j in [int(centre - support + 0.5), int(centre + support + 0.5)) clipped to the box,
// weight triangle((j - centre + 0.5) / max(1, scale)).
struct Taps {
  std::vector<int64_t> first;  // per output pixel: first source index
  std::vector<int64_t> count;  // per output pixel: taps
  std::vector<float> weights;  // per output pixel: `width` slots, `count` used
  // The same weights in fixed point for uint8, as torchvision's uint8 kernel forms them:
  // round(w * 2^precision) with the largest precision (at most 22) that keeps every weight
  // below 2^15 (int16).
  std::vector<int32_t> fixed;
  int precision = 0;
  int64_t width = 0;
};

Taps make_taps(const ResampleAxis& axis, int64_t size) {
  Taps t;
  const double filter_scale = axis.scale < 1.0 ? 1.0 : axis.scale;
  const double support = filter_scale;  // the triangle's support (1) times filter_scale
  const double inverse = 1.0 / filter_scale;
  const int64_t box = axis.hi - axis.lo;
  t.width = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  t.first.resize(static_cast<size_t>(size));
  t.count.resize(static_cast<size_t>(size));
  t.weights.assign(static_cast<size_t>(size * t.width), 0.0f);
  std::vector<double> w(static_cast<size_t>(t.width));
  std::vector<double> normalised(static_cast<size_t>(size * t.width), 0.0);
  const double offset = axis.start - static_cast<double>(axis.lo);  // box coordinates
  for (int64_t i = 0; i < size; ++i) {
    const double centre = axis.scale * (static_cast<double>(i) + 0.5) + offset;
    int64_t lo = static_cast<int64_t>(centre - support + 0.5);
    lo = lo < 0 ? 0 : lo;
    int64_t hi = static_cast<int64_t>(centre + support + 0.5);
    hi = hi > box ? box : hi;
    int64_t n = hi - lo;
    n = n < 0 ? 0 : (n > t.width ? t.width : n);
    double total = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      const double d = std::fabs((static_cast<double>(j + lo) - centre + 0.5) * inverse);
      w[static_cast<size_t>(j)] = d < 1.0 ? 1.0 - d : 0.0;
      total += w[static_cast<size_t>(j)];
    }
    for (int64_t j = 0; j < n; ++j)
      t.weights[static_cast<size_t>(i * t.width + j)] =
          static_cast<float>(total != 0.0 ? w[static_cast<size_t>(j)] / total : 0.0);
    t.first[static_cast<size_t>(i)] = lo + axis.lo;
    t.count[static_cast<size_t>(i)] = n;
    for (int64_t j = 0; j < n; ++j) normalised[static_cast<size_t>(i * t.width + j)] =
        total != 0.0 ? w[static_cast<size_t>(j)] / total : 0.0;
  }
  double largest = 0.0;
  for (double v : normalised) largest = v > largest ? v : largest;
  while (t.precision < 22 &&
         static_cast<int64_t>(0.5 + largest * static_cast<double>(int64_t{1} << (t.precision + 1))) <
             (int64_t{1} << 15))
    ++t.precision;
  t.fixed.resize(normalised.size());
  for (size_t k = 0; k < normalised.size(); ++k)
    t.fixed[k] = static_cast<int32_t>(
        std::floor(normalised[k] * static_cast<double>(int64_t{1} << t.precision) + 0.5));
  return t;
}

// acc[e] += w * in[e] over a row; the pointers never alias, which lets the compiler
// vectorise it.
inline void accumulate_row(int32_t* __restrict acc, const uint8_t* __restrict in, int32_t w,
                           int64_t n) {
  for (int64_t e = 0; e < n; ++e) acc[e] += w * in[e];
}
template <typename In>
inline void accumulate_row(float* __restrict acc, const In* __restrict in, float w, int64_t n) {
  for (int64_t e = 0; e < n; ++e) acc[e] += w * static_cast<float>(in[e]);
}

uint8_t clamp_u8(int32_t v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

bool is_copy(const ResampleAxis& axis) {
  return axis.scale == 1.0 && axis.start == std::floor(axis.start);
}

}  // namespace

bool resample_axis_from_pull(double m0, double m2, int64_t size, int64_t source_size,
                             ResampleAxis* axis) {
  if (!(m0 > 0.0) || size < 1) return false;
  // Edge coordinates: output edge i maps to m0 * (i - 0.5) + m2 + 0.5.
  const double start = m2 + 0.5 - 0.5 * m0;
  const double end = start + m0 * static_cast<double>(size);
  const double tolerance = 1e-6 * (1.0 + std::fabs(end));
  if (start < -tolerance || end > static_cast<double>(source_size) + tolerance) return false;
  const double lo = std::round(start), hi = std::round(end);
  if (std::fabs(start - lo) <= tolerance && std::fabs(end - hi) <= tolerance && hi > lo) {
    // A whole-pixel box: a crop resized on its own (its edges bound the filter).
    axis->scale = (hi - lo) / static_cast<double>(size);
    axis->start = lo;
    axis->lo = static_cast<int64_t>(lo);
    axis->hi = static_cast<int64_t>(hi);
  } else {
    // A window of a resize of the whole source (e.g. a centre crop after a resize).
    axis->scale = m0;
    axis->start = start;
    axis->lo = 0;
    axis->hi = source_size;
  }
  return true;
}

template <typename T>
void resample_bilinear_aa(const ImageView<const T>& src, const ImageView<T>& dst,
                          const ResampleAxis& y, const ResampleAxis& x) {
  const int64_t channels = dst.channels;
  const bool copy_rows = is_copy(y);
  Taps ty;
  int64_t rows_lo = static_cast<int64_t>(y.start), rows_hi = rows_lo + dst.height;
  if (!copy_rows) {  // the rows the y pass reads
    ty = make_taps(y, dst.height);
    rows_lo = y.hi;
    rows_hi = y.lo;
    for (int64_t r = 0; r < dst.height; ++r) {
      if (ty.count[static_cast<size_t>(r)] == 0) continue;
      rows_lo = std::min(rows_lo, ty.first[static_cast<size_t>(r)]);
      rows_hi = std::max(rows_hi, ty.first[static_cast<size_t>(r)] + ty.count[static_cast<size_t>(r)]);
    }
    if (rows_hi < rows_lo) rows_hi = rows_lo;
  }
  // The x pass over the rows the y pass reads, into a dense buffer of T.
  thread_local std::vector<T> buffer;
  const int64_t rows = rows_hi - rows_lo;
  buffer.resize(static_cast<size_t>(rows * dst.width * channels));
  const ImageView<T> mid{buffer.data(), rows, dst.width, channels, dst.width * channels, channels};
  if (is_copy(x)) {
    const int64_t c0 = static_cast<int64_t>(x.start);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < dst.width; ++c)
        std::copy(src.pixel(rows_lo + r, c0 + c), src.pixel(rows_lo + r, c0 + c) + channels,
                  mid.pixel(r, c));
  } else {
    const Taps tx = make_taps(x, dst.width);
    std::vector<float> acc(static_cast<size_t>(channels));
    if constexpr (sizeof(T) == 1) {
      std::vector<int32_t> sum(static_cast<size_t>(channels));
      const int32_t half = tx.precision ? int32_t{1} << (tx.precision - 1) : 0;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < dst.width; ++c) {
          const int32_t* w = &tx.fixed[static_cast<size_t>(c * tx.width)];
          const T* p = src.pixel(rows_lo + r, tx.first[static_cast<size_t>(c)]);
          const int64_t taps = tx.count[static_cast<size_t>(c)], step = src.col_stride;
          T* o = mid.pixel(r, c);
          if (channels == 3) {  // the common case, with the channel loop unrolled
            int32_t s0 = half, s1 = half, s2 = half;
            for (int64_t j = 0; j < taps; ++j, p += step) {
              s0 += w[j] * p[0];
              s1 += w[j] * p[1];
              s2 += w[j] * p[2];
            }
            o[0] = clamp_u8(s0 >> tx.precision);
            o[1] = clamp_u8(s1 >> tx.precision);
            o[2] = clamp_u8(s2 >> tx.precision);
            continue;
          }
          std::fill(sum.begin(), sum.end(), half);
          for (int64_t j = 0; j < taps; ++j, p += step)
            for (int64_t k = 0; k < channels; ++k) sum[static_cast<size_t>(k)] += w[j] * p[k];
          for (int64_t k = 0; k < channels; ++k) o[k] = clamp_u8(sum[static_cast<size_t>(k)] >> tx.precision);
        }
    } else {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < dst.width; ++c) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        const float* w = &tx.weights[static_cast<size_t>(c * tx.width)];
        for (int64_t j = 0; j < tx.count[static_cast<size_t>(c)]; ++j) {
          const T* p = src.pixel(rows_lo + r, tx.first[static_cast<size_t>(c)] + j);
          for (int64_t k = 0; k < channels; ++k) acc[static_cast<size_t>(k)] += w[j] * static_cast<float>(p[k]);
        }
        T* o = mid.pixel(r, c);
        for (int64_t k = 0; k < channels; ++k) o[k] = static_cast<T>(acc[static_cast<size_t>(k)]);
      }
    }
  }
  // The y pass from the buffer.
  if (copy_rows) {
    for (int64_t r = 0; r < dst.height; ++r)
      for (int64_t c = 0; c < dst.width; ++c)
        std::copy(mid.pixel(r, c), mid.pixel(r, c) + channels, dst.pixel(r, c));
    return;
  }
  const int64_t row_elements = dst.width * channels;
  if constexpr (sizeof(T) == 1) {
    std::vector<int32_t> sum(static_cast<size_t>(row_elements));
    const int32_t half = ty.precision ? int32_t{1} << (ty.precision - 1) : 0;
    for (int64_t r = 0; r < dst.height; ++r) {
      std::fill(sum.begin(), sum.end(), half);
      const int32_t* w = &ty.fixed[static_cast<size_t>(r * ty.width)];
      for (int64_t j = 0; j < ty.count[static_cast<size_t>(r)]; ++j) {
        const T* in = mid.row(ty.first[static_cast<size_t>(r)] + j - rows_lo);
        accumulate_row(sum.data(), in, w[j], row_elements);
      }
      for (int64_t c = 0; c < dst.width; ++c) {
        T* o = dst.pixel(r, c);
        for (int64_t k = 0; k < channels; ++k)
          o[k] = clamp_u8(sum[static_cast<size_t>(c * channels + k)] >> ty.precision);
      }
    }
    return;
  }
  std::vector<float> acc(static_cast<size_t>(row_elements));
  for (int64_t r = 0; r < dst.height; ++r) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* w = &ty.weights[static_cast<size_t>(r * ty.width)];
    for (int64_t j = 0; j < ty.count[static_cast<size_t>(r)]; ++j) {
      const T* in = mid.row(ty.first[static_cast<size_t>(r)] + j - rows_lo);
      accumulate_row(acc.data(), in, w[j], row_elements);
    }
    for (int64_t c = 0; c < dst.width; ++c) {
      T* o = dst.pixel(r, c);
      for (int64_t k = 0; k < channels; ++k) o[k] = static_cast<T>(acc[static_cast<size_t>(c * channels + k)]);
    }
  }
}

template void resample_bilinear_aa<uint8_t>(const ImageView<const uint8_t>&, const ImageView<uint8_t>&,
                                            const ResampleAxis&, const ResampleAxis&);
template void resample_bilinear_aa<float>(const ImageView<const float>&, const ImageView<float>&,
                                          const ResampleAxis&, const ResampleAxis&);

}  // namespace fastaug
