// Horizontal and vertical flips into a new buffer. Flips only move whole pixels, so a
// single byte-level kernel serves every dtype and channel count.
#pragma once
#include "core/image.hpp"
#include "core/isa_namespaces.hpp"

namespace fastaug {

// Byte views: `channels` is the pixel size in bytes, strides are in bytes.
FASTAUG_DECLARE_PER_ISA(void flip_horizontal_bytes(const ConstImageU8& src, const ImageU8& dst))
FASTAUG_DECLARE_PER_ISA(void flip_vertical_bytes(const ConstImageU8& src, const ImageU8& dst))

// Mirrors one dense row: n bytes of packed p-byte pixels from s, in reverse pixel order, to d
// (n a multiple of p; s and d do not overlap).
using RowMirror = void (*)(const uint8_t* s, uint8_t* d, int64_t n);
FASTAUG_DECLARE_PER_ISA(RowMirror row_mirror_for(int64_t pixel_bytes))
// The active level's row mirror for p-byte pixels: for callers that mirror many short runs,
// where the per-call dispatch of flip_horizontal would cost more than the bytes.
RowMirror row_mirror(int64_t pixel_bytes);

// dst(r, c) = src(r, W-1-c). src and dst have equal shapes and must not overlap.
template <typename T>
void flip_horizontal(const ImageView<const T>& src, const ImageView<T>& dst);
// dst(r, c) = src(H-1-r, c).
template <typename T>
void flip_vertical(const ImageView<const T>& src, const ImageView<T>& dst);

}  // namespace fastaug
