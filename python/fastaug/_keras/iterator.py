"""Keras 1.1.2's batch iterators: the index/seed sequence and ``NumpyArrayIterator``.

The index sequence, reseeding and epoch handling reproduce
``keras_preprocessing.image.Iterator`` exactly (docs/keras-semantics.md, "Iterators"), so a
seeded iterator yields the same batches as Keras. Difference on purpose: ``NumpyArrayIterator``
keeps ``x`` as the caller gave it (no up-front float32 copy of the whole dataset); each batch's
images are read, converted if needed, and augmented at once.
"""
from __future__ import annotations

import os
import sys
import threading
import warnings

from typing import Any, Optional

import numpy as np

__all__ = ["Iterator", "NumpyArrayIterator"]


class Iterator:
    """Base class of the image iterators: ``n`` samples in batches of ``batch_size``.

    Iterating (``next``) loops forever, reshuffling each epoch; indexing (``it[i]``) is the
    ``Sequence`` protocol used by ``model.fit``. With ``seed`` set, the global numpy RNG is
    reseeded with ``seed + total_batches_seen`` before every batch, as Keras does, so the
    transforms of batch k depend only on ``seed + k``. Subclasses implement
    ``_get_batches_of_transformed_samples(index_array)``.
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __new__(cls, *args, **kwargs):
        # As 1.1.2 grafts tf.keras's Sequence on when TensorFlow imports, become a Keras 3
        # ``PyDataset`` (what ``model.fit`` accepts) when the caller has imported keras.
        # Only an already imported keras is used: importing it here would cost seconds and
        # can fail on a backend that is not installed.
        if "keras" in sys.modules:
            from ..integrations.keras import pydataset_class

            cls = pydataset_class(cls, import_keras=False)
        return super().__new__(cls)

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: Optional[int]) -> None:
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx: int) -> Any:
        if idx >= len(self):
            raise ValueError(
                "Asked to retrieve element {idx}, but the Sequence has length {length}".format(
                    idx=idx, length=len(self)))
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx: self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self) -> None:
        self._set_index_array()

    def reset(self) -> None:
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current_index = 0 if self.n == 0 else (self.batch_index * self.batch_size) % self.n
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current_index: current_index + self.batch_size]

    def __iter__(self) -> "Iterator":
        return self

    def __next__(self, *args: Any, **kwargs: Any) -> Any:
        return self.next(*args, **kwargs)

    def next(self) -> Any:
        """The next batch. Only the index sequence is locked, as in Keras: the transforms
        draw from the process-global numpy RNG."""
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError


class NumpyArrayIterator(Iterator):
    """Batches from in-memory arrays, as ``ImageDataGenerator.flow`` returns.

    ``x`` is a rank-4 array (or ``(images, misc)`` where misc is an array or a list of arrays
    passed through untouched), ``y`` labels and ``sample_weight`` optional, as in Keras 1.1.2,
    with the same checks and messages. ``x`` is kept as given (uint8 and float32 images are
    read in place by the native kernels; other numeric dtypes are converted one batch at a
    time). Batches have dtype ``dtype``. ``ignore_class_split`` (Keras 2.9+) skips the check
    that a ``subset`` split leaves the same classes on both sides. ``masks`` (fastaug
    extension, see ``ImageDataGenerator.flow``) follow their images' geometry and come with
    each batch as ``(x, masks)`` or ``(x, (y, masks))`` (plus ``sample_weight``).
    """

    def __init__(self, x: Any, y: Any, image_data_generator: Any, batch_size: int = 32,
                 shuffle: bool = False, sample_weight: Optional[np.ndarray] = None,
                 seed: Optional[int] = None, data_format: str = "channels_last",
                 save_to_dir: Optional[str] = None, save_prefix: str = "",
                 save_format: str = "png", subset: Optional[str] = None, dtype: Any = "float32",
                 ignore_class_split: bool = False, masks: Optional[np.ndarray] = None) -> None:
        self.dtype = dtype
        if type(x) is tuple or type(x) is list:
            if type(x[1]) is not list:
                x_misc = [np.asarray(x[1])]
            else:
                x_misc = [np.asarray(xx) for xx in x[1]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError(
                        "All of the arrays in `x` should have the same length. "
                        "Found a pair with: len(x[0]) = %s, len(x[?]) = %s" % (len(x), len(xx)))
        else:
            x_misc = []

        if y is not None and len(x) != len(y):
            raise ValueError(
                "`x` (images tensor) and `y` (labels) should have the same length. "
                "Found: x.shape = %s, y.shape = %s" % (np.asarray(x).shape, np.asarray(y).shape))
        if masks is not None:
            masks = _checked_masks(masks, x, data_format, image_data_generator)
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(
                "`x` (images tensor) and `sample_weight` should have the same length. "
                "Found: x.shape = %s, sample_weight.shape = %s"
                % (np.asarray(x).shape, np.asarray(sample_weight).shape))
        if subset is not None:
            if subset not in {"training", "validation"}:
                raise ValueError("Invalid subset name:", subset,
                                 '; expected "training" or "validation".')
            split_idx = int(len(x) * image_data_generator._validation_split)
            if y is not None and not ignore_class_split and not np.array_equal(
                    np.unique(y[:split_idx]), np.unique(y[split_idx:])):
                raise ValueError(
                    "Training and validation subsets have different number of classes after "
                    "the split. If your numpy arrays are sorted by the label, you might want "
                    "to shuffle them.")
            if subset == "validation":
                x = x[:split_idx]
                x_misc = [np.asarray(xx[:split_idx]) for xx in x_misc]
                if y is not None:
                    y = y[:split_idx]
                if masks is not None:
                    masks = masks[:split_idx]
            else:
                x = x[split_idx:]
                x_misc = [np.asarray(xx[split_idx:]) for xx in x_misc]
                if y is not None:
                    y = y[split_idx:]
                if masks is not None:
                    masks = masks[split_idx:]

        self.x = np.asarray(x)
        if self.x.dtype.kind not in "biuf":
            # Keras converts everything up front; for non-numeric input keep its errors.
            self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError("Input data in `NumpyArrayIterator` should have rank 4. "
                             "You passed an array with shape", self.x.shape)
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in {1, 3, 4}:
            warnings.warn(
                'NumpyArrayIterator is set to use the data format convention "' + data_format
                + '" (channels on axis ' + str(channels_axis) + "), i.e. expected either 1, 3, "
                "or 4 channels on axis " + str(channels_axis) + ". However, it was passed an "
                "array with shape " + str(self.x.shape) + " ("
                + str(self.x.shape[channels_axis]) + " channels).")
        self.y = np.asarray(y) if y is not None else None
        self.sample_weight = np.asarray(sample_weight) if sample_weight is not None else None
        self.masks = masks
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        if save_to_dir:
            from .directory import _check_file_name_part

            _check_file_name_part(save_prefix, "save_prefix")
            _check_file_name_part(save_format, "save_format")
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        index_array = np.asarray(index_array, dtype=np.int64)
        generator = self.image_data_generator
        batch_masks = None
        if self.masks is not None:
            batch_x, batch_masks = generator._transform_batch(self.x, index_array, self.masks)
        elif hasattr(generator, "_transform_batch"):
            batch_x = generator._transform_batch(self.x, index_array)
        else:
            batch_x = self._transform_one_by_one(index_array)
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        batch_x_miscs = [xx[index_array] for xx in self.x_misc]
        output = (batch_x if batch_x_miscs == [] else [batch_x] + batch_x_miscs,)
        if batch_masks is not None:
            output += (batch_masks if self.y is None else (self.y[index_array], batch_masks),)
            if self.sample_weight is not None:
                output += (self.sample_weight[index_array],)
            return output
        if self.y is None:
            return output[0]
        output += (self.y[index_array],)
        if self.sample_weight is not None:
            output += (self.sample_weight[index_array],)
        return output

    def _transform_one_by_one(self, index_array):
        # Any object with Keras's per-image generator API (e.g. keras_preprocessing's own).
        generator = self.image_data_generator
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            x = self.x[j]
            params = generator.get_random_transform(x.shape)
            x = generator.apply_transform(x.astype(self.dtype), params)
            batch_x[i] = generator.standardize(x)
        return batch_x

    def _save_batch(self, batch_x, index_array):
        from .directory import array_to_img

        # One hash draw per image, after the batch's transforms, as Keras does.
        for i, j in enumerate(index_array):
            img = array_to_img(batch_x[i], self.data_format, scale=True)
            fname = "{prefix}_{index}_{hash}.{format}".format(
                prefix=self.save_prefix, index=j, hash=np.random.randint(1e4),
                format=self.save_format)
            img.save(os.path.join(self.save_to_dir, fname))


def _checked_masks(masks, x, data_format, image_data_generator) -> np.ndarray:
    """``masks`` as an (N, H, W[, K]) numeric or bool array matching images ``x``, or a
    TypeError/ValueError naming ``masks``."""
    if not hasattr(image_data_generator, "_transform_batch"):
        raise TypeError("masks needs a fastaug ImageDataGenerator (got %s)"
                        % type(image_data_generator).__name__)
    masks = np.asarray(masks)
    if masks.dtype.kind not in "biuf":
        raise TypeError("masks must be a numeric or bool array, got dtype %s" % masks.dtype)
    if masks.ndim not in (3, 4):
        raise ValueError("masks must have shape (N, H, W) or (N, H, W, K), got %s"
                         % (masks.shape,))
    shape = np.shape(x)
    spatial = shape[1:3] if data_format == "channels_last" else shape[2:4]
    if len(shape) == 4 and (masks.shape[0] != shape[0] or masks.shape[1:3] != spatial):
        raise ValueError("masks must have one (H, W) = %s mask per image of x (%d images), "
                         "got shape %s" % (tuple(spatial), shape[0], masks.shape))
    if 0 in masks.shape[1:]:
        raise ValueError("masks must be non-empty, got shape %s" % (masks.shape,))
    return masks
