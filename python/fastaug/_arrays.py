"""Array argument handling shared by the kernel wrappers.

Kernels see (H, W, C) arrays with contiguous channels; these helpers turn what users pass
(2-D images, odd strides, ``out=``) into that and back, with errors that name the argument.
"""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import numpy as np

from . import _core

SUPPORTED_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32))
_U8, _F32 = SUPPORTED_DTYPES


def as_kernel_image(image: object, name: str = "image") -> Tuple[np.ndarray, bool]:
    """Return ``(view, was_2d)``: a native-endian (H, W, C) array with contiguous channels.

    Never copies unless the channel axis is strided or the data is misaligned (then a
    contiguous copy is taken; the caller's array is never written).
    """
    # Fast path (the common case on every call): builtin dtype objects are singletons.
    if type(image) is np.ndarray and (image.dtype is _U8 or image.dtype is _F32):
        if image.ndim == 3 and image.shape[2] >= 1 and _kernel_ready(image):
            return image, False
    return _as_kernel_image_slow(image, name)


def _as_kernel_image_slow(image: object, name: str) -> Tuple[np.ndarray, bool]:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(image).__name__}")
    if image.dtype not in SUPPORTED_DTYPES or not image.dtype.isnative:
        raise TypeError(
            f"{name} must have dtype uint8 or float32 (native byte order), got {image.dtype}"
        )
    was_2d = image.ndim == 2
    if was_2d:
        image = image[:, :, np.newaxis]
    elif image.ndim != 3:
        raise ValueError(
            f"{name} must have shape (height, width) or (height, width, channels), "
            f"got shape {image.shape}"
        )
    if image.shape[2] < 1:
        raise ValueError(f"{name} must have at least one channel, got shape {image.shape}")
    if not _kernel_ready(image):
        image = np.array(image, order="C")  # a copy: ascontiguousarray keeps a misaligned one
    return image, was_2d


def prepare_out(
    out: Optional[np.ndarray],
    shape: Tuple[int, int, int],
    dtype: np.dtype,
    was_2d: bool,
    inputs: Tuple[np.ndarray, ...] = (),
    name: str = "out",
) -> Tuple[np.ndarray, Callable[[], np.ndarray]]:
    """Return ``(kernel_out, finish)``.

    ``kernel_out`` is what the kernel writes; ``finish()`` returns the array to give the
    user (``out`` itself when one was passed). ``out`` must have the result's shape (2-D if
    the image was 2-D) and dtype, be writable and not overlap any of ``inputs``.
    """
    if out is None:
        result = np.empty(shape, dtype=dtype)
        if was_2d:
            return result, (lambda: result[:, :, 0])
        return result, (lambda: result)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray or None, got {type(out).__name__}")
    if out.dtype is not dtype and out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {out.dtype}")
    user_shape = tuple(shape[:2]) if was_2d else tuple(shape)
    if out.shape != user_shape:
        raise ValueError(f"{name} must have shape {user_shape}, got {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if _core._elements_alias(out):
        raise ValueError(f"{name} has overlapping elements (its strides alias memory)")
    for arr in inputs:
        if np.may_share_memory(out, arr) and np.shares_memory(out, arr):
            raise ValueError(f"{name} overlaps the input image; pass a separate output array")
    view = out[:, :, np.newaxis] if was_2d else out
    if _kernel_ready(view):
        return view, (lambda: out)
    # The kernel needs contiguous channels: compute into a temporary, then copy into out.
    tmp = np.empty(shape, dtype=dtype)

    def finish() -> np.ndarray:
        view[...] = tmp
        return out

    return tmp, finish


def _kernel_ready(a: np.ndarray) -> bool:
    """Native byte order, contiguous channels, element-aligned data pointer and strides."""
    strides = a.strides
    item = a.itemsize
    return (
        a.dtype.isnative
        and a.flags.aligned
        and (a.shape[2] == 1 or strides[2] == item)
        and (item == 1 or not (strides[0] % item or strides[1] % item))
    )
