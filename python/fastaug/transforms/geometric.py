"""Geometric transforms: each contributes a forward map and its inverse to the plan."""
from __future__ import annotations

import numbers
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from .. import _checks
from ._base import (Params, Plan, Transform, area_and_aspect_tries, fill_mode_arg,
                    interpolation_arg)

__all__ = ["Affine", "HorizontalFlip", "VerticalFlip", "CenterCrop", "RandomCrop", "Pad", "Resize",
           "RandomResizedCrop"]

Range = Union[float, Tuple[float, float]]


def _matrices(batch: int) -> np.ndarray:
    out = np.zeros((batch, 3, 3))
    out[:, 2, 2] = 1.0
    return out


class Affine(Transform):
    """Random rotation, translation, scale and shear about the image centre, with
    torchvision ``RandomAffine``'s meanings.

    Args:
        rotate: degrees, ``d`` meaning U(-d, d) or a range ``(lo, hi)``; positive angles
            turn the content clockwise as displayed (torchvision's ``affine``).
        translate: ``(a, b)``: shift by a whole number of pixels, ``round(U(-a W, a W))``
            across and ``round(U(-b H, b H))`` down (torchvision rounds too).
        translate_px: ``(a, b)``: the same in pixels, ``round(U(-a, a))`` across and
            ``round(U(-b, b))`` down, whatever the image size (albumentations' name); at
            most one of ``translate`` and ``translate_px``.
        scale: ``(lo, hi)``: zoom by U(lo, hi); above 1 enlarges the content (the opposite
            of Keras's ``zoom_range``).
        shear: degrees: ``s`` (x shear in U(-s, s)), ``(lo, hi)`` (x shear), or
            ``(xlo, xhi, ylo, yhi)`` (x and y shear), as torchvision's.
        fill: the value outside the source for ``fill_mode="constant"``.
        fill_mode: ``constant`` (torchvision's only mode), ``nearest``, ``reflect``, ``wrap``
            or ``mirror`` (scipy.ndimage's meanings).
        interpolation: ``bilinear`` (default; torchvision's default is ``nearest``) or
            ``nearest``.
        p: probability of applying the transform (else the identity).

    The forward map is ``x' = c + t + S R Sh (x - c)`` with ``c`` the image centre, built
    exactly as torchvision's ``_get_inverse_affine_matrix`` builds it, and its exact inverse
    (the product has determinant 1).
    """

    words = 7
    config_keys = ("rotate", "translate", "translate_px", "scale", "shear", "fill",
                   "fill_mode", "interpolation", "p")

    def __init__(self, rotate: Range = 0.0, translate: Optional[Tuple[float, float]] = None,
                 translate_px: Optional[Tuple[float, float]] = None,
                 scale: Optional[Tuple[float, float]] = None,
                 shear: Union[None, float, Sequence[float]] = None, fill: float = 0.0,
                 fill_mode: str = "constant", interpolation: str = "bilinear", p: float = 1.0):
        super().__init__(p)
        self.rotate = _checks.symmetric_range(rotate, "rotate")
        if translate is None:
            self.translate: Optional[Tuple[float, float]] = None
        else:
            if not isinstance(translate, (tuple, list)) or len(translate) != 2:
                raise ValueError(f"translate must be None or a pair (a, b) of fractions of "
                                 f"width and height, got {translate!r}")
            self.translate = (_checks.real(translate[0], "translate[0]", 0.0, 1.0),
                              _checks.real(translate[1], "translate[1]", 0.0, 1.0))
        if translate_px is None:
            self.translate_px: Optional[Tuple[float, float]] = None
        else:
            if translate is not None:
                raise ValueError("give at most one of translate (fractions) and translate_px "
                                 "(pixels)")
            if not isinstance(translate_px, (tuple, list)) or len(translate_px) != 2:
                raise ValueError(f"translate_px must be None or a pair (a, b) of pixel counts, "
                                 f"got {translate_px!r}")
            self.translate_px = (_checks.real(translate_px[0], "translate_px[0]", 0.0),
                                 _checks.real(translate_px[1], "translate_px[1]", 0.0))
        if scale is None:
            self.scale: Optional[Tuple[float, float]] = None
        else:
            if not isinstance(scale, (tuple, list)) or len(scale) != 2:
                raise ValueError(f"scale must be None or a pair (lo, hi), got {scale!r}")
            lo, hi = (_checks.real(v, "scale") for v in scale)
            if not 0 < lo <= hi:
                raise ValueError(f"scale must satisfy 0 < lo <= hi, got ({lo}, {hi})")
            self.scale = (lo, hi)
        self.shear = self._shear_arg(shear)
        self.fill = _checks.real(fill, "fill")
        self.fill_mode = fill_mode_arg(fill_mode)
        self.interpolation = interpolation_arg(interpolation)

    @staticmethod
    def _shear_arg(shear) -> Optional[Tuple[float, ...]]:
        if shear is None:
            return None
        if isinstance(shear, numbers.Real) and not isinstance(shear, bool):
            lo, hi = _checks.symmetric_range(shear, "shear")
            values: Tuple[float, ...] = (lo, hi, 0.0, 0.0)
        elif isinstance(shear, (tuple, list)) and len(shear) in (2, 4):
            values = tuple(_checks.real(v, "shear", -90.0, 90.0, high_open=True) for v in shear)
            if len(values) == 2:
                values += (0.0, 0.0)
            if values[0] > values[1] or values[2] > values[3]:
                raise ValueError(f"shear ranges must have lo <= hi, got {tuple(shear)!r}")
        else:
            raise ValueError(f"shear must be None, a number, or 2 or 4 numbers, got {shear!r}")
        if max(abs(v) for v in values) >= 90:
            raise ValueError(f"shear must be within (-90, 90) degrees, got {shear!r}")
        return values

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        height, width = size
        applied = self.applied(u)
        batch = u.shape[1]
        zero = np.zeros(batch)
        zero.flags.writeable = False

        def uniform(word, lo, hi, off=0.0):
            if lo == hi == off:  # not drawn: shared read-only constants
                return zero if off == 0.0 else np.full(batch, off)
            values = lo + (hi - lo) * u[word]
            return values if self.p == 1.0 else np.where(applied, values, off)

        tx = ty = zero
        if self.translate is not None or self.translate_px is not None:
            if self.translate is not None:
                max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            else:
                max_dx, max_dy = self.translate_px
            tx = np.round(uniform(2, -max_dx, max_dx))
            ty = np.round(uniform(3, -max_dy, max_dy))
        scale = np.ones(batch) if self.scale is None else uniform(4, *self.scale, off=1.0)
        shear = self.shear or (0.0, 0.0, 0.0, 0.0)
        return {"applied": applied, "angle": uniform(1, *self.rotate), "tx": tx, "ty": ty,
                "scale": scale, "shear_x": uniform(5, *shear[:2]),
                "shear_y": uniform(6, *shear[2:])}

    def contribute(self, params: Params, plan: Plan) -> None:
        height, width = plan.size
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        s = params["scale"]
        a, b, c, d = self._rotation_shear(params)
        ox, oy = cx + params["tx"], cy + params["ty"]
        batch = plan.batch

        def forward():
            m = _matrices(batch)
            if b is None:
                m[:, 0, 0] = m[:, 1, 1] = s
                m[:, 0, 2] = ox - s * cx
                m[:, 1, 2] = oy - s * cy
                return m
            m[:, 0, 0], m[:, 0, 1] = a * s, b * s
            m[:, 1, 0], m[:, 1, 1] = c * s, d * s
            m[:, 0, 2] = ox - m[:, 0, 0] * cx - m[:, 0, 1] * cy
            m[:, 1, 2] = oy - m[:, 1, 0] * cx - m[:, 1, 1] * cy
            return m

        pull = _matrices(batch)
        if b is None:  # scale and translation only: the same values without the zero terms
            inverse = 1.0 / s
            pull[:, 0, 0] = pull[:, 1, 1] = inverse
            pull[:, 0, 2] = cx - inverse * ox
            pull[:, 1, 2] = cy - inverse * oy
        else:
            pull[:, 0, 0], pull[:, 0, 1] = d / s, -b / s
            pull[:, 1, 0], pull[:, 1, 1] = -c / s, a / s
            pull[:, 0, 2] = cx - pull[:, 0, 0] * ox - pull[:, 0, 1] * oy
            pull[:, 1, 2] = cy - pull[:, 1, 0] * ox - pull[:, 1, 1] * oy
        plan.geometry(forward, pull)

    def _rotation_shear(self, params: Params):
        """torchvision's R(angle) SHy(shear_y) SHx(shear_x), as its four entries (a b; c d);
        four Nones (the identity) without rotation or shear in the settings."""
        if self.shear is None and self.rotate == (0.0, 0.0):
            return None, None, None, None
        rot = np.deg2rad(params["angle"])
        if self.shear is None:
            cos, sin = np.cos(rot), np.sin(rot)
            return cos, -sin, sin, cos
        sx, sy = np.deg2rad(params["shear_x"]), np.deg2rad(params["shear_y"])
        a = np.cos(rot - sy) / np.cos(sy)
        b = -(a * np.tan(sx) + np.sin(rot))
        c = np.sin(rot - sy) / np.cos(sy)
        d = np.cos(rot) - c * np.tan(sx)
        return a, b, c, d


class _Flip(Transform):
    axis: int  # 0: x (horizontal flip), 1: y (vertical flip)

    def __init__(self, p: float = 0.5):
        super().__init__(p)

    def contribute(self, params: Params, plan: Plan) -> None:
        plan.flip(self.axis, params["applied"])


class HorizontalFlip(_Flip):
    """Mirror left-right with probability ``p`` (x -> W - 1 - x)."""

    axis = 0


class VerticalFlip(_Flip):
    """Mirror top-bottom with probability ``p`` (y -> H - 1 - y)."""

    axis = 1


# torchvision's padding modes, as the warp's (scipy's) fill modes.
PADDING_MODES = {"constant": "constant", "edge": "nearest", "reflect": "mirror",
                 "symmetric": "reflect"}


def _size_arg(size, name: str = "size") -> Tuple[int, int]:
    """(height, width) from an int (a square) or a pair, as torchvision reads ``size``."""
    if isinstance(size, (tuple, list)):
        if len(size) == 1:
            size = size[0]
        elif len(size) == 2:
            return (_checks.integer(size[0], f"{name}[0]", 1, 2 ** 31),
                    _checks.integer(size[1], f"{name}[1]", 1, 2 ** 31))
        else:
            raise ValueError(f"{name} must be an int or (height, width), got {size!r}")
    side = _checks.integer(size, name, 1, 2 ** 31)
    return side, side


def _padding_arg(padding) -> Tuple[int, int, int, int]:
    """(left, top, right, bottom) from torchvision's forms: p, (p_lr, p_tb) or (l, t, r, b)."""
    if isinstance(padding, (tuple, list)):
        values = [_checks.integer(v, "padding", 0, 2 ** 31) for v in padding]
        if len(values) == 1:
            values *= 4
        elif len(values) == 2:
            values = [values[0], values[1], values[0], values[1]]
        elif len(values) != 4:
            raise ValueError(f"padding must be an int or 1, 2 or 4 ints, got {padding!r}")
        return tuple(values)  # type: ignore[return-value]
    p = _checks.integer(padding, "padding", 0, 2 ** 31)
    return p, p, p, p


def _padding_mode_arg(value: object) -> str:
    if not isinstance(value, str) or value not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {', '.join(PADDING_MODES)}, got {value!r}")
    return value


def _translate(plan: Plan, dx: np.ndarray, dy: np.ndarray) -> None:
    """Append the map that moves the content by (-dx, -dy): output (x, y) reads input
    (x + dx, y + dy), whole pixels."""
    pull = _matrices(plan.batch)
    pull[:, 0, 0] = pull[:, 1, 1] = 1.0
    pull[:, 0, 2], pull[:, 1, 2] = dx, dy
    forward = np.array(pull)
    forward[:, 0, 2], forward[:, 1, 2] = -dx, -dy
    plan.geometry(forward, pull)


class CenterCrop(Transform):
    """Crop the centre ``size`` (an int: a square, or (height, width)), as torchvision's
    ``CenterCrop``: the crop starts at ``round((H - h) / 2)`` (Python's rounding, half to
    even), and a crop larger than the image is centred on it, the outside filled with the
    pipeline's fill (0 unless a geometric transform asks for another; torchvision pads 0)."""

    config_keys = ("size",)

    def __init__(self, size):
        super().__init__(1.0)
        self.size = _size_arg(size)

    def output_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        return self.size

    def contribute(self, params: Params, plan: Plan) -> None:
        (height, width), (h, w) = plan.size, self.size
        top = round((height - h) / 2.0) if h <= height else -((h - height) // 2)
        left = round((width - w) / 2.0) if w <= width else -((w - width) // 2)
        _translate(plan, np.full(plan.batch, float(left)), np.full(plan.batch, float(top)))


class Pad(Transform):
    """Pad the borders, as torchvision's ``Pad``.

    Args:
        padding: ``p`` (all sides), ``(p_left_right, p_top_bottom)`` or ``(left, top, right,
            bottom)``, in pixels.
        fill: the value of ``padding_mode="constant"``.
        padding_mode: ``constant``, ``edge``, ``reflect`` (without repeating the edge pixel)
            or ``symmetric`` (repeating it), torchvision's names.

    The padding mode is the pipeline's one fill: it must agree with any other geometric
    transform's.
    """

    config_keys = ("padding", "fill", "padding_mode")

    def __init__(self, padding, fill: float = 0.0, padding_mode: str = "constant"):
        super().__init__(1.0)
        self.padding = _padding_arg(padding)
        self.fill = _checks.real(fill, "fill")
        self.padding_mode = _padding_mode_arg(padding_mode)
        self.fill_mode = PADDING_MODES[self.padding_mode]

    def output_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        left, top, right, bottom = self.padding
        return size[0] + top + bottom, size[1] + left + right

    def contribute(self, params: Params, plan: Plan) -> None:
        left, top = self.padding[:2]
        _translate(plan, np.full(plan.batch, -float(left)), np.full(plan.batch, -float(top)))


class RandomCrop(Transform):
    """Crop a random ``size`` window, as torchvision's ``RandomCrop``.

    Args:
        size: an int (a square) or (height, width).
        padding: padding added first (as :class:`Pad`'s), or None.
        pad_if_needed: pad an image smaller than ``size`` up to it (after ``padding``).
        fill, padding_mode: as :class:`Pad`'s.

    The window's top-left corner is uniform over every whole-pixel position, drawn per image
    (CIFAR's recipe is ``RandomCrop(32, padding=4)``).
    """

    words = 3  # p (unused: a crop always applies), top, left
    config_keys = ("size", "padding", "pad_if_needed", "fill", "padding_mode")

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill: float = 0.0,
                 padding_mode: str = "constant"):
        super().__init__(1.0)
        self.size = _size_arg(size)
        self.padding = None if padding is None else _padding_arg(padding)
        self.pad_if_needed = _checks.boolean(pad_if_needed, "pad_if_needed")
        self.fill = _checks.real(fill, "fill")
        self.padding_mode = _padding_mode_arg(padding_mode)
        if self.padding is not None or self.pad_if_needed:
            self.fill_mode = PADDING_MODES[self.padding_mode]

    def _padded(self, size: Tuple[int, int]) -> Tuple[int, int, int, int]:
        """(left, top, padded height, padded width) for an input of ``size``."""
        left, top, right, bottom = self.padding or (0, 0, 0, 0)
        height, width = size[0] + top + bottom, size[1] + left + right
        h, w = self.size
        if self.pad_if_needed:  # torchvision pads both sides by the missing amount
            if height < h:
                top, height = top + h - height, height + 2 * (h - height)
            if width < w:
                left, width = left + w - width, width + 2 * (w - width)
        if height < h or width < w:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the (padded) "
                             f"image {(height, width)}; pass pad_if_needed=True or padding=")
        return left, top, height, width

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        _, _, height, width = self._padded(size)
        h, w = self.size
        top = np.floor(u[1] * (height - h + 1))
        left = np.floor(u[2] * (width - w + 1))
        return {"applied": np.ones(u.shape[1], bool), "top": top, "left": left}

    def output_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        return self.size

    def contribute(self, params: Params, plan: Plan) -> None:
        left, top, _, _ = self._padded(plan.size)
        _translate(plan, params["left"] - left, params["top"] - top)


def _box_to_size(plan: Plan, left, top, width, height, size: Tuple[int, int]) -> None:
    """Append the map that resizes the box (left, top, width, height) of the current image
    (whole pixels, arrays or numbers) to ``size`` (h, w): pixel edges map to pixel edges."""
    h, w = size
    sx, sy = np.asarray(width, float) / w, np.asarray(height, float) / h
    sx, sy = np.broadcast_to(sx, (plan.batch,)), np.broadcast_to(sy, (plan.batch,))
    left = np.broadcast_to(np.asarray(left, float), (plan.batch,))
    top = np.broadcast_to(np.asarray(top, float), (plan.batch,))
    pull = _matrices(plan.batch)
    pull[:, 0, 0], pull[:, 1, 1] = sx, sy
    pull[:, 0, 2] = left + 0.5 * sx - 0.5
    pull[:, 1, 2] = top + 0.5 * sy - 0.5
    forward = _matrices(plan.batch)
    forward[:, 0, 0], forward[:, 1, 1] = 1.0 / sx, 1.0 / sy
    forward[:, 0, 2] = (0.5 - left) / sx - 0.5
    forward[:, 1, 2] = (0.5 - top) / sy - 0.5
    plan.geometry(forward, pull)


class Resize(Transform):
    """Resize as torchvision's ``Resize``: ``size`` an int (the shorter side becomes
    ``size``, the longer ``int(size * long / short)``) or (height, width).

    Args:
        size: as above.
        antialias: filter with Pillow's and torchvision's antialiased bilinear kernel (its
            support widened by the downscale factor), as ``antialias=True``; False: plain
            bilinear sampling (aliases when shrinking).

    Resampling is bilinear; with ``antialias`` the image is filtered separably (rows, then
    columns) as torchvision's uint8 kernel does, uint8 values rounded between the passes.
    Antialiasing applies when the composed map of the pipeline is axis-aligned (crops,
    resizes, flips; not rotations or shears) and its colour ops are torchvision-style ones
    (not ``Augment``'s or Keras's); otherwise the map is warped bilinearly.
    """

    config_keys = ("size", "antialias")

    def __init__(self, size, antialias: bool = True):
        super().__init__(1.0)
        if isinstance(size, (tuple, list)) and len(size) == 2:
            self.size: Union[int, Tuple[int, int]] = _size_arg(size)
        else:
            self.size = _size_arg(size)[0]
        self.antialias = _checks.boolean(antialias, "antialias")
        self.interpolation = "bilinear"

    def output_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        if isinstance(self.size, tuple):
            return self.size
        height, width = size
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = self.size, int(self.size * long / short)
        return (new_long, new_short) if width <= height else (new_short, new_long)

    def contribute(self, params: Params, plan: Plan) -> None:
        height, width = plan.size
        _box_to_size(plan, 0.0, 0.0, width, height, self.output_size(plan.size))
        plan.antialias = plan.antialias or self.antialias


class RandomResizedCrop(Transform):
    """A random crop resized to ``size``, as torchvision's ``RandomResizedCrop``.

    Args:
        size: an int (a square) or (height, width).
        scale: the crop's area as a fraction of the image's, drawn uniformly in (lo, hi).
        ratio: the crop's width / height, drawn log-uniformly in (lo, hi).
        antialias: as :class:`Resize`'s.

    torchvision's sampling: up to ten tries of (area, ratio), each rounded to whole pixels,
    the first that fits the image taken, its corner uniform over the positions; if none
    fits, the centre crop of the image clamped to the ratio range. The crop is read from the
    source and resized in one pass (no full-size intermediate).
    """

    _TRIES = 10
    words = 1 + 2 * _TRIES + 2  # p (unused), (area, ratio) per try, top, left
    config_keys = ("size", "scale", "ratio", "antialias")

    def __init__(self, size, scale: Tuple[float, float] = (0.08, 1.0),
                 ratio: Tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0), antialias: bool = True):
        super().__init__(1.0)
        self.size = _size_arg(size)
        self.scale = _checks._pair(scale, "scale")
        self.ratio = _checks._pair(ratio, "ratio")
        if not 0 < self.scale[0] <= self.scale[1] <= 1:
            raise ValueError(f"scale must satisfy 0 < lo <= hi <= 1, got {self.scale}")
        if not 0 < self.ratio[0] <= self.ratio[1]:
            raise ValueError(f"ratio must satisfy 0 < lo <= hi, got {self.ratio}")
        self.antialias = _checks.boolean(antialias, "antialias")
        self.interpolation = "bilinear"

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        height, width = size
        tries = self._TRIES
        area, aspect = area_and_aspect_tries(u, tries, height * width, self.scale, self.ratio)
        w = np.round(np.sqrt(area * aspect))
        h = np.round(np.sqrt(area / aspect))
        fits = (w > 0) & (w <= width) & (h > 0) & (h <= height)
        found = fits.any(axis=0)
        first = np.argmax(fits, axis=0)
        columns = np.arange(u.shape[1])
        w, h = w[first, columns], h[first, columns]
        # The fallback: the whole image, clamped to the ratio range, centred.
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            fw, fh = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            fw, fh = int(round(height * self.ratio[1])), height
        else:
            fw, fh = width, height
        w, h = np.where(found, w, fw), np.where(found, h, fh)
        top = np.where(found, np.floor(u[1 + 2 * tries] * (height - h + 1)), (height - fh) // 2)
        left = np.where(found, np.floor(u[2 + 2 * tries] * (width - w + 1)), (width - fw) // 2)
        return {"applied": np.ones(u.shape[1], bool), "top": top, "left": left,
                "height": h, "width": w}

    def output_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        return self.size

    def contribute(self, params: Params, plan: Plan) -> None:
        _box_to_size(plan, params["left"], params["top"], params["width"], params["height"],
                     self.size)
        plan.antialias = plan.antialias or self.antialias
