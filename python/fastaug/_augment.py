"""``fastaug.Augment``: the Keras-style preset of :class:`fastaug.Compose`.

Augment keeps its own parameters and draws (Philox streams 0-2 of ``Compose``'s keyed
generator, the words it has always used) and hands ``Compose`` a plan: one pull matrix and,
where brightness or channel shift is on, one ``multiply_add`` colour op on the unrounded
float32 warp (``x * brightness + shift``, then one rounding). Everything after sampling
(the native executor, masks, keypoints, boxes) is ``Compose``'s.

Geometry, in (x, y) = (column, row) pixel coordinates with pixel centres at integers and the
centre of rotation/zoom/shear at ``c = ((W-1)/2, (H-1)/2)``, the forward map is

    p' = R · Sh · Z · (p - c) + c + (shift_x, shift_y),  then flips x -> W-1-x, y -> H-1-y

with Z = diag(1/zoom_x, 1/zoom_y) (Keras's zoom meaning: the output samples the input at
``zoom`` times the distance from the centre, so zoom < 1 enlarges), Sh the horizontal shear
``x += tan(shear) · y``, and R the rotation by ``rotation`` degrees counter-clockwise as
displayed (y pointing down). Images are pulled through the inverse of that map.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from . import _checks
from ._pipeline import FILL_MODES
from ._random import stream_uniforms
from .compose import AugmentResult, Compose
from .transforms._base import Plan

__all__ = ["Augment", "AugmentParams", "AugmentResult"]

# Philox streams: which words of which stream each parameter uses is fixed, so enabling one
# option never changes the values another option draws.
_GEOMETRY_STREAM = 0   # rotation, shear, shift_x, shift_y
_SCALE_FLIP_STREAM = 1  # zoom_x, zoom_y, flip_horizontal, flip_vertical
_COLOUR_STREAM = 2     # brightness, channel_shift


@dataclass(eq=False)
class AugmentParams:
    """Sampled transforms of B images (arrays of shape (B,)).

    ``rotation`` and ``shear`` are degrees, ``shift_x``/``shift_y`` pixels, ``zoom_x``/
    ``zoom_y`` Keras-style zoom factors; ``brightness`` (multiplier) and ``channel_shift``
    (added to every channel) are NaN where the step is off. ``single_image`` says the
    parameters were sampled for one image (a scalar index) rather than a batch.
    """

    indices: np.ndarray
    epoch: int
    image_shape: Tuple[int, int]
    rotation: np.ndarray
    shift_x: np.ndarray
    shift_y: np.ndarray
    shear: np.ndarray
    zoom_x: np.ndarray
    zoom_y: np.ndarray
    flip_horizontal: np.ndarray
    flip_vertical: np.ndarray
    brightness: np.ndarray
    channel_shift: np.ndarray
    single_image: bool = False

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def _linear(self) -> Tuple[np.ndarray, np.ndarray]:
        """(B, 2, 2) ``A = R·Sh·Z`` and its inverse, each built from exact factor inverses."""
        theta = np.deg2rad(self.rotation)
        cos, sin = np.cos(theta), np.sin(theta)
        tan = np.tan(np.deg2rad(self.shear))
        zero, one = np.zeros(len(self)), np.ones(len(self))

        def stack(a, b, c, d):
            return np.stack([np.stack([a, b], -1), np.stack([c, d], -1)], -2)

        rotate, unrotate = stack(cos, sin, -sin, cos), stack(cos, -sin, sin, cos)
        shear, unshear = stack(one, tan, zero, one), stack(one, -tan, zero, one)
        zoom = stack(1.0 / self.zoom_x, zero, zero, 1.0 / self.zoom_y)
        unzoom = stack(self.zoom_x, zero, zero, self.zoom_y)
        return rotate @ shear @ zoom, unzoom @ unshear @ unrotate

    def _flips(self) -> np.ndarray:
        """(B, 3, 3) flip matrices (each its own inverse)."""
        height, width = self.image_shape
        flips = np.zeros((len(self), 3, 3))
        flips[:, 0, 0] = np.where(self.flip_horizontal, -1.0, 1.0)
        flips[:, 0, 2] = np.where(self.flip_horizontal, width - 1.0, 0.0)
        flips[:, 1, 1] = np.where(self.flip_vertical, -1.0, 1.0)
        flips[:, 1, 2] = np.where(self.flip_vertical, height - 1.0, 0.0)
        flips[:, 2, 2] = 1.0
        return flips

    def forward_matrices(self) -> np.ndarray:
        """(B, 3, 3) maps from input (x, y, 1) to output (x, y, 1) pixel coordinates."""
        height, width = self.image_shape
        centre = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
        linear, _ = self._linear()
        affine = np.zeros((len(self), 3, 3))
        affine[:, :2, :2] = linear
        affine[:, :2, 2] = centre + np.stack([self.shift_x, self.shift_y], -1) - linear @ centre
        affine[:, 2, 2] = 1.0
        return self._flips() @ affine

    def pull_matrices(self) -> np.ndarray:
        """(B, 3, 3) inverses of :meth:`forward_matrices` (output -> input coordinates)."""
        height, width = self.image_shape
        centre = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
        _, inverse = self._linear()
        unaffine = np.zeros((len(self), 3, 3))
        unaffine[:, :2, :2] = inverse
        shifted = centre + np.stack([self.shift_x, self.shift_y], -1)
        unaffine[:, :2, 2] = centre - np.einsum("bij,bj->bi", inverse, shifted)
        unaffine[:, 2, 2] = 1.0
        return unaffine @ self._flips()


_real, _int, _bool = _checks.real, _checks.integer, _checks.boolean


def _range(value: object, name: str, low: float) -> Tuple[float, float]:
    """A number ``v`` in [0, 1] (meaning ``(1 - v, 1 + v)``) or a pair ``(lo, hi)``,
    ``low <= lo <= hi``."""
    return _checks.factor_range(value, name, low)


_GEOMETRY_FIELDS = ("rotation", "shift_x", "shift_y", "shear", "zoom_x", "zoom_y")


def _check_params(params: AugmentParams) -> None:
    """Hand-built or edited parameters: every field one finite value per image (NaN allowed
    where it means off), non-zero zooms, shear short of 90 degrees."""
    batch = len(params)
    for field in _GEOMETRY_FIELDS + ("flip_horizontal", "flip_vertical", "brightness",
                                     "channel_shift"):
        value = getattr(params, field)
        if not isinstance(value, np.ndarray) or value.shape != (batch,):
            raise ValueError(f"params.{field} must be a numpy array of shape ({batch},)")
        if field.startswith("flip"):
            if value.dtype != bool:
                raise TypeError(f"params.{field} must be a bool array, got {value.dtype}")
        elif value.dtype.kind not in "iuf":
            raise TypeError(f"params.{field} must be a real array, got {value.dtype}")
        elif np.isinf(value).any() or (field in _GEOMETRY_FIELDS and np.isnan(value).any()):
            raise ValueError(f"params.{field} must be finite"
                             + ("" if field in _GEOMETRY_FIELDS else " or NaN (off)"))
    if (params.zoom_x == 0).any() or (params.zoom_y == 0).any():
        raise ValueError("params.zoom_x and params.zoom_y must be non-zero")
    if (np.abs(params.shear) >= 90).any():
        raise ValueError("params.shear must be in (-90, 90) degrees")


# ---------------------------------------------------------------- the class

class Augment(Compose):
    """Random geometric and photometric augmentation, reproducible per sample.

    Args:
        rotation: degrees; each sample rotates by U(-rotation, rotation), counter-clockwise
            as displayed for positive angles.
        width_shift, height_shift: fractions of W and H in [0, 1]; shift by U(-s, s) · size
            (positive moves content right/down).
        shear: degrees in [0, 90); horizontal shear by U(-shear, shear).
        zoom: (lo, hi) with 0 < lo <= hi, or v meaning (1 - v, 1 + v); zoom_x and zoom_y
            drawn independently from U(lo, hi), Keras's meaning (z < 1 enlarges).
        horizontal_flip, vertical_flip: flip with probability 1/2 (after the affine).
        brightness: None, (lo, hi) with 0 <= lo <= hi, or v meaning (1 - v, 1 + v);
            multiply intensities by U(lo, hi).
        channel_shift: add U(-s, s) (intensity units, e.g. 0..255 for uint8) to every
            channel, as Keras's ``channel_shift_range``.
        fill_mode, cval: what images show outside the source: constant (cval), nearest,
            reflect, wrap or mirror (scipy.ndimage's meanings).
        order: 0 nearest, 1 bilinear (images; masks are always nearest).
        mask_fill: mask value outside the source.
        seed: int in [0, 2**64): with (epoch, sample index) it names every random number.
        min_box_visibility: boxes whose clipped area is below this fraction of their
            transformed area are dropped.
        out_dtype: None (the input's), np.uint8 or np.float32.
        num_threads: native threads (None or 0: every CPU available), at most 1024.
        layout: ``"NHWC"`` or ``"NCHW"`` (numpy batches in and out); a batch read as NHWC
            with a "height" of at most 4 and more than 4 "channels" is refused as NCHW.

    Photometric steps are computed in float32 after the warp; uint8 results round half to
    even and saturate, float32 results are not clipped.

    A preset of :class:`fastaug.Compose`: it draws its own parameters (``sample`` returns
    ``AugmentParams``) and runs them through ``Compose``'s executor.
    """

    def __init__(self, rotation=0.0, width_shift=0.0, height_shift=0.0, shear=0.0,
                 zoom=(1.0, 1.0), horizontal_flip=False, vertical_flip=False, brightness=None,
                 channel_shift=0.0, fill_mode="reflect", cval=0.0, order=1, mask_fill=0,
                 seed=0, min_box_visibility=0.0, out_dtype=None, num_threads=None,
                 layout="NHWC"):
        self.rotation = _real(rotation, "rotation", 0.0)
        self.width_shift = _real(width_shift, "width_shift", 0.0, 1.0)
        self.height_shift = _real(height_shift, "height_shift", 0.0, 1.0)
        self.shear = _real(shear, "shear", 0.0, 90.0, high_open=True)
        zoom_lo, zoom_hi = _range(zoom, "zoom", 0.0)
        if zoom_lo <= 0:
            raise ValueError(f"zoom must be > 0, got ({zoom_lo}, {zoom_hi})")
        self.zoom = (zoom_lo, zoom_hi)
        self.horizontal_flip = _bool(horizontal_flip, "horizontal_flip")
        self.vertical_flip = _bool(vertical_flip, "vertical_flip")
        self.brightness = None if brightness is None else _range(brightness, "brightness", 0.0)
        self.channel_shift = _real(channel_shift, "channel_shift", 0.0)
        if not isinstance(fill_mode, str) or fill_mode not in FILL_MODES:
            raise ValueError(f"fill_mode must be one of {', '.join(FILL_MODES)}, got {fill_mode!r}")
        self.fill_mode = fill_mode
        self.cval = _real(cval, "cval")
        self.order = _int(order, "order", 0, 2)
        super().__init__([], seed=seed, num_threads=num_threads, out_dtype=out_dtype,
                         layout=layout, mask_fill=mask_fill,
                         min_box_visibility=min_box_visibility)

    def __repr__(self) -> str:
        fields = ("rotation", "width_shift", "height_shift", "shear", "zoom", "horizontal_flip",
                  "vertical_flip", "brightness", "channel_shift", "fill_mode", "cval", "order",
                  "mask_fill", "seed", "min_box_visibility", "out_dtype", "num_threads",
                  "layout")
        return "Augment(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in fields) + ")"

    # ------------------------------------------------------------ sampling

    def sample(self, indices, epoch=0, image_shape=None) -> AugmentParams:
        """Draw the transforms of samples ``indices`` (an int, or a 1-D sequence) in ``epoch``
        for images of ``image_shape`` (H, W[, C]); a pure function of (seed, epoch, index)."""
        idx, single = _checks.indices_arg(indices)
        return self._sample(idx, single, epoch, _checks.image_shape_arg(image_shape))

    def _sample(self, idx, single, epoch, size) -> AugmentParams:  # type: ignore[override]
        """sample() for checked indices and image size."""
        epoch = _int(epoch, "epoch", 0, 2 ** 32)
        height, width = size
        geometry, scale_flip, colour = stream_uniforms(
            self.seed, epoch, idx, (_GEOMETRY_STREAM, _SCALE_FLIP_STREAM, _COLOUR_STREAM))

        def symmetric(u, spread):
            return spread * (2.0 * u - 1.0)

        zoom_lo, zoom_hi = self.zoom
        if self.brightness is None:
            brightness = np.full(idx.shape, np.nan)
        else:
            brightness = self.brightness[0] + (self.brightness[1] - self.brightness[0]) * colour[0]
        return AugmentParams(
            indices=idx, epoch=epoch, image_shape=(height, width),
            rotation=symmetric(geometry[0], self.rotation),
            shear=symmetric(geometry[1], self.shear),
            shift_x=symmetric(geometry[2], self.width_shift) * width,
            shift_y=symmetric(geometry[3], self.height_shift) * height,
            zoom_x=zoom_lo + (zoom_hi - zoom_lo) * scale_flip[0],
            zoom_y=zoom_lo + (zoom_hi - zoom_lo) * scale_flip[1],
            flip_horizontal=(scale_flip[2] < 0.5) & self.horizontal_flip,
            flip_vertical=(scale_flip[3] < 0.5) & self.vertical_flip,
            brightness=brightness,
            channel_shift=(symmetric(colour[1], self.channel_shift) if self.channel_shift
                           else np.full(idx.shape, np.nan)),
            single_image=single,
        )

    # ------------------------------------------------------------ the plan

    def _plan(self, params) -> Plan:
        if not isinstance(params, AugmentParams):
            raise TypeError(f"params must be AugmentParams (from Augment.sample), got "
                            f"{type(params).__name__}")
        _check_params(params)
        plan = Plan(len(params), params.image_shape, self.fill_mode, self.cval, self.order)
        plan.geometry(params.forward_matrices, params.pull_matrices())
        factor, offset = params.brightness, params.channel_shift
        photometric = ~(np.isnan(factor) & np.isnan(offset))
        if photometric.any():
            plan.color("multiply_add", photometric, np.nan_to_num(factor, nan=1.0),
                       np.nan_to_num(offset, nan=0.0))
        return plan
