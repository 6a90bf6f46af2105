"""fastaug: fast, faithful image augmentation on a SIMD C++ core."""
from __future__ import annotations

from typing import Dict

from . import _core, kernels, transforms
from ._augment import Augment, AugmentParams
from ._keras import ImageDataGenerator, Iterator, NumpyArrayIterator
from .compose import AugmentResult, Compose, ComposeParams
from .transforms import *  # noqa: F401,F403  (every transform, by transforms.__all__)

__version__ = "0.1.0"

__all__ = ["kernels", "transforms", "simd_info", "__version__", "ImageDataGenerator", "Iterator",
           "NumpyArrayIterator", "Compose", "ComposeParams", "Augment", "AugmentParams",
           "AugmentResult"] + transforms.__all__

_LEVELS = ("scalar", "sse4", "avx2", "avx512")


def simd_info() -> Dict[str, object]:
    """What the CPU supports and what the kernels use.

    Returns a dict with ``cpu`` (best level this CPU runs), ``active`` (level in use, which
    ``FASTAUG_SIMD=scalar|sse4|avx2|avx512`` forces at import) and ``available`` (every
    level usable here, lowest first).
    """
    cpu = _core.cpu_simd_level()
    return {
        "cpu": cpu,
        "active": _core.active_simd_level(),
        "available": list(_LEVELS[: _LEVELS.index(cpu) + 1]),
    }
