#include "geometry/flip.hpp"

#include <cstring>

#include "core/simd_level.hpp"

namespace fastaug {
namespace {

template <typename T>
ImageView<const uint8_t> as_bytes(const ImageView<const T>& v) {
  const int64_t s = sizeof(T);
  return {reinterpret_cast<const uint8_t*>(v.data), v.height, v.width, v.channels * s,
          v.row_stride * s, v.col_stride * s};
}
template <typename T>
ImageView<uint8_t> as_bytes(const ImageView<T>& v) {
  const int64_t s = sizeof(T);
  return {reinterpret_cast<uint8_t*>(v.data), v.height, v.width, v.channels * s,
          v.row_stride * s, v.col_stride * s};
}

void flip_horizontal_dispatch(const ConstImageU8& src, const ImageU8& dst) {
  FASTAUG_DISPATCH(flip_horizontal_bytes, src, dst);
}
void flip_vertical_dispatch(const ConstImageU8& src, const ImageU8& dst) {
  FASTAUG_DISPATCH(flip_vertical_bytes, src, dst);
}

}  // namespace

// Scalar reference: one pixel at a time.
namespace scalar {

void flip_horizontal_bytes(const ConstImageU8& src, const ImageU8& dst) {
  const int64_t w = src.width;
  const size_t pixel = static_cast<size_t>(src.channels);
  for (int64_t r = 0; r < src.height; ++r)
    for (int64_t c = 0; c < w; ++c) std::memcpy(dst.pixel(r, c), src.pixel(r, w - 1 - c), pixel);
}

void flip_vertical_bytes(const ConstImageU8& src, const ImageU8& dst) {
  const int64_t h = src.height;
  const size_t pixel = static_cast<size_t>(src.channels);
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < src.width; ++c)
      std::memcpy(dst.pixel(r, c), src.pixel(h - 1 - r, c), pixel);
}

// Any pixel size, pixel by pixel; the common sizes with a constant memcpy length.
template <int64_t P>
void mirror_pixels(const uint8_t* s, uint8_t* d, int64_t n) {
  for (int64_t o = 0, i = n - P; o < n; o += P, i -= P) std::memcpy(d + o, s + i, P);
}

RowMirror row_mirror_for(int64_t pixel_bytes) {
  switch (pixel_bytes) {
    case 1: return mirror_pixels<1>;
    case 2: return mirror_pixels<2>;
    case 3: return mirror_pixels<3>;
    case 4: return mirror_pixels<4>;
    case 6: return mirror_pixels<6>;
    case 8: return mirror_pixels<8>;
    case 12: return mirror_pixels<12>;
    case 16: return mirror_pixels<16>;
    default: return nullptr;
  }
}

}  // namespace scalar

RowMirror row_mirror(int64_t pixel_bytes) {
  auto pick = [&]() -> RowMirror { FASTAUG_DISPATCH(row_mirror_for, pixel_bytes); };
  const RowMirror fast = pick();
  return fast ? fast : scalar::row_mirror_for(pixel_bytes);
}

template <typename T>
void flip_horizontal(const ImageView<const T>& src, const ImageView<T>& dst) {
  flip_horizontal_dispatch(as_bytes(src), as_bytes(dst));
}
template <typename T>
void flip_vertical(const ImageView<const T>& src, const ImageView<T>& dst) {
  flip_vertical_dispatch(as_bytes(src), as_bytes(dst));
}

template void flip_horizontal<uint8_t>(const ConstImageU8&, const ImageU8&);
template void flip_horizontal<float>(const ConstImageF32&, const ImageF32&);
template void flip_vertical<uint8_t>(const ConstImageU8&, const ImageU8&);
template void flip_vertical<float>(const ConstImageF32&, const ImageF32&);

}  // namespace fastaug
