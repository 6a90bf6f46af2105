#include "resample/resample.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/simd_level.hpp"
#include "resample/resample_passes.hpp"

// The scalar reference of the uint8 passes (namespace scalar).
#define FASTAUG_ISA_NS scalar
#include "resample/resample_simd.inl"
#undef FASTAUG_ISA_NS

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
  std::vector<int32_t> pairs;  // see FixedTaps
  int precision = 0;
  int64_t width = 0;
};

Taps make_taps(const ResampleAxis& axis, int64_t size) {
  Taps t;
  const double filter_scale = axis.scale < 1.0 ? 1.0 : axis.scale;
  const double support = filter_scale;  // the triangle's support (1) times filter_scale
  const double inverse = 1.0 / filter_scale;
  const int64_t box = axis.hi - axis.lo;
  // Slots per output pixel, padded with zero weights to a multiple of 4 (the SIMD x pass
  // takes four taps a step).
  const int64_t max_taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  t.width = (max_taps + 3) / 4 * 4;
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
    n = n < 0 ? 0 : (n > max_taps ? max_taps : n);
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
  t.pairs.resize(t.fixed.size() / 2);
  for (size_t k = 0; k < t.pairs.size(); ++k)
    t.pairs[k] = static_cast<int32_t>((static_cast<uint32_t>(t.fixed[2 * k + 1]) << 16) |
                                      (static_cast<uint32_t>(t.fixed[2 * k]) & 0xFFFFu));
  return t;
}

// acc[e] += w * in[e] over a row; the pointers never alias, which lets the compiler
// vectorise it.
template <typename In>
inline void accumulate_row(float* __restrict acc, const In* __restrict in, float w, int64_t n) {
  for (int64_t e = 0; e < n; ++e) acc[e] += w * static_cast<float>(in[e]);
}

FixedTaps fixed_taps(const Taps& t) {
  return FixedTaps{t.first.data(), t.count.data(), t.fixed.data(), t.pairs.data(), t.width, t.precision};
}
void resample_x(const ConstImageU8& src, int64_t row0, const ImageU8& mid, const FixedTaps& t) {
  FASTAUG_DISPATCH(resample_x_u8, src, row0, mid, t);
}
void resample_y(const ConstImageU8& mid, int64_t row0, const ImageU8& dst, const FixedTaps& t) {
  FASTAUG_DISPATCH(resample_y_u8, mid, row0, dst, t);
}

// Output pixel i of `t` becomes output pixel n - 1 - i.
void reverse_outputs(Taps* t) {
  const int64_t n = static_cast<int64_t>(t->first.size());
  std::reverse(t->first.begin(), t->first.end());
  std::reverse(t->count.begin(), t->count.end());
  for (int64_t i = 0; i < n / 2; ++i) {
    const size_t a = static_cast<size_t>(i * t->width), b = static_cast<size_t>((n - 1 - i) * t->width);
    std::swap_ranges(t->weights.begin() + a, t->weights.begin() + a + t->width, t->weights.begin() + b);
    std::swap_ranges(t->fixed.begin() + a, t->fixed.begin() + a + t->width, t->fixed.begin() + b);
    std::swap_ranges(t->pairs.begin() + a / 2, t->pairs.begin() + (a + t->width) / 2, t->pairs.begin() + b / 2);
  }
}

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
void resample_bilinear_aa(const ImageView<const T>& src, const ImageView<T>& mirrored_or_not,
                          const ResampleAxis& y, const ResampleAxis& x) {
  const int64_t channels = mirrored_or_not.channels;
  // A horizontally mirrored destination (negative column stride) is written as the plain
  // view of the same memory, with the x pass's outputs in reverse order, so both passes
  // store whole rows.
  const bool mirror = mirrored_or_not.col_stride < 0 && mirrored_or_not.width > 1;
  ImageView<T> dst = mirrored_or_not;
  if (mirror) {
    dst.data = mirrored_or_not.pixel(0, mirrored_or_not.width - 1);
    dst.col_stride = -mirrored_or_not.col_stride;
  }
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
                  mid.pixel(r, mirror ? dst.width - 1 - c : c));
  } else {
    Taps tx = make_taps(x, dst.width);
    if (mirror) reverse_outputs(&tx);
    std::vector<float> acc(static_cast<size_t>(channels));
    if constexpr (sizeof(T) == 1) {
      resample_x(src, rows_lo, mid, fixed_taps(tx));
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
    resample_y(mid, rows_lo, dst, fixed_taps(ty));
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
