"""Region transforms: rectangles of the image overwritten after the warp, in the same native
pass as the colour ops (the executor's region-op table, ``cpp/pipeline/region_ops.cpp``).

Their rectangles are drawn on the image as it is at their place in the pipeline, which must
be after every geometric transform (a map after them would have to warp the rectangles
too); they run in order with the colour ops, so a ``ColorJitter`` after ``RandomErasing``
also changes the erased pixels, as in torchvision.
"""
from __future__ import annotations

import numbers
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from .. import _checks
from ._base import Params, Plan, Transform, area_and_aspect_tries

__all__ = ["RandomErasing", "CoarseDropout"]

_WORD = 2.0 ** 32


def _key_words(u: np.ndarray) -> np.ndarray:
    """(B, 2): the 32-bit words behind two rows of uniforms ((w + 0.5) / 2**32, exact)."""
    return np.round(u.T * _WORD - 0.5)


def _fill_arg(value, name: str, names: Tuple[str, ...]):
    """A number, a per-channel sequence of numbers, or one of ``names``."""
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"{name} must be a number, a sequence of numbers or one of "
                             f"{', '.join(repr(n) for n in names)}, got {value!r}")
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _checks.finite(value, name)
    if isinstance(value, (tuple, list)) and value:
        return tuple(_checks.finite(v, name) for v in value)
    raise TypeError(f"{name} must be a number, a non-empty sequence of numbers or one of "
                    f"{', '.join(repr(n) for n in names)}, got {value!r}")


class RandomErasing(Transform):
    """Erase one random rectangle with probability ``p``, as torchvision's ``RandomErasing``.

    Args:
        p: probability of erasing.
        scale: the rectangle's area as a fraction of the image's, U(lo, hi).
        ratio: its height / width, log-uniform in (lo, hi).
        value: the fill: a number, one number per channel, or ``"random"``: per-element
            standard normal noise on float32 images (torchvision's ``normal_()``); uint8
            images get uniform bytes 0..255 instead (torchvision's cast of normal noise to
            uint8 gives mostly 0). Values are in the image's units (0..255 for uint8) and
            uint8 takes them truncated.

    torchvision's sampling: up to ten tries of (area, ratio), ``h = round(sqrt(area *
    ratio))``, ``w = round(sqrt(area / ratio))``, the first with ``h < H`` and ``w < W``
    taken, its corner uniform over the positions; none fitting erases nothing. The draws are
    keyed like every other (not torch's generator), so the rectangles are torchvision's
    distribution, not its numbers.

    Masks, keypoints and boxes are passed through unchanged, as torchvision does. Must come
    after every geometric transform; before ``Normalize``, so ``value`` is in the units of
    the image, not of the normalised one (torchvision's recipes erase after normalising,
    where 0 is the mean colour).
    """

    _TRIES = 10
    words = 1 + 2 * _TRIES + 2 + 2  # p, (area, ratio) per try, top, left, the noise key
    config_keys = ("p", "scale", "ratio", "value")

    def __init__(self, p: float = 0.5, scale: Tuple[float, float] = (0.02, 0.33),
                 ratio: Tuple[float, float] = (0.3, 3.3),
                 value: Union[float, Sequence[float], str] = 0.0):
        super().__init__(p)
        self.scale = _checks._pair(scale, "scale")
        self.ratio = _checks._pair(ratio, "ratio")
        if not 0 <= self.scale[0] <= self.scale[1] <= 1:
            raise ValueError(f"scale must satisfy 0 <= lo <= hi <= 1, got {self.scale}")
        if not 0 < self.ratio[0] <= self.ratio[1]:
            raise ValueError(f"ratio must satisfy 0 < lo <= hi, got {self.ratio}")
        self.value = _fill_arg(value, "value", ("random",))

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        height, width = size
        tries = self._TRIES
        area, aspect = area_and_aspect_tries(u, tries, height * width, self.scale, self.ratio)
        h = np.round(np.sqrt(area * aspect))
        w = np.round(np.sqrt(area / aspect))
        fits = (h < height) & (w < width)
        first = np.argmax(fits, axis=0)
        columns = np.arange(u.shape[1])
        h, w = h[first, columns], w[first, columns]
        applied = self.applied(u) & fits.any(axis=0)
        top = np.floor(u[1 + 2 * tries] * (height - h + 1))
        left = np.floor(u[2 + 2 * tries] * (width - w + 1))
        zero = np.zeros(u.shape[1])
        return {"applied": applied, "top": np.where(applied, top, zero),
                "left": np.where(applied, left, zero), "height": np.where(applied, h, zero),
                "width": np.where(applied, w, zero), "key": _key_words(u[3 + 2 * tries:])}

    def contribute(self, params: Params, plan: Plan) -> None:
        rect = np.stack([params["top"], params["left"], params["height"], params["width"]], 1)
        if self.value == "random":
            plan.region("normal_noise", params["applied"], rect, params["key"], owner=self)
        else:
            plan.region("fill", params["applied"], rect, params["key"],
                        np.atleast_1d(np.asarray(self.value, np.float64)), owner=self)


def _hole_range(value, name: str) -> Tuple[float, float]:
    lo, hi = _checks._pair(value, name)
    if not 0 <= lo <= hi:
        raise ValueError(f"{name} must satisfy 0 <= lo <= hi, got {(lo, hi)}")
    if hi >= 1 and not (float(lo).is_integer() and float(hi).is_integer()):
        raise ValueError(f"{name} must be whole pixels (hi >= 1) or fractions of the image "
                         f"side (hi < 1), got {(lo, hi)}")
    return lo, hi


class CoarseDropout(Transform):
    """Fill random rectangles ("holes") with probability ``p``, as albumentations'
    ``CoarseDropout``.

    Args:
        num_holes_range: (lo, hi): the number of holes, an integer in [lo, hi] per image
            (at most 32).
        hole_height_range, hole_width_range: (lo, hi) in pixels when hi >= 1 (an integer
            in [lo, min(hi, side)]), else fractions of the side (``int(side * U(lo, hi))``),
            albumentations' rule; both ranges of one kind.
        fill: a number, one per channel, ``"random"`` (uniform noise per element: 0..255
            for uint8, [0, 1) for float32) or ``"random_uniform"`` (one random colour per
            hole). Values are in the image's units.
        fill_mask: the value holes get in masks; None leaves masks unchanged.
        p: probability of applying it.

    Each hole's corner is uniform over the positions where it fits. Keypoints on a hole's
    pixels are reported not visible (``keypoints_visible``; albumentations removes them);
    boxes are unchanged (albumentations drops boxes a hole covers beyond its
    ``min_visibility``). Must come after every geometric transform.
    """

    config_keys = ("num_holes_range", "hole_height_range", "hole_width_range", "fill",
                   "fill_mask", "p")

    def __init__(self, num_holes_range: Tuple[int, int] = (1, 2),
                 hole_height_range: Tuple[float, float] = (0.1, 0.2),
                 hole_width_range: Tuple[float, float] = (0.1, 0.2),
                 fill: Union[float, Sequence[float], str] = 0.0,
                 fill_mask: Optional[float] = None, p: float = 0.5):
        super().__init__(p)
        if not isinstance(num_holes_range, (tuple, list)) or len(num_holes_range) != 2:
            raise ValueError(f"num_holes_range must be a pair (lo, hi), got {num_holes_range!r}")
        lo = _checks.integer(num_holes_range[0], "num_holes_range", 1, 33)
        hi = _checks.integer(num_holes_range[1], "num_holes_range", 1, 33)
        if lo > hi:
            raise ValueError(f"num_holes_range must satisfy 1 <= lo <= hi <= 32, got {(lo, hi)}")
        self.num_holes_range = (lo, hi)
        self.hole_height_range = _hole_range(hole_height_range, "hole_height_range")
        self.hole_width_range = _hole_range(hole_width_range, "hole_width_range")
        if (self.hole_height_range[1] >= 1) != (self.hole_width_range[1] >= 1):
            raise ValueError("hole_height_range and hole_width_range must both be pixels or "
                             f"both fractions, got {self.hole_height_range} and "
                             f"{self.hole_width_range}")
        self.fill = _fill_arg(fill, "fill", ("random", "random_uniform"))
        self.fill_mask = None if fill_mask is None else _checks.finite(fill_mask, "fill_mask")

    @property
    def words(self) -> int:  # type: ignore[override]
        return 2 + 6 * self.num_holes_range[1]  # p, the count, per hole (h, w, top, left, key)

    def _sides(self, u: np.ndarray, side: int, bounds: Tuple[float, float]) -> np.ndarray:
        lo, hi = bounds
        if self.hole_height_range[1] >= 1:  # pixels: an integer in [lo, min(hi, side)]
            top = min(hi, side)
            return np.minimum(lo + np.floor(u * (top - lo + 1)), side)
        return np.floor(side * (lo + (hi - lo) * u))

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        height, width = size
        lo, hi = self.num_holes_range
        applied = self.applied(u)
        count = np.where(applied, lo + np.floor(u[1] * (hi - lo + 1)), 0)
        holes = []
        for k in range(hi):
            w6 = u[2 + 6 * k:8 + 6 * k]
            h = self._sides(w6[0], height, self.hole_height_range)
            w = self._sides(w6[1], width, self.hole_width_range)
            on = k < count
            holes.append(np.stack([np.where(on, np.floor(w6[2] * (height - h + 1)), 0),
                                   np.where(on, np.floor(w6[3] * (width - w + 1)), 0),
                                   np.where(on, h, 0), np.where(on, w, 0)], 1))
        return {"applied": applied, "count": count, "holes": np.stack(holes, 1),
                "keys": np.stack([_key_words(u[6 + 6 * k:8 + 6 * k]) for k in range(hi)], 1)}

    def contribute(self, params: Params, plan: Plan) -> None:
        holes, keys = params["holes"], params["keys"]
        if self.fill == "random":
            op, values = "uniform_noise", None
        elif self.fill == "random_uniform":
            op, values = "uniform_color", None
        else:
            op, values = "fill", np.atleast_1d(np.asarray(self.fill, np.float64))
        for k in range(holes.shape[1]):
            plan.region(op, params["count"] > k, holes[:, k], keys[:, k], values,
                        mask_fill=self.fill_mask, hides_keypoints=True, owner=self)
