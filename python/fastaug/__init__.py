"""fastaug: fast, faithful image augmentation on a SIMD C++ core.

Besides ``Compose`` and its transforms, ``Augment`` and the low-level ``kernels``, the
package exports everything ``keras.preprocessing.image`` (keras-preprocessing 1.1.2) does,
under the same names; ``fastaug.keras.image`` has them in Keras's module layout.
"""
from . import _core, kernels, transforms
from ._augment import Augment, AugmentParams
from ._cache import DecodedCache
from ._decode import decoder_info
from ._loader import ImageFiles, ImageFolder
from .compose import AugmentResult, Compose, ComposeParams, MixedSizeParams
from .keras.image import (DataFrameIterator, DirectoryIterator, ImageDataGenerator, Iterator,
                          NumpyArrayIterator, apply_affine_transform, apply_brightness_shift,
                          apply_channel_shift, array_to_img, flip_axis, img_to_array,
                          list_pictures, load_img, random_brightness, random_channel_shift,
                          random_rotation, random_shear, random_shift, random_zoom, save_img,
                          transform_matrix_offset_center, validate_filename)
from .transforms import *  # noqa: F401,F403  (every transform, by transforms.__all__)

__version__ = "0.1.0"

__all__ = [
    "kernels", "keras", "transforms", "simd_info", "__version__",
    "Compose", "ComposeParams", "MixedSizeParams", "ImageFiles", "ImageFolder", "DecodedCache",
    "decoder_info",
    "Augment", "AugmentParams", "AugmentResult",
    # keras.preprocessing.image's names (fastaug.keras.image.__all__)
    "ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator",
    "DataFrameIterator", "load_img", "img_to_array", "array_to_img", "save_img",
    "list_pictures", "validate_filename", "apply_affine_transform", "random_rotation",
    "random_shift", "random_shear", "random_zoom", "random_channel_shift",
    "apply_channel_shift", "random_brightness", "apply_brightness_shift",
    "transform_matrix_offset_center", "flip_axis",
] + transforms.__all__

def simd_info() -> "dict[str, object]":
    """What the CPU supports and what the kernels use.

    Returns a dict with ``cpu`` (best level this CPU runs), ``active`` (level in use, which
    ``FASTAUG_SIMD=scalar|sse4|avx2|avx512|neon`` forces at import) and ``available`` (every
    level usable here, lowest first).
    """
    return {
        "cpu": _core.cpu_simd_level(),
        "active": _core.active_simd_level(),
        "available": list(_core.available_simd_levels()),
    }


def __dir__() -> "list[str]":
    # The public API only: not the private modules and helpers this module imports.
    return sorted(__all__)
