// Neighbourhood filters run by the executor per image after the warp, as torchvision's
// functional ops compute them: gaussian_blur (separable, reflect padding) and
// adjust_sharpness (its 3x3 smoothing kernel and blend). Scalar code written as plain loops
// over contiguous float rows, which the compiler vectorises.
#pragma once
#include <cstdint>

#include "core/image.hpp"

namespace fastaug {

// torchvision's 1-D Gaussian weights (v2 _get_gaussian_kernel1d) in float32:
// x = linspace(-lim, lim, size) with lim = (size - 1) / (2 sqrt 2), softmax(-(x / sigma)^2).
void gaussian_kernel1d(int size, float sigma, float* out);

// In place: the image convolved with kx (nx taps, across) and ky (ny taps, down), both odd,
// the borders reflected without repeating the edge (torch's "reflect"); needs nx / 2 < width
// and ny / 2 < height. uint8 rounds half to even, as torchvision's round_() before its cast.
template <typename T>
void separable_filter(const ImageView<T>& x, const float* kx, int nx, const float* ky, int ny);

// In place, torchvision's adjust_sharpness: the inner pixels blended with their 3x3 smoothing
// (weights 1/13, centre 5/13; uint8 rounded), x + alpha (smooth - x) with alpha = 1 - factor,
// clamped to [0, bound] (uint8 truncated); the one-pixel frame and images of height or width
// <= 2 unchanged.
template <typename T>
void sharpen(const ImageView<T>& x, float alpha);

}  // namespace fastaug
