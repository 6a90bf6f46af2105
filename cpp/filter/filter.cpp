#include "filter/filter.hpp"

#include <cmath>
#include <type_traits>
#include <vector>

namespace fastaug {

void gaussian_kernel1d(int size, float sigma, float* out) {
  // torch.linspace in float32 as its CPU kernel computes it: start + i * step for the first
  // half, end - (size - 1 - i) * step for the rest, each one fused multiply-add.
  const float lim = static_cast<float>((size - 1) / (2.0 * std::sqrt(2.0)));
  const float start = -lim, end = lim;
  const float step = size > 1 ? (end - start) / static_cast<float>(size - 1) : 0.0f;
  const int halfway = size / 2;
  float top = -INFINITY;
  for (int i = 0; i < size; ++i) {
    const float x = i < halfway ? std::fma(step, static_cast<float>(i), start)
                                : std::fma(-step, static_cast<float>(size - 1 - i), end);
    const float r = x / sigma;
    out[i] = -(r * r);
    top = out[i] > top ? out[i] : top;
  }
  float total = 0.0f;
  for (int i = 0; i < size; ++i) {
    out[i] = std::exp(out[i] - top);
    total += out[i];
  }
  for (int i = 0; i < size; ++i) out[i] = out[i] / total;
}

namespace {

// torch's reflect padding of index i into [0, n) (n > pad, so one reflection suffices).
inline int64_t reflect(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

template <typename T>
inline T store(float v) {
  if constexpr (std::is_same<T, uint8_t>::value) {
    v = std::nearbyint(v);  // half to even
    return static_cast<uint8_t>(v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v));
  } else {
    return v;
  }
}

struct FilterScratch {
  std::vector<float> image;  // the source as float32, dense rows
  std::vector<float> row;    // one vertically filtered row, padded across
  std::vector<float> across;  // that row filtered across
};

FilterScratch& scratch() {
  thread_local FilterScratch s;
  return s;
}

}  // namespace

template <typename T>
void separable_filter(const ImageView<T>& x, const float* kx, int nx, const float* ky, int ny) {
  const int64_t h = x.height, w = x.width, ch = x.channels, row_len = w * ch;
  const int hx = nx / 2, hy = ny / 2;
  FilterScratch& s = scratch();
  s.image.resize(static_cast<size_t>(h * row_len));
  s.row.resize(static_cast<size_t>((w + 2 * hx) * ch));
  s.across.resize(static_cast<size_t>(row_len));
  for (int64_t r = 0; r < h; ++r) {
    float* dst = s.image.data() + r * row_len;
    for (int64_t c = 0; c < w; ++c) {
      const T* p = x.pixel(r, c);
      for (int64_t k = 0; k < ch; ++k) dst[c * ch + k] = static_cast<float>(p[k]);
    }
  }
  float* padded = s.row.data();
  float* inner = padded + hx * ch;
  for (int64_t r = 0; r < h; ++r) {
    // Down: each element of the row a weighted sum of its column's neighbours.
    for (int64_t e = 0; e < row_len; ++e) inner[e] = 0.0f;
    for (int i = 0; i < ny; ++i) {
      const float weight = ky[i];
      const float* src = s.image.data() + reflect(r - hy + i, h) * row_len;
      for (int64_t e = 0; e < row_len; ++e) inner[e] += weight * src[e];
    }
    // The row's reflected borders, then across.
    for (int j = 1; j <= hx; ++j)
      for (int64_t k = 0; k < ch; ++k) {
        padded[(hx - j) * ch + k] = inner[j * ch + k];
        inner[(w - 1 + j) * ch + k] = inner[(w - 1 - j) * ch + k];
      }
    // Across, tap by tap over the whole row (each element still sums its taps in order).
    float* sum = s.across.data();
    for (int64_t e = 0; e < row_len; ++e) sum[e] = 0.0f;
    for (int j = 0; j < nx; ++j) {
      const float weight = kx[j];
      const float* src = padded + j * ch;
      for (int64_t e = 0; e < row_len; ++e) sum[e] += weight * src[e];
    }
    for (int64_t c = 0; c < w; ++c) {
      T* out = x.pixel(r, c);
      for (int64_t k = 0; k < ch; ++k) out[k] = store<T>(sum[c * ch + k]);
    }
  }
}

template <typename T>
void sharpen(const ImageView<T>& x, float alpha) {
  const int64_t h = x.height, w = x.width, ch = x.channels, row_len = w * ch;
  if (h <= 2 || w <= 2) return;
  constexpr bool u8 = std::is_same<T, uint8_t>::value;
  FilterScratch& s = scratch();
  s.image.resize(static_cast<size_t>(h * row_len));
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c) {
      const T* p = x.pixel(r, c);
      for (int64_t k = 0; k < ch; ++k) s.image[static_cast<size_t>(r * row_len + c * ch + k)] = static_cast<float>(p[k]);
    }
  const float a = static_cast<float>(1.0 / 13.0), b = static_cast<float>(5.0 / 13.0);
  const float bound = u8 ? 255.0f : 1.0f;
  for (int64_t r = 1; r + 1 < h; ++r) {
    const float* up = s.image.data() + (r - 1) * row_len;
    const float* mid = up + row_len;
    const float* down = mid + row_len;
    for (int64_t c = 1; c + 1 < w; ++c) {
      T* out = x.pixel(r, c);
      for (int64_t k = 0; k < ch; ++k) {
        const int64_t e = c * ch + k, l = e - ch, rt = e + ch;
        const float ring = up[l] + up[e] + up[rt] + mid[l] + mid[rt] + down[l] + down[e] + down[rt];
        float smooth;
        if constexpr (u8) {
          // (ring + 5 centre) / 13 is never within 1/26 of a half, so rounding the exact
          // quotient is what rounding torch's float32 sum gives.
          const int total = static_cast<int>(ring) + 5 * static_cast<int>(mid[e]);
          smooth = static_cast<float>((2 * total + 13) / 26);
        } else {
          smooth = a * ring + b * mid[e];
        }
        // torch's add_(alpha=): one fused multiply-add; exact in double, then rounded once.
        const double v = static_cast<double>(mid[e]) +
                         static_cast<double>(alpha) * static_cast<double>(smooth - mid[e]);
        float f = static_cast<float>(v);
        f = f < 0.0f ? 0.0f : (f > bound ? bound : f);
        out[k] = u8 ? static_cast<T>(static_cast<uint8_t>(f)) : static_cast<T>(f);
      }
    }
  }
}

template void separable_filter<uint8_t>(const ImageU8&, const float*, int, const float*, int);
template void separable_filter<float>(const ImageF32&, const float*, int, const float*, int);
template void sharpen<uint8_t>(const ImageU8&, float);
template void sharpen<float>(const ImageF32&, float);

}  // namespace fastaug
