"""Colour transforms: each appends pointwise ops to the plan, run after the warp in the same
native pass, on the warped image in the source's dtype (uint8 stays uint8 between ops)."""
from __future__ import annotations

from typing import Dict, Tuple, Union

import numpy as np

from .. import _checks
from .._pipeline import COLOR_OPS
from ._base import Params, Plan, Transform

__all__ = ["ColorJitter", "ChannelShift", "Solarize", "Grayscale", "RandomGrayscale", "Invert",
           "Posterize", "AutoContrast", "Equalize", "Normalize"]

Range = Union[float, Tuple[float, float]]
_IDENTITY_ORDER = np.arange(4)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue, as torchvision's ``ColorJitter``.

    Args:
        brightness, contrast, saturation: ``f`` meaning factors in ``[max(0, 1 - f), 1 + f]``,
            or ``(lo, hi)`` with ``0 <= lo <= hi``; 0 (the default) leaves it out.
        hue: ``h`` in [0, 0.5] meaning a hue shift in ``[-h, h]`` (in turns), or ``(lo, hi)``
            within [-0.5, 0.5].
        p: probability of applying the transform.

    Each factor is drawn uniformly per image, and the four adjustments run in a random order
    drawn per image, as torchvision draws one permutation per call. The formulas are
    torchvision's functional ops on uint8 (``adjust_brightness``: ``floor(x * f)``;
    contrast: a blend with the mean of the floored luma; saturation: a blend with each
    pixel's floored luma; hue: through HSV), each result clamped and truncated to uint8 before
    the next. float32 images are taken as [0, 1], as torchvision takes them: every result is
    clamped there. Contrast, saturation and hue need 1 or 3 channels (gray images keep their
    saturation and hue).
    """

    words = 9  # p, the four factors, four keys whose order is the permutation
    config_keys = ("brightness", "contrast", "saturation", "hue", "p")
    _OPS = ("brightness", "contrast", "saturation", "hue")

    def __init__(self, brightness: Range = 0.0, contrast: Range = 0.0, saturation: Range = 0.0,
                 hue: Range = 0.0, p: float = 1.0):
        super().__init__(p)
        self.brightness = _checks.factor_range(brightness, "brightness", 0.0, clamp_low=True)
        self.contrast = _checks.factor_range(contrast, "contrast", 0.0, clamp_low=True)
        self.saturation = _checks.factor_range(saturation, "saturation", 0.0, clamp_low=True)
        if isinstance(hue, (tuple, list)):
            self.hue = _checks.symmetric_range(hue, "hue")
        else:
            self.hue = _checks.symmetric_range(_checks.real(hue, "hue", 0.0, 0.5), "hue")
        if not -0.5 <= self.hue[0] <= self.hue[1] <= 0.5:
            raise ValueError(f"hue must lie within [-0.5, 0.5], got {self.hue}")
        neutral = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}
        # The adjustments that can change an image, with their word and neutral value.
        self._active = [(k, name, neutral[name]) for k, name in enumerate(self._OPS)
                        if getattr(self, name) != (neutral[name], neutral[name])]

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        applied = self.applied(u) & bool(self._active)
        params: Params = {"applied": applied}
        neutral_values: Dict[float, np.ndarray] = {}
        for k, name in enumerate(self._OPS):
            lo, hi = getattr(self, name)
            neutral = 0.0 if name == "hue" else 1.0
            if (lo, hi) == (neutral, neutral):  # left out: the neutral value, no draw
                if neutral not in neutral_values:
                    neutral_values[neutral] = np.full(u.shape[1], neutral)
                params[name] = neutral_values[neutral]
            else:
                params[name] = np.where(applied, lo + (hi - lo) * u[1 + k], neutral)
        # order[i] lists the adjustments (0 brightness .. 3 hue) in image i's order.
        if len(self._active) > 1:
            params["order"] = np.argsort(u[5:9], axis=0, kind="stable").T
        else:
            params["order"] = np.zeros((u.shape[1], 4), np.intp) + _IDENTITY_ORDER
        return params

    def contribute(self, params: Params, plan: Plan) -> None:
        if len(self._active) == 1:  # one adjustment: no order to follow
            k, name, _ = self._active[0]
            plan.color(name, params["applied"], params[name])
            return
        active = {name for _, name, _ in self._active}
        codes = np.array([COLOR_OPS[name] if name in active else 0 for name in self._OPS],
                         np.int32)
        factors = np.stack([params[name] for name in self._OPS], 1)
        order = params["order"]
        rows = np.arange(plan.batch)
        for position in range(4):
            op = order[:, position]
            op_codes = np.where(params["applied"], codes[op], 0)
            if op_codes.any():
                plan.color_per_image(op_codes, factors[rows, op])


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


class _PointOp(Transform):
    """A colour op without arguments, applied with probability ``p``."""

    op: str

    def contribute(self, params: Params, plan: Plan) -> None:
        plan.color(self.op, params["applied"], np.zeros(plan.batch))


class Grayscale(_PointOp):
    """Replace RGB by its luma in all three channels (torchvision's ``Grayscale(3)``:
    ``0.2989 R + 0.587 G + 0.114 B``, truncated for uint8); gray images are unchanged.

    Args:
        p: probability of applying it (1: always, as torchvision's ``Grayscale``).
    """

    op = "grayscale"

    def __init__(self, p: float = 1.0):
        super().__init__(p)


class RandomGrayscale(Grayscale):
    """:class:`Grayscale` with probability ``p`` (torchvision's default 0.1)."""

    def __init__(self, p: float = 0.1):
        super().__init__(p)


class Invert(_PointOp):
    """``255 - x`` (uint8) or ``1 - x`` (float32) with probability ``p``, as torchvision's
    ``RandomInvert``."""

    op = "invert"

    def __init__(self, p: float = 0.5):
        super().__init__(p)


class AutoContrast(_PointOp):
    """Stretch each channel from its own [min, max] to the full range with probability
    ``p``, as torchvision's ``RandomAutocontrast`` (a constant channel is unchanged). Needs 1
    or 3 channels."""

    op = "autocontrast"

    def __init__(self, p: float = 0.5):
        super().__init__(p)


class Equalize(_PointOp):
    """Histogram-equalise each channel with probability ``p``, with Pillow's lookup table, as
    torchvision's ``RandomEqualize``. float32 images ([0, 1]) are binned to 256 levels and
    come back as multiples of 1/255."""

    op = "equalize"

    def __init__(self, p: float = 0.5):
        super().__init__(p)


class Posterize(Transform):
    """Keep the top ``bits`` bits of each uint8 value with probability ``p``, as
    torchvision's ``RandomPosterize``; float32 images ([0, 1]) are quantised to 2**bits
    levels, ``floor(x * 2**bits) / 2**bits``.

    Args:
        bits: 0 to 8.
        p: probability of applying it.
    """

    config_keys = ("bits", "p")

    def __init__(self, bits: int, p: float = 0.5):
        super().__init__(p)
        self.bits = _checks.integer(bits, "bits", 0, 9)

    def contribute(self, params: Params, plan: Plan) -> None:
        plan.color("posterize", params["applied"], np.full(plan.batch, float(self.bits)))


_NORMALIZE_DTYPES = ("float32", "float16", "bfloat16")


def _bfloat16():
    """numpy's bfloat16 dtype, which the ml_dtypes package provides (JAX and TensorFlow use
    it; numpy has none)."""
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError("Normalize(dtype='bfloat16') needs the ml_dtypes package, which gives "
                          "numpy a bfloat16 dtype: pip install ml_dtypes") from None
    return np.dtype(ml_dtypes.bfloat16)


class Normalize(Transform):
    """``(x - mean) / std`` per channel into a float output, as torchvision's ``Normalize``
    after ``ToDtype(float32, scale=True)``: uint8 images are first taken to [0, 1] (divided
    by 255), float32 images are taken as [0, 1] already. Fused with the store of the one
    native pass (``x * (1 / (255 std)) - mean / std``); must be the pipeline's last transform.
    ``Compose(layout="NCHW")`` gives the channels-first batch torch models take.

    Args:
        mean, std: one value per channel (or one for all), in [0, 1] units; std > 0.
        dtype: ``"float32"`` (default), ``"float16"`` or ``"bfloat16"``: the output's. The
            values are computed in float32 and rounded once to nearest even on the store
            (as ``astype`` does); a bfloat16 batch has ``ml_dtypes.bfloat16`` elements
            (``torch.from_numpy(x.view(np.uint16)).view(torch.bfloat16)`` hands it to torch
            without a copy).
    """

    config_keys = ("mean", "std", "dtype")

    def __init__(self, mean, std, dtype: str = "float32"):
        super().__init__(1.0)
        try:
            name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
        except TypeError:
            name = None
        if name not in _NORMALIZE_DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_NORMALIZE_DTYPES)}, got {dtype!r}")
        self.dtype = name
        self.out_dtype = _bfloat16() if name == "bfloat16" else np.dtype(name)
        self.mean = tuple(_checks.real(v, "mean") for v in np.atleast_1d(mean).tolist())
        self.std = tuple(_checks.real(v, "std") for v in np.atleast_1d(std).tolist())
        if min(self.std) <= 0:
            raise ValueError(f"std must be > 0, got {self.std}")
        if len(self.mean) != len(self.std) and 1 not in (len(self.mean), len(self.std)):
            raise ValueError(f"mean and std must have the same length, got {len(self.mean)} "
                             f"and {len(self.std)}")

    def scale_offset(self, channels: int, dtype) -> Tuple[list, list]:
        """Per-channel (scale, offset) of ``x * scale + offset`` for images of ``dtype``."""
        mean = self.mean * channels if len(self.mean) == 1 else self.mean
        std = self.std * channels if len(self.std) == 1 else self.std
        if len(mean) != channels or len(std) != channels:
            raise ValueError(f"Normalize has {max(len(self.mean), len(self.std))} values per "
                             f"channel list, the images {channels} channels")
        unit = 255.0 if np.dtype(dtype) == np.uint8 else 1.0
        return ([1.0 / (unit * s) for s in std], [-m / s for m, s in zip(mean, std)])

    @property
    def half_format(self) -> int:
        """The core's code of the 16-bit output format (0: float32)."""
        return _NORMALIZE_DTYPES.index(self.dtype)

    def contribute(self, params: Params, plan: Plan) -> None:
        plan.normalize = self
