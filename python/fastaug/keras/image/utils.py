"""Image-file helpers (``keras_preprocessing.image.utils``).

``load_img``, ``img_to_array``, ``array_to_img`` and ``save_img`` are the ones the file
iterators use (Pillow is imported on first use); ``validate_filename`` and ``list_pictures``
match the extensions as Keras does: case-insensitively, on the end of the name.
"""
from __future__ import annotations

import os
from typing import List, Sequence, Union

from ..._keras.directory import array_to_img, img_to_array, load_img, save_img

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "list_pictures",
           "validate_filename"]

_PICTURE_EXTENSIONS = ("jpg", "jpeg", "bmp", "png", "ppm", "tif", "tiff")


def validate_filename(filename: str, white_list_formats: Union[str, Sequence[str]]) -> bool:
    """Whether ``filename`` names an existing regular file (or a link to one) whose name ends,
    ignoring case, with one of ``white_list_formats`` (extensions without the dot, matched as
    plain suffixes, as Keras matches them: ``"png"`` accepts ``"x.PNG"`` and ``"xpng"``)."""
    if isinstance(white_list_formats, str):
        suffixes: tuple = (white_list_formats,)
    else:
        suffixes = tuple(white_list_formats)
    return filename.lower().endswith(suffixes) and os.path.isfile(filename)


def list_pictures(directory: str,
                  ext: Union[str, Sequence[str]] = _PICTURE_EXTENSIONS) -> List[str]:
    """Paths of the files under ``directory`` (recursively, in ``os.walk`` order) whose names
    end, ignoring case, with ``"." + e`` for an extension ``e`` of ``ext`` (one string or
    several)."""
    extensions = (ext,) if isinstance(ext, str) else tuple(ext)
    suffixes = tuple("." + e for e in extensions)
    return [os.path.join(root, name)
            for root, _, names in os.walk(directory)
            for name in names if name.lower().endswith(suffixes)]
