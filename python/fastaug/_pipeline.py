"""The native plan executor's Python side: one call runs a whole batch of per-image plans.

A plan is, per output image, a source index, a pull matrix (scipy's (row, col) convention,
flips folded in) and a short list of colour ops; per batch, the output size and dtype, the
interpolation order, the fill mode and value, and a rescale factor. ``_core.run_plans`` runs
every image's warp, ops, rescale and store in one pass, with the GIL released and the images
spread over a persistent thread pool. Every front end (``Compose``, ``Augment``,
``ImageDataGenerator``) reaches the kernels through :func:`run_plans`.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _checks, _core
from ._arrays import SUPPORTED_DTYPES

__all__ = ["augment_batch", "run_plans", "FILL_MODES", "COLOR_OPS", "MAX_COLOR_OPS", "REGION_OPS",
           "MAX_REGION_OPS"]


# The warp's fill modes, in fastaug::FillMode's order, as the core names them.
FILL_MODES = tuple(_core.fill_modes())

# The executor's op table, name -> code, as the core defines it (cpp/pipeline/color_ops.cpp
# says what each op computes). Keras and float-stage ops work on the unrounded float32 warp;
# in-dtype ops on the warped image in the source's dtype.
COLOR_OPS = dict(_core.color_ops())
MAX_COLOR_OPS = _core.MAX_COLOR_OPS  # colour ops one image's plan may hold
# The region-op table (cpp/pipeline/region_ops.cpp): rectangles filled after the warp.
REGION_OPS = dict(_core.region_ops())
MAX_REGION_OPS = _core.MAX_REGION_OPS
_FLOAT32_MAX = float(np.finfo(np.float32).max)

ArrayLike = Union[np.ndarray, Sequence[float], float, None]


def _per_image(values: ArrayLike, batch: int, name: str) -> np.ndarray:
    """(batch,) float32; None means every image skips the step (NaN)."""
    if values is None:
        return np.full(batch, np.nan, np.float32)
    arr = np.asarray(values)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating)
                                   or np.issubdtype(arr.dtype, np.integer)) or arr.dtype == bool:
        raise TypeError(f"{name} must be a number or a sequence of numbers (NaN = off), got dtype {arr.dtype}")
    if arr.ndim == 0:
        arr = np.broadcast_to(arr, (batch,))
    if arr.shape != (batch,):
        raise ValueError(f"{name} must have shape ({batch},) (one value per image), got {arr.shape}")
    # Checked before the cast, which would overflow to inf (and warn) beyond float32.
    if (np.abs(arr.astype(np.float64)) > _FLOAT32_MAX).any():
        raise ValueError(f"{name} must be finite or NaN (off) and within float32's range; got "
                         f"{float(arr[np.abs(arr.astype(np.float64)) > _FLOAT32_MAX][0])!r}")
    return arr.astype(np.float32)


def augment_batch(
    src: np.ndarray,
    indices: Sequence[int],
    matrices: np.ndarray,
    *,
    out: Optional[np.ndarray] = None,
    out_dtype=np.float32,
    output_shape: Optional[Sequence[int]] = None,
    order: int = 1,
    fill_mode: str = "nearest",
    cval: float = 0.0,
    channel_shift: ArrayLike = None,
    brightness: ArrayLike = None,
    rescale: float = 1.0,
    num_threads: Optional[int] = None,
) -> np.ndarray:
    """Augment ``src[indices[i]]`` into ``out[i]`` for every i.

    Per image, in float32 (keras-preprocessing 1.1.2 order):

    1. warp with ``matrices[i]``: the inverse ("pull") map in scipy's convention, shape
       (2, 3) or (6,) per image, flips already folded in: output pixel (r, c) reads the
       source at ``(m[0,0] r + m[0,1] c + m[0,2], m[1,0] r + m[1,1] c + m[1,2])``, with spline
       ``order`` 0 or 1 and scipy's ``fill_mode`` rules (``cval`` for "constant");
    2. if ``channel_shift[i]`` is not NaN: ``x = clip(x + s, x.min(), x.max())``;
    3. if ``brightness[i]`` is not NaN: Keras's PIL brightness (stretch to 0..255, truncate,
       ``floor(b * u)``; alpha kept for 4 channels); needs 1, 3 or 4 channels;
    4. ``x *= rescale`` unless it is 1;
    5. store (uint8: round half to even, saturate; with no step 2-4, rounding is the warp's,
       half up).

    Args:
        src: (N, H, W, C) or (N, H, W) uint8 or float32 images, any strides.
        indices: B ints in [0, N); repeats allowed.
        matrices: (B, 2, 3) or (B, 6) float64.
        out: optional (B, H2, W2[, C]) uint8 or float32 array to write into (its dtype wins
            over ``out_dtype``); must not overlap ``src``.
        out_dtype: np.float32 or np.uint8, for a newly allocated ``out``.
        output_shape: (H2, W2); default the source's (H, W).
        channel_shift, brightness: one value per image (a scalar applies to all); NaN or
            None skips the step.
        num_threads: threads to use, None or 0 = every CPU available to the process.

    Returns:
        ``out``, with the rank of ``src``.
    """
    if not isinstance(src, np.ndarray):
        raise TypeError(f"src must be a numpy.ndarray, got {type(src).__name__}")
    if src.dtype not in SUPPORTED_DTYPES or not src.dtype.isnative:
        raise TypeError(f"src must have dtype uint8 or float32 (native byte order), got {src.dtype}")
    was_3d = src.ndim == 3
    if was_3d:
        src = src[..., np.newaxis]
    elif src.ndim != 4:
        raise ValueError(f"src must have shape (N, H, W) or (N, H, W, C), got {src.shape}")
    if 0 in src.shape[1:]:
        raise ValueError(f"src images must be non-empty, got shape {src.shape}")
    if (not src.flags.aligned or (src.shape[3] > 1 and src.strides[3] != src.itemsize)
            or any(s % src.itemsize for s in src.strides)):
        src = np.array(src, order="C")  # a copy: ascontiguousarray keeps a misaligned array

    idx = np.asarray(indices)
    if idx.dtype == bool or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"indices must be integers, got dtype {idx.dtype}")
    if idx.ndim != 1:
        raise ValueError(f"indices must be 1-D, got shape {idx.shape}")
    batch = idx.shape[0]
    if batch and (idx.min() < 0 or idx.max() >= src.shape[0]):
        raise ValueError(f"indices must be in [0, {src.shape[0]}), got values from {idx.min()} to {idx.max()}")
    idx = idx.astype(np.int64)

    mats = np.asarray(matrices)
    if mats.dtype == object or not (np.issubdtype(mats.dtype, np.floating) or np.issubdtype(mats.dtype, np.integer)):
        raise TypeError(f"matrices must be numeric, got dtype {mats.dtype}")
    if mats.shape not in ((batch, 2, 3), (batch, 6)):
        raise ValueError(f"matrices must have shape ({batch}, 2, 3) or ({batch}, 6), got {mats.shape}")
    mats = np.ascontiguousarray(mats, dtype=np.float64).reshape(batch, 6)
    if not np.isfinite(mats).all():
        raise ValueError("matrices must be finite")

    if not isinstance(fill_mode, str) or fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {', '.join(FILL_MODES)}; got {fill_mode!r}")
    order = _checks.int_value(order, "order")
    if order not in (0, 1):
        raise ValueError(f"order must be 0 or 1, got {order}")
    cval = _checks.finite(cval, "cval")
    rescale = _checks.finite(rescale, "rescale")
    threads = 0 if num_threads is None else _checks.int_value(num_threads, "num_threads")
    if not 0 <= threads <= _checks.MAX_THREADS:
        raise ValueError(f"num_threads must be >= 0 (0 = all CPUs) and <= {_checks.MAX_THREADS}, got {threads}")
    shifts = _per_image(channel_shift, batch, "channel_shift")
    factors = _per_image(brightness, batch, "brightness")

    channels = src.shape[3]
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray or None, got {type(out).__name__}")
        if out.dtype not in SUPPORTED_DTYPES or not out.dtype.isnative:
            raise TypeError(f"out must have dtype uint8 or float32 (native byte order), got {out.dtype}")
    if output_shape is not None:
        if not isinstance(output_shape, (tuple, list, np.ndarray)):
            raise TypeError(f"output_shape must be a (height, width) tuple, got {type(output_shape).__name__}")
        out_hw = tuple(_checks.int_value(v, "output_shape") for v in output_shape)
        if len(out_hw) != 2 or min(out_hw) < 1:
            raise ValueError(f"output_shape must be (height, width) with both >= 1, got {tuple(output_shape)}")
    elif out is not None and out.ndim >= 3:
        out_hw = out.shape[1:3]
    else:
        out_hw = src.shape[1:3]

    copy_back = False
    if out is None:
        dtype = np.dtype(out_dtype)
        if dtype not in SUPPORTED_DTYPES:
            raise TypeError(f"out_dtype must be uint8 or float32, got {dtype}")
        out = np.empty((batch,) + tuple(out_hw) + (() if was_3d else (channels,)), dtype)
        kernel_out = out
    else:
        expected = (batch,) + tuple(out_hw) + (() if was_3d else (channels,))
        if out.shape != expected:
            raise ValueError(f"out must have shape {expected}, got {out.shape}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
        if np.may_share_memory(out, src):
            raise ValueError("out overlaps src; pass a separate output array")
        kernel_out = out
        if (not out.flags.aligned or (channels > 1 and out.strides[-1] != out.itemsize)
                or any(s % out.itemsize for s in out.strides)):
            # The kernel needs contiguous channels: compute into a temporary, then copy.
            kernel_out = np.empty(out.shape, out.dtype)
            copy_back = True
    if was_3d:
        kernel_out = kernel_out[..., np.newaxis]

    codes, args = keras_ops(shifts, factors, batch)
    _core.run_plans(src, idx, kernel_out, mats, codes, args.reshape(batch, codes.shape[1] * 2), order,
                    FILL_MODES.index(fill_mode), cval, rescale, threads)
    if copy_back:
        out[...] = kernel_out[..., 0] if was_3d else kernel_out
    return out


def keras_ops(channel_shift: Optional[np.ndarray], brightness: Optional[np.ndarray],
              batch: int):
    """(op_codes, op_args) for Keras's steps: channel shift then brightness, NaN = off."""
    steps = [(name, values) for name, values in (("keras_channel_shift", channel_shift),
                                                 ("keras_brightness", brightness))
             if values is not None]
    codes = np.zeros((batch, len(steps)), np.int32)
    args = np.zeros((batch, len(steps), 2), np.float32)
    for k, (name, values) in enumerate(steps):
        on = ~np.isnan(values)
        bad = np.flatnonzero(on & ~(np.abs(values) <= _FLOAT32_MAX))
        if bad.size:
            step = name[len("keras_"):]
            raise ValueError(f"{step}[{bad[0]}] must be finite or NaN (off), got "
                             f"{float(values[bad[0]])!r} (beyond float32's range)")
        codes[:, k] = np.where(on, COLOR_OPS[name], 0)
        args[:, k, 0] = np.where(on, values, 0)
    return codes, args


def run_plans(src: Union[np.ndarray, List[np.ndarray]], indices: np.ndarray, matrices: np.ndarray, op_codes: np.ndarray,
              op_args: np.ndarray, *, out_dtype, output_shape=None, order: int = 1,
              fill_mode: str = "nearest", cval: float = 0.0, rescale: float = 1.0,
              num_threads: Optional[int] = None, antialias: bool = False,
              normalize: Optional[Tuple[Sequence[float], Sequence[float]]] = None,
              regions: Optional[np.ndarray] = None, planar: bool = False,
              half_format: int = 0) -> np.ndarray:
    """Run a batch of plans natively, for callers whose arguments already have the core's
    form: ``src`` (N, H, W, C) uint8 or float32, aligned, channels contiguous, or a list of
    such (H, W, C) arrays whose heights and widths may differ (``output_shape`` then
    required); ``indices``
    int64 (B,); ``matrices`` float64 C-contiguous (B, 6); ``op_codes`` int32 (B, K) codes of
    :data:`COLOR_OPS` (0 = no op) and ``op_args`` float32 (B, K, 2) their arguments. The core
    checks every value (bounds, finiteness, which ops may go together) and raises a
    ValueError naming the argument; this only skips the Python-side conversions, which a
    training loop would pay serially on every batch. ``regions``: (B, R, 8 + V) float64
    region ops (``Plan.region_array``). Returns the new (B, H2, W2, C) batch, or with
    ``planar`` the (B, C, H2, W2) one (stored channels-first by the core, image by image,
    instead of a transpose of the batch). ``half_format`` 1 or 2: the normalised values
    are stored as float16 or bfloat16 (``out_dtype`` then names that 2-byte dtype, the
    core writing its bits)."""
    batch = indices.shape[0]
    if isinstance(src, list):  # images of different sizes: output_shape is required
        height, width = output_shape
        channels = src[0].shape[2]
    else:
        height, width = src.shape[1:3] if output_shape is None else output_shape
        channels = src.shape[3]
    shape = (batch, channels, height, width) if planar else (batch, height, width, channels)
    out = np.empty(shape, out_dtype)
    _core.run_plans(src, indices, out.view(np.uint16) if half_format else out, matrices, op_codes,
                    op_args.reshape(batch, op_codes.shape[1] * 2), order,
                    FILL_MODES.index(fill_mode), cval, rescale,
                    0 if num_threads is None else num_threads, antialias,
                    *(normalize or ((), ())),
                    None if regions is None else regions.reshape(batch, -1),
                    0 if regions is None else regions.shape[1], planar, half_format)
    return out
