"""Low-level image kernels on numpy arrays.

Every function takes an (H, W) or (H, W, C) uint8 or float32 array of any strides, never
writes to it, accepts an optional ``out=`` array to write into, and releases the GIL while
the native kernel runs. Bad arguments raise ``TypeError`` or ``ValueError`` naming them.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from . import _checks, _core
from ._pipeline import FILL_MODES
from ._arrays import as_kernel_image, prepare_out

__all__ = ["warp_affine", "flip_horizontal", "flip_vertical", "adjust_brightness", "channel_shift"]


def flip_horizontal(image: np.ndarray, *, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Mirror left-right: ``out[r, c] = image[r, W-1-c]``."""
    dst = _core.flip_horizontal_plain(image, out)
    if dst is not None:
        return dst
    img, was_2d = as_kernel_image(image)
    dst, finish = prepare_out(out, img.shape, img.dtype, was_2d, (image,))
    _core.flip_horizontal(img, dst)
    return finish()


def flip_vertical(image: np.ndarray, *, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Mirror top-bottom: ``out[r, c] = image[H-1-r, c]``."""
    dst = _core.flip_vertical_plain(image, out)
    if dst is not None:
        return dst
    img, was_2d = as_kernel_image(image)
    dst, finish = prepare_out(out, img.shape, img.dtype, was_2d, (image,))
    _core.flip_vertical(img, dst)
    return finish()


def _in_place_inputs(image: np.ndarray, out: Optional[np.ndarray]) -> Tuple[np.ndarray, ...]:
    # out=image (the very same object) asks for in-place work; any other overlap is an error.
    return () if out is image else (image,)


def adjust_brightness(
    image: np.ndarray,
    factor: float,
    *,
    rounding: str = "nearest",
    out: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Scale intensities by ``factor`` (finite, >= 0), computed in float32.

    ``rounding="nearest"``: uint8 gives ``clip(rint(image * f), 0, 255)`` (half to even),
    float32 gives ``image * f`` unclipped. ``rounding="floor"`` is Pillow's
    ``ImageEnhance.Brightness`` (what Keras uses): ``clip(floor(f * image), 0, 255)`` for both
    dtypes. ``out=image`` works in place.
    """
    # Plain arrays with a float factor and a valid rounding go straight to the kernel.
    dst = _core.adjust_brightness_plain(image, out, factor, rounding)
    if dst is not None:
        return dst
    f = _checks.finite(factor, "factor")
    if f < 0:
        raise ValueError(f"factor must be >= 0, got {factor!r}")
    if rounding not in ("nearest", "floor"):
        raise ValueError(f"rounding must be 'nearest' or 'floor', got {rounding!r}")
    img, was_2d = as_kernel_image(image)
    dst, finish = prepare_out(out, img.shape, img.dtype, was_2d, _in_place_inputs(image, out))
    _core.adjust_brightness(img, dst, f, rounding)
    return finish()


def channel_shift(
    image: np.ndarray,
    shift: Union[float, Sequence[float]],
    *,
    clip: Optional[Tuple[float, float]] = None,
    out: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Add ``shift`` (one number, or one per channel) to every pixel, then clip.

    Computed in float32: ``clip(image + shift[c], lo, hi)``. ``clip=None`` means the dtype's
    range: uint8 saturates to [0, 255], float32 is not clipped. ``clip=(lo, hi)`` (finite,
    lo <= hi) clips to those bounds; for uint8 they are first limited to [0, 255] and
    rounded inward (``ceil(lo)``, ``floor(hi)``) so results stay within them. uint8 rounds
    half to even before clipping. Keras's channel shift is ``clip=(image.min(),
    image.max())`` with one scalar shift. ``out=image`` works in place.
    """
    if clip is None:
        # The common call (plain arrays, float shifts, the dtype's range) goes straight to
        # the kernel; the binding returns None for anything the general parsing must see.
        dst = _core.channel_shift_plain(image, out, shift)
        if dst is not None:
            return dst
    img, was_2d = as_kernel_image(image)
    channels = img.shape[2]
    if np.ndim(shift) == 0:
        shifts = [_checks.finite(shift, "shift")] * channels
    else:
        values = list(np.asarray(shift, dtype=object).ravel()) if np.ndim(shift) == 1 else None
        if values is None or len(values) != channels:
            raise ValueError(
                f"shift must be a number or a sequence of {channels} numbers (one per "
                f"channel), got shape {np.shape(shift)}"
            )
        shifts = [_checks.finite(v, f"shift[{i}]") for i, v in enumerate(values)]
    if clip is None:
        lo, hi = (0.0, 255.0) if img.dtype == np.uint8 else (-math.inf, math.inf)
    else:
        if isinstance(clip, (str, bytes)) or np.ndim(clip) != 1 or len(clip) != 2:
            raise ValueError(f"clip must be None or a pair (lo, hi), got {clip!r}")
        lo, hi = _checks.finite(clip[0], "clip[0]"), _checks.finite(clip[1], "clip[1]")
        if lo > hi:
            raise ValueError(f"clip must have lo <= hi, got {clip!r}")
    dst, finish = prepare_out(out, img.shape, img.dtype, was_2d, _in_place_inputs(image, out))
    _core.channel_shift(img, dst, shifts, lo, hi)
    return finish()




def _warp_matrix(matrix: object) -> np.ndarray:
    try:
        raw = np.asarray(matrix)
        kind = raw.dtype.kind
        m = np.asarray(raw, dtype=np.float64) if kind not in "bc" else None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"matrix must be a 2x3 or 3x3 array of finite numbers ({exc})") from None
    if m is None:  # a float64 cast would silently drop what bool/complex entries mean
        raise TypeError(f"matrix must hold real numbers, got dtype {raw.dtype}")
    if m.shape not in ((2, 3), (3, 3)):
        raise ValueError(f"matrix must have shape (2, 3) or (3, 3), got {m.shape}")
    if m.shape == (3, 3):
        if not (m[2, 0] == 0.0 and m[2, 1] == 0.0 and m[2, 2] == 1.0):
            raise ValueError(f"matrix's last row must be [0, 0, 1], got {m[2].tolist()}")
        m = m[:2]
    return m  # the binding rejects non-finite entries (and copies the values)


def warp_affine(
    image: np.ndarray,
    matrix: object,
    *,
    order: int = 1,
    fill_mode: str = "constant",
    cval: float = 0.0,
    output_shape: Optional[Tuple[int, int]] = None,
    out: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Affine warp with ``scipy.ndimage.affine_transform`` semantics (per channel).

    ``matrix`` (2x3, or 3x3 with last row ``[0, 0, 1]``) is the inverse ("pull") map:
    ``out[r, c]`` samples ``image`` at row ``m[0,0]*r + m[0,1]*c + m[0,2]`` and column
    ``m[1,0]*r + m[1,1]*c + m[1,2]``. ``order`` 0 is nearest neighbour (identical to scipy),
    1 bilinear; ``fill_mode`` is one of constant, nearest, reflect, wrap (scipy's period
    n-1) or mirror, with ``cval`` for constant. ``output_shape`` is (height, width),
    default the input's. A uint8 result rounds half up and saturates, as scipy casts.
    """
    if output_shape is None:
        # Plain arrays, a (2, 3) float64 matrix and plain scalars go straight to the kernel.
        dst = _core.warp_affine_plain(image, out, matrix, order, fill_mode, cval)
        if dst is not None:
            return dst
    img, was_2d = as_kernel_image(image)
    m = _warp_matrix(matrix)
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise TypeError(f"order must be an int, got {type(order).__name__}")
    if order not in (0, 1):
        raise ValueError(
            f"order must be 0 or 1, got {order} (higher spline orders are not native; "
            "use scipy.ndimage for them)"
        )
    if not isinstance(fill_mode, str) or fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {', '.join(FILL_MODES)}, got {fill_mode!r}")
    cval = _checks.finite(cval, "cval")
    if output_shape is None:
        height, width = img.shape[:2]
    else:
        try:
            height, width = output_shape
        except (TypeError, ValueError):
            raise ValueError(
                f"output_shape must be (height, width), got {output_shape!r}"
            ) from None
        for v in (height, width):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(
                    f"output_shape must be two positive ints, got {output_shape!r}"
                )
        height, width = int(height), int(width)
    dst, finish = prepare_out(out, (height, width, img.shape[2]), img.dtype, was_2d, (image,))
    _core.warp_affine(img, dst, m, int(order), fill_mode, float(cval))
    return finish()
