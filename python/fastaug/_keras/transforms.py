"""Random transform parameters and pull matrices, a whole batch at a time (Keras 1.1.2).

Parameters come from the global legacy numpy RNG in exactly the order and amount Keras's
``get_random_transform`` draws them, image after image (docs/keras-semantics.md, "Random
draws"). When every range is a plain number, each image takes a fixed number of
``random_sample`` doubles, so a batch is one ``random_sample((B, k))`` call whose columns are
mapped as ``np.random.uniform`` maps them (``low + (high - low) * u``). Integer or list shift
ranges draw through ``np.random.choice``, whose consumption varies, so those batches run Keras's
per-image code instead.

Matrices are composed as Keras composes them (R, T, Sh, Z, each only where it is not the
identity, centred on ``(h/2 + 0.5, w/2 + 0.5)``), with ``np.matmul`` on stacks, which gives the
same float64 results as Keras's per-image ``np.dot``. Keras 2.9+ (``compat="2.9"``) draws the
same parameters but centres on ``(h/2 - 0.5, w/2 - 0.5)`` and then swaps the matrix's first two
coordinates (``P·M·P``); see docs/keras-semantics.md, "Matrix composition".
"""
from __future__ import annotations

import math
import numbers
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

KEYS = ("theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical",
        "channel_shift_intensity", "brightness")


class TransformBatch:
    """Transform parameters of B images: float64 arrays (``channel_shift`` and ``brightness``
    are NaN where absent), boolean flip arrays."""

    __slots__ = ("theta", "tx", "ty", "shear", "zx", "zy", "flip_h", "flip_v", "channel_shift",
                 "brightness")

    def __init__(self, size: int, **drawn: np.ndarray):
        """Every field absent (no transform), except those given in ``drawn`` (arrays of
        ``size``, kept as given)."""
        for name in self.__slots__:
            value = drawn.get(name)
            if value is None:
                value = (np.ones(size) if name in ("zx", "zy")
                         else np.full(size, np.nan) if name in ("channel_shift", "brightness")
                         else np.zeros(size, dtype=bool) if name in ("flip_h", "flip_v")
                         else np.zeros(size))
            setattr(self, name, value)

    @property
    def size(self) -> int:
        return self.theta.shape[0]

    @classmethod
    def from_dicts(cls, dicts: Sequence[dict]) -> "TransformBatch":
        """From Keras-style parameter dicts; missing keys take ``apply_transform``'s defaults."""
        tb = cls(len(dicts))
        for i, p in enumerate(dicts):
            tb.theta[i] = p.get("theta", 0)
            tb.tx[i] = p.get("tx", 0)
            tb.ty[i] = p.get("ty", 0)
            tb.shear[i] = p.get("shear", 0)
            tb.zx[i] = p.get("zx", 1)
            tb.zy[i] = p.get("zy", 1)
            tb.flip_h[i] = bool(p.get("flip_horizontal", False))
            tb.flip_v[i] = bool(p.get("flip_vertical", False))
            if p.get("channel_shift_intensity") is not None:
                tb.channel_shift[i] = p["channel_shift_intensity"]
            if p.get("brightness") is not None:
                tb.brightness[i] = p["brightness"]
        return tb

    def has_affine(self) -> np.ndarray:
        """Which images Keras resamples (any of rotation, shift, shear, zoom set)."""
        return ((self.theta != 0) | (self.tx != 0) | (self.ty != 0) | (self.shear != 0)
                | (self.zx != 1) | (self.zy != 1))


def _is_plain_number(value) -> bool:
    if type(value) in (float, int):
        return True  # the common case, without the slower ABC check
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(
        value, np.ndarray)


# Only asked whether choice() accepts a range; its own stream is never used for values.
_CHOICE_PROBE = np.random.RandomState(0)


def _shift_draws_uniform(shift_range) -> bool:
    """Whether Keras's ``np.random.choice(shift_range)`` fails (float ranges, ints <= 0) so it
    falls back to ``uniform``. Decided on a private RandomState: choice validates before it
    draws, so the answer is the global one's, and the global stream is left alone."""
    if type(shift_range) is float:
        return True  # choice() rejects every Python float (operator.index fails)
    try:
        _CHOICE_PROBE.choice(shift_range)
    except ValueError:
        return True
    return False


class _UniformPlan:
    """Columns of one image's draws when all are ``uniform``/``random`` calls."""

    def __init__(self):
        self.columns: List[Tuple[str, float, float]] = []  # (name, low, high)

    def add(self, name: str, low, high) -> bool:
        if not (_is_plain_number(low) and _is_plain_number(high)):
            return False
        low, high = float(low), float(high)
        if not math.isfinite(high - low):
            return False  # numpy raises OverflowError; the per-image path reproduces it
        self.columns.append((name, low, high))
        return True


def _plan(gen) -> Optional[_UniformPlan]:
    """The vectorisable draw plan for ``gen``'s current ranges, or None when some range needs
    Keras's per-image code (choice-based shifts, or bounds numpy itself must reject)."""
    plan = _UniformPlan()
    ok = True
    if gen.rotation_range:
        ok &= plan.add("theta", -gen.rotation_range, gen.rotation_range)
    for name, shift_range in (("tx", gen.height_shift_range), ("ty", gen.width_shift_range)):
        if shift_range:
            if not _shift_draws_uniform(shift_range):
                return None
            ok &= plan.add(name, -shift_range, shift_range)
    if gen.shear_range:
        ok &= plan.add("shear", -gen.shear_range, gen.shear_range)
    zoom = gen.zoom_range
    if not (zoom[0] == 1 and zoom[1] == 1):
        ok &= plan.add("zx", zoom[0], zoom[1])
        ok &= plan.add("zy", zoom[0], zoom[1])
    plan.columns.append(("flip_h", 0.0, 1.0))
    plan.columns.append(("flip_v", 0.0, 1.0))
    if gen.channel_shift_range != 0:
        ok &= plan.add("channel_shift", -gen.channel_shift_range, gen.channel_shift_range)
    if gen.brightness_range is not None:
        ok &= plan.add("brightness", gen.brightness_range[0], gen.brightness_range[1])
    return plan if ok else None


def _largest(shift_range):
    """``np.max(shift_range)``, without numpy's overhead for a plain number."""
    return shift_range if type(shift_range) in (float, int) else np.max(shift_range)


def draw_transforms(gen, img_shape: Sequence[int], count: int) -> TransformBatch:
    """Draw ``count`` images' parameters from the global numpy RNG, as ``count`` consecutive
    Keras ``get_random_transform(img_shape)`` calls would."""
    plan = _plan(gen)
    if plan is None:
        return TransformBatch.from_dicts(
            [keras_random_transform(gen, img_shape) for _ in range(count)])
    draws = np.random.random_sample((count, len(plan.columns))).T
    # The ranges' columns all at once, as np.random.uniform maps them: low + (high - low) * u;
    # rows of the transposed result are each parameter's values, contiguous.
    lows = np.array([low for _, low, _ in plan.columns])
    spans = np.array([high - low for _, low, high in plan.columns])
    values = lows[:, np.newaxis] + spans[:, np.newaxis] * draws
    drawn = {}
    for k, (name, _, _) in enumerate(plan.columns):
        if name in ("flip_h", "flip_v"):
            enabled = gen.horizontal_flip if name == "flip_h" else gen.vertical_flip
            drawn[name] = (draws[k] < 0.5) & bool(enabled)
        else:
            drawn[name] = values[k]
    tb = TransformBatch(count, **drawn)
    # Keras: fractions of the image size when every value is below 1, else pixels.
    if gen.height_shift_range and _largest(gen.height_shift_range) < 1:
        tb.tx *= img_shape[gen.row_axis - 1]
    if gen.width_shift_range and _largest(gen.width_shift_range) < 1:
        tb.ty *= img_shape[gen.col_axis - 1]
    return tb


def keras_random_transform(gen, img_shape: Sequence[int]) -> dict:
    """One image's parameters, drawn by Keras 1.1.2's own sequence of numpy calls."""
    theta = np.random.uniform(-gen.rotation_range, gen.rotation_range) if gen.rotation_range else 0
    shifts = []
    for shift_range, axis in ((gen.height_shift_range, gen.row_axis - 1),
                              (gen.width_shift_range, gen.col_axis - 1)):
        if shift_range:
            try:
                value = np.random.choice(shift_range)
                value *= np.random.choice([-1, 1])
            except ValueError:
                value = np.random.uniform(-shift_range, shift_range)
            if np.max(shift_range) < 1:
                value *= img_shape[axis]
        else:
            value = 0
        shifts.append(value)
    shear = np.random.uniform(-gen.shear_range, gen.shear_range) if gen.shear_range else 0
    if gen.zoom_range[0] == 1 and gen.zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(gen.zoom_range[0], gen.zoom_range[1], 2)
    flip_h = (np.random.random() < 0.5) * gen.horizontal_flip
    flip_v = (np.random.random() < 0.5) * gen.vertical_flip
    channel_shift = None
    if gen.channel_shift_range != 0:
        channel_shift = np.random.uniform(-gen.channel_shift_range, gen.channel_shift_range)
    brightness = None
    if gen.brightness_range is not None:
        brightness = np.random.uniform(gen.brightness_range[0], gen.brightness_range[1])
    return dict(zip(KEYS, (theta, shifts[0], shifts[1], shear, zx, zy, flip_h, flip_v,
                           channel_shift, brightness)))


def transform_dict(gen, tb: TransformBatch, i: int) -> Dict[str, object]:
    """Image ``i``'s parameters as Keras's dict: values not drawn are Keras's 0, 1 or None."""
    zoom_drawn = not (gen.zoom_range[0] == 1 and gen.zoom_range[1] == 1)
    return {
        "theta": float(tb.theta[i]) if gen.rotation_range else 0,
        "tx": float(tb.tx[i]) if gen.height_shift_range else 0,
        "ty": float(tb.ty[i]) if gen.width_shift_range else 0,
        "shear": float(tb.shear[i]) if gen.shear_range else 0,
        "zx": tb.zx[i] if zoom_drawn else 1,
        "zy": tb.zy[i] if zoom_drawn else 1,
        "flip_horizontal": bool(tb.flip_h[i]) * gen.horizontal_flip,
        "flip_vertical": bool(tb.flip_v[i]) * gen.vertical_flip,
        "channel_shift_intensity": None if np.isnan(tb.channel_shift[i])
        else float(tb.channel_shift[i]),
        "brightness": None if np.isnan(tb.brightness[i]) else float(tb.brightness[i]),
    }


_DIAGONAL = np.arange(3)


def _identities(size: int) -> np.ndarray:
    out = np.zeros((size, 3, 3))
    out[:, _DIAGONAL, _DIAGONAL] = 1.0
    return out


def affine_matrices(tb: TransformBatch, h: int, w: int, compat: str = "1.1.2",
                    has_affine: Optional[np.ndarray] = None) -> np.ndarray:
    """(B, 3, 3) centred pull matrices, Keras's ``transform_matrix_offset_center(R·T·Sh·Z)``;
    for ``compat="2.9"`` centred 1 px up-left and then axis-swapped, as Keras 2.9+ does.
    ``has_affine`` is ``tb.has_affine()`` when the caller already has it.

    An image's absent factors are identity matrices here; multiplying by an exact identity
    changes nothing, so each image gets Keras's product. Images without an affine get the
    identity.
    """
    size = tb.size
    if has_affine is None:
        has_affine = tb.has_affine()
    rotate = tb.theta != 0
    shear = tb.shear != 0
    if not rotate.any() and not shear.any():
        return _centred_shift_zoom(tb, h, w, compat, has_affine)
    factors = []
    if rotate.any():
        t = np.deg2rad(np.where(rotate, tb.theta, 0.0))
        c, s = np.cos(t), np.sin(t)
        r = _identities(size)
        r[:, 0, 0], r[:, 0, 1], r[:, 1, 0], r[:, 1, 1] = c, -s, s, c
        factors.append(r)
    if ((tb.tx != 0) | (tb.ty != 0)).any():
        t = _identities(size)
        t[:, 0, 2], t[:, 1, 2] = tb.tx, tb.ty
        factors.append(t)
    if shear.any():
        t = np.deg2rad(np.where(shear, tb.shear, 0.0))
        sh = _identities(size)
        sh[:, 0, 1], sh[:, 1, 1] = -np.sin(t), np.cos(t)
        factors.append(sh)
    if ((tb.zx != 1) | (tb.zy != 1)).any():
        z = _identities(size)
        z[:, 0, 0], z[:, 1, 1] = tb.zx, tb.zy
        factors.append(z)
    if not factors:
        return _identities(size)
    matrix = factors[0]
    for factor in factors[1:]:
        matrix = np.matmul(matrix, factor)
    o_r, o_c = _centre(h, w, compat)
    offset = np.array([[1, 0, o_r], [0, 1, o_c], [0, 0, 1]], dtype=np.float64)
    return _finish_centring(np.matmul(offset, matrix), o_r, o_c, compat, has_affine)


def _centre(h: int, w: int, compat: str) -> Tuple[float, float]:
    half = 0.5 if compat == "1.1.2" else -0.5
    return float(h) / 2 + half, float(w) / 2 + half


def _finish_centring(shifted: np.ndarray, o_r: float, o_c: float, compat: str,
                     has_affine: np.ndarray) -> np.ndarray:
    """``shifted · reset`` (``shifted`` = offset · M), then 2.9's axis swap and identities
    for the images without an affine."""
    reset = np.array([[1, 0, -o_r], [0, 1, -o_c], [0, 0, 1]], dtype=np.float64)
    centred = np.matmul(shifted, reset)
    if compat != "1.1.2":
        # Keras 2.9+ builds M in (x, y) order and swaps to (row, col) after centring, so the
        # centre's coordinates are swapped too (wrong for non-square images, as in Keras).
        centred = centred[:, [1, 0, 2]][:, :, [1, 0, 2]]
    if not has_affine.all():
        centred[~has_affine] = np.eye(3)
    return centred


def _centred_shift_zoom(tb: TransformBatch, h: int, w: int, compat: str,
                        has_affine: np.ndarray) -> np.ndarray:
    """affine_matrices for batches without rotation or shear, without the products that only
    multiply by 0 and 1: T·Z is [[zx, 0, tx], [0, zy, ty], [0, 0, 1]] exactly, and so is
    offset · T·Z with tx + o_r and ty + o_c (each entry has one nonzero product besides an
    exact one, so BLAS's summation order and FMA cannot change it). The last product, by
    ``reset``, sums two rounded terms and stays a matmul, as Keras's np.dot computes it."""
    o_r, o_c = _centre(h, w, compat)
    shifted = np.zeros((tb.size, 3, 3))
    shifted[:, 0, 0] = tb.zx
    shifted[:, 1, 1] = tb.zy
    shifted[:, 0, 2] = tb.tx + o_r
    shifted[:, 1, 2] = tb.ty + o_c
    shifted[:, 2, 2] = 1.0
    return _finish_centring(shifted, o_r, o_c, compat, has_affine)


def pull_rows(matrices: np.ndarray, flip_h: np.ndarray, flip_v: np.ndarray, h: int,
              w: int) -> np.ndarray:
    """(B, 6) rows ``[m0..m5]`` (in_r = m0 r + m1 c + m2, in_c = m3 r + m4 c + m5) with the
    flips folded in: Keras flips after the affine, so output (r, c) reads the affine's output
    at (r, w-1-c) and/or (h-1-r, c), i.e. the output coordinates are reflected."""
    m = np.array(matrices[:, :2, :])  # (B, 2, 3), a copy
    for flipped, size, axis in ((flip_h, w, 1), (flip_v, h, 0)):
        if flipped.any():
            f = flipped[:, np.newaxis]
            lin = m[:, :, axis]
            m[:, :, 2] = np.where(f, m[:, :, 2] + lin * (size - 1), m[:, :, 2])
            m[:, :, axis] = np.where(f, -lin, lin)
    return m.reshape(-1, 6)
