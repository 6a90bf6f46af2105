// The executor's region-op table: ops that overwrite a rectangle of the image (RandomErasing,
// CoarseDropout), run in the same pass as the colour ops, on the image in the source's dtype.
#pragma once
#include <cstdint>

#include "core/image.hpp"

namespace fastaug {

constexpr int kMaxRegionValues = 16;  // per-channel fill values of one region

// One rectangle [top, top + height) x [left, left + width) of the image (inside it, checked by
// the binding) and how to fill it. `after`: the number of the image's colour ops that run
// before it (the op's position in the pipeline). `key`: the Philox key of its random fills.
// Trivially constructible (no member initialisers), so arrays of them in a plan's ImageOps
// cost nothing until set; whoever fills one sets every field it uses.
struct RegionOp {
  int32_t code;
  int32_t after;
  int64_t top, left, height, width;
  uint32_t key[2];
  int value_count;  // 1 (all channels) or the channel count
  float values[kMaxRegionValues];
};

struct RegionOpInfo {
  const char* name;
  void (*apply_u8)(const ImageU8& x, const RegionOp& op);
  void (*apply_f32)(const ImageF32& x, const RegionOp& op);
  bool uses_values;  // the op reads `values` (else value_count may be 0)
};

// Code 0 is "no op"; codes 1 .. region_op_count() - 1 index the table.
int32_t region_op_count();
const RegionOpInfo& region_op(int32_t code);

// The random words a region's fill draws for pixel (r, c) (image coordinates), channels
// 4 * block .. 4 * block + 3: Philox-4x32-10 of counter (r, c, block, kRegionNoiseTag) under
// the region's key. One colour per region uses r = c = 0xFFFFFFFF.
constexpr uint32_t kRegionNoiseTag = 0x52454730u;  // "REG0"
void region_words(const RegionOp& op, uint32_t r, uint32_t c, uint32_t block, uint32_t out[4]);

}  // namespace fastaug
