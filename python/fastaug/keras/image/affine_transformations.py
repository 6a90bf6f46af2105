"""Keras's single-image transform functions (``keras_preprocessing.image.affine_transformations``).

Same signatures, defaults, random draws and errors as keras-preprocessing 1.1.2, computed by
fastaug's kernels where they have the dtype and mode: the affine warp for uint8, float32 and
float64 images with ``order`` 0 or 1 and a native fill mode, the channel shift for float32,
the brightness blend always. Everything else (other dtypes, spline orders >= 2, scipy-only
fill modes) runs through ``scipy.ndimage`` as in Keras. Keras's own quirks are kept (see
``docs/keras-semantics.md``): the ``random_*`` functions forward only ``channel_axis``, so the
centre comes from axes 0 and 1 whatever ``row_axis`` and ``col_axis`` say.

Like Keras, the module looks up SciPy and Pillow's ``ImageEnhance`` as the module attributes
``scipy`` and ``ImageEnhance`` (``None`` when not installed), and ``apply_affine_transform``
and ``apply_brightness_shift`` raise ``ImportError`` when they are ``None``, so code written
against this module behaves the same on Keras.
"""
from __future__ import annotations

import importlib
import math
from typing import Any, Optional, Sequence

import numpy as np

from ... import kernels

__all__ = [
    "flip_axis",
    "random_rotation",
    "random_shift",
    "random_shear",
    "random_zoom",
    "apply_channel_shift",
    "random_channel_shift",
    "apply_brightness_shift",
    "random_brightness",
    "transform_matrix_offset_center",
    "apply_affine_transform",
]

# Optional dependencies, imported on first use: module attributes, as in Keras.
_OPTIONAL = {"scipy": "scipy", "ImageEnhance": "PIL.ImageEnhance"}
_NATIVE_FILL_MODES = {"constant": "constant", "nearest": "nearest", "reflect": "reflect",
                      "wrap": "wrap", "mirror": "mirror", "grid-mirror": "reflect"}
_NATIVE_WARP_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))


def __getattr__(name: str) -> Any:
    if name in _OPTIONAL:
        try:
            value = importlib.import_module(_OPTIONAL[name])
        except ImportError:
            value = None
        globals()[name] = value
        return value
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def _optional(name: str) -> Any:
    return globals()[name] if name in globals() else __getattr__(name)


def flip_axis(x: Any, axis: int) -> np.ndarray:
    """``x`` reversed along ``axis``: a view, as in Keras."""
    return np.flip(np.asarray(x), axis)


def random_rotation(x: np.ndarray, rg: float, row_axis: int = 1, col_axis: int = 2,
                    channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.,
                    interpolation_order: int = 1) -> np.ndarray:
    """Rotate ``x`` by ``np.random.uniform(-rg, rg)`` degrees (``apply_affine_transform``).

    As in Keras, ``row_axis`` and ``col_axis`` are not passed on: the rotation is centred
    on the sizes of axes 0 and 1."""
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, channel_axis=channel_axis, fill_mode=fill_mode,
                                  cval=cval, order=interpolation_order)


def random_shift(x: np.ndarray, wrg: float, hrg: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.,
                 interpolation_order: int = 1) -> np.ndarray:
    """Shift ``x`` by ``uniform(-hrg, hrg) * h`` rows and ``uniform(-wrg, wrg) * w`` columns,
    with ``h, w`` read from ``row_axis`` and ``col_axis`` (drawn in that order)."""
    h, w = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_shear(x: np.ndarray, intensity: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.,
                 interpolation_order: int = 1) -> np.ndarray:
    """Shear ``x`` by ``np.random.uniform(-intensity, intensity)`` degrees."""
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_zoom(x: np.ndarray, zoom_range: Sequence[float], row_axis: int = 1,
                col_axis: int = 2, channel_axis: int = 0, fill_mode: str = "nearest",
                cval: float = 0., interpolation_order: int = 1) -> np.ndarray:
    """Zoom ``x`` by ``zx, zy = np.random.uniform(lo, hi, 2)`` (no draw when the range is
    ``(1, 1)``). Raises ValueError unless ``zoom_range`` has two entries."""
    if len(zoom_range) != 2:
        raise ValueError("`zoom_range` should be a tuple or list of two floats. Received: %s"
                         % (zoom_range,))
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def apply_channel_shift(x: np.ndarray, intensity: float, channel_axis: int = 0) -> np.ndarray:
    """``clip(x + intensity, x.min(), x.max())``, a new array (in the dtype numpy's ``x +
    intensity`` has), with the axes arranged as Keras returns them."""
    x = np.asarray(x)
    out_dtype = np.result_type(x, intensity)
    lo, hi = np.min(x), np.max(x)
    if (x.ndim in (2, 3) and x.dtype == np.float32 and out_dtype == np.float32
            and math.isfinite(float(intensity)) and math.isfinite(float(lo))
            and math.isfinite(float(hi))):
        out = kernels.channel_shift(x, float(intensity), clip=(float(lo), float(hi)))
    else:
        out = np.clip(x + intensity, lo, hi)
    # Keras moves the channels first and back with rollaxis; a negative axis stays first.
    return np.rollaxis(np.rollaxis(out, channel_axis, 0), 0, channel_axis + 1)


def random_channel_shift(x: np.ndarray, intensity_range: float,
                         channel_axis: int = 0) -> np.ndarray:
    """``apply_channel_shift`` with ``np.random.uniform(-intensity_range, intensity_range)``."""
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def apply_brightness_shift(x: np.ndarray, brightness: float) -> np.ndarray:
    """Keras's brightness change of one channels-last image, returned as float32.

    The image is stretched to [0, 255] and truncated to uint8 (``array_to_img``), then
    blended towards black as Pillow's ``ImageEnhance.Brightness`` does,
    ``clip(floor(brightness * v), 0, 255)``; a fourth channel is alpha and kept. Raises
    ValueError for an array that is not 3-D or has other than 1, 3 or 4 channels, and
    ImportError when ``ImageEnhance`` (Pillow) is missing, as Keras does."""
    if _optional("ImageEnhance") is None:
        raise ImportError("Using brightness shifts requires PIL. Install PIL or Pillow.")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). Got array with "
                         "shape: %s" % (x.shape,))
    channels = x.shape[2]
    x = x - np.min(x)
    top = np.max(x)
    if top != 0:
        x /= top
    x *= 255
    if channels not in (1, 3, 4):
        raise ValueError("Unsupported channel number: %s" % (channels,))
    levels = x.astype(np.uint8)
    factor = float(brightness)
    if not (math.isfinite(factor) and factor >= 0):
        # Pillow's blend of a negative or non-finite factor saturates: no kernel for that.
        out = np.clip(np.floor(np.float32(factor) * levels.astype(np.float32)), 0, 255)
    else:
        out = kernels.adjust_brightness(levels, factor, rounding="floor").astype(np.float32)
    if channels == 4:
        out[..., 3] = levels[..., 3]
    return out


def random_brightness(x: np.ndarray, brightness_range: Sequence[float]) -> np.ndarray:
    """``apply_brightness_shift`` with ``np.random.uniform(lo, hi)``. Raises ValueError unless
    ``brightness_range`` has two entries."""
    if len(brightness_range) != 2:
        raise ValueError("`brightness_range should be tuple or list of two floats. Received: %s"
                         % (brightness_range,))
    u = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u)


def transform_matrix_offset_center(matrix: np.ndarray, x: float, y: float) -> np.ndarray:
    """``matrix`` (3x3) conjugated by a move of the origin to ``(x / 2 + 0.5, y / 2 + 0.5)``:
    ``T(o) . matrix . T(-o)``, with ``x`` the size of the first axis and ``y`` the second."""
    o_x = float(x) / 2 + 0.5
    o_y = float(y) / 2 + 0.5
    to_centre = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    from_centre = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(to_centre, matrix), from_centre)


def _composed_matrix(theta: float, tx: float, ty: float, shear: float, zx: float,
                     zy: float) -> Optional[np.ndarray]:
    """Rotation . shift . shear . zoom (each only where it is not the identity), multiplied
    left to right as Keras does, so the float64 entries are the same; None if all are."""
    factors = []
    if theta != 0:
        t = np.deg2rad(theta)
        factors.append(np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0],
                                 [0, 0, 1]]))
    if tx != 0 or ty != 0:
        factors.append(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        s = np.deg2rad(shear)
        factors.append(np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        factors.append(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if not factors:
        return None
    matrix = factors[0]
    for factor in factors[1:]:
        matrix = np.dot(matrix, factor)
    return matrix


def _native_warp(planes: np.ndarray, matrix: np.ndarray, fill_mode: Any, cval: Any,
                 order: Any) -> Optional[np.ndarray]:
    """``planes`` (H, W, C) warped by the kernel, in its dtype; None where the kernel has no
    such case (then scipy does it)."""
    if (planes.dtype not in _NATIVE_WARP_DTYPES or not isinstance(fill_mode, str)
            or fill_mode not in _NATIVE_FILL_MODES or isinstance(order, bool)
            or order not in (0, 1) or 0 in planes.shape or not np.isfinite(matrix).all()):
        return None
    try:
        fill = float(cval)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(fill):
        return None
    src = planes.astype(np.float32) if planes.dtype == np.float64 else planes
    out = kernels.warp_affine(src, matrix[:2], order=int(order),
                              fill_mode=_NATIVE_FILL_MODES[fill_mode], cval=fill)
    return out.astype(np.float64) if planes.dtype == np.float64 else out


def apply_affine_transform(x: np.ndarray, theta: float = 0, tx: float = 0, ty: float = 0,
                           shear: float = 0, zx: float = 1, zy: float = 1, row_axis: int = 0,
                           col_axis: int = 1, channel_axis: int = 2, fill_mode: str = "nearest",
                           cval: float = 0., order: int = 1) -> np.ndarray:
    """Keras's affine transform of one image (angles in degrees, ``tx``/``ty`` in pixels
    along the first/second axis, ``zx``/``zy`` the zoom of the pull map).

    The 3x3 matrix is rotation . shift . shear . zoom, centred on ``(h / 2 + 0.5, w / 2 +
    0.5)`` with ``h, w`` the sizes of ``row_axis`` and ``col_axis``; every channel (slice
    along ``channel_axis``) is resampled as ``scipy.ndimage.affine_transform`` would, with
    spline ``order``, ``fill_mode`` and ``cval``. Returns ``x`` itself when no parameter
    changes the image, otherwise a new array of ``x``'s dtype; a float64 image is computed
    in float32 (within 1e-4 of scipy's result relative to its range). Raises ImportError
    when ``scipy`` is None, and scipy's RuntimeError for an unknown ``fill_mode``."""
    scipy = _optional("scipy")
    if scipy is None:
        raise ImportError("Image transformations require SciPy. Install SciPy.")
    matrix = _composed_matrix(theta, tx, ty, shear, zx, zy)
    if matrix is None:
        return x
    h, w = x.shape[row_axis], x.shape[col_axis]
    matrix = transform_matrix_offset_center(matrix, h, w)
    channels_first = np.rollaxis(np.asarray(x), channel_axis, 0)
    warped = _native_warp(np.moveaxis(channels_first, 0, -1), matrix, fill_mode, cval, order)
    if warped is not None:
        stacked = np.moveaxis(warped, -1, 0)
    else:
        ndimage = importlib.import_module("scipy.ndimage")
        stacked = np.stack([ndimage.affine_transform(plane, matrix[:2, :2], matrix[:2, 2],
                                                     order=order, mode=fill_mode, cval=cval)
                            for plane in channels_first], axis=0)
    return np.rollaxis(stacked, 0, channel_axis + 1)
