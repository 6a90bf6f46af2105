"""Image files for the Keras-compatible generator (keras-preprocessing 1.1.2 behaviour).

``load_img``, ``img_to_array``, ``array_to_img`` and ``save_img`` behave like
``keras_preprocessing.image``'s; ``DirectoryIterator`` and ``DataFrameIterator`` list, split and
label files exactly as 1.1.2 does. Differences on purpose: a batch's files are decoded in a
small thread pool (Pillow releases the GIL while decoding and resizing), decode errors name the
file, a symlink loop under ``follow_links=True`` is walked once instead of until the OS refuses
the path, and ``save_prefix``/``save_format`` may not contain path separators, so nothing is
ever written outside ``save_to_dir``.

Pillow is imported on first use, so ``import fastaug`` works without it; pandas is never
imported here (a DataFrame is only used through its own methods).
"""
from __future__ import annotations

import contextlib
import io
import os
import threading
import time
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .iterator import Iterator

__all__ = [
    "load_img",
    "img_to_array",
    "array_to_img",
    "save_img",
    "DirectoryIterator",
    "DataFrameIterator",
]

# A cache's index is rewritten whole by a commit, so the iterators commit at the end of each
# epoch and otherwise at most this often (seconds).
_CACHE_COMMIT_S = 30.0

# Grayscale modes Keras keeps as they are (16/32-bit values survive as floats).
_WIDE_GRAYSCALE_MODES = ("L", "I;16", "I")

_RESAMPLE_NAMES = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil_image():
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            "fastaug needs Pillow to read and write image files (load_img, save_img, "
            "array_to_img, flow_from_directory, flow_from_dataframe): pip install pillow"
        ) from exc
    return Image


def _resample_filter(Image, interpolation: str):
    filters = {name: getattr(Image, name.upper()) for name in _RESAMPLE_NAMES}
    if interpolation not in filters:
        raise ValueError(
            "Invalid interpolation method {} specified. Supported methods are {}".format(
                interpolation, ", ".join(filters)
            )
        )
    return filters[interpolation]


@contextlib.contextmanager
def _errors_name_file(path):
    """Re-raise a decoding error as the same kind of error (OSError when it is not an
    OSError, ValueError or DecompressionBombError) with the file's path in the message."""
    try:
        yield
    except MemoryError:
        raise
    except Exception as exc:
        if type(exc).__name__ == "UnidentifiedImageError":  # its own text names a BytesIO
            message = "cannot identify image file {!r}".format(os.fspath(path))
        else:
            message = "cannot load image file {!r}: {}".format(os.fspath(path), exc)
        named = None
        if isinstance(exc, (OSError, ValueError)) or type(exc).__name__ == "DecompressionBombError":
            try:
                named = type(exc)(message)
            except Exception:  # an exception type with a different constructor
                pass
        raise (named or OSError(message)) from exc


def _read_regular_file(path) -> bytes:
    """The bytes of ``path``, refusing anything but a regular file: a FIFO named ``x.png``
    would block forever, a link to a device such as /dev/zero would never end."""
    from .._decode import read_file

    return read_file(path)


def load_img(path: Any, grayscale: bool = False, color_mode: str = "rgb",
             target_size: Optional[Tuple[int, int]] = None, interpolation: str = "nearest",
             keep_aspect_ratio: bool = False):
    """Load an image file into a decoded PIL image, like Keras's ``load_img``.

    ``color_mode`` is ``'rgb'``, ``'rgba'`` or ``'grayscale'`` (8-bit, or 16/32-bit grayscale
    kept as mode ``'I;16'``/``'I'``). ``target_size=(height, width)`` resizes, ignoring the
    aspect ratio, with Pillow's filter named by ``interpolation`` (nearest, bilinear, bicubic,
    hamming, box, lanczos); the name is checked only when a resize is needed.
    ``keep_aspect_ratio`` (Keras 2.9+) first crops the largest centred box of the target's
    aspect ratio, as Keras 2.9+ computes it (integer division), and resizes that.

    Raises FileNotFoundError for a missing file, and an OSError (or ValueError, or Pillow's
    DecompressionBombError) whose message names the file when it cannot be decoded.
    """
    if grayscale is True:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"')
        color_mode = "grayscale"
    Image = _pil_image()
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    data = _read_regular_file(path)
    with _errors_name_file(path):
        img = Image.open(io.BytesIO(data))
        if color_mode == "grayscale":
            if img.mode not in _WIDE_GRAYSCALE_MODES:
                img = img.convert("L")
        elif color_mode == "rgba":
            if img.mode != "RGBA":
                img = img.convert("RGBA")
        elif img.mode != "RGB":
            img = img.convert("RGB")
    if target_size is not None and img.size != (target_size[1], target_size[0]):
        resample = _resample_filter(Image, interpolation)
        box = _aspect_crop_box(img.size, target_size) if keep_aspect_ratio else None
        with _errors_name_file(path):
            img = img.resize((target_size[1], target_size[0]), resample, box=box)
    # Decode now, so a truncated file fails here with its name rather than later.
    with _errors_name_file(path):
        img.load()
    return img


def _aspect_crop_box(size: Tuple[int, int], target_size: Tuple[int, int]) -> Tuple[int, ...]:
    """(left, upper, right, lower) of the centred crop of an image of ``size`` (w, h) that has
    the aspect ratio of ``target_size`` (h, w)."""
    width, height = size
    target_height, target_width = target_size
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    return (left, top, left + crop_width, top + crop_height)


def img_to_array(img: Any, data_format: str = "channels_last",
                 dtype: Any = "float32") -> np.ndarray:
    """A PIL image as a 3-D array (H, W, C), or (C, H, W) for ``channels_first``."""
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Unknown data_format: %s" % data_format)
    x = np.asarray(img, dtype=dtype)
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        if data_format == "channels_first":
            x = x.reshape((1,) + x.shape)
        else:
            x = x.reshape(x.shape + (1,))
    else:
        raise ValueError("Unsupported image shape: %s" % (x.shape,))
    return x


def array_to_img(x: Any, data_format: str = "channels_last", scale: bool = True,
                 dtype: Any = "float32") -> Any:
    """A 3-D array as a PIL image (RGB, RGBA, L, or I for 1-channel values above 255).

    With ``scale=True`` the values are stretched to [0, 255] first; then they are truncated
    to uint8, as Keras does.
    """
    Image = _pil_image()
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError(
            "Expected image array to have rank 3 (single image). Got array with shape: %s"
            % (x.shape,)
        )
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Invalid data_format: %s" % data_format)
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError("Unsupported channel number: %s" % (channels,))


def save_img(path: Any, x: Any, data_format: str = "channels_last",
             file_format: Optional[str] = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Save a 3-D array as an image file (``kwargs`` go to ``PIL.Image.save``)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        warnings.warn("The JPG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


# ---------------------------------------------------------------------------------------------
# Parallel loading


_pools: Dict[int, ThreadPoolExecutor] = {}  # by size
_pool_lock = threading.Lock()


def _loader_pool(workers: int) -> ThreadPoolExecutor:
    with _pool_lock:
        if workers not in _pools:
            _pools[workers] = ThreadPoolExecutor(max_workers=workers,
                                                 thread_name_prefix="fastaug-load")
        return _pools[workers]


def _forget_pool_after_fork() -> None:
    # A forked child has the executor objects but none of their threads.
    global _pools, _pool_lock
    _pools = {}
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _parallel_map(func, items: Sequence, num_threads: Optional[int] = None) -> list:
    """``[func(item) for item in items]``, run in a loader pool of ``num_threads`` threads
    (None: one per CPU available), results in order."""
    if num_threads is None or num_threads == 0:
        from .. import _core

        num_threads = _core.available_cpus()
    if len(items) <= 1 or num_threads == 1:
        return [func(item) for item in items]
    return list(_loader_pool(num_threads).map(func, items))


def load_image_batch(paths: Sequence, color_mode: str, target_size: Tuple[int, int],
                     interpolation: str, keep_aspect_ratio: bool = False,
                     num_threads: Optional[int] = None, cache: Any = None) -> np.ndarray:
    """Decode ``paths`` in parallel (``num_threads``) into one (B, H, W, C) channels-last
    stack; with ``cache`` (a ``DecodedCache``), the pixels at ``target_size`` come from it
    where it has them, and are stored in it where not.

    The stack is uint8, unless some grayscale file is 16/32-bit (modes ``'I;16'``/``'I'``):
    then it is float32, which holds those values exactly up to 2**24, as Keras's float32 does.
    """
    variant = "keras|{}|{}x{}|{}|aspect={}".format(color_mode, target_size[0], target_size[1],
                                                    interpolation, int(bool(keep_aspect_ratio)))
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
    height, width = target_size
    stack = np.empty((len(paths), height, width, channels), np.uint8)
    wide = {}  # position -> float32 image, for the 16/32-bit grayscale files

    def load_into(position: int) -> None:
        path = paths[position]
        pixels = None if cache is None else cache.lookup(path, variant)
        if pixels is None:
            stat = None if cache is None else os.stat(path)  # before decoding: see staleness
            img = load_img(path, color_mode=color_mode, target_size=target_size,
                           interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio)
            try:
                pixels = np.asarray(img)
            finally:
                img.close()
            if cache is not None:
                if pixels.dtype != np.uint8:
                    pixels = pixels.astype(np.float32)
                cache.store(path, variant, pixels, stat=stat)
        if pixels.ndim == 2:
            pixels = pixels[:, :, np.newaxis]
        if pixels.dtype == np.uint8:
            stack[position] = pixels
        else:
            wide[position] = pixels.astype(np.float32)

    _parallel_map(load_into, range(len(paths)), num_threads)
    if not wide:
        return stack
    stack = stack.astype(np.float32)
    for position, pixels in wide.items():
        stack[position] = pixels
    return stack


# ---------------------------------------------------------------------------------------------
# File iterators


def _check_file_name_part(value, name: str) -> None:
    """Refuse a save_prefix/save_format that could steer a saved file out of save_to_dir."""
    text = str(value)  # Keras formats whatever it is given into the file name
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    if any(sep in text for sep in separators) or "\0" in text:
        raise ValueError(
            "{} must not contain path separators (files are only written inside save_to_dir), "
            "got {!r}".format(name, value)
        )


class _BatchFromFiles(Iterator):
    """Shared by the two file iterators: attributes, subset split and batch assembly."""

    def _set_processing_attrs(self, image_data_generator, target_size, color_mode, data_format,
                              save_to_dir, save_prefix, save_format, subset, interpolation,
                              keep_aspect_ratio=False, cache=None):
        self.image_data_generator = image_data_generator
        # fastaug extension: decoded pixels at target_size kept in a DecodedCache (a path or
        # one), so later epochs read them instead of decoding; batches stay bit-identical.
        if cache is None or hasattr(cache, "lookup"):
            self.cache = cache
        else:
            from .._cache import DecodedCache

            self.cache = DecodedCache(cache)
        self._cache_committed = time.monotonic()
        if self.cache is not None:  # what is stored and not yet committed, at the latest on exit
            weakref.finalize(self, self.cache.commit)
        self.target_size = tuple(target_size)
        if len(self.target_size) != 2 or not all(
                isinstance(v, (int, np.integer)) and v > 0 for v in self.target_size):
            raise ValueError("target_size must be (height, width), two positive integers; "
                             "got {!r}".format(target_size))
        if color_mode not in {"rgb", "rgba", "grayscale"}:
            raise ValueError("Invalid color mode:", color_mode,
                             '; expected "rgb", "rgba", or "grayscale".')
        self.color_mode = color_mode
        self.data_format = data_format
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        if data_format == "channels_last":
            self.image_shape = self.target_size + (channels,)
        else:
            self.image_shape = (channels,) + self.target_size
        if save_to_dir:
            _check_file_name_part(save_prefix, "save_prefix")
            _check_file_name_part(save_format, "save_format")
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        if keep_aspect_ratio and getattr(image_data_generator, "compat", "1.1.2") == "1.1.2":
            # A 2.9+ argument: 1.1.2's iterators reject it (TypeError, unknown argument).
            raise TypeError("keep_aspect_ratio needs an ImageDataGenerator with compat='2.9' "
                            "(keras-preprocessing 1.1.2 has no such argument)")
        self.keep_aspect_ratio = keep_aspect_ratio
        if subset is None:
            split = None
        else:
            validation_split = image_data_generator._validation_split
            if subset == "validation":
                split = (0, validation_split)
            elif subset == "training":
                split = (validation_split, 1)
            else:
                raise ValueError('Invalid subset name: %s;expected "training" or "validation"'
                                 % (subset,))
        self.split = split
        self.subset = subset

    @property
    def filepaths(self) -> List[str]:
        """Paths of the image files, in sample order."""
        return self._filepaths

    def _commit_cache(self) -> None:
        self.cache.commit()
        self._cache_committed = time.monotonic()

    def on_epoch_end(self) -> None:
        if getattr(self, "cache", None) is not None:
            self._commit_cache()  # what this epoch decoded, visible to other processes
            self.cache.refresh()
        super().on_epoch_end()

    def _load_batch(self, index_array) -> np.ndarray:
        paths = [self._filepaths[j] for j in index_array]
        stack = load_image_batch(paths, self.color_mode, self.target_size, self.interpolation,
                                 self.keep_aspect_ratio,
                                 getattr(self.image_data_generator, "num_threads", None),
                                 self.cache)
        if self.cache is not None and time.monotonic() - self._cache_committed > _CACHE_COMMIT_S:
            self._commit_cache()
        if self.data_format == "channels_first":
            stack = stack.transpose(0, 3, 1, 2)
        return stack

    def _save_batch(self, batch_x: np.ndarray, index_array) -> None:
        # The hash draws come after the batch's transforms, one per image in order, as in Keras.
        names = [
            "{prefix}_{index}_{hash}.{format}".format(
                prefix=self.save_prefix, index=j, hash=np.random.randint(1e7),
                format=self.save_format)
            for j in index_array
        ]

        def save(i: int) -> None:
            img = array_to_img(batch_x[i], self.data_format, scale=True)
            img.save(os.path.join(self.save_to_dir, names[i]))

        _parallel_map(save, range(len(names)))

    def _batch_labels(self, batch_x: np.ndarray, index_array):
        mode = self.class_mode
        if mode == "input":
            return batch_x.copy()
        if mode in {"binary", "sparse"}:
            return np.asarray([self.classes[j] for j in index_array], dtype=self.dtype)
        if mode == "categorical":
            batch_y = np.zeros((len(index_array), len(self.class_indices)), dtype=self.dtype)
            for i, j in enumerate(index_array):
                batch_y[i, self.classes[j]] = 1.0
            return batch_y
        if mode == "multi_output":
            return [output[index_array] for output in self.labels]
        if mode == "raw":
            return self.labels[index_array]
        return None

    def _transform_one_by_one(self, stack: np.ndarray) -> np.ndarray:
        # Any object with Keras's per-image generator API (e.g. keras_preprocessing's own).
        generator = self.image_data_generator
        batch_x = np.zeros(stack.shape, dtype=self.dtype)
        for i, image in enumerate(stack):
            x = image.astype(np.float32)  # img_to_array's default, whatever self.dtype is
            params = generator.get_random_transform(x.shape)
            x = generator.apply_transform(x, params)
            batch_x[i] = generator.standardize(x)
        return batch_x

    def _get_batches_of_transformed_samples(self, index_array):
        index_array = np.asarray(index_array)
        stack = self._load_batch(index_array)
        generator = self.image_data_generator
        if hasattr(generator, "_transform_batch"):
            batch_x = generator._transform_batch(stack, np.arange(len(stack)))
        elif generator is not None:
            batch_x = self._transform_one_by_one(stack)
        else:
            batch_x = stack.astype(self.dtype)
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        batch_y = self._batch_labels(batch_x, index_array)
        if batch_y is None:
            return batch_x
        if self.sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self.sample_weight[index_array]


def _walk_sorted(top: str, follow_links: bool):
    """``sorted(os.walk(top, followlinks=follow_links))`` by root, as Keras lists a class.

    When following links, a directory that is its own ancestor (a symlink loop) is not entered
    again, so the walk ends; Keras would descend until the OS refused the path.
    """
    if not follow_links:
        return sorted(os.walk(top), key=lambda entry: entry[0])
    ancestors = {}
    try:
        st = os.stat(top)
        ancestors[top] = frozenset({(st.st_dev, st.st_ino)})
    except OSError:
        return []
    entries = []
    for root, dirnames, filenames in os.walk(top, followlinks=True):
        seen = ancestors.pop(root, frozenset())
        kept = []
        for d in dirnames:
            child = os.path.join(root, d)
            try:
                st = os.stat(child)
            except OSError:  # a dangling link: os.walk would skip it too
                continue
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                kept.append(d)
                ancestors[child] = seen | {key}
        dirnames[:] = kept
        entries.append((root, dirnames, filenames))
    return sorted(entries, key=lambda entry: entry[0])


def _list_class_files(class_dir: str, white_list_formats, split, follow_links: bool) -> List[str]:
    """Whitelisted files under ``class_dir``, as paths relative to it, in Keras's order."""
    files = []
    for root, _, filenames in _walk_sorted(class_dir, follow_links):
        for fname in sorted(filenames):
            lower = fname.lower()
            if lower.endswith(".tiff"):
                warnings.warn('Using ".tiff" files with multiple bands will cause distortion. '
                              "Please verify your output.")
            if lower.endswith(white_list_formats):
                files.append(os.path.relpath(os.path.join(root, fname), class_dir))
    if split:
        n = len(files)
        files = files[int(split[0] * n): int(split[1] * n)]
    return files


class DirectoryIterator(_BatchFromFiles):
    """Batches of images read from class subfolders of ``directory`` (Keras 1.1.2 semantics).

    Attributes as in Keras: ``filenames`` (relative to ``directory``), ``filepaths``,
    ``classes`` (int32 label per file), ``class_indices``, ``num_classes``, ``samples``.
    """

    allowed_class_modes = {"categorical", "binary", "sparse", "input", None}

    def __init__(self, directory: str, image_data_generator: Any,
                 target_size: Tuple[int, int] = (256, 256), color_mode: str = "rgb",
                 classes: Optional[Sequence[str]] = None,
                 class_mode: Optional[str] = "categorical", batch_size: int = 32,
                 shuffle: bool = True, seed: Optional[int] = None,
                 data_format: str = "channels_last", save_to_dir: Optional[str] = None,
                 save_prefix: str = "", save_format: str = "png", follow_links: bool = False,
                 subset: Optional[str] = None, interpolation: str = "nearest",
                 dtype: Any = "float32", keep_aspect_ratio: bool = False,
                 cache: Any = None) -> None:
        _pil_image()
        self._set_processing_attrs(image_data_generator, target_size, color_mode, data_format,
                                   save_to_dir, save_prefix, save_format, subset, interpolation,
                                   keep_aspect_ratio, cache)
        self.directory = directory
        if class_mode not in self.allowed_class_modes:
            raise ValueError("Invalid class_mode: {}; expected one of: {}".format(
                class_mode, self.allowed_class_modes))
        self.class_mode = class_mode
        self.dtype = dtype

        if not classes:
            classes = [d for d in sorted(os.listdir(directory))
                       if os.path.isdir(os.path.join(directory, d))]
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))

        per_class = _parallel_map(
            lambda name: _list_class_files(os.path.join(directory, name),
                                           self.white_list_formats, self.split, follow_links),
            list(classes),
        )
        self.filenames = []
        labels = []
        for name, files in zip(classes, per_class):
            self.filenames += [os.path.join(name, f) for f in files]
            labels += [self.class_indices[name]] * len(files)
        self.samples = len(self.filenames)
        self.classes = np.asarray(labels, dtype="int32")
        print("Found %d images belonging to %d classes." % (self.samples, self.num_classes))
        self._filepaths = [os.path.join(directory, f) for f in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def labels(self) -> np.ndarray:
        return self.classes

    @property
    def sample_weight(self) -> None:
        return None


class DataFrameIterator(_BatchFromFiles):
    """Batches of images whose paths (and labels) come from a pandas DataFrame (Keras 1.1.2).

    Rows are validated, class-filtered and split over the whole frame in row order; see
    ``ImageDataGenerator.flow_from_dataframe``.
    """

    allowed_class_modes = {"binary", "categorical", "input", "multi_output", "raw", "sparse", None}
    _label_free_modes = ("input", "multi_output", "raw", None)

    def __init__(self, dataframe: Any, directory: Optional[str] = None,
                 image_data_generator: Any = None, x_col: str = "filename",
                 y_col: Any = "class", weight_col: Optional[str] = None,
                 target_size: Tuple[int, int] = (256, 256), color_mode: str = "rgb",
                 classes: Optional[Sequence[str]] = None,
                 class_mode: Optional[str] = "categorical", batch_size: int = 32,
                 shuffle: bool = True, seed: Optional[int] = None,
                 data_format: str = "channels_last", save_to_dir: Optional[str] = None,
                 save_prefix: str = "", save_format: str = "png", subset: Optional[str] = None,
                 interpolation: str = "nearest", dtype: Any = "float32",
                 validate_filenames: bool = True, keep_aspect_ratio: bool = False,
                 cache: Any = None) -> None:
        _pil_image()
        self._set_processing_attrs(image_data_generator, target_size, color_mode, data_format,
                                   save_to_dir, save_prefix, save_format, subset, interpolation,
                                   keep_aspect_ratio, cache)
        df = dataframe.copy()
        self.directory = directory or ""
        self.class_mode = class_mode
        self.dtype = dtype
        self._check_params(df, x_col, y_col, weight_col, classes)

        rows = np.arange(len(df))
        if validate_filenames:
            rows = rows[self._valid_file_mask(df, x_col)]
        label_mode = class_mode not in self._label_free_modes
        if label_mode:
            all_labels = df[y_col].tolist()
            labels, classes = self._filter_classes([all_labels[r] for r in rows], y_col, classes)
            keep = np.asarray([lab is not None for lab in labels], dtype=bool)
            rows = rows[keep]
            labels = [lab for lab in labels if lab is not None]
            self.class_indices = dict(zip(classes, range(len(classes))))
        if self.split:
            n = len(rows)
            start, stop = int(self.split[0] * n), int(self.split[1] * n)
            rows = rows[start:stop]
            if label_mode:
                labels = labels[start:stop]
        df = df.iloc[rows]
        if label_mode:
            self.classes = [
                [self.class_indices[c] for c in lab] if isinstance(lab, (list, tuple))
                else self.class_indices[lab]
                for lab in labels
            ]
        self.filenames = df[x_col].tolist()
        self._sample_weight = df[weight_col].values if weight_col else None
        if class_mode == "multi_output":
            self._targets = [np.array(df[col].tolist()) for col in y_col]
        if class_mode == "raw":
            self._targets = df[y_col].values
        self.samples = len(self.filenames)
        validated = "validated" if validate_filenames else "non-validated"
        if label_mode:
            print("Found {} {} image filenames belonging to {} classes.".format(
                self.samples, validated, len(classes)))
        else:
            print("Found {} {} image filenames.".format(self.samples, validated))
        self._filepaths = [os.path.join(self.directory, f) for f in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _check_params(self, df, x_col, y_col, weight_col, classes) -> None:
        mode = self.class_mode
        if mode not in self.allowed_class_modes:
            raise ValueError("Invalid class_mode: {}; expected one of: {}".format(
                mode, self.allowed_class_modes))
        if mode == "multi_output" and not isinstance(y_col, list):
            raise TypeError('If class_mode="{}", y_col must be a list. Received {}.'.format(
                mode, type(y_col).__name__))
        if not all(isinstance(v, str) for v in df[x_col]):
            raise TypeError("All values in column x_col={} must be strings.".format(x_col))
        if mode in {"binary", "sparse"}:
            if not all(isinstance(v, str) for v in df[y_col]):
                raise TypeError('If class_mode="{}", y_col="{}" column values must be strings.'
                                .format(mode, y_col))
        if mode == "binary":
            if classes:
                if len(set(classes)) != 2:
                    raise ValueError('If class_mode="binary" there must be 2 classes. '
                                     "{} class/es were given.".format(len(set(classes))))
            elif df[y_col].nunique() != 2:
                raise ValueError('If class_mode="binary" there must be 2 classes. '
                                 "Found {} classes.".format(df[y_col].nunique()))
        if mode == "categorical":
            if not all(isinstance(v, (str, list, tuple)) for v in df[y_col]):
                raise TypeError('If class_mode="{}", y_col="{}" column values must be type '
                                "string, list or tuple.".format(mode, y_col))
        if classes and mode in self._label_free_modes:
            warnings.warn('`classes` will be ignored given the class_mode="{}"'.format(mode))
        if weight_col and not issubclass(df[weight_col].dtype.type, np.number):
            raise TypeError("Column weight_col={} must be numeric.".format(weight_col))

    def _valid_file_mask(self, df, x_col) -> np.ndarray:
        paths = [os.path.join(self.directory, f) for f in df[x_col]]
        mask = np.asarray(
            [p.lower().endswith(self.white_list_formats) and os.path.isfile(p) for p in paths],
            dtype=bool,
        )
        n_invalid = int((~mask).sum())
        if n_invalid:
            warnings.warn('Found {} invalid image filename(s) in x_col="{}". '
                          "These filename(s) will be ignored.".format(n_invalid, x_col))
        return mask

    @staticmethod
    def _filter_classes(labels: list, y_col, classes):
        """(labels with unwanted classes removed, None for rows to drop; sorted class names)."""
        if classes:
            wanted = set(classes)

            def keep_wanted(label):
                if isinstance(label, (list, tuple)):
                    return [c for c in label if c in wanted] or None
                if isinstance(label, str):
                    return label if label in wanted else None
                raise TypeError("Expect string, list or tuple but found {} in {} column "
                                .format(type(label), y_col))

            return [keep_wanted(label) for label in labels], sorted(wanted)
        found = set()
        for label in labels:
            if isinstance(label, (list, tuple)):
                found.update(label)
            else:
                found.add(label)
        return labels, sorted(found)

    @property
    def labels(self) -> Any:
        if self.class_mode in {"multi_output", "raw"}:
            return self._targets
        return self.classes

    @property
    def sample_weight(self) -> Optional[np.ndarray]:
        return self._sample_weight
