// The executor's colour-op table: the one place a pointwise op of a plan is written. Each
// row gives the op's name (what Python's transforms ask for), its family, and for in-dtype
// ops the function that runs it in place on a warped uint8 or float32 image.
#pragma once
#include <cstdint>

#include "core/image.hpp"

namespace fastaug {

enum class ColorOpFamily : int {
  // Keras's own steps on the unrounded float32 warp, with its exact formulas (see run_plans).
  keras,
  // On the unrounded float32 warp; the result is rounded once, when stored.
  float_stage,
  // On the warped image in the source's dtype, as the op would act on a uint8 image that a
  // previous transform produced (torchvision's model).
  in_dtype,
};

struct ColorOpInfo {
  const char* name;
  ColorOpFamily family;
  // In-dtype ops: run in place with the op's two arguments. Float-stage ops: the float32
  // function only. Keras ops: none (run_plans has them fused with the warp).
  void (*apply_u8)(const ImageU8& x, float a, float b);
  void (*apply_f32)(const ImageF32& x, float a, float b);
  // The float32 op is exactly x * a + b, which the executor may fuse with the store.
  bool multiply_add = false;
  // The op is defined for gray (1) and RGB (3) channels only, as torchvision's.
  bool gray_or_rgb = false;
};

// Code 0 is "no op" (padding); codes 1 .. color_op_count() - 1 index the table.
int32_t color_op_count();
const ColorOpInfo& color_op(int32_t code);

// Codes of the ops that run_plans handles itself.
constexpr int32_t kKerasChannelShift = 1;
constexpr int32_t kKerasBrightness = 2;

}  // namespace fastaug
