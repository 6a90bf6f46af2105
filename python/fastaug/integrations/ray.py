"""Ray Data: ``fastaug.Augment`` as a ``map_batches`` callable class.

    ds.map_batches(RayAugmenter, fn_constructor_kwargs={"augment": {...}, "epoch": e},
                   batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=4))

Each actor builds its ``Augment`` once, in its constructor. Randomness is keyed by a column
of sample indices (seed, epoch, index), so how Ray splits the data into blocks, batches and
actors, on one machine or many, does not change the result. This module needs no Ray import
itself: Ray imports it on the workers.
"""
from __future__ import annotations

from collections.abc import Mapping
import numbers

import numpy as np

__all__ = ["RayAugmenter"]


class RayAugmenter:
    """Augment the ``image_column`` (and ``mask_column``) of numpy batches.

    ``augment``: a ``fastaug.Augment``, or a dict of its constructor arguments (built on
    the actor; a dict is the small thing to ship to a cluster). ``index_column``: the column
    of int sample indices that keys the transforms (None: a column named ``"index"``, which
    must then exist). ``epoch``: the epoch's transforms (a new ``map_batches`` per epoch).

    Returns a new dict of columns: the augmented image/mask columns and the other columns
    as they came. Input batches, which Ray may hand over read-only, are never written.
    Images of one batch must share a shape; a column of differently shaped images (numpy
    object array) is augmented image by image.
    """

    def __init__(self, augment, *, image_column="image", mask_column=None, index_column=None,
                 epoch=0):
        if isinstance(augment, Mapping):
            from .._augment import Augment

            augment = Augment(**augment)
        elif not callable(augment):
            raise TypeError("augment must be a fastaug.Augment or a dict of its arguments, "
                            "got %s" % type(augment).__name__)
        for name, value in (("image_column", image_column), ("mask_column", mask_column),
                            ("index_column", index_column)):
            if value is not None and not isinstance(value, str):
                raise TypeError("%s must be a column name (str), got %r" % (name, value))
        if image_column is None:
            raise TypeError("image_column must be a column name (str), got None")
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError("epoch must be a non-negative int, got %r" % (epoch,))
        self.augment = augment
        self.image_column = image_column
        self.mask_column = mask_column
        self.index_column = "index" if index_column is None else index_column
        self.epoch = int(epoch)

    def __call__(self, batch):
        if not isinstance(batch, Mapping):
            raise TypeError("RayAugmenter takes numpy batches (a dict of columns; use "
                            "batch_format='numpy'), got %s" % type(batch).__name__)
        for name, column in (("image_column", self.image_column),
                             ("index_column", self.index_column),
                             ("mask_column", self.mask_column)):
            if column is not None and column not in batch:
                raise KeyError("%s %r is not a column of the batch (columns: %s)%s"
                               % (name, column, ", ".join(map(repr, batch)),
                                  " - add a column of sample indices (e.g. the row number "
                                  "when the dataset is made)" if name == "index_column"
                                  else ""))
        indices = np.asarray(batch[self.index_column])
        if indices.ndim != 1 or indices.dtype.kind not in "iu":
            raise ValueError("index_column %r must hold one int per row, got %s %s"
                             % (self.index_column, indices.dtype, indices.shape))
        indices = indices.astype(np.int64)
        images = batch[self.image_column]
        masks = None if self.mask_column is None else batch[self.mask_column]
        out = dict(batch)
        if isinstance(images, np.ndarray) and images.dtype != object and (
                masks is None or (isinstance(masks, np.ndarray) and masks.dtype != object)):
            result = self.augment(images, indices=indices, epoch=self.epoch, masks=masks)
            out[self.image_column] = result.images
            if masks is not None:
                out[self.mask_column] = result.masks
            return out
        # Ragged column: one call per row (same transforms, keyed by the row's index).
        new_images = np.empty(len(indices), dtype=object)
        new_masks = None if masks is None else np.empty(len(indices), dtype=object)
        for k in range(len(indices)):
            result = self.augment(
                np.asarray(images[k])[np.newaxis], indices=indices[k:k + 1], epoch=self.epoch,
                masks=None if masks is None else np.asarray(masks[k])[np.newaxis])
            new_images[k] = result.images[0]
            if masks is not None:
                new_masks[k] = result.masks[0]
        out[self.image_column] = new_images
        if masks is not None:
            out[self.mask_column] = new_masks
        return out
