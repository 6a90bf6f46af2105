"""Reading and writing image files with Pillow (imported lazily: numpy is fastaug's only
runtime dependency).

Images are augmented as 8-bit L, RGB or RGBA, except single-channel images of higher depth,
which keep it: 16-bit grayscale (Pillow's I;16 modes, and 32-bit I images within 0..65535)
as uint16, 32-bit float grayscale (F) as float32. The augmentation options work on a
0..255 scale whatever the depth (``unit_scale``): 0..65535 for 16-bit images, 0..1 for float
images, so ``--channel-shift 20`` means the same on each.
"""
from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from .options import CLIError, require

# Extensions read as images (Keras's list plus the common web formats).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp",
                    ".gif")

# Lossy formats are written at high quality: a copy should differ by its augmentation only.
_SAVE_OPTIONS = {"JPEG": {"quality": 95}, "WEBP": {"quality": 95}}
# Formats written with another encoder: a camera's MPO file (a JPEG with extra images
# appended) gives a JPEG copy of its first image.
_ENCODING = {"MPO": "JPEG"}
_NO_ALPHA = ("JPEG", "PPM")
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


class LoadedImage(NamedTuple):
    pixels: np.ndarray  # (H, W, C): uint8 (C in 1, 3, 4), or uint16 / float32 (C = 1)
    format: str         # Pillow's name of the file's format
    frames: int         # frames in the file; only the first is read


def pillow():
    return require("PIL.Image", "pillow")


def _working_mode(img) -> str:
    if img.mode in ("L", "RGB", "RGBA"):
        return img.mode
    if "A" in img.getbands() or "transparency" in img.info:
        return "RGBA"
    if len(img.getbands()) == 1 and img.mode != "P":
        return "L"  # 1-bit grayscale
    return "RGB"    # palette, CMYK, YCbCr, ...


def _deep_pixels(img):
    """A 16-bit or float grayscale image's values as uint16 / float32, or None."""
    if img.mode in _SIXTEEN_BIT_MODES:
        return np.asarray(img).astype(np.uint16)
    if img.mode == "I":
        values = np.asarray(img)
        if values.size == 0 or (values.min() >= 0 and values.max() <= 65535):
            return values.astype(np.uint16)
        return values.astype(np.float32) / np.float32(65535)  # beyond 16 bits: as float
    if img.mode == "F":
        return np.asarray(img, dtype=np.float32)
    return None


def load_image(path: str) -> LoadedImage:
    """The file's first frame as an (H, W, C) array (see the module docstring for the
    dtypes), upright as displayed (EXIF orientation applied). Raises OSError or ValueError
    (Pillow's) when the file cannot be decoded."""
    Image = pillow()
    from PIL import ImageOps

    with Image.open(path) as img:
        fmt = img.format
        frames = int(getattr(img, "n_frames", 1) or 1)
        img = ImageOps.exif_transpose(img)
        pixels = _deep_pixels(img)
        if pixels is None:
            pixels = np.asarray(img.convert(_working_mode(img)), dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    return LoadedImage(pixels, fmt, frames)


def unit_scale(dtype) -> float:
    """Factor from a pixel dtype's values to the 0..255 scale the options use."""
    dtype = np.dtype(dtype)
    if dtype == np.uint16:
        return 255.0 / 65535.0
    if dtype.kind == "f":
        return 255.0
    return 1.0


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` for display: 8-bit, scaled from their depth's full range (NaN as 0)."""
    if pixels.dtype == np.uint8:
        return pixels
    scaled = np.nan_to_num(pixels.astype(np.float32) * np.float32(unit_scale(pixels.dtype)))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def to_pil(pixels: np.ndarray):
    Image = pillow()
    return Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)


def save_image(pixels: np.ndarray, path: str, fmt: str) -> None:
    """Write ``pixels`` to ``path`` in Pillow format ``fmt`` (whatever ``path``'s name),
    keeping a uint16 / float32 image's depth."""
    fmt = _ENCODING.get(fmt, fmt)
    img = to_pil(pixels)
    if fmt in _NO_ALPHA and img.mode == "RGBA":
        img = img.convert("RGB")
    img.save(path, format=fmt, **_SAVE_OPTIONS.get(fmt, {}))


def format_for(path: str) -> str:
    """Pillow's format name for an output file name (``-o grid.jpg``)."""
    Image = pillow()
    Image.init()
    ext = os.path.splitext(os.path.basename(path))[1].lower()
    fmt = Image.registered_extensions().get(ext)
    if fmt is None or fmt not in Image.SAVE:
        problem = (f"{ext!r} is not an image format Pillow writes" if ext
                   else "it has no extension")
        raise CLIError(f"cannot write {path!r}: the output needs an image extension such as "
                       f".png or .jpg ({problem})", code=2)
    return fmt
