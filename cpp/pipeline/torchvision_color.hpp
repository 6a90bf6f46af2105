// The per-element work of the executor's torchvision colour ops (color_ops.cpp), on runs
// of whole pixels with contiguous channels, compiled once per ISA (torchvision_color_simd.inl)
// as plain loops the compiler vectorises. Same float32 operation order as torchvision's
// functional ops; `fused(a, b, c)` is its fused multiply-add a * b + c (see the .inl).
#pragma once
#include <cstdint>

#include "core/isa_namespaces.hpp"

namespace fastaug {

// Sum over `pixels` RGB pixels of torchvision's luma (uint8: floored), and of one channel.
FASTAUG_DECLARE_PER_ISA(double luma_sum(const uint8_t* p, int64_t pixels))
FASTAUG_DECLARE_PER_ISA(double luma_sum(const float* p, int64_t pixels))
// p[e] = clamp(fused(other, rest, p[e] * ratio), 0, bound) for n elements (uint8: truncated).
FASTAUG_DECLARE_PER_ISA(void blend_constant(uint8_t* p, int64_t n, float other, float ratio, float rest))
FASTAUG_DECLARE_PER_ISA(void blend_constant(float* p, int64_t n, float other, float ratio, float rest))
// Each RGB pixel blended with its (uint8: floored) luma: adjust_saturation.
FASTAUG_DECLARE_PER_ISA(void blend_luma(uint8_t* p, int64_t pixels, float ratio, float rest))
FASTAUG_DECLARE_PER_ISA(void blend_luma(float* p, int64_t pixels, float ratio, float rest))
// Each RGB pixel replaced by its luma in all three channels (uint8: truncated).
FASTAUG_DECLARE_PER_ISA(void to_luma(uint8_t* p, int64_t pixels))
FASTAUG_DECLARE_PER_ISA(void to_luma(float* p, int64_t pixels))
// adjust_hue by `shift` turns on RGB pixels.
FASTAUG_DECLARE_PER_ISA(void shift_hue(uint8_t* p, int64_t pixels, float shift))
FASTAUG_DECLARE_PER_ISA(void shift_hue(float* p, int64_t pixels, float shift))

}  // namespace fastaug
