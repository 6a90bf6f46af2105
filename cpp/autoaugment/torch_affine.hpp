// The geometric ops of RandAugment and TrivialAugmentWide as torchvision computes them on
// tensors (F.affine and F.rotate, expand=False, nearest interpolation), in place on one
// image: its inverse matrix (_get_inverse_affine_matrix, in double), its float32 sampling grid
// (_affine_grid) and grid_sample's nearest lookup (align_corners=False), outside -> fill.
#pragma once
#include <cstdint>

#include "core/image.hpp"

namespace fastaug {

enum class TorchAffineOp : int { shear_x, shear_y, translate_x, translate_y, rotate };

// Apply op with torchvision's magnitude (shear: the tangent; translate: pixels, truncated;
// rotate: degrees, counter-clockwise as displayed), filling uncovered pixels with `fill`
// (uint8: rounded half to even and saturated).
template <typename T>
void torch_affine_op(const ImageView<T>& x, TorchAffineOp op, double magnitude, float fill);

}  // namespace fastaug
