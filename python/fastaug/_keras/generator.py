"""``ImageDataGenerator``: keras-preprocessing 1.1.2's API and results, one native call per batch.

What is the same as 1.1.2 (docs/keras-semantics.md states it): every constructor
argument and its checks, warnings and error messages; the random parameters (same global numpy
stream, same order, same values); the affine (Keras's matrices and off-centre pivot, scipy's
boundary rules for order 0 and 1); channel shift, flips, the brightness quirks (min-max stretch,
uint8 truncation, Pillow's float32 blend, and on channels_first images the width axis read as
channels); standardize, fit and ZCA; the iterators' index and seed sequence.

What differs, on purpose:
- A batch is drawn at once and augmented by one native call (``fastaug._pipeline``, float32
  arithmetic): results agree with Keras's to well under 1e-3, and brightness (which truncates
  to integers) exactly on >= 99.9% of values and within 1 on the rest.
- ``flow`` keeps ``x`` as given (Keras copies the whole dataset to float32 up front).
- ``interpolation_order`` >= 2 and scipy-only fill modes (``grid-constant``, ``grid-wrap``) run
  through scipy per image, after a one-time warning (``grid-mirror``, scipy's alias of
  ``reflect``, runs natively).
- An unknown ``fill_mode`` raises ``RuntimeError('boundary mode not supported')`` when a batch
  (or image) actually needs an affine, as scipy does inside Keras; the rest of that batch's
  random draws have then already been taken.
- A non-float32 ``dtype`` is computed in float32 and cast at the end; integer dtypes are
  rounded and saturated (Keras truncates, and fails on ``rescale``).
- ``num_threads`` (fastaug extension): threads for the native batch call (None: all cores;
  at most 1024, checked by the constructor).
- Non-finite values where Keras computes with them: ``cval=nan`` (or +-inf) with
  ``fill_mode='constant'`` fills float outputs with it, as Keras does (through scipy, image
  by image, after a one-time warning: the native kernels fill finite values only); with
  ``dtype='uint8'`` the fill is 0 for NaN (NaN has no uint8 value; Keras's cast gives 0 on
  common platforms) and 255 or 0 for +inf or -inf. With another fill mode cval is unused.
  An image whose transform parameters give a non-finite matrix (``theta=nan``) goes through
  scipy too and comes out as Keras's does (NaN); its mask, if any, is all 0. A channel shift
  or brightness factor beyond float32's range acts as the largest float32 (the same result
  once clipped to the image's range); a NaN ``brightness`` or ``channel_shift_intensity``
  in ``apply_transform``'s dict means no such step (Keras gives a black or NaN image).
  Non-finite pixels stay where a transform that moves no pixel off the grid (identity,
  flips, whole-pixel shifts) puts them.
- The iterators do not graft ``tf.keras``'s ``Sequence`` onto themselves as 1.1.2 does when
  TensorFlow is importable; created after ``import keras`` (Keras 3) they are
  ``keras.utils.PyDataset`` instances instead, which Keras 3's ``model.fit`` takes
  (``fastaug.integrations.keras.as_pydataset`` for one created before).
- ``flow(..., masks=)`` (fastaug extension): segmentation masks that follow each image's
  geometry; see ``flow``.

``compat="2.9"`` reproduces instead the legacy generator of tf.keras 2.9-2.15 and Keras 3
(``keras.src.legacy.preprocessing.image``); docs/keras-semantics.md, "Versions":
- the affine is centred on ``(h/2 - 0.5, w/2 - 0.5)`` and axis-swapped (P·M·P): ``tx``/``zx``
  (still drawn from ``height_shift_range``/``zoom_range``) act on columns, ``ty``/``zy`` on
  rows, a positive ``theta`` turns counter-clockwise, and a non-square image's centre has its
  coordinates swapped, all as in Keras;
- brightness with ``scale=False``: an image within [0, 255] is truncated to uint8 and darkened
  without a stretch (so [0, 1] float images go black); one outside is stretched, darkened and
  mapped back to its own [min, max]. Computed in NumPy per batch;
- ZCA by ``np.linalg.svd`` of the data, stored as ``zca_whitening_matrix`` (1.1.2:
  ``principal_components``);
- ``flow(..., ignore_class_split=)`` and ``keep_aspect_ratio=`` for the file iterators
  (rejected under 1.1.2, which has neither). ``flow_from_dataframe`` honours
  ``keep_aspect_ratio``, which Keras 3 accepts there but drops;
- ``data_format=None`` / ``dtype=None`` mean ``'channels_last'`` / ``'float32'``: Keras's
  backend defaults (no ``keras.json`` is read). Brightness, as in Keras with that default
  backend, reads a channels_first image's last axis (width) as its channels;
- ``apply_transform`` refuses an image that is not 3-D, as Keras 2.9+ does.
Other error messages keep 1.1.2's wording in both modes.

``get_config()`` / ``from_config()`` save and rebuild the constructor arguments (not the
statistics ``fit`` computes, nor ``preprocessing_function``).
"""
from __future__ import annotations

import importlib
import inspect
import numbers
import warnings
from collections.abc import Mapping

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _pipeline
from .._checks import MAX_THREADS as _MAX_THREADS
from .iterator import NumpyArrayIterator
from .transforms import (TransformBatch, affine_matrices, draw_transforms, pull_rows,
                         transform_dict)

if TYPE_CHECKING:
    from .directory import DataFrameIterator, DirectoryIterator

__all__ = ["ImageDataGenerator"]

_NATIVE_FILL_MODES = {"constant": "constant", "nearest": "nearest", "reflect": "reflect",
                      "wrap": "wrap", "mirror": "mirror", "grid-mirror": "reflect"}
_SCIPY_ONLY_FILL_MODES = ("grid-constant", "grid-wrap")
_NATIVE_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32))
_FLOAT32_MAX = float(np.finfo(np.float32).max)
COMPAT_VERSIONS = ("1.1.2", "2.9")


def _scipy_module(name: str, purpose: str):
    try:
        return importlib.import_module("scipy." + name)
    except ImportError as exc:
        raise ImportError("fastaug needs SciPy for %s: pip install scipy" % purpose) from exc


def keras_brightness(x: np.ndarray, brightness: float) -> np.ndarray:
    """keras-preprocessing 1.1.2's ``apply_brightness_shift`` on one image whose last axis is
    taken as channels (as Keras takes it, whatever the data format): stretch to 0..255 in
    float32, truncate to uint8, ``floor(float32(b) * v)`` clipped to 0..255 as Pillow's blend
    computes it; a 4th channel is alpha, kept. Returns float32."""
    x = np.asarray(x, dtype=np.float32)
    x = x - np.min(x)
    top = np.max(x)
    if top != 0:
        x /= top
    x *= 255
    channels = x.shape[2]
    if channels not in (1, 3, 4):
        raise ValueError("Unsupported channel number: %s" % (channels,))
    levels = x.astype(np.uint8).astype(np.float32)
    out = np.clip(np.floor(np.float32(brightness) * levels), 0, 255)
    if channels == 4:
        out[..., 3] = levels[..., 3]
    return out


def keras29_brightness(batch: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Keras 2.9+'s ``apply_brightness_shift(x, b, scale=False)`` on each image of ``batch``
    (B, H, W, C), last axis taken as channels, with ``factors[i]`` (NaN: image left as is).

    Per image: if it lies within [0, 255], truncate to uint8 as is; otherwise stretch it to
    0..255 in float32 first. Then Pillow's blend ``floor(float32(b) * v)`` clipped to 0..255
    (a 4th channel is alpha, kept), and for a stretched image ``v / 255 * (max - min) + min``
    back in its own range. Returns a new array: float32, or float64 where a float64 image was
    stretched (Keras maps it back with its float64 min and max)."""
    channels = batch.shape[-1]
    if channels not in (1, 3, 4):
        raise ValueError("Unsupported channel number: %s" % (channels,))
    factors = np.asarray(factors, dtype=np.float64)
    chosen = np.flatnonzero(~np.isnan(factors))
    if chosen.size == 0:
        return batch.copy()
    everyone = chosen.size == batch.shape[0]
    x = batch if everyone else batch[chosen]
    axes = (1, 2, 3)
    lo = np.min(x, axis=axes, keepdims=True)
    hi = np.max(x, axis=axes, keepdims=True)
    stretch = (lo < 0) | (hi > 255)
    # Keras converts to float32 before truncating to uint8 (which can round a float64 up).
    levels = x if x.dtype == np.float32 else x.astype(np.float32)
    if stretch.any():
        shifted = levels - np.min(levels, axis=axes, keepdims=True)
        top = np.max(shifted, axis=axes, keepdims=True)
        np.divide(shifted, top, out=shifted, where=top != 0)
        shifted *= 255
        levels = np.where(stretch, shifted, levels)
    levels = levels.astype(np.uint8)
    b = factors[chosen].astype(np.float32).reshape(-1, 1, 1, 1)
    out = np.multiply(b, levels, dtype=np.float32)
    np.floor(out, out=out)
    np.clip(out, 0, 255, out=out)
    if channels == 4:
        out[..., 3] = levels[..., 3]
    if stretch.any():
        # Only stretched images are mapped back, in the input's precision as Keras does.
        out = np.where(stretch, out / 255 * (hi - lo) + lo, out)
    if everyone:
        return out
    result = batch.astype(out.dtype, copy=True)
    result[chosen] = out
    return result


def _plain_value(value, name: str):
    """``value`` as bool/int/float/str/None or (nested) lists of those, for a config file."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain_value(v, name) for v in value]
    raise TypeError("get_config: %s holds a %s, which a config file cannot represent"
                    % (name, type(value).__name__))


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _is_number_or_numbers(value) -> bool:
    return _is_number(value) or (isinstance(value, (list, tuple))
                                 and all(_is_number(v) for v in value))


def _is_optional_pair(value) -> bool:
    return value is None or (isinstance(value, (list, tuple)) and len(value) == 2
                             and all(_is_number(v) for v in value))


def _is_optional_number(value) -> bool:
    return value is None or _is_number(value)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not _is_bool(value)


def _is_optional_int(value) -> bool:
    return value is None or _is_int(value)


def _is_str(value) -> bool:
    return isinstance(value, str)


def _is_optional_str(value) -> bool:
    return value is None or isinstance(value, str)


def _is_optional_callable(value) -> bool:
    return value is None or callable(value)


_CONFIG_KINDS = {
    _is_bool: "a bool",
    _is_number: "a number",
    _is_number_or_numbers: "a number or a list of numbers",
    _is_optional_pair: "None or a list of two numbers",
    _is_optional_number: "None or a number",
    _is_int: "an int",
    _is_optional_int: "None or an int",
    _is_str: "a string",
    _is_optional_str: "None or a string",
    _is_optional_callable: "None or a function",
}

_CONFIG_CHECKS = {
    "featurewise_center": _is_bool, "samplewise_center": _is_bool,
    "featurewise_std_normalization": _is_bool, "samplewise_std_normalization": _is_bool,
    "zca_whitening": _is_bool, "horizontal_flip": _is_bool, "vertical_flip": _is_bool,
    "zca_epsilon": _is_number, "rotation_range": _is_number, "shear_range": _is_number,
    "channel_shift_range": _is_number, "cval": _is_number, "validation_split": _is_number,
    "width_shift_range": _is_number_or_numbers, "height_shift_range": _is_number_or_numbers,
    "zoom_range": _is_number_or_numbers, "brightness_range": _is_optional_pair,
    "rescale": _is_optional_number, "interpolation_order": _is_int,
    "num_threads": _is_optional_int, "fill_mode": _is_str, "compat": _is_str,
    "data_format": _is_optional_str, "dtype": _is_optional_str,
    "preprocessing_function": _is_optional_callable,
}


def _keras_channel_shift(x: np.ndarray, intensity: float) -> np.ndarray:
    # One offset for every channel, clipped to the whole image's range (Keras's quirk). A
    # Python float keeps float32 images float32, as in Keras.
    return np.clip(x + float(intensity), np.min(x), np.max(x))


class ImageDataGenerator:
    """Real-time image augmentation with keras-preprocessing 1.1.2's API and results.

    Arguments are Keras's (see its documentation and the module docstring for the exact
    semantics kept), plus ``num_threads``: the number of threads the native batch call uses
    (None: one per core), and ``compat``: ``"1.1.2"`` (default) or ``"2.9"`` for the
    behaviour of tf.keras 2.9+ / Keras 3's legacy generator (module docstring).
    """

    def __init__(self, featurewise_center: bool = False, samplewise_center: bool = False,
                 featurewise_std_normalization: bool = False,
                 samplewise_std_normalization: bool = False, zca_whitening: bool = False,
                 zca_epsilon: float = 1e-6, rotation_range: float = 0,
                 width_shift_range: Union[float, Sequence[float]] = 0.,
                 height_shift_range: Union[float, Sequence[float]] = 0.,
                 brightness_range: Optional[Sequence[float]] = None, shear_range: float = 0.,
                 zoom_range: Union[float, Sequence[float]] = 0., channel_shift_range: float = 0.,
                 fill_mode: str = "nearest", cval: float = 0., horizontal_flip: bool = False,
                 vertical_flip: bool = False, rescale: Optional[float] = None,
                 preprocessing_function: Optional[Callable[[np.ndarray], np.ndarray]] = None,
                 data_format: Optional[str] = "channels_last", validation_split: float = 0.0,
                 interpolation_order: int = 1, dtype: Any = "float32",
                 num_threads: Optional[int] = None, compat: str = "1.1.2") -> None:
        if not isinstance(compat, str) or compat not in COMPAT_VERSIONS:
            raise ValueError("compat must be one of %s (a string), got %r"
                             % (", ".join(repr(v) for v in COMPAT_VERSIONS), compat))
        self.compat = compat
        if compat == "2.9":
            # Keras 2.9+ reads None from its backend config; these are its defaults.
            data_format = "channels_last" if data_format is None else data_format
            dtype = "float32" if dtype is None else dtype
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype
        self.interpolation_order = interpolation_order

        if data_format not in {"channels_last", "channels_first"}:
            raise ValueError(
                '`data_format` should be `"channels_last"` (channel after row and column) or '
                '`"channels_first"` (channel before row and column). Received: %s' % data_format)
        self.data_format = data_format
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError("`validation_split` must be strictly between 0 and 1.  Received: %s"
                             % validation_split)
        self._validation_split = validation_split

        self.mean = None
        self.std = None
        setattr(self, self._zca_attribute, None)

        if isinstance(zoom_range, (float, int)):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2 and all(isinstance(v, (float, int)) for v in zoom_range):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError("`zoom_range` should be a float or a tuple or list of two floats. "
                             "Received: %s" % (zoom_range,))

        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which "
                              "overrides setting of `featurewise_center`.")
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which "
                              "overrides setting of`featurewise_std_normalization`.")
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, "
                          "which overrides setting of `featurewise_center`.")
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, "
                          "which overrides setting of `samplewise_center`.")
        if brightness_range is not None:
            if not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2:
                raise ValueError("`brightness_range should be tuple or list of two floats. "
                                 "Received: %s" % (brightness_range,))
        self.brightness_range = brightness_range

        if num_threads is not None:
            if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)):
                raise TypeError("num_threads must be None or an int from 1 to %d, got %r"
                                % (_MAX_THREADS, num_threads))
            if not 1 <= num_threads <= _MAX_THREADS:
                raise ValueError("num_threads must be None or an int from 1 to %d (the native "
                                 "pool's limit), got %r" % (_MAX_THREADS, num_threads))
            num_threads = int(num_threads)
        self.num_threads = num_threads
        self._warned_scipy_fallback = False

    @property
    def _zca_attribute(self) -> str:
        """Where ``fit`` stores the ZCA matrix: Keras renamed it in 2.9."""
        return "principal_components" if self.compat == "1.1.2" else "zca_whitening_matrix"

    def _require_compat29(self, name: str, value) -> None:
        # TypeError, as 1.1.2 itself raises for an argument it does not have.
        if value and self.compat == "1.1.2":
            raise TypeError("%s=%r needs compat='2.9' (keras-preprocessing 1.1.2 has no such "
                            "argument)" % (name, value))

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        """Every constructor argument as a plain dict (bool, int, float, str, None and lists
        only), which ``from_config`` turns back into an equal generator.

        Values are the generator's current settings, after the constructor's adjustments
        (``zoom_range=0.2`` is saved as ``[0.8, 1.2]``, flags that ``zca_whitening`` forces are
        saved forced), so a rebuilt generator warns about nothing. Not saved: what ``fit``
        computed (call ``fit`` again) and ``preprocessing_function`` (a function cannot go in a
        file: it is saved as None, with a warning if one is set; pass it to the constructor).
        For TOML, which has no null, drop the None entries: every argument that may be None
        defaults to None.
        """
        if self.preprocessing_function is not None:
            warnings.warn("ImageDataGenerator.get_config: preprocessing_function is not saved "
                          "(saved as None)", UserWarning, stacklevel=2)
        try:
            dtype = np.dtype(self.dtype).name
        except TypeError as exc:
            raise TypeError("get_config: dtype %r is not a numpy dtype" % (self.dtype,)) from exc
        config = {
            "featurewise_center": self.featurewise_center,
            "samplewise_center": self.samplewise_center,
            "featurewise_std_normalization": self.featurewise_std_normalization,
            "samplewise_std_normalization": self.samplewise_std_normalization,
            "zca_whitening": self.zca_whitening,
            "zca_epsilon": self.zca_epsilon,
            "rotation_range": self.rotation_range,
            "width_shift_range": self.width_shift_range,
            "height_shift_range": self.height_shift_range,
            "brightness_range": self.brightness_range,
            "shear_range": self.shear_range,
            "zoom_range": self.zoom_range,
            "channel_shift_range": self.channel_shift_range,
            "fill_mode": self.fill_mode,
            "cval": self.cval,
            "horizontal_flip": self.horizontal_flip,
            "vertical_flip": self.vertical_flip,
            "rescale": self.rescale,
            "preprocessing_function": None,
            "data_format": self.data_format,
            "validation_split": self._validation_split,
            "interpolation_order": self.interpolation_order,
            "dtype": dtype,
            "num_threads": self.num_threads,
            "compat": self.compat,
        }
        return {name: _plain_value(value, name) for name, value in config.items()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "ImageDataGenerator":
        """A generator built from ``config``, a mapping of constructor arguments as
        ``get_config`` returns (missing ones take their defaults).

        Stricter than the constructor, because configs come from files: unknown keys raise a
        ValueError naming them; a value of the wrong type (a string rotation_range, a
        non-bool flag, ...) raises a TypeError naming its argument. Lists stand for tuples.
        """
        if not isinstance(config, Mapping):
            raise TypeError("config must be a mapping of constructor arguments, got %s"
                            % type(config).__name__)
        accepted = [name for name in inspect.signature(cls.__init__).parameters
                    if name != "self"]
        unknown = sorted(str(key) for key in config if key not in accepted)
        if unknown:
            raise ValueError("unknown ImageDataGenerator config keys: %s (accepted: %s)"
                             % (", ".join(unknown), ", ".join(accepted)))
        for name, value in config.items():
            check = _CONFIG_CHECKS.get(name)
            if check is not None and not check(value):
                raise TypeError("config[%r] must be %s, got %r"
                                % (name, _CONFIG_KINDS[check], value))
        if config.get("dtype") is not None:
            try:
                np.dtype(config["dtype"])
            except TypeError as exc:
                raise ValueError("config['dtype'] must name a numpy dtype, got %r"
                                 % (config["dtype"],)) from exc
        return cls(**config)

    # ------------------------------------------------------------------ iterators

    def flow(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
             sample_weight: Optional[np.ndarray] = None, seed: Optional[int] = None,
             save_to_dir: Optional[str] = None, save_prefix: str = "", save_format: str = "png",
             subset: Optional[str] = None, ignore_class_split: bool = False,
             masks: Optional[np.ndarray] = None) -> NumpyArrayIterator:
        """A ``NumpyArrayIterator`` over ``x`` (and ``y``, ``sample_weight``), as Keras's.
        ``ignore_class_split`` (compat 2.9 only; last here, so 1.1.2's positional order
        holds) skips the check that both subsets hold the same classes.

        ``masks`` (fastaug extension): an (N, H, W) or (N, H, W, K) array (any numeric or
        bool dtype; H, W those of ``x`` in either data format) of per-pixel labels. Each
        batch's masks get exactly their images' geometry (affine and flips), sampled nearest
        neighbour with 0 outside the image, and no photometric step, rescale or
        standardization; they keep their dtype. With masks a batch is the tuple
        ``(x, masks)`` when ``y`` is None, else ``(x, (y, masks))``, plus ``sample_weight``
        as a third item when given: Keras's (inputs, targets[, weights]) layout, so a
        segmentation model trains on it directly.
        """
        self._require_compat29("ignore_class_split", ignore_class_split)
        return NumpyArrayIterator(
            x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
            seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
            save_prefix=save_prefix, save_format=save_format, subset=subset, dtype=self.dtype,
            ignore_class_split=ignore_class_split, masks=masks)

    def flow_from_directory(self, directory: str, target_size: Tuple[int, int] = (256, 256),
                            color_mode: str = "rgb", classes: Optional[Sequence[str]] = None,
                            class_mode: Optional[str] = "categorical", batch_size: int = 32,
                            shuffle: bool = True, seed: Optional[int] = None,
                            save_to_dir: Optional[str] = None, save_prefix: str = "",
                            save_format: str = "png", follow_links: bool = False,
                            subset: Optional[str] = None, interpolation: str = "nearest",
                            keep_aspect_ratio: bool = False,
                            cache: Any = None) -> "DirectoryIterator":
        """A ``DirectoryIterator`` over class subfolders of ``directory``, as Keras's.
        ``keep_aspect_ratio`` (compat 2.9 only) crops each image to the target's aspect ratio,
        centred, before resizing. ``cache`` (fastaug extension): a directory path or a
        ``DecodedCache`` keeping the decoded pixels at ``target_size``, so later epochs read
        them instead of decoding (the batches are bit-identical). Files are decoded in
        ``num_threads`` threads."""
        from .directory import DirectoryIterator

        self._require_compat29("keep_aspect_ratio", keep_aspect_ratio)
        return DirectoryIterator(
            directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, follow_links=follow_links, subset=subset,
            interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype,
            cache=cache)

    def flow_from_dataframe(self, dataframe: Any, directory: Optional[str] = None,
                            x_col: str = "filename", y_col: Union[str, Sequence[str]] = "class",
                            weight_col: Optional[str] = None,
                            target_size: Tuple[int, int] = (256, 256), color_mode: str = "rgb",
                            classes: Optional[Sequence[str]] = None,
                            class_mode: Optional[str] = "categorical", batch_size: int = 32,
                            shuffle: bool = True, seed: Optional[int] = None,
                            save_to_dir: Optional[str] = None, save_prefix: str = "",
                            save_format: str = "png", subset: Optional[str] = None,
                            interpolation: str = "nearest", validate_filenames: bool = True,
                            keep_aspect_ratio: bool = False, cache: Any = None,
                            **kwargs: Any) -> "DataFrameIterator":
        """A ``DataFrameIterator`` over the files a pandas DataFrame names, as Keras's.
        ``keep_aspect_ratio`` and ``cache`` as in ``flow_from_directory``."""
        from .directory import DataFrameIterator

        self._require_compat29("keep_aspect_ratio", keep_aspect_ratio)
        if "has_ext" in kwargs:
            warnings.warn("has_ext is deprecated, filenames in the dataframe have to match the "
                          "exact filenames in disk.", DeprecationWarning)
        if "sort" in kwargs:
            warnings.warn("sort is deprecated, batches will be created in thesame order than "
                          "the filenames provided if shuffleis set to False.",
                          DeprecationWarning)
        if class_mode == "other":
            warnings.warn('`class_mode` "other" is deprecated, please use `class_mode` "raw".',
                          DeprecationWarning)
            class_mode = "raw"
        if "drop_duplicates" in kwargs:
            warnings.warn("drop_duplicates is deprecated, you can drop duplicates by using the "
                          "pandas.DataFrame.drop_duplicates method.", DeprecationWarning)
        return DataFrameIterator(
            dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
            target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, subset=subset, interpolation=interpolation,
            validate_filenames=validate_filenames, keep_aspect_ratio=keep_aspect_ratio,
            dtype=self.dtype, cache=cache)

    # ------------------------------------------------------------------ single images

    def standardize(self, x: np.ndarray) -> np.ndarray:
        """Keras's normalisation of one image, in place where Keras works in place:
        preprocessing_function, rescale, samplewise then featurewise centring and scaling,
        ZCA. Featurewise steps warn (and are skipped) before ``fit``."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        return self._normalize(x, axes=None)

    def get_random_transform(self, img_shape: Sequence[int],
                             seed: Optional[int] = None) -> Dict[str, Any]:
        """Random parameters for one image of shape ``img_shape``, as a Keras dict; draws
        from (and, with ``seed``, reseeds) the global numpy RNG exactly as Keras does."""
        if seed is not None:
            np.random.seed(seed)
        return transform_dict(self, draw_transforms(self, img_shape, 1), 0)

    def apply_transform(self, x: np.ndarray,
                        transform_parameters: Mapping[str, Any]) -> np.ndarray:
        """Apply a parameter dict (keys as ``get_random_transform``'s, all optional) to one
        3-D image: affine, channel shift, flips, brightness, in Keras's order."""
        if self.compat != "1.1.2" and np.ndim(x) != 3:
            raise ValueError("Input arrays must be multi-channel 2D images.")
        tb = TransformBatch.from_dicts([transform_parameters])
        has_affine = tb.has_affine()
        if (isinstance(x, np.ndarray) and x.ndim == 3 and x.dtype == np.float32
                and not self._needs_scipy(has_affine)):
            matrices = self._pull_matrices(tb, x.shape[self.row_axis - 1],
                                           x.shape[self.col_axis - 1], has_affine)
            if matrices is not None:
                out = self._augment_native(x[np.newaxis], np.zeros(1, dtype=np.int64), tb,
                                           has_affine, None, matrices=matrices)
                return out[0]
        return self._apply_reference(x, tb, 0)

    def random_transform(self, x: np.ndarray, seed: Optional[int] = None) -> np.ndarray:
        """``apply_transform(x, get_random_transform(x.shape, seed))``."""
        params = self.get_random_transform(x.shape, seed)
        return self.apply_transform(x, params)

    def fit(self, x: np.ndarray, augment: bool = False, rounds: int = 1,
            seed: Optional[int] = None) -> None:
        """Compute the featurewise mean, std and ZCA matrix from ``x`` (rank 4), as Keras:
        after ``rescale`` (not preprocessing_function), over ``rounds`` augmented copies when
        ``augment``."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError("Input to `.fit()` should have rank 4. Got array with shape: "
                             + str(x.shape))
        if x.shape[self.channel_axis] not in {1, 3, 4}:
            warnings.warn(
                'Expected input to be images (as Numpy array) following the data format '
                'convention "' + self.data_format + '" (channels on axis '
                + str(self.channel_axis) + "), i.e. expected either 1, 3 or 4 channels on axis "
                + str(self.channel_axis) + ". However, it was passed an array with shape "
                + str(x.shape) + " (" + str(x.shape[self.channel_axis]) + " channels).")
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            n = x.shape[0]
            ax = np.zeros((rounds * n,) + x.shape[1:], dtype=self.dtype)
            for r in range(rounds):
                # Keras calls random_transform image by image; applying never draws, so
                # drawing the round's parameters first takes the same values.
                ax[r * n:(r + 1) * n] = self._augment(x, np.arange(n), rescale=False)[0]
            x = ax
        axes = (0, self.row_axis, self.col_axis)
        broadcast_shape = [1, 1, 1]
        broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), broadcast_shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), broadcast_shape)
            x /= self.std + 1e-6
        if self.zca_whitening and self.compat == "1.1.2":
            linalg = _scipy_module("linalg", "zca_whitening")
            flat_x = np.reshape(x, (x.shape[0], x.shape[1] * x.shape[2] * x.shape[3]))
            sigma = np.dot(flat_x.T, flat_x) / flat_x.shape[0]
            u, s, _ = linalg.svd(sigma)
            s_inv = 1.0 / np.sqrt(s[np.newaxis] + self.zca_epsilon)
            self.principal_components = (u * s_inv).dot(u.T)
        elif self.zca_whitening:
            # 2.9+: SVD of the data itself (no D x D covariance, no SciPy); a rank-n
            # projection when n < D, where 1.1.2 amplifies the null space.
            n = len(x)
            flat_x = np.reshape(x, (n, -1))
            u, s, _ = np.linalg.svd(flat_x.T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv).dot(u.T)

    # ------------------------------------------------------------------ batches

    def _transform_batch(self, x, index_array, masks=None):
        """Augment and standardize the images ``x[index_array]`` (``x``: (N, ...) in this
        generator's data format, any numeric dtype, never written) with parameters drawn as
        Keras's per-image loop draws them. Returns the batch as ``self.dtype``; with
        ``masks`` ((N, H, W[, K]), checked by the caller) ``(batch, mask_batch)``."""
        index_array = np.asarray(index_array, dtype=np.int64)
        out_dtype = np.dtype(self.dtype)
        native_uint8 = out_dtype == np.uint8 and not self._standardize_has_work()
        batch, rescaled, tb = self._augment(
            x, index_array, rescale=not self.preprocessing_function,
            out_dtype=np.uint8 if native_uint8 else np.float32)
        batch = self._standardize_batch(batch, rescaled, out_dtype)
        if masks is None:
            return batch
        return batch, self._warp_masks(masks, index_array, tb)

    def _standardize_batch(self, batch, rescaled, out_dtype):
        """``standardize`` on an augmented batch (rescale unless ``rescaled``), cast."""
        if batch.dtype == np.float32:
            if self.preprocessing_function:
                for i in range(batch.shape[0]):
                    # Keras's order: preprocessing_function on the augmented image first.
                    batch[i] = self.standardize(batch[i])
            else:
                if self.rescale and not rescaled:
                    batch *= self.rescale
                batch = self._normalize(batch, axes=(1, 2, 3))
        return self._cast_output(batch, out_dtype)

    def _standardize_has_work(self) -> bool:
        return bool(self.preprocessing_function or self.samplewise_center
                    or self.samplewise_std_normalization or self.featurewise_center
                    or self.featurewise_std_normalization or self.zca_whitening)

    @staticmethod
    def _cast_output(batch: np.ndarray, dtype: np.dtype) -> np.ndarray:
        if batch.dtype == dtype:
            return batch
        if dtype.kind in "ui":
            info = np.iinfo(dtype)
            # NaN has no integer value: 0, as Keras's cast gives on common platforms.
            batch = np.clip(np.rint(np.nan_to_num(batch, nan=0.0)), info.min, info.max)
        return batch.astype(dtype)

    def _normalize(self, x, axes):
        """Standardize's steps after rescale; ``axes`` None for one image, (1, 2, 3) for a
        batch (statistics per image)."""
        if self.samplewise_center:
            x -= np.mean(x, axis=axes, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, axis=axes, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it "
                              "hasn't been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.")
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn("This ImageDataGenerator specifies "
                              "`featurewise_std_normalization`, but it hasn't been fit on any "
                              "training data. Fit it first by calling `.fit(numpy_data)`.")
        if self.zca_whitening:
            zca_matrix = getattr(self, self._zca_attribute)
            if zca_matrix is not None:
                flatx = np.reshape(x, (-1, np.prod(x.shape[-3:])))
                whitex = np.dot(flatx, zca_matrix)
                x = np.reshape(whitex, x.shape)
            else:
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, but it hasn't "
                              "been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.")
        return x

    def _augment(self, x, index_array, rescale, out_dtype=np.float32):
        """Draw the batch's parameters, then augment ``x[index_array]``. Returns
        ``(batch, rescaled, tb)``: the batch in the data format, whether ``self.rescale``
        has been applied (done natively when ``rescale`` is true and it can be), and the
        parameters drawn."""
        tb = draw_transforms(self, x.shape[1:], len(index_array))
        if len(index_array) == 0:
            return np.zeros((0,) + x.shape[1:], dtype=out_dtype), False, tb
        has_affine = tb.has_affine()
        matrices = None
        if not self._needs_scipy(has_affine, self.dtype):
            matrices = self._pull_matrices(tb, x.shape[self.row_axis], x.shape[self.col_axis],
                                           has_affine)
        if matrices is None:
            batch = np.empty((len(index_array),) + x.shape[1:], dtype=np.float32)
            for i, j in enumerate(index_array):
                batch[i] = self._apply_reference(np.asarray(x[j], dtype=np.float32), tb, i)
            return batch, False, tb
        # A non-finite rescale is applied by numpy afterwards (NaN images, as in Keras).
        native_rescale = (self.rescale if rescale and self.rescale and np.isfinite(self.rescale)
                          else None)
        batch = self._augment_native(x, index_array, tb, has_affine, native_rescale, out_dtype,
                                     matrices)
        return batch, native_rescale is not None and not self._python_brightness(tb), tb

    def _pull_matrices(self, tb: TransformBatch, h: int, w: int, has_affine: np.ndarray):
        """The batch's (B, 6) pull rows, flips folded in; None when one is not finite (a
        NaN or overflowing parameter), which the native kernels cannot sample with."""
        with np.errstate(all="ignore"):  # checked right below, before anything else uses them
            matrices = pull_rows(affine_matrices(tb, h, w, self.compat, has_affine), tb.flip_h,
                                 tb.flip_v, h, w)
        return matrices if np.isfinite(matrices).all() else None

    def _warp_masks(self, masks, index_array, tb: TransformBatch) -> np.ndarray:
        """``masks[index_array]`` with each image's affine and flips (the images' own pull
        matrices), nearest neighbour, 0 outside; no photometric step. Keeps the dtype and
        every value exactly."""
        h, w = masks.shape[1:3]
        batch = masks[index_array]
        n = len(index_array)
        if n == 0:
            return batch
        with np.errstate(all="ignore"):  # non-finite rows are replaced just below
            matrices = pull_rows(affine_matrices(tb, h, w, self.compat), tb.flip_h, tb.flip_v,
                                 h, w)
        # An image whose matrix is not finite (it comes out NaN, as in Keras) keeps no mask
        # pixel: this matrix reads outside the mask everywhere.
        matrices[~np.isfinite(matrices).all(axis=1)] = [0, 0, -2, 0, 0, -2]
        if batch.dtype in _NATIVE_DTYPES and batch.dtype.isnative:
            return _pipeline.augment_batch(
                batch, np.arange(n, dtype=np.int64), matrices, out_dtype=batch.dtype,
                order=0, fill_mode="constant", cval=0.0, num_threads=self.num_threads)
        # Any other dtype keeps its values exactly (float64, wide integers, bool): the
        # kernels warp each pixel's (row, col), exact in float32, and the mask is gathered.
        grid = np.empty((1, h, w, 2), dtype=np.float32)
        grid[0, :, :, 0] = np.arange(h, dtype=np.float32)[:, np.newaxis]
        grid[0, :, :, 1] = np.arange(w, dtype=np.float32)[np.newaxis, :]
        where = _pipeline.augment_batch(
            grid, np.zeros(n, dtype=np.int64), matrices, out_dtype=np.float32, order=0,
            fill_mode="constant", cval=-1.0, num_threads=self.num_threads)
        outside = where[..., 0] < 0
        rows = np.maximum(where[..., 0], 0).astype(np.int32)  # int32: half intp's memory
        cols = np.maximum(where[..., 1], 0).astype(np.int32)
        out = batch[np.arange(n)[:, np.newaxis, np.newaxis], rows, cols]
        out[outside] = 0
        return out

    def _needs_scipy(self, has_affine: np.ndarray, out_dtype=np.float32) -> bool:
        """Whether an affine in this batch needs scipy (order >= 2, grid-constant/grid-wrap,
        a non-finite cval filling a float ``out_dtype``); warns once per generator. Raises
        scipy's RuntimeError for an unknown fill mode."""
        if not has_affine.any():
            return False
        mode = self.fill_mode if isinstance(self.fill_mode, str) else None
        non_finite_fill = (mode == "constant" and not np.isfinite(self.cval)
                           and np.dtype(out_dtype).kind == "f")
        if (mode in _NATIVE_FILL_MODES and self.interpolation_order in (0, 1)
                and not non_finite_fill):
            return False
        if mode not in _NATIVE_FILL_MODES and mode not in _SCIPY_ONLY_FILL_MODES:
            raise RuntimeError("boundary mode not supported")
        if not self._warned_scipy_fallback:
            self._warned_scipy_fallback = True
            what = ("cval=%r with fill_mode='constant'" % (self.cval,) if non_finite_fill
                    else "interpolation_order=%r with fill_mode=%r"
                    % (self.interpolation_order, mode))
            warnings.warn(
                "fastaug: %s has no native kernel; these affine transforms run through "
                "scipy.ndimage, image by image (slow)." % what, stacklevel=3)
        return True

    def _native_cval(self, out_dtype) -> float:
        """cval for the native kernels, which fill finite values only (the float outputs of
        a non-finite constant fill go through scipy, see _needs_scipy)."""
        cval = float(self.cval)
        if np.isfinite(cval):
            return cval
        if self.fill_mode != "constant" or np.isnan(cval):
            return 0.0  # unused, or NaN into uint8 (which has no NaN)
        return 255.0 if cval > 0 else 0.0

    def _python_brightness(self, tb: TransformBatch) -> bool:
        # The native kernel has 1.1.2's formula on channels-last images only. Keras reads a
        # channels_first image's last axis (width) as its channels; the NumPy versions
        # reproduce that, and 2.9+'s formula.
        return ((self.data_format == "channels_first" or self.compat != "1.1.2")
                and not np.isnan(tb.brightness).all())

    def _augment_native(self, x, index_array, tb: TransformBatch, has_affine: np.ndarray, rescale,
                        out_dtype=np.float32, matrices=None) -> np.ndarray:
        """``matrices``: _pull_matrices's (finite) rows for ``tb``."""
        channels_first = self.data_format == "channels_first"
        h, w = x.shape[self.row_axis], x.shape[self.col_axis]
        brightness = tb.brightness
        if not np.isnan(brightness).all() and x.shape[-1] not in (1, 3, 4):
            raise ValueError("Unsupported channel number: %s" % (x.shape[-1],))
        python_brightness = self._python_brightness(tb)
        if python_brightness:
            brightness, rescale, out_dtype = None, None, np.float32

        src, indices = (x.transpose(0, 2, 3, 1) if channels_first else x), index_array
        native_dtype = src.dtype in _NATIVE_DTYPES and src.dtype.isnative
        if (not native_dtype or not src.flags.aligned
                or (src.shape[3] > 1 and src.strides[3] != src.itemsize)
                or any(s % src.itemsize for s in src.strides)):
            # Convert, or make the channels contiguous as the kernels need, for this batch's
            # images only (never the whole dataset).
            src = np.ascontiguousarray(src[index_array],
                                       dtype=src.dtype if native_dtype else np.float32)
            indices = np.arange(src.shape[0], dtype=np.int64)

        any_affine = has_affine.any()
        if matrices is None:
            matrices = self._pull_matrices(tb, h, w, has_affine)
        # Beyond float32's range a factor or offset acts as the largest float32 does once
        # the result is clipped (NaN, "off", is kept).
        channel_shift = (None if np.isnan(tb.channel_shift).all()
                         else np.clip(tb.channel_shift, -_FLOAT32_MAX, _FLOAT32_MAX))
        if brightness is not None and np.isnan(brightness).all():
            brightness = None
        elif brightness is not None:
            brightness = np.clip(brightness, -_FLOAT32_MAX, _FLOAT32_MAX)
        op_codes, op_args = _pipeline.keras_ops(channel_shift, brightness, len(indices))
        out = _pipeline.run_plans(
            src, indices, matrices, op_codes, op_args, out_dtype=out_dtype,
            order=int(self.interpolation_order) if any_affine else 1,
            fill_mode=_NATIVE_FILL_MODES[self.fill_mode] if any_affine else "nearest",
            cval=self._native_cval(out_dtype), rescale=1.0 if rescale is None else float(rescale),
            num_threads=self.num_threads)
        if channels_first:
            out = np.ascontiguousarray(out.transpose(0, 3, 1, 2))
        if python_brightness and self.compat != "1.1.2":
            out = keras29_brightness(out, tb.brightness)
        elif python_brightness:
            for i in np.flatnonzero(~np.isnan(tb.brightness)):
                out[i] = keras_brightness(out[i], tb.brightness[i])
        return out

    def _apply_reference(self, x, tb: TransformBatch, i: int):
        """Keras's ``apply_transform`` for image ``i`` of ``tb``, with scipy for the affine:
        the path for what the native kernels don't do, and for non-float32 single images
        (whose dtypes then follow Keras's)."""
        row_axis, col_axis = self.row_axis - 1, self.col_axis - 1
        channel_axis = self.channel_axis - 1
        if tb.has_affine()[i]:
            ndimage = _scipy_module("ndimage", "interpolation_order >= 2, fill_mode "
                                    "'grid-constant'/'grid-wrap', and non-float32 images")
            single = TransformBatch(1)
            for name in ("theta", "tx", "ty", "shear", "zx", "zy"):
                getattr(single, name)[0] = getattr(tb, name)[i]
            with np.errstate(all="ignore"):  # a non-finite matrix gives NaN, as in Keras
                matrix = affine_matrices(single, x.shape[row_axis], x.shape[col_axis],
                                         self.compat)[0]
            channels = np.rollaxis(x, channel_axis, 0)
            x = np.stack([ndimage.affine_transform(
                channel, matrix[:2, :2], matrix[:2, 2], order=self.interpolation_order,
                mode=self.fill_mode, cval=self.cval) for channel in channels], axis=0)
            x = np.rollaxis(x, 0, channel_axis + 1)
        if not np.isnan(tb.channel_shift[i]):
            x = _keras_channel_shift(x, tb.channel_shift[i])
        if tb.flip_h[i]:
            x = np.flip(x, axis=col_axis)
        if tb.flip_v[i]:
            x = np.flip(x, axis=row_axis)
        if not np.isnan(tb.brightness[i]) and self.compat != "1.1.2":
            x = keras29_brightness(np.asarray(x)[np.newaxis], tb.brightness[i:i + 1])[0]
        elif not np.isnan(tb.brightness[i]):
            x = keras_brightness(x, tb.brightness[i])
        return x
