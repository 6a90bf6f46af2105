"""Image files to pixels: the decoders fastaug uses, reduced-scale JPEG decoding and EXIF
orientation.

Pillow decodes every format and is the Keras-parity path. For JPEG, simplejpeg (libjpeg-turbo,
the ``fast`` extra) is used when installed: it releases the GIL and is faster. Both can
decode a JPEG at 1/2, 1/4 or 1/8 of its size straight from the DCT coefficients (libjpeg's
scaled decoding), which costs a fraction of a full decode; the caller folds the remaining
scale into its plan. Both are imported on first use.
"""
from __future__ import annotations

import math
import os
import struct
import threading
from typing import Any, Dict, Optional, Tuple

import numpy as np

__all__ = ["decoder_info", "FileHeader", "read_header", "decode"]

_MODES = {"rgb": ("RGB", 3), "rgba": ("RGBA", 4), "grayscale": ("L", 1)}
_JPEG_SOI = b"\xff\xd8"
REDUCTIONS = (1, 2, 4, 8)  # libjpeg's DCT scales (1/r)

_lock = threading.Lock()
_simplejpeg: Any = None  # False when not installed


def _fast_jpeg():
    """The simplejpeg module, or None when it is not installed."""
    global _simplejpeg
    if _simplejpeg is None:
        with _lock:
            try:
                import simplejpeg
                _simplejpeg = simplejpeg
            except ImportError:
                _simplejpeg = False
    return _simplejpeg or None


def _pil():
    from ._keras.directory import _pil_image

    return _pil_image()


def decoder_info() -> Dict[str, Optional[str]]:
    """Which decoders fastaug uses: ``{"jpeg": "simplejpeg 1.9.0" or "Pillow 12.0.0",
    "other": "Pillow 12.0.0" (or None without Pillow), "simplejpeg": version or None,
    "pillow": version or None}``. Install the ``fast`` extra (simplejpeg) for faster JPEGs."""
    fast = _fast_jpeg()
    try:
        import PIL
        pillow = PIL.__version__
    except ImportError:
        pillow = None
    fast_version = getattr(fast, "__version__", "?") if fast else None
    return {
        "jpeg": f"simplejpeg {fast_version}" if fast else (f"Pillow {pillow}" if pillow else None),
        "other": f"Pillow {pillow}" if pillow else None,
        "simplejpeg": fast_version,
        "pillow": pillow,
    }


class FileHeader:
    """What a file's header says: its size as stored (``stored``: (H, W)), its EXIF
    orientation (1-8; 1 upright), the size once oriented (``shape``) and whether it is a
    JPEG (which can be decoded at a reduced scale)."""

    __slots__ = ("stored", "orientation", "jpeg")

    def __init__(self, stored: Tuple[int, int], orientation: int, jpeg: bool):
        self.stored, self.orientation, self.jpeg = stored, orientation, jpeg

    @property
    def shape(self) -> Tuple[int, int]:
        h, w = self.stored
        return (w, h) if self.orientation >= 5 else (h, w)


def _bomb(pixels: int) -> bool:
    """Whether Pillow's Image.open refuses this many pixels (DecompressionBombError)."""
    try:
        from PIL import Image
        limit = Image.MAX_IMAGE_PIXELS
    except ImportError:  # without Pillow, its default limit
        return pixels > 2 * 89478485
    return limit is not None and pixels > 2 * limit


def _exif_orientation(data: bytes) -> int:
    """The EXIF orientation tag of a JPEG's APP1 segment, 1 when absent or unreadable."""
    pos = 2
    end = len(data)
    while pos + 4 <= end and data[pos] == 0xFF:
        if data[pos + 1] == 0xFF:  # fill bytes before a marker (allowed, and Pillow skips them)
            pos += 1
            continue
        marker = data[pos + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no EXIF before the pixels
            return 1
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        segment = data[pos + 4:pos + 2 + length]
        if marker == 0xE1 and segment[:6] == b"Exif\x00\x00":
            tiff = segment[6:]
            if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
                return 1
            order = "<" if tiff[:2] == b"II" else ">"
            ifd = struct.unpack(order + "I", tiff[4:8])[0]
            if ifd + 2 > len(tiff):
                return 1
            count = struct.unpack(order + "H", tiff[ifd:ifd + 2])[0]
            for k in range(count):
                entry = ifd + 2 + 12 * k
                if entry + 12 > len(tiff):
                    return 1
                tag, kind = struct.unpack(order + "HH", tiff[entry:entry + 4])
                if tag == 0x0112 and kind in (3, 4):  # orientation: a SHORT (or a LONG,
                    # which Pillow reads too: both decoders must agree on a file)
                    fmt = order + ("H" if kind == 3 else "I")
                    value = struct.unpack(fmt, tiff[entry + 8:entry + 8 + struct.calcsize(fmt)])[0]
                    return value if 1 <= value <= 8 else 1
            return 1
        pos += 2 + length
    return 1


def read_header(data: bytes, path: Any, exif: bool) -> FileHeader:
    """The header of an image file's bytes (``path`` names it in errors)."""
    if data[:2] == _JPEG_SOI:
        fast = _fast_jpeg()
        if fast is not None:
            try:
                height, width, _, _ = fast.decode_jpeg_header(data)
            except ValueError:
                height = width = None  # let Pillow say what is wrong (or read what it would not)
            # Past Pillow's decompression-bomb limit simplejpeg would allocate the pixels
            # (gigabytes for a crafted header): Pillow below raises its named error instead.
            if height is not None and not _bomb(height * width):
                return FileHeader((height, width), _exif_orientation(data) if exif else 1, True)
    Image = _pil()
    from ._keras.directory import _errors_name_file

    with _errors_name_file(path):
        import io
        img = Image.open(io.BytesIO(data))
        width, height = img.size
        orientation = 1
        if exif:
            # int() of an odd tag (an ASCII "6\0", a rational) would refuse the whole file,
            # where the JPEG parser above reads it as upright
            value = img.getexif().get(0x0112, 1)
            orientation = value if type(value) is int and 1 <= value <= 8 else 1
        return FileHeader((height, width), orientation, img.format == "JPEG")


def _orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """The stored pixels as displayed, for EXIF orientation 1-8 (a view: flips and turns)."""
    if orientation in (2, 4, 5, 7):  # mirrored orientations: undo the mirror first
        pixels = pixels[:, ::-1]
    turns = {1: 0, 2: 0, 3: 2, 4: 2, 5: 1, 6: 3, 7: 3, 8: 1}[orientation]
    return np.rot90(pixels, turns) if turns else pixels


def decode(data: bytes, path: Any, color_mode: str = "rgb", header: Optional[FileHeader] = None,
           reduction: int = 1, exif: bool = True) -> np.ndarray:
    """Decode an image file's bytes to (H, W, C) uint8 pixels, oriented as displayed when
    ``exif`` (with ``header``'s orientation). ``reduction`` in 1, 2, 4, 8: a JPEG is decoded
    at 1/reduction of its size (each side at least ceil(side / reduction)) through libjpeg's
    scaled DCT; other formats ignore it. The result may be a (non-contiguous) view."""
    mode, channels = _MODES[color_mode]
    if header is None:
        header = read_header(data, path, exif)
    stored_h, stored_w = header.stored
    need_h, need_w = math.ceil(stored_h / reduction), math.ceil(stored_w / reduction)
    pixels = None
    if header.jpeg and color_mode != "rgba":
        fast = _fast_jpeg()
        if fast is not None:
            try:
                pixels = fast.decode_jpeg(data, colorspace="GRAY" if channels == 1 else "RGB",
                                          min_height=need_h if reduction > 1 else 0,
                                          min_width=need_w if reduction > 1 else 0)
            except ValueError:
                pixels = None  # Pillow decodes what libjpeg-turbo calls corrupt, or says why
    if pixels is None:
        # Pillow's draft picks the largest scale whose integer ratio to the request is met:
        # asking for floor(side / r) gets 1/r (its result then has ceil(side / r)).
        draft = (max(1, stored_w // reduction), max(1, stored_h // reduction))
        pixels = _decode_with_pillow(data, path, mode,
                                     draft if reduction > 1 and header.jpeg else None)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    return _orient(pixels, header.orientation) if exif else pixels


def _decode_with_pillow(data: bytes, path: Any, mode: str,
                        draft_size: Optional[Tuple[int, int]]) -> np.ndarray:
    import io

    from ._keras.directory import _errors_name_file

    Image = _pil()
    with _errors_name_file(path):
        img = Image.open(io.BytesIO(data))
        if draft_size is not None:
            img.draft(mode if mode != "RGBA" else "RGB", draft_size)
        if img.mode != mode:
            img = img.convert(mode)
        img.load()
        try:
            return np.asarray(img)
        finally:
            img.close()


def read_file(path: Any) -> bytes:
    """A regular file's bytes (a directory, device or FIFO is refused with its name)."""
    import stat

    # O_NONBLOCK: a FIFO opens at once instead of waiting for a writer. The check is on the
    # descriptor before any file object exists: open(fd) of a directory raises without the
    # path in its message and leaves the descriptor open.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"cannot load image file {os.fspath(path)!r}: not a regular file")
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        return f.read()


def reduction_for(step: float, header: FileHeader, allowed: bool) -> int:
    """The largest DCT reduction (1, 2, 4, 8) that keeps at least one decoded pixel per
    output pixel when the plan steps ``step`` source pixels per output pixel (its smaller
    axis); 1 unless ``allowed`` and the file is a JPEG."""
    if not allowed or not header.jpeg:
        return 1
    best = 1
    for r in REDUCTIONS:
        if step >= r:
            best = r
    return best


def stat_key(path: Any) -> Tuple[int, int]:
    """(mtime in ns, size) of a file, what a cache entry is checked against."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size
