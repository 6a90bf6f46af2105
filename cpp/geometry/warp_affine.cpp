#include "geometry/warp_affine.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/simd_level.hpp"
#include "geometry/flip.hpp"
#include "photometric/photometric.hpp"

namespace fastaug {
namespace {

// scipy.ndimage's map_coordinate (ni_interpolation.c) for one axis of length len, with its
// integer truncations done as std::trunc in double: identical wherever scipy's own casts are
// defined (|coordinate| < 2**62). Returns a value <= -1 (or NaN) where the pixel takes cval.
double map_coordinate(double in, int64_t len, FillMode mode) {
  const double n = static_cast<double>(len);
  if (in < 0) {
    switch (mode) {
      case FillMode::mirror: {
        if (len <= 1) return 0;
        const double sz2 = 2 * n - 2;
        in = sz2 * std::trunc(-in / sz2) + in;
        return in <= 1 - n ? in + sz2 : -in;
      }
      case FillMode::reflect: {
        if (len <= 1) return 0;
        const double sz2 = 2 * n;
        if (in < -sz2) in = sz2 * std::trunc(-in / sz2) + in;
        // scipy's guard keeps -in - 1 away from exactly -1 for tiny negative coordinates.
        return in < -n ? in + sz2 : (in > -1e-15 ? 1e-15 : -in) - 1;
      }
      case FillMode::wrap: {
        if (len <= 1) return 0;
        const double sz = n - 1;
        return in + sz * (std::trunc(-in / sz) + 1);
      }
      case FillMode::nearest: return 0;
      case FillMode::constant: return -1;
    }
  } else if (in > n - 1) {
    switch (mode) {
      case FillMode::mirror: {
        if (len <= 1) return 0;
        const double sz2 = 2 * n - 2;
        in -= sz2 * std::trunc(in / sz2);
        return in >= n ? sz2 - in : in;
      }
      case FillMode::reflect: {
        if (len <= 1) return 0;
        const double sz2 = 2 * n;
        in -= sz2 * std::trunc(in / sz2);
        return in >= n ? sz2 - in - 1 : in;
      }
      case FillMode::wrap: {
        if (len <= 1) return 0;
        const double sz = n - 1;
        return in - sz * std::trunc(in / sz);
      }
      case FillMode::nearest: return n - 1;
      case FillMode::constant: return -1;
    }
  }
  return in;
}

// Where scipy reads an interpolation tap that falls outside the axis: reflect and nearest
// use their own rule, every other mode (constant and wrap included) mirrors. The final
// clamp only matters for coordinates so large that the mapping above lost all precision.
int64_t map_tap(int64_t i, int64_t len, FillMode mode) {
  if (len <= 1) return 0;
  if (i < 0) {
    i = mode == FillMode::nearest ? 0 : mode == FillMode::reflect ? -1 - i : -i;
  } else if (i >= len) {
    i = mode == FillMode::nearest   ? len - 1
        : mode == FillMode::reflect ? 2 * len - 1 - i
                                    : 2 * len - 2 - i;
  }
  return std::min(std::max<int64_t>(i, 0), len - 1);
}

struct AxisTaps {
  int64_t i0 = 0, i1 = 0;
  double w0 = 1, w1 = 0;
};

// Maps one input coordinate to its taps and weights; false where the pixel takes cval.
bool axis_taps(double coord, int64_t len, const WarpParams& p, AxisTaps* t) {
  double cc = map_coordinate(coord, len, p.fill);
  if (!(cc > -1.0)) return false;  // constant fill, or a NaN coordinate (matrix overflow)
  if (cc > static_cast<double>(len)) cc = static_cast<double>(len - 1);  // lost precision
  if (p.interp == Interp::nearest) {
    t->i0 = map_tap(static_cast<int64_t>(std::floor(cc + 0.5)), len, p.fill);
    return true;
  }
  const double f = std::floor(cc);
  const int64_t i = static_cast<int64_t>(f);
  t->w1 = cc - f;
  t->w0 = 1.0 - t->w1;
  t->i0 = map_tap(i, len, p.fill);
  t->i1 = map_tap(i + 1, len, p.fill);
  return true;
}

// scipy's cast of a double result to an unsigned integer output: round half up; we also
// saturate (scipy's C cast is undefined beyond 255).
template <typename Tout>
Tout store_value(double t);
template <>
uint8_t store_value<uint8_t>(double t) {
  const double v = t > 0 ? t + 0.5 : 0.0;
  return static_cast<uint8_t>(v >= 255.0 ? 255.0 : v);
}
template <>
float store_value<float>(double t) {
  return static_cast<float>(t);
}

template <typename Tin, typename Tout>
void reference_row_impl(const ImageView<const Tin>& src, const ImageView<Tout>& dst,
                        const WarpParams& p, int64_t r, int64_t c_begin, int64_t c_end) {
  const double* m = p.matrix.m;
  const int64_t channels = dst.channels;
  const Tout fill = store_value<Tout>(p.cval);
  const double rd = static_cast<double>(r);
  for (int64_t c = c_begin; c < c_end; ++c) {
    const double cd = static_cast<double>(c);
    // scipy's operation order (the offset first, then r, then c), so order-0 ties round and
    // `constant` edges fall exactly as scipy's do.
    double y = m[2] + rd * m[0];
    y += cd * m[1];
    double x = m[5] + rd * m[3];
    x += cd * m[4];
    Tout* out = dst.pixel(r, c);
    AxisTaps ty, tx;
    if (!axis_taps(y, src.height, p, &ty) || !axis_taps(x, src.width, p, &tx)) {
      for (int64_t k = 0; k < channels; ++k) out[k] = fill;
      continue;
    }
    if (p.interp == Interp::nearest) {
      const Tin* s = src.pixel(ty.i0, tx.i0);
      for (int64_t k = 0; k < channels; ++k) out[k] = store_value<Tout>(static_cast<double>(s[k]));
      continue;
    }
    const Tin* s00 = src.pixel(ty.i0, tx.i0);
    const Tin* s01 = src.pixel(ty.i0, tx.i1);
    const Tin* s10 = src.pixel(ty.i1, tx.i0);
    const Tin* s11 = src.pixel(ty.i1, tx.i1);
    for (int64_t k = 0; k < channels; ++k) {
      // Same summation order as scipy: taps row-major, each weighted y then x.
      double t = 0.0;
      t += static_cast<double>(s00[k]) * ty.w0 * tx.w0;
      t += static_cast<double>(s01[k]) * ty.w0 * tx.w1;
      t += static_cast<double>(s10[k]) * ty.w1 * tx.w0;
      t += static_cast<double>(s11[k]) * ty.w1 * tx.w1;
      out[k] = store_value<Tout>(t);
    }
  }
}

template <typename Tin, typename Tout>
void reference_image(const ImageView<const Tin>& src, const ImageView<Tout>& dst,
                     const WarpParams& p) {
  for (int64_t r = 0; r < dst.height; ++r) reference_row_impl(src, dst, p, r, 0, dst.width);
}

// First c in [0, n] at which pred (false then true over c, true at n by convention) turns
// true. `guess` estimates it to within one: ceil(guess) is checked first (as trunc or
// trunc + 1, without a libm call: this file has no SSE4.1), then a binary search runs if
// that was wrong.
template <typename Pred>
int64_t first_true(Pred pred, int64_t n, double guess) {
  const int64_t t = !(guess > 0) ? 0 : guess >= static_cast<double>(n) ? n : static_cast<int64_t>(guess);
  auto is_first = [&](int64_t g) { return (g == n || pred(g)) && (g == 0 || !pred(g - 1)); };
  if (is_first(t)) return t;
  if (t < n && is_first(t + 1)) return t + 1;
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (pred(mid)) hi = mid; else lo = mid + 1;
  }
  return lo;
}

}  // namespace

namespace warp_detail {

void reference_row(const ConstImageU8& src, const ImageU8& dst, const WarpParams& p, int64_t r,
                   int64_t c_begin, int64_t c_end) {
  reference_row_impl(src, dst, p, r, c_begin, c_end);
}
void reference_row(const ConstImageU8& src, const ImageF32& dst, const WarpParams& p, int64_t r,
                   int64_t c_begin, int64_t c_end) {
  reference_row_impl(src, dst, p, r, c_begin, c_end);
}
void reference_row(const ConstImageF32& src, const ImageF32& dst, const WarpParams& p, int64_t r,
                   int64_t c_begin, int64_t c_end) {
  reference_row_impl(src, dst, p, r, c_begin, c_end);
}
void reference_row(const ConstImageF32& src, const ImageU8& dst, const WarpParams& p, int64_t r,
                   int64_t c_begin, int64_t c_end) {
  reference_row_impl(src, dst, p, r, c_begin, c_end);
}

void inlier_columns(const WarpParams& p, int64_t height, int64_t width, int64_t out_width,
                    int64_t r, int64_t* begin, int64_t* end) {
  const double* m = p.matrix.m;
  const double rd = static_cast<double>(r);
  // Bilinear reads floor(x) and floor(x) + 1, so x must stay below the last index.
  const bool bilinear = p.interp == Interp::bilinear;
  *begin = 0;
  *end = out_width;
  for (int axis = 0; axis < 2; ++axis) {
    const double a = rd * m[3 * axis], slope = m[3 * axis + 1], offset = m[3 * axis + 2];
    const double last = static_cast<double>((axis == 0 ? height : width) - 1);
    // The coordinate, computed as the kernels do, is monotone in c (every rounding step is),
    // so each bound holds on a prefix or a suffix of the row.
    auto coord = [&](int64_t c) { return (offset + a) + static_cast<double>(c) * slope; };
    auto below_low = [&](int64_t c) { return !(coord(c) >= 0.0); };
    auto above_high = [&](int64_t c) {
      const double v = coord(c);
      return !(bilinear ? v < last : v <= last);
    };
    auto above_low = [&](int64_t c) { return !below_low(c); };
    auto below_high = [&](int64_t c) { return !above_high(c); };
    const double low_cross = (0.0 - a - offset) / slope;
    const double high_cross = (last - a - offset) / slope;
    if (slope >= 0) {  // inside from where x >= 0 until where x passes the last index
      *begin = std::max(*begin, first_true(above_low, out_width, low_cross));
      *end = std::min(*end, first_true(above_high, out_width, high_cross));
    } else {
      *begin = std::max(*begin, first_true(below_high, out_width, high_cross));
      *end = std::min(*end, first_true(below_low, out_width, low_cross));
    }
  }
  if (*end < *begin) *end = *begin;
}

void axis_lerp_taps(double scale, double offset, int64_t out_len, int64_t in_len, FillMode fill,
                    LerpTap* taps) {
  WarpParams p;
  p.fill = fill;
  for (int64_t i = 0; i < out_len; ++i) {
    AxisTaps t;
    LerpTap& out = taps[i];
    if (!axis_taps(offset + static_cast<double>(i) * scale, in_len, p, &t)) {
      out = {-1, -1, 0};
      continue;
    }
    // Q15 cannot hold 1.0: a weight within 2^-16 of it is 32767/32768.
    const double w = std::floor(t.w1 * 32768.0 + 0.5);
    out = {static_cast<int32_t>(t.i0), static_cast<int32_t>(t.i1),
           static_cast<int16_t>(w > 32767.0 ? 32767.0 : w)};
  }
}

}  // namespace warp_detail

namespace scalar {

void warp_affine_kernel(const ConstImageU8& src, const ImageU8& dst, const WarpParams& p) {
  reference_image(src, dst, p);
}
void warp_affine_kernel(const ConstImageU8& src, const ImageF32& dst, const WarpParams& p) {
  reference_image(src, dst, p);
}
void warp_affine_kernel(const ConstImageF32& src, const ImageF32& dst, const WarpParams& p) {
  reference_image(src, dst, p);
}
void warp_affine_kernel(const ConstImageF32& src, const ImageU8& dst, const WarpParams& p) {
  reference_image(src, dst, p);
}
bool warp_affine_range_kernel(const ConstImageU8&, const ImageF32&, const WarpParams&, float*, float*) {
  return false;
}

}  // namespace scalar

namespace {

// The warps read their source through gathers (or, on AVX-512's axis-aligned path, short
// windows) that the hardware prefetchers do not follow: on an image not already in cache
// (the next one of a batch) every gather then waits on memory. Reading the source once in
// order first (one load per cache line, which the prefetchers turn into a stream) costs a
// few microseconds and about halves a batch's time (docs/performance.md, "Affine
// warps"). Software prefetch instructions
// did not help: the core drops them with this many misses outstanding. Images over 1 MiB
// would not stay cached, so they are left alone.
std::atomic<unsigned> cache_warm_sink{0};

template <typename T>
void warm_source_cache(const ImageView<const T>& src) {
  const int64_t pixel = src.channels * static_cast<int64_t>(sizeof(T));
  const int64_t row_bytes = src.width * pixel;
  if (src.height * row_bytes > (int64_t{1} << 20) ||
      src.col_stride * static_cast<int64_t>(sizeof(T)) != pixel)
    return;
  unsigned sum = 0;  // only keeps the loads from being optimised away
  for (int64_t r = 0; r < src.height; ++r) {
    const unsigned char* row = reinterpret_cast<const unsigned char*>(src.row(r));
    for (int64_t b = 0; b < row_bytes; b += 64) sum += row[b];
    sum += row[row_bytes - 1];
  }
  cache_warm_sink.store(sum, std::memory_order_relaxed);
}

// True when every output pixel's coordinates are whole input indices: integer offsets,
// and each output axis reading one input axis with coefficient +-1 (identity, flips,
// whole-pixel shifts, quarter turns). The coordinates are then exact in double for any
// image size, and bilinear weights are 1 and 0.
bool maps_whole_pixels(const AffineMatrix& matrix) {
  const double* m = matrix.m;
  auto whole = [](double v) { return std::fabs(v) < 2147483648.0 && v == std::trunc(v); };
  auto one_axis = [](double a, double b) {
    return (std::fabs(a) == 1.0 && b == 0.0) || (a == 0.0 && std::fabs(b) == 1.0);
  };
  return whole(m[2]) && whole(m[5]) && one_axis(m[0], m[1]) && one_axis(m[3], m[4]);
}

// For an axis-aligned map that reads whole pixels (identity, flips, whole-pixel shifts, and
// any shift in nearest neighbour): the input index each output index of one axis reads, or
// -1 where the pixel takes cval, by scipy's rules as the nearest-neighbour kernel applies them.
std::vector<int64_t> axis_index_map(double scale, double offset, int64_t out_len, int64_t in_len,
                                    FillMode mode) {
  std::vector<int64_t> map(static_cast<size_t>(out_len));
  const double last = static_cast<double>(in_len - 1);
  WarpParams p;
  p.interp = Interp::nearest;
  p.fill = mode;
  if (std::fabs(scale) == 1.0 && std::fabs(offset) < 2147483648.0 && offset == std::trunc(offset)) {
    // Whole-pixel steps: every coordinate is a whole number, exact in int64 as in double.
    const int64_t step = scale > 0 ? 1 : -1, first = static_cast<int64_t>(offset);
    for (int64_t i = 0; i < out_len; ++i) {
      const int64_t in = first + step * i;
      map[static_cast<size_t>(i)] = in >= 0 && in < in_len ? in : -2;
    }
    for (int64_t i = 0; i < out_len; ++i) {
      if (map[static_cast<size_t>(i)] != -2) continue;
      AxisTaps t;
      const double in = static_cast<double>(first + step * i);
      map[static_cast<size_t>(i)] = axis_taps(in, in_len, p, &t) ? t.i0 : -1;
    }
    return map;
  }
  for (int64_t i = 0; i < out_len; ++i) {
    const double in = offset + static_cast<double>(i) * scale;
    if (in >= 0.0 && in <= last) {  // a whole index inside: itself (the cast is exact there)
      const int64_t whole = static_cast<int64_t>(in);
      if (static_cast<double>(whole) == in) {
        map[static_cast<size_t>(i)] = whole;
        continue;
      }
    }
    AxisTaps t;
    map[static_cast<size_t>(i)] = axis_taps(in, in_len, p, &t) ? t.i0 : -1;
  }
  return map;
}

// n copies of the pixel at `in` (channels values) to out. uint8 RGB, the usual case, is
// stored four pixels at a time as one 8-byte and one 4-byte store of a pattern built in
// registers (built in memory byte by byte, its wider reads would wait for the byte stores:
// no store forwarding across them).
template <typename T>
void repeat_pixel(const T* in, int64_t channels, int64_t n, T* out) {
  int64_t j = 0;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if constexpr (sizeof(T) == 1) {
    if (channels == 3 && n >= 4) {
      const uint32_t px = static_cast<uint32_t>(static_cast<uint8_t>(in[0])) |
                          static_cast<uint32_t>(static_cast<uint8_t>(in[1])) << 8 |
                          static_cast<uint32_t>(static_cast<uint8_t>(in[2])) << 16;
      const uint64_t lo = px | uint64_t{px} << 24 | uint64_t{px} << 48;  // c0 c1 c2 c0 c1 c2 c0 c1
      const uint32_t hi = px >> 16 | px << 8;                           // c2 c0 c1 c2
      for (; j + 4 <= n; j += 4) {
        std::memcpy(out + 3 * j, &lo, 8);
        std::memcpy(out + 3 * j + 8, &hi, 4);
      }
    }
  }
#endif
  for (; j < n; ++j)
    for (int64_t k = 0; k < channels; ++k) out[j * channels + k] = in[k];
}

// out[0 .. n) = value. The bands a shift leaves are a few dozen bytes a row: 16-byte stores
// of the value, the last one overlapping, cost less than a call to memset for each.
template <typename T>
void fill_elements(T* out, int64_t n, T value) {
  constexpr int64_t kPer = 16 / sizeof(T);
  if (n < kPer) {  // a few pixels (a crop's padding): plain stores, no call
    for (int64_t i = 0; i < n; ++i) out[i] = value;
    return;
  }
  if (n > 16 * kPer) {
    std::fill_n(out, n, value);
    return;
  }
  T pattern[kPer];
  for (int64_t k = 0; k < kPer; ++k) pattern[k] = value;
  int64_t i = 0;
  for (; i + kPer <= n; i += kPer) std::memcpy(out + i, pattern, sizeof pattern);
  if (i < n) std::memcpy(out + n - kPer, pattern, sizeof pattern);
}

// dst[r, c] = src[rows[r], cols[c]] (cval where either is -1), rows copied as runs: a run
// of columns reading consecutive input columns is one memcpy when the dtypes agree, so a
// shift costs what copying the image costs.
template <typename Tin, typename Tout>
void warp_index_maps(const ImageView<const Tin>& src, const ImageView<Tout>& dst,
                     const std::vector<int64_t>& rows, const std::vector<int64_t>& cols,
                     double cval) {
  const int64_t channels = dst.channels, width = dst.width;
  const Tout fill = store_value<Tout>(cval);
  struct Run {
    int64_t start, length, source;  // source -1: fill; else the first input column
    int64_t step;                   // input columns per output column: 1, -1 or 0
  };
  std::vector<Run> runs;
  for (int64_t c = 0; c < width;) {
    const int64_t s = cols[static_cast<size_t>(c)];
    int64_t end = c + 1;
    if (s < 0) {
      while (end < width && cols[static_cast<size_t>(end)] < 0) ++end;
      runs.push_back({c, end - c, -1, 0});
    } else {
      // A shift reads ascending columns, a flip descending ones, an edge one repeated.
      const int64_t next = end < width ? cols[static_cast<size_t>(end)] : -1;
      const int64_t step = next >= 0 && std::abs(next - s) <= 1 ? next - s : 1;
      while (end < width && cols[static_cast<size_t>(end)] >= 0 &&
             cols[static_cast<size_t>(end)] == s + step * (end - c))
        ++end;
      runs.push_back({c, end - c, s, step});
    }
    c = end;
  }
  const bool same = std::is_same<Tin, Tout>::value;
  const bool dense = src.col_stride == channels && dst.col_stride == channels;
  const RowMirror mirror = same && dense ? row_mirror(channels * static_cast<int64_t>(sizeof(Tin)))
                                         : nullptr;
  const int64_t row_elems = width * channels;
  // uint8 to float32 (the generator's flips and shifts into a float batch): runs convert
  // contiguous elements, a mirrored one through a byte row mirrored first.
  constexpr bool kWiden = std::is_same<Tin, uint8_t>::value && std::is_same<Tout, float>::value;
  const RowMirror widen_mirror = kWiden && dense ? row_mirror(channels) : nullptr;
  std::vector<uint8_t> mirrored(kWiden && dense ? static_cast<size_t>(row_elems) : 0);
  // The runs of output row r, which reads input row sr (-1: cval), but for run `skip`.
  auto row_runs = [&](int64_t r, int64_t sr, size_t skip) {
    for (size_t k = 0; k < runs.size(); ++k) {
      if (k == skip) continue;
      const Run& run = runs[k];
      Tout* out = dst.pixel(r, run.start);
      if (sr < 0 || run.source < 0) {
        if (dst.col_stride == channels) {  // one fill of the whole run
          fill_elements(out, run.length * channels, fill);
          continue;
        }
        for (int64_t j = 0; j < run.length; ++j, out += dst.col_stride)
          for (int64_t c = 0; c < channels; ++c) out[c] = fill;
        continue;
      }
      const Tin* in = src.pixel(sr, run.source);
      if (same && dense && run.step == 1) {
        std::memcpy(static_cast<void*>(out), static_cast<const void*>(in),
                    static_cast<size_t>(run.length * channels) * sizeof(Tin));
        continue;
      }
      if (mirror && run.step == -1) {  // a mirrored run
        mirror(reinterpret_cast<const uint8_t*>(in - (run.length - 1) * channels),
               reinterpret_cast<uint8_t*>(out), run.length * channels * static_cast<int64_t>(sizeof(Tin)));
        continue;
      }
      if (same && dense && run.step == 0) {  // a repeated edge pixel
        repeat_pixel(reinterpret_cast<const Tout*>(in), channels, run.length, out);
        continue;
      }
      if constexpr (kWiden) {
        if (dense && (run.step == 1 || (run.step == -1 && widen_mirror))) {
          const int64_t n = run.length * channels;
          const uint8_t* bytes = reinterpret_cast<const uint8_t*>(in);
          if (run.step == -1) {
            widen_mirror(bytes - (run.length - 1) * channels, mirrored.data(), n);
            bytes = mirrored.data();
          }
          for (int64_t e = 0; e < n; ++e) out[e] = static_cast<float>(bytes[e]);
          continue;
        }
      }
      const int64_t step = run.step * src.col_stride;
      for (int64_t j = 0; j < run.length; ++j, in += step, out += dst.col_stride)
        for (int64_t c = 0; c < channels; ++c)
          out[c] = same ? static_cast<Tout>(in[c]) : store_value<Tout>(static_cast<double>(in[c]));
    }
  };
  // With rows back to back in both images, output rows that read consecutive input rows map
  // one span of the output onto one span of the input: the longest ascending run of a block
  // of such rows is then one memcpy, which also writes the block's other runs (rewritten
  // after it, while they are in cache; without other runs, the block is every such row).
  constexpr int64_t kBlockRows = 32;
  size_t main_run = runs.size();
  if (same && dense && src.width == width && src.row_stride == row_elems &&
      dst.row_stride == row_elems) {
    for (size_t k = 0; k < runs.size(); ++k)
      if (runs[k].source >= 0 && runs[k].step == 1 &&
          (main_run == runs.size() || runs[k].length > runs[main_run].length))
        main_run = k;
  }
  for (int64_t r = 0; r < dst.height; ++r) {
    const int64_t sr = rows[static_cast<size_t>(r)];
    // An output row that reads the same input row as the one before it (edge fill above or
    // below the image) is a copy of that row.
    if (sr >= 0 && r > 0 && rows[static_cast<size_t>(r - 1)] == sr && dst.dense_rows()) {
      std::memcpy(static_cast<void*>(dst.row(r)), static_cast<const void*>(dst.row(r - 1)),
                  static_cast<size_t>(row_elems) * sizeof(Tout));
      continue;
    }
    if (main_run < runs.size() && sr >= 0) {
      int64_t end = r + 1;
      while (end < dst.height && (runs.size() == 1 || end - r < kBlockRows) &&
             rows[static_cast<size_t>(end)] == sr + (end - r))
        ++end;
      const Run& run = runs[main_run];
      const int64_t span = (end - 1 - r) * row_elems + run.length * channels;
      std::memcpy(static_cast<void*>(dst.pixel(r, run.start)),
                  static_cast<const void*>(src.pixel(sr, run.source)),
                  static_cast<size_t>(span) * sizeof(Tin));
      if (runs.size() > 1)
        for (int64_t q = r; q < end; ++q) row_runs(q, sr + (q - r), main_run);
      r = end - 1;
      continue;
    }
    row_runs(r, sr, runs.size());
  }
}

}  // namespace

template <typename Tin, typename Tout>
void warp_affine(const ImageView<const Tin>& src, const ImageView<Tout>& dst, const WarpParams& p) {
  if (dst.height <= 0 || dst.width <= 0 || src.height <= 0 || src.width <= 0) return;
  const double* m = p.matrix.m;
  const bool unit_axes = std::fabs(m[0]) == 1.0 && std::fabs(m[4]) == 1.0;
  if ((maps_whole_pixels(p.matrix) || (p.interp == Interp::nearest && unit_axes)) &&
      m[1] == 0.0 && m[3] == 0.0) {
    // Axis-aligned maps that read whole pixels (bilinear weights 1 and 0, taken as nearest
    // neighbour below) and nearest-neighbour shifts by any amount: exact index maps, each
    // output row a few runs of copied input columns.
    warp_index_maps<Tin, Tout>(src, dst, axis_index_map(m[0], m[2], dst.height, src.height, p.fill),
                               axis_index_map(m[4], m[5], dst.width, src.width, p.fill), p.cval);
    return;
  }
  warm_source_cache(src);
  if (p.interp == Interp::bilinear && maps_whole_pixels(p.matrix)) {
    // Interpolating with weights 1 and 0 gives the pixel itself for finite values, but
    // inf * 0 is NaN: one non-finite pixel would spread to its neighbours. Nearest
    // neighbour copies each pixel by index, the same result without that.
    WarpParams copy = p;
    copy.interp = Interp::nearest;
    FASTAUG_DISPATCH(warp_affine_kernel, src, dst, copy);
  }
  FASTAUG_DISPATCH(warp_affine_kernel, src, dst, p);
}

void warp_affine_with_range(const ConstImageU8& src, const ImageF32& dst, const WarpParams& p,
                            float* lo, float* hi) {
  if (dst.height > 0 && dst.width > 0 && src.height > 0 && src.width > 0) {
    warm_source_cache(src);
    auto fused = [&]() -> bool { FASTAUG_DISPATCH(warp_affine_range_kernel, src, dst, p, lo, hi); };
    if (fused()) return;
    auto plain = [&] { FASTAUG_DISPATCH(warp_affine_kernel, src, dst, p); };
    plain();
  }
  min_max<float>(dst, lo, hi);
}

template void warp_affine<uint8_t, uint8_t>(const ConstImageU8&, const ImageU8&, const WarpParams&);
template void warp_affine<uint8_t, float>(const ConstImageU8&, const ImageF32&, const WarpParams&);
template void warp_affine<float, float>(const ConstImageF32&, const ImageF32&, const WarpParams&);
template void warp_affine<float, uint8_t>(const ConstImageF32&, const ImageU8&, const WarpParams&);

}  // namespace fastaug
