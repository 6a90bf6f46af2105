"""Everything ``keras_preprocessing.image`` (1.1.2) exports, with its submodule layout.

The submodules carry the same names as Keras's (``affine_transformations``, ``utils``,
``iterator``, ``numpy_array_iterator``, ``directory_iterator``, ``dataframe_iterator``,
``image_data_generator``), so code that imports one of them by path keeps working. See
``docs/keras-semantics.md`` for the behaviour followed and where fastaug differs.
"""
from .affine_transformations import (apply_affine_transform, apply_brightness_shift,
                                     apply_channel_shift, flip_axis, random_brightness,
                                     random_channel_shift, random_rotation, random_shear,
                                     random_shift, random_zoom, transform_matrix_offset_center)
from .dataframe_iterator import DataFrameIterator
from .directory_iterator import DirectoryIterator
from .image_data_generator import ImageDataGenerator
from .iterator import Iterator
from .numpy_array_iterator import NumpyArrayIterator
from .utils import (array_to_img, img_to_array, list_pictures, load_img, save_img,
                    validate_filename)

__all__ = [
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "DirectoryIterator",
    "DataFrameIterator",
    "load_img",
    "img_to_array",
    "array_to_img",
    "save_img",
    "list_pictures",
    "validate_filename",
    "apply_affine_transform",
    "random_rotation",
    "random_shift",
    "random_shear",
    "random_zoom",
    "random_channel_shift",
    "apply_channel_shift",
    "random_brightness",
    "apply_brightness_shift",
    "transform_matrix_offset_center",
    "flip_axis",
]
