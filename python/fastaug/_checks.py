"""Argument checks shared by the Python front ends (``Compose``, its transforms, ``Augment``).

Each raises ``TypeError`` for a value of the wrong kind and ``ValueError`` for one out of
range, with a message that names the argument and says what was expected.
"""
from __future__ import annotations

import math
import numbers
from typing import Optional, Tuple

import numpy as np

__all__ = ["finite", "int_value", "real", "integer", "boolean", "factor_range", "symmetric_range", "indices_arg",
           "image_shape_arg", "array_arg", "num_threads_arg", "MAX_THREADS"]

# The native pool's limit (kMaxThreads in the bindings).
MAX_THREADS = 1024


def finite(value: object, name: str) -> float:
    """A finite real number (a bool is not one)."""
    if type(value) is float and math.isfinite(value):  # the usual case, without ABC checks
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:  # an int beyond float range
        raise ValueError(f"{name} must be finite, got an integer too large for a float") from None
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return result


def int_value(value: object, name: str) -> int:
    """An int (a bool is not one), any size."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


def real(value: object, name: str, low: float = -np.inf, high: float = np.inf,
         high_open: bool = False) -> float:
    """A finite real number in [low, high] (or [low, high) with ``high_open``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got an integer too large for a float") from None
    if not np.isfinite(result) or result < low or result > high or (high_open and result == high):
        bounds = f"[{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be finite and in {bounds}, got {value!r}")
    return result


def integer(value: object, name: str, low: int, high: int) -> int:
    """An int in [low, high)."""
    if type(value) is int and low <= value < high:  # the usual case, without the ABC check
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not low <= int(value) < high:
        raise ValueError(f"{name} must be in [{low}, {high}), got {value}")
    return int(value)


def boolean(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def _pair(value: object, name: str) -> Tuple[float, float]:
    if len(value) != 2:  # type: ignore[arg-type]
        raise ValueError(f"{name} must be a number or a pair (lo, hi), got {value!r}")
    lo, hi = (real(v, name) for v in value)  # type: ignore[union-attr]
    if lo > hi:
        raise ValueError(f"{name} must satisfy lo <= hi, got ({lo}, {hi})")
    return lo, hi


def factor_range(value: object, name: str, low: float = 0.0,
                 clamp_low: bool = False) -> Tuple[float, float]:
    """A number ``v`` (meaning ``(1 - v, 1 + v)``, or ``(max(low, 1 - v), 1 + v)`` with
    ``clamp_low``, torchvision's rule) or a pair ``(lo, hi)`` with ``low <= lo <= hi``."""
    if isinstance(value, (tuple, list)):
        lo, hi = _pair(value, name)
    else:
        spread = real(value, name, 0.0, np.inf if clamp_low else 1.0)
        lo, hi = 1.0 - spread, 1.0 + spread
        if clamp_low:
            lo = max(low, lo)
    if lo < low:
        raise ValueError(f"{name} must satisfy {low} <= lo <= hi, got ({lo}, {hi})")
    return lo, hi


def symmetric_range(value: object, name: str) -> Tuple[float, float]:
    """A number ``v >= 0`` (meaning ``(-v, v)``) or a pair ``(lo, hi)``, ``lo <= hi``."""
    if isinstance(value, (tuple, list)):
        return _pair(value, name)
    spread = real(value, name, 0.0)
    return -spread, spread


def indices_arg(value: object) -> Tuple[np.ndarray, bool]:
    """(B,) int64 sample indices and whether a single int was given."""
    if type(value) is np.ndarray and value.dtype == np.int64 and value.ndim == 1:
        if value.size and value.min() < 0:  # the usual case, without the dtype checks
            raise ValueError("indices must be sample indices in the dataset, in [0, 2**63)")
        return value, False
    arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"indices must be an int or a 1-D sequence of ints, got dtype {arr.dtype}")
    if arr.ndim > 1:
        raise ValueError(f"indices must be an int or 1-D, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > np.iinfo(np.int64).max):
        raise ValueError("indices must be sample indices in the dataset, in [0, 2**63)")
    return arr.astype(np.int64).reshape(-1), arr.ndim == 0


def image_shape_arg(value: object) -> Tuple[int, int]:
    if value is None:
        raise TypeError("image_shape is required: (height, width) of the images")
    if not isinstance(value, (tuple, list)) or len(value) not in (2, 3):
        raise ValueError(f"image_shape must be (height, width) or (height, width, channels), "
                         f"got {value!r}")
    return (integer(value[0], "image_shape", 1, 2 ** 31),
            integer(value[1], "image_shape", 1, 2 ** 31))


def array_arg(value: object, name: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(value).__name__}")
    return value


def num_threads_arg(value: object) -> Optional[int]:
    """None or 0 (every CPU available) or a thread count up to the native pool's limit."""
    if value is None:
        return None
    return integer(value, "num_threads", 0, MAX_THREADS + 1)
