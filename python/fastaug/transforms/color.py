"""Colour transforms: each appends pointwise ops to the plan, run after the warp in the same
native pass, on the warped image in the source's dtype (uint8 stays uint8 between ops)."""
from __future__ import annotations

from typing import Tuple, Union

import numpy as np

from .. import _checks
from ._base import Params, Plan, Transform

__all__ = ["ColorJitter", "ChannelShift", "Solarize"]

Range = Union[float, Tuple[float, float]]


class ColorJitter(Transform):
    """Random brightness, as torchvision's ``ColorJitter(brightness=...)``.

    Args:
        brightness: ``f`` meaning factors in ``[max(0, 1 - f), 1 + f]``, or ``(lo, hi)`` with
            ``0 <= lo <= hi``; the factor is drawn uniformly per image.
        p: probability of applying the transform.

    uint8 images get torchvision's uint8 result ``clamp(floor(x * factor), 0, 255)``;
    float32 images ``x * factor``, not clipped.
    """

    words = 2
    config_keys = ("brightness", "p")

    def __init__(self, brightness: Range = 0.0, p: float = 1.0):
        super().__init__(p)
        self.brightness = _checks.factor_range(brightness, "brightness", 0.0, clamp_low=True)

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        lo, hi = self.brightness
        applied = self.applied(u) & (lo != hi or lo != 1.0)
        return {"applied": applied, "brightness": np.where(applied, lo + (hi - lo) * u[1], 1.0)}

    def contribute(self, params: Params, plan: Plan) -> None:
        plan.color("brightness", params["applied"], params["brightness"])


class ChannelShift(Transform):
    """Add one random value in U(-shift, shift) to every channel (Keras's
    ``channel_shift_range`` draw), saturating to the dtype's range.

    Args:
        shift: intensity units (0..255 for uint8 images).
        p: probability of applying the transform.

    uint8: ``clamp(rint(x + s), 0, 255)`` (half to even); float32: ``x + s``, not clipped.
    (Keras clips to the image's own min and max instead; ``ImageDataGenerator`` keeps that.)
    """

    words = 2
    config_keys = ("shift", "p")

    def __init__(self, shift: float = 0.0, p: float = 1.0):
        super().__init__(p)
        self.shift = _checks.real(shift, "shift", 0.0)

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        applied = self.applied(u) & (self.shift != 0)
        return {"applied": applied,
                "shift": np.where(applied, self.shift * (2.0 * u[1] - 1.0), 0.0)}

    def contribute(self, params: Params, plan: Plan) -> None:
        plan.color("channel_add", params["applied"], params["shift"])


class Solarize(Transform):
    """Invert the pixels at or above ``threshold``, as torchvision's ``RandomSolarize``.

    Args:
        threshold: in the image's units: 0..255 for uint8, 0..1 for float32 images.
        p: probability of applying the transform.

    uint8: ``255 - x`` where ``x >= threshold``; float32: ``1 - x`` there (torchvision's
    bound for float images).
    """

    config_keys = ("threshold", "p")

    def __init__(self, threshold: float = 128.0, p: float = 0.5):
        super().__init__(p)
        self.threshold = _checks.real(threshold, "threshold", 0.0)

    def contribute(self, params: Params, plan: Plan) -> None:
        plan.color("solarize", params["applied"], np.full(plan.batch, self.threshold))
