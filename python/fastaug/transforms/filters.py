"""Neighbourhood transforms: ops that read a pixel's neighbours (``cpp/filter/``), run by the
executor on each warped image, in order with the colour ops, in the source's dtype."""
from __future__ import annotations

import numbers
from typing import Tuple, Union

import numpy as np

from .. import _checks
from ._base import Params, Plan, Transform

__all__ = ["GaussianBlur", "RandomAdjustSharpness"]


def _kernel_size_arg(value) -> Tuple[int, int]:
    """(across, down) odd tap counts from an int or a pair, as torchvision reads them."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = value[0]
        elif len(value) != 2:
            raise ValueError(f"kernel_size must be an int or a pair of ints, got {value!r}")
    sizes = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    out = tuple(_checks.integer(k, "kernel_size", 1, 4096) for k in sizes)
    if any(k % 2 == 0 for k in out):
        raise ValueError(f"kernel_size must be odd and positive, got {value!r}")
    return out  # type: ignore[return-value]


class GaussianBlur(Transform):
    """Blur with a Gaussian kernel, as torchvision's ``GaussianBlur``.

    Args:
        kernel_size: an odd int, or (across, down) odd ints (torchvision's order), below
            4096; half of it must be smaller than the image side (reflect padding).
        sigma: a fixed standard deviation, or (lo, hi): U(lo, hi) per image, 0 < lo <= hi
            (drawn in float32, as torchvision draws it).
        p: probability of applying it (torchvision's always applies).

    The weights are torchvision's (``softmax(-(x / sigma)^2)`` over its ``linspace``), the
    borders reflected without repeating the edge, uint8 results rounded half to even. The
    filter is separable and summed in float32 (torchvision sums the 2-D kernel in one
    ``conv2d``), so a uint8 value can differ by 1 where the exact sum is within float32
    rounding of a half; float32 results agree to about 2e-6.
    """

    words = 2  # p, sigma
    config_keys = ("kernel_size", "sigma", "p")

    def __init__(self, kernel_size, sigma: Union[float, Tuple[float, float]] = (0.1, 2.0),
                 p: float = 1.0):
        super().__init__(p)
        self.kernel_size = _kernel_size_arg(kernel_size)
        if isinstance(sigma, numbers.Real) and not isinstance(sigma, bool):
            s = _checks.real(sigma, "sigma")
            self.sigma = (s, s)
        else:
            self.sigma = _checks._pair(sigma, "sigma")
        if not 0 < self.sigma[0] <= self.sigma[1]:
            raise ValueError(f"sigma must be > 0, or (lo, hi) with 0 < lo <= hi, got "
                             f"{sigma!r}")

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        lo, hi = self.sigma
        sigma = np.float32(lo) + (np.float32(hi) - np.float32(lo)) * u[1].astype(np.float32)
        return {"applied": self.applied(u), "sigma": np.clip(sigma, lo, hi).astype(np.float32)}

    def contribute(self, params: Params, plan: Plan) -> None:
        (height, width), (kx, ky) = plan.size, self.kernel_size
        if kx // 2 >= width or ky // 2 >= height:
            raise ValueError(f"GaussianBlur: kernel_size {self.kernel_size} needs an image "
                             f"wider than {kx // 2} and taller than {ky // 2} pixels (reflect "
                             f"padding), got {height}x{width}")
        plan.color("gaussian_blur", params["applied"], np.full(plan.batch, kx + 4096.0 * ky),
                   params["sigma"])


class RandomAdjustSharpness(Transform):
    """Adjust sharpness by ``sharpness_factor`` with probability ``p``, as torchvision's
    ``RandomAdjustSharpness`` (``adjust_sharpness``): 0 gives the smoothed image, 1 the
    original, 2 twice as sharp.

    The inner pixels are blended with their 3x3 smoothing (weights 1/13, centre 5/13),
    ``x + (1 - f) (smooth - x)``, clamped; the one-pixel frame is kept, as torchvision keeps
    it, and images of height or width <= 2 are unchanged. uint8 follows torchvision's
    float32 steps exactly (smoothing rounded, the blend truncated). Needs 1 or 3 channels.
    """

    config_keys = ("sharpness_factor", "p")

    def __init__(self, sharpness_factor: float, p: float = 0.5):
        super().__init__(p)
        self.sharpness_factor = _checks.real(sharpness_factor, "sharpness_factor", 0.0)

    def contribute(self, params: Params, plan: Plan) -> None:
        factor = self.sharpness_factor
        plan.color("sharpness", params["applied"], np.full(plan.batch, factor),
                   np.full(plan.batch, 1.0 - factor))
