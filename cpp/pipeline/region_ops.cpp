#include "pipeline/region_ops.hpp"

#include <cmath>

#include "random/philox.hpp"

namespace fastaug {

void region_words(const RegionOp& op, uint32_t r, uint32_t c, uint32_t block, uint32_t out[4]) {
  const uint32_t counter[4] = {r, c, block, kRegionNoiseTag};
  philox4x32_10(counter, op.key, out);
}

namespace {

// A word as a uniform in the open interval (0, 1), as the Python side maps them.
double unit(uint32_t w) { return (static_cast<double>(w) + 0.5) * (1.0 / 4294967296.0); }

// fn(pixel pointer, row, col) over the region.
template <typename T, typename Fn>
void each_region_pixel(const ImageView<T>& x, const RegionOp& op, Fn fn) {
  for (int64_t r = op.top; r < op.top + op.height; ++r)
    for (int64_t c = op.left; c < op.left + op.width; ++c) fn(x.pixel(r, c), r, c);
}

// The constant per-channel fill, in the image's dtype: uint8 truncates (as torch's and numpy's
// float-to-uint8 casts do for values in [0, 255], the range the binding admits).
template <typename T>
void fill(const ImageView<T>& x, const RegionOp& op) {
  T value[kMaxRegionValues];
  for (int64_t k = 0; k < x.channels; ++k)
    value[k] = static_cast<T>(op.values[op.value_count == 1 ? 0 : k]);
  each_region_pixel(x, op, [&](T* p, int64_t, int64_t) {
    for (int64_t k = 0; k < x.channels; ++k) p[k] = value[k];
  });
}

// float32: standard normal noise per element (torchvision's "random": normal_()), by
// Box-Muller on pairs of words. uint8: a normal sample cast to uint8 is mostly 0 (or wraps),
// so uint8 images get uniform bytes instead, as uniform_noise.
void normal_noise_f32(const ImageF32& x, const RegionOp& op) {
  constexpr double kTwoPi = 6.283185307179586;
  each_region_pixel(x, op, [&](float* p, int64_t r, int64_t c) {
    uint32_t w[4];
    for (int64_t k = 0; k < x.channels; ++k) {
      if (k % 4 == 0)
        region_words(op, static_cast<uint32_t>(r), static_cast<uint32_t>(c),
                     static_cast<uint32_t>(k / 4), w);
      const int pair = static_cast<int>(k % 4) / 2 * 2;  // words (0, 1) or (2, 3)
      const double radius = std::sqrt(-2.0 * std::log(unit(w[pair])));
      const double angle = kTwoPi * unit(w[pair + 1]);
      p[k] = static_cast<float>(radius * (k % 2 == 0 ? std::cos(angle) : std::sin(angle)));
    }
  });
}

// Uniform noise per element: uint8 the top byte of a word (0..255), float32 a word in (0, 1)
// (albumentations' "random": integers in [0, 255], floats in [0, 1]).
template <typename T>
void uniform_noise(const ImageView<T>& x, const RegionOp& op) {
  each_region_pixel(x, op, [&](T* p, int64_t r, int64_t c) {
    uint32_t w[4];
    for (int64_t k = 0; k < x.channels; ++k) {
      if (k % 4 == 0)
        region_words(op, static_cast<uint32_t>(r), static_cast<uint32_t>(c),
                     static_cast<uint32_t>(k / 4), w);
      if constexpr (sizeof(T) == 1)
        p[k] = static_cast<T>(w[k % 4] >> 24);
      else
        p[k] = static_cast<T>(unit(w[k % 4]));
    }
  });
}

// One uniform colour per region (albumentations' "random_uniform").
template <typename T>
void uniform_color(const ImageView<T>& x, const RegionOp& op) {
  T value[kMaxRegionValues];
  uint32_t w[4];
  for (int64_t k = 0; k < x.channels; ++k) {
    if (k % 4 == 0) region_words(op, 0xFFFFFFFFu, 0xFFFFFFFFu, static_cast<uint32_t>(k / 4), w);
    if constexpr (sizeof(T) == 1)
      value[k] = static_cast<T>(w[k % 4] >> 24);
    else
      value[k] = static_cast<T>(unit(w[k % 4]));
  }
  each_region_pixel(x, op, [&](T* p, int64_t, int64_t) {
    for (int64_t k = 0; k < x.channels; ++k) p[k] = value[k];
  });
}

const RegionOpInfo kTable[] = {
    {"none", nullptr, nullptr, false},
    {"fill", fill<uint8_t>, fill<float>, true},
    {"normal_noise", uniform_noise<uint8_t>, normal_noise_f32, false},
    {"uniform_noise", uniform_noise<uint8_t>, uniform_noise<float>, false},
    {"uniform_color", uniform_color<uint8_t>, uniform_color<float>, false},
};

}  // namespace

int32_t region_op_count() { return static_cast<int32_t>(sizeof(kTable) / sizeof(kTable[0])); }
const RegionOpInfo& region_op(int32_t code) { return kTable[code]; }

}  // namespace fastaug
