"""Automatic augmentation policies: ``RandAugment`` and ``TrivialAugmentWide``, with
torchvision's op lists, magnitude bins and signs, each image drawing its own ops.

Every op is one op of the executor's table, run in the drawn order on the warped image in
the source's dtype, so an image's ops compose as torchvision composes them: the geometric
ones (shears, translations, rotations) are torchvision's nearest-neighbour ``affine`` and
``rotate`` of the image the ops before them produced, not part of the pipeline's one warp.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

import numpy as np

from .. import _checks
from .._pipeline import COLOR_OPS
from ._base import Params, Plan, Transform

__all__ = ["RandAugment", "TrivialAugmentWide"]

# The ops, in torchvision's order (its _AUGMENTATION_SPACE).
OPS = ("Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness",
       "Color", "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize")
_SIGNED = {"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
           "Contrast", "Sharpness"}
_CODES = {"Identity": 0, "ShearX": COLOR_OPS["shear_x"], "ShearY": COLOR_OPS["shear_y"],
          "TranslateX": COLOR_OPS["translate_x"], "TranslateY": COLOR_OPS["translate_y"],
          "Rotate": COLOR_OPS["rotate"], "Brightness": COLOR_OPS["brightness"],
          "Color": COLOR_OPS["saturation"], "Contrast": COLOR_OPS["contrast"],
          "Sharpness": COLOR_OPS["sharpness"], "Posterize": COLOR_OPS["posterize"],
          "Solarize": COLOR_OPS["solarize_fraction"], "AutoContrast": COLOR_OPS["autocontrast"],
          "Equalize": COLOR_OPS["equalize"]}


def linspace32(start: float, end: float, steps: int) -> np.ndarray:
    """torch.linspace in float32, as its CPU kernel computes it: ``start + step * i`` for the
    first half, ``end - step * (steps - 1 - i)`` for the rest, each one fused multiply-add
    (a single rounding, which float64 arithmetic gives exactly here)."""
    start32, end32 = np.float32(start), np.float32(end)
    step = np.float64((end32 - start32) / np.float32(steps - 1))
    i = np.arange(steps, dtype=np.float64)
    first = (np.float64(start32) + step * i).astype(np.float32)
    second = (np.float64(end32) - step * (steps - 1 - i)).astype(np.float32)
    return np.where(i < steps // 2, first, second)


def _posterize_bins(bins: int, spread: float) -> np.ndarray:
    # (8 - (arange(bins) / ((bins - 1) / spread))).round().int(), in float32
    levels = np.float32(8) - np.arange(bins).astype(np.float32) / np.float32((bins - 1) / spread)
    return np.round(levels).astype(np.float32)


Space = Dict[str, Optional[Callable[[int, int, int], np.ndarray]]]

RAND_AUGMENT_SPACE: Space = {
    "Identity": None,
    "ShearX": lambda n, h, w: linspace32(0.0, 0.3, n),
    "ShearY": lambda n, h, w: linspace32(0.0, 0.3, n),
    "TranslateX": lambda n, h, w: linspace32(0.0, 150.0 / 331.0 * w, n),
    "TranslateY": lambda n, h, w: linspace32(0.0, 150.0 / 331.0 * h, n),
    "Rotate": lambda n, h, w: linspace32(0.0, 30.0, n),
    "Brightness": lambda n, h, w: linspace32(0.0, 0.9, n),
    "Color": lambda n, h, w: linspace32(0.0, 0.9, n),
    "Contrast": lambda n, h, w: linspace32(0.0, 0.9, n),
    "Sharpness": lambda n, h, w: linspace32(0.0, 0.9, n),
    "Posterize": lambda n, h, w: _posterize_bins(n, 4.0),
    "Solarize": lambda n, h, w: linspace32(1.0, 0.0, n),
    "AutoContrast": None,
    "Equalize": None,
}

TRIVIAL_AUGMENT_WIDE_SPACE: Space = {
    "Identity": None,
    "ShearX": lambda n, h, w: linspace32(0.0, 0.99, n),
    "ShearY": lambda n, h, w: linspace32(0.0, 0.99, n),
    "TranslateX": lambda n, h, w: linspace32(0.0, 32.0, n),
    "TranslateY": lambda n, h, w: linspace32(0.0, 32.0, n),
    "Rotate": lambda n, h, w: linspace32(0.0, 135.0, n),
    "Brightness": lambda n, h, w: linspace32(0.0, 0.99, n),
    "Color": lambda n, h, w: linspace32(0.0, 0.99, n),
    "Contrast": lambda n, h, w: linspace32(0.0, 0.99, n),
    "Sharpness": lambda n, h, w: linspace32(0.0, 0.99, n),
    "Posterize": lambda n, h, w: _posterize_bins(n, 6.0),
    "Solarize": lambda n, h, w: linspace32(1.0, 0.0, n),
    "AutoContrast": None,
    "Equalize": None,
}


def op_arguments(name: str, magnitude: np.ndarray, fill: float
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """(a, b) of the executor's op for torchvision's op ``name`` at ``magnitude`` (float64
    values of float32 magnitudes, signed), as torchvision's ``_apply_image_or_video_transform``
    turns a magnitude into its functional op's arguments."""
    m = np.asarray(magnitude, np.float64)
    zero = np.zeros_like(m)
    if name in ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"):
        return m, np.full_like(m, fill)
    if name == "Brightness":
        return 1.0 + m, zero
    if name in ("Color", "Contrast", "Sharpness"):
        factor = 1.0 + m
        return factor, 1.0 - factor  # torchvision's 1 - ratio, formed in double
    if name == "Posterize":
        return np.trunc(m), zero
    if name == "Solarize":  # the op scales the magnitude by the dtype's bound
        return m, zero
    return zero, zero


class _AutoAugment(Transform):
    """Per image and op position: an op of ``_space`` (uniform) and, for signed ops, a sign."""

    _space: Space
    config_keys = ("num_magnitude_bins", "fill")

    def __init__(self, num_magnitude_bins: int = 31, fill: Optional[float] = None,
                 interpolation: str = "nearest"):
        super().__init__(1.0)
        self.num_magnitude_bins = _checks.integer(num_magnitude_bins, "num_magnitude_bins", 2,
                                                  2 ** 16)
        self.fill = None if fill is None else _checks.finite(fill, "fill")
        if interpolation != "nearest":
            raise ValueError(f"interpolation must be 'nearest' (torchvision's default; the "
                             f"only one supported here), got {interpolation!r}")

    _positions = 1
    _draws_bin = False

    @property
    def words(self) -> int:  # type: ignore[override]
        return 1 + self._positions * (3 if self._draws_bin else 2)

    def _bins(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        height, width = size
        count, positions = len(OPS), self._positions
        ops = np.minimum(np.floor(u[1:1 + positions] * count), count - 1).astype(np.intp).T
        negative = (u[1 + positions:1 + 2 * positions] <= 0.5).T
        bins = self._bins(u)
        magnitude = np.zeros(ops.shape)
        for k, name in enumerate(OPS):
            table = self._space[name]
            chosen = ops == k
            if table is None or not chosen.any():
                continue
            values = table(self.num_magnitude_bins, height, width).astype(np.float64)[bins]
            if name in _SIGNED:
                values = np.where(negative, -values, values)
            magnitude = np.where(chosen, values, magnitude)
        return {"applied": np.ones(u.shape[1], bool), "ops": ops, "magnitude": magnitude}

    def contribute(self, params: Params, plan: Plan) -> None:
        fill = 0.0 if self.fill is None else self.fill
        ops, magnitude = params["ops"], params["magnitude"]
        for position in range(ops.shape[1]):
            codes = np.zeros(plan.batch, np.int32)
            a = np.zeros(plan.batch)
            b = np.zeros(plan.batch)
            for k, name in enumerate(OPS):
                chosen = ops[:, position] == k
                if name == "Identity" or not chosen.any():
                    continue
                codes[chosen] = _CODES[name]
                ak, bk = op_arguments(name, magnitude[chosen, position], fill)
                a[chosen], b[chosen] = ak, bk
            if codes.any():
                plan.color_per_image(codes, a, b)
        # Its shears and rotations act after the pipeline's warp: nothing geometric may
        # follow, and masks, keypoints and boxes cannot follow (torchvision refuses them).
        plan.close_geometry(type(self).__name__)
        plan.refuses_targets = type(self).__name__


class RandAugment(_AutoAugment):
    """RandAugment, as torchvision's ``RandAugment``: per image ``num_ops`` ops drawn
    uniformly (with repetition) from Identity, ShearX/Y, TranslateX/Y, Rotate, Brightness,
    Color, Contrast, Sharpness, Posterize, Solarize, AutoContrast and Equalize, each at bin
    ``magnitude`` of ``num_magnitude_bins`` (torchvision's bins), signed ops negated with
    probability 1/2.

    Args:
        num_ops: ops per image.
        magnitude: the bin, in [0, num_magnitude_bins).
        num_magnitude_bins: how many bins span each op's range.
        fill: the value of pixels a geometric op uncovers (None: 0), in the image's units.
        interpolation: ``"nearest"`` (torchvision's default; the only one here).

    Each op is torchvision's functional op on the image the previous op produced (shears
    about the top-left corner, as torchvision's). Colour ops need 1 or 3 channels. No
    geometric transform may follow it, and masks, keypoints and boxes are refused, as
    torchvision refuses them.
    """

    config_keys = ("num_ops", "magnitude", "num_magnitude_bins", "fill")
    _space = RAND_AUGMENT_SPACE

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: str = "nearest", fill: Optional[float] = None):
        super().__init__(num_magnitude_bins, fill, interpolation)
        self.num_ops = _checks.integer(num_ops, "num_ops", 0, 17)
        self.magnitude = _checks.integer(magnitude, "magnitude", 0, self.num_magnitude_bins)
        self._positions = self.num_ops

    def _bins(self, u: np.ndarray) -> np.ndarray:
        return np.full((u.shape[1], self._positions), self.magnitude)


class TrivialAugmentWide(_AutoAugment):
    """TrivialAugment Wide, as torchvision's ``TrivialAugmentWide``: per image one op of
    RandAugment's list, with torchvision's wide ranges, at a uniformly drawn bin of
    ``num_magnitude_bins``, signed ops negated with probability 1/2.

    Args:
        num_magnitude_bins: how many bins span each op's range.
        fill, interpolation: as :class:`RandAugment`'s.

    As :class:`RandAugment`: torchvision's functional ops, nothing geometric after it, no
    masks, keypoints or boxes.
    """

    _space = TRIVIAL_AUGMENT_WIDE_SPACE
    _draws_bin = True

    def __init__(self, num_magnitude_bins: int = 31, interpolation: str = "nearest",
                 fill: Optional[float] = None):
        super().__init__(num_magnitude_bins, fill, interpolation)

    def _bins(self, u: np.ndarray) -> np.ndarray:
        n = self.num_magnitude_bins
        return np.minimum(np.floor(u[3:4] * n), n - 1).astype(np.intp).T
