"""PyTorch: ``fastaug.Augment`` on a map-style ``Dataset``, per sample or per batch.

- ``AugmentedDataset(dataset, augment)``: item ``i`` is augmented with ``indices=[i]`` and
  the current epoch; a ``DataLoader`` fetching batches calls ``__getitems__``, which augments
  the whole batch in one native call with the same results.
- ``BatchAugment(augment)``: a ``collate_fn`` (or a call on an already stacked batch) that
  augments a batch at once and returns torch tensors, optionally float. Tensors are read
  channels-first (PyTorch's convention), numpy arrays channels-last, unless ``layout=``
  says otherwise.

Randomness is keyed by (seed, epoch, sample index), so outputs do not depend on batch size,
``num_workers`` or the order workers fetch in. The epoch lives in shared memory: ``set_epoch``
reaches forked and persistent workers too.
"""
from __future__ import annotations

from collections.abc import Mapping
import numbers

import numpy as np

try:
    import torch
    from torch.utils.data import Dataset, default_collate
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("fastaug.integrations.torch needs PyTorch: pip install torch") from exc

__all__ = ["AugmentedDataset", "BatchAugment"]


def _check_augment(augment):
    if not callable(augment):
        raise TypeError("augment must be a fastaug.Augment (or a callable with its "
                        "signature), got %s" % type(augment).__name__)
    return augment


def _check_key(key, name):
    if key is not None and not isinstance(key, (numbers.Integral, str)):
        raise TypeError("%s must be None, an int (tuple items) or a str (dict items), got %r"
                        % (name, key))
    return key


def _key_in(item, key, name, default=None):
    """Where a field lives in ``item``: None for a bare image (then ``key`` must be None),
    else ``key`` (``default`` when None: 0 for tuples, "image" for dicts) after checking
    that the item has it."""
    if isinstance(item, Mapping):
        key = "image" if key is None and default is not None else key
        if key not in item:
            raise KeyError("%s %r is not a key of the dataset's items (keys: %s)"
                           % (name, key, ", ".join(map(repr, item))))
        return key
    if isinstance(item, (tuple, list)):
        key = default if key is None else key
        if not isinstance(key, numbers.Integral) or not -len(item) <= key < len(item):
            raise TypeError("%s must be an int index into the dataset's %d-tuples, got %r"
                            % (name, len(item), key))
        return int(key) % len(item)
    if key is not None:
        raise TypeError("%s=%r given, but the dataset's items are bare %s, not tuples or "
                        "dicts" % (name, key, type(item).__name__))
    return None


def _get(item, key):
    return item if key is None else item[key]


def _replaced(item, updates):
    """``item`` with the fields in ``updates`` ({key: value}, key None: the item itself)
    replaced, same container type; the input item is not modified."""
    if None in updates:
        return updates[None]
    if isinstance(item, Mapping):
        out = dict(item)
        out.update(updates)
        return out
    values = list(item)
    for key, value in updates.items():
        values[key] = value
    if isinstance(item, list):
        return values
    return type(item)(*values) if hasattr(item, "_fields") else tuple(values)


def _stackable(arrays) -> bool:
    return bool(arrays) and all(a.shape == arrays[0].shape and a.dtype == arrays[0].dtype
                                for a in arrays)


def _tensor(array: np.ndarray) -> "torch.Tensor":
    """torch.from_numpy, bfloat16 included (numpy holds it as ml_dtypes.bfloat16, which
    torch reads through its bits)."""
    array = np.ascontiguousarray(array)
    if array.dtype.name == "bfloat16":
        return torch.from_numpy(array.view(np.uint16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def _as_numpy(value, name):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError("%s must be numeric arrays, got dtype %s" % (name, array.dtype))
    return array


class _SharedEpoch:
    """An epoch number in shared memory, so forked and persistent DataLoader workers see
    ``set_epoch`` calls made in the main process."""

    def __init__(self):
        self._value = torch.zeros((), dtype=torch.int64).share_memory_()

    def get(self) -> int:
        return int(self._value)

    def set(self, epoch) -> None:
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise ValueError("epoch must be a non-negative int, got %r" % (epoch,))
        self._value.fill_(int(epoch))


class AugmentedDataset(Dataset):
    """``dataset`` (map-style) with every item's image augmented by ``augment``.

    Items may be bare images (H, W[, C] arrays or tensors), tuples/lists (image at
    ``image_key``, default 0) or dicts (image at ``image_key``, default ``"image"``);
    ``mask_key`` names a mask (H, W[, K]) that gets the image's geometry. A numpy image is
    (H, W[, C]); a 3-D tensor image is (C, H, W), PyTorch's convention. Returned items keep
    their structure with numpy arrays in place of the image (and mask), except that a
    tensor image comes back as a (C, H, W) tensor: the default collate turns them into
    tensors. Item ``i`` is augmented as ``augment(image[None],
    indices=[i], epoch=self.epoch)``.
    """

    def __init__(self, dataset, augment, *, image_key=None, mask_key=None):
        if not hasattr(dataset, "__getitem__"):
            raise TypeError("dataset must be a map-style dataset (with __getitem__), got %s"
                            % type(dataset).__name__)
        self.dataset = dataset
        self.augment = _check_augment(augment)
        self.image_key = _check_key(image_key, "image_key")
        self.mask_key = _check_key(mask_key, "mask_key")
        self._epoch = _SharedEpoch()

    @property
    def epoch(self) -> int:
        return self._epoch.get()

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch``'s transforms from now on (call it before iterating the loader)."""
        self._epoch.set(epoch)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        return self.__getitems__([index])[0]

    def __getitems__(self, indices):
        """Items ``indices``, augmented in one call (DataLoader uses this for a batch)."""
        indices = [self._checked_index(i) for i in indices]
        fetch = getattr(self.dataset, "__getitems__", None)
        items = list(fetch(indices)) if fetch else [self.dataset[i] for i in indices]
        image_keys = [_key_in(it, self.image_key, "image_key", 0) for it in items]
        fields = [_get(it, key) for it, key in zip(items, image_keys)]
        # PyTorch's convention: a 3-D tensor image is (C, H, W); it comes back as one.
        chw = [isinstance(f, torch.Tensor) and f.ndim == 3 for f in fields]
        for f, c in zip(fields, chw):
            if c and f.shape[2] <= 4 < f.shape[0]:
                raise ValueError(
                    "a dataset item's image is a tensor of shape %s: tensors are read as "
                    "(C, H, W), which would give it %d channels; return (C, H, W) tensors or "
                    "(H, W, C) numpy arrays" % (tuple(f.shape), f.shape[0]))
        images = [_as_numpy(f.permute(1, 2, 0) if c else f, "images")
                  for f, c in zip(fields, chw)]
        masks = mask_keys = None
        if self.mask_key is not None:
            mask_keys = [_key_in(it, self.mask_key, "mask_key") for it in items]
            masks = [_as_numpy(it[key], "masks") for it, key in zip(items, mask_keys)]
        epoch = self.epoch
        if _stackable(images) and (masks is None or _stackable(masks)):
            groups = [list(range(len(items)))]
        else:
            groups = [[k] for k in range(len(items))]
        out = list(items)
        for group in groups:
            result = self.augment(
                np.stack([images[k] for k in group]),
                indices=np.array([indices[k] for k in group], dtype=np.int64), epoch=epoch,
                masks=None if masks is None else np.stack([masks[k] for k in group]))
            for j, k in enumerate(group):
                image = result.images[j]
                if chw[k]:
                    image = _tensor(image.transpose(2, 0, 1))
                updates = {image_keys[k]: image}
                if masks is not None:
                    updates[mask_keys[k]] = result.masks[j]
                out[k] = _replaced(items[k], updates)
        return out

    def _checked_index(self, index):
        if isinstance(index, torch.Tensor) and index.ndim == 0:
            index = int(index)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError("dataset index must be an int, got %r" % (index,))
        index = int(index)
        # A negative index is the same sample as its positive twin: same transforms.
        return index + len(self.dataset) if index < 0 else index


_LAYOUTS = ("NHWC", "NCHW")


def _batch_as_nhwc(images, layout):
    """``(array, layout)``: a stacked (B, H, W[, C]) or (B, C, H, W) batch as a channels-last
    numpy array, and the layout it was read in. ``layout`` None: NCHW for a 4-D tensor,
    NHWC for numpy; a batch that plainly has the other layout (more than 4 "channels", and
    at most 4 along the axis the other layout takes as channels) is refused rather than
    mis-augmented."""
    is_tensor = isinstance(images, torch.Tensor)
    array = _as_numpy(images, "images")
    if array.ndim != 4:
        return array, layout or "NHWC"
    if layout is None:
        layout = "NCHW" if is_tensor else "NHWC"
        # Read this way, the batch's channels; and the axis the other layout reads as them.
        channels, other_channels = (array.shape[1], array.shape[3]) if layout == "NCHW" else (
            array.shape[3], array.shape[1])
        if other_channels <= 4 < channels:
            other = "NHWC" if layout == "NCHW" else "NCHW"
            raise ValueError(
                "images of shape %s read as %s (%s) would have %d channels and a %s of %d: "
                "pass layout=%r if that is their layout"
                % (tuple(array.shape), layout,
                   "a tensor is read channels-first" if is_tensor
                   else "a numpy array is read channels-last", channels,
                   "width" if layout == "NCHW" else "height", other_channels, other))
    if layout == "NCHW":
        array = np.ascontiguousarray(array.transpose(0, 2, 3, 1))
    return array, layout


class BatchAugment:
    """Augment a batch in one native call and hand it to PyTorch as tensors.

    Two uses:

    - ``DataLoader(ds, batch_size=..., collate_fn=BatchAugment(aug, index_key=...))``: the
      dataset's items are tuples or dicts holding the image (``image_key``, default 0 or
      ``"image"``), optionally a mask (``mask_key``) and the item's own dataset index
      (``index_key``, required: the transforms are keyed by it). Images are stacked (same
      shape), augmented, converted; other fields go through ``default_collate``.
    - ``BatchAugment(aug)(images, indices)`` / ``.transform(images, indices, masks)`` on an
      already stacked batch (numpy or tensor): returns ``(images, masks)``.

    Input layout (``layout``): None (default) reads torch tensors as (B, C, H, W), PyTorch's
    convention (dataset items as (C, H, W)), and numpy arrays as (B, H, W, C); ``"NCHW"``
    or ``"NHWC"`` force one. 3-D batches are (B, H, W) grayscale. A batch whose default
    reading is implausible (more than 4 channels, and at most 4 along the axis the other
    layout takes as channels) raises a ValueError naming ``layout``.

    Output images: ``torch.from_numpy`` of the augmented batch, then NCHW when
    ``channels_first`` (default None: in the layout the batch came in), cast to ``dtype``
    (a torch dtype) and multiplied by ``scale`` (float dtypes only; e.g.
    ``dtype=torch.float32, scale=1/255``). Masks stay (B, H, W[, K]).
    """

    def __init__(self, augment, *, image_key=None, mask_key=None, index_key=None,
                 channels_first=None, dtype=None, scale=None, layout=None):
        self.augment = _check_augment(augment)
        self.image_key = _check_key(image_key, "image_key")
        self.mask_key = _check_key(mask_key, "mask_key")
        self.index_key = _check_key(index_key, "index_key")
        if channels_first is not None and not isinstance(channels_first, bool):
            raise TypeError("channels_first must be None or a bool, got %r" % (channels_first,))
        if layout is not None and layout not in _LAYOUTS:
            raise ValueError("layout must be None, 'NHWC' or 'NCHW', got %r" % (layout,))
        self.layout = layout
        if dtype is not None and not isinstance(dtype, torch.dtype):
            raise TypeError("dtype must be None or a torch.dtype, got %r" % (dtype,))
        if scale is not None:
            if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
                raise TypeError("scale must be None or a number, got %r" % (scale,))
            if dtype is None or not dtype.is_floating_point:
                raise ValueError("scale needs a floating dtype (e.g. dtype=torch.float32)")
        self.channels_first = channels_first
        self.dtype = dtype
        self.scale = scale
        self._epoch = _SharedEpoch()

    @property
    def epoch(self) -> int:
        return self._epoch.get()

    def set_epoch(self, epoch: int) -> None:
        self._epoch.set(epoch)

    def transform(self, images, indices, masks=None):
        """Augment a stacked batch: returns ``(images, masks)`` as tensors (masks None when
        not given)."""
        images, layout = _batch_as_nhwc(images, self.layout)
        indices = _as_numpy(indices, "indices")
        if indices.dtype.kind not in "iu" or indices.ndim != 1:
            raise ValueError("indices must be a 1-D integer array, got %s %s"
                             % (indices.dtype, indices.shape))
        if masks is not None:
            masks = _as_numpy(masks, "masks")
        result = self.augment(images, indices=indices.astype(np.int64), epoch=self.epoch,
                              masks=masks)
        out = _tensor(result.images)
        channels_first = (layout == "NCHW" if self.channels_first is None
                          else self.channels_first)
        if channels_first:
            out = (out.unsqueeze(1) if out.ndim == 3 else out.permute(0, 3, 1, 2)).contiguous()
        if self.dtype is not None:
            out = out.to(self.dtype)
        if self.scale is not None:
            out = out * self.scale
        out_masks = None
        if masks is not None:
            out_masks = torch.from_numpy(np.ascontiguousarray(result.masks))
        return out, out_masks

    def __call__(self, samples, indices=None, masks=None):
        if indices is not None:
            return self.transform(samples, indices, masks)
        if not isinstance(samples, (list, tuple)) or not samples:
            raise TypeError("BatchAugment as a collate_fn takes a non-empty list of dataset "
                            "items; call it as (images, indices) on a stacked batch")
        first = samples[0]
        if not isinstance(first, (Mapping, tuple, list)):
            raise TypeError("BatchAugment as a collate_fn needs tuple or dict items that hold "
                            "their dataset index (index_key); got %s items"
                            % type(first).__name__)
        if self.index_key is None:
            raise ValueError("BatchAugment as a collate_fn needs index_key: the field of each "
                             "item that holds its dataset index (transforms are keyed by it)")
        image_key = _key_in(first, self.image_key, "image_key", 0)
        index_key = _key_in(first, self.index_key, "index_key")
        fields = [s[image_key] for s in samples]
        images = (torch.stack(fields) if all(isinstance(f, torch.Tensor) for f in fields)
                  else np.stack([_as_numpy(f, "images") for f in fields]))
        indices = np.array([int(s[index_key]) for s in samples], dtype=np.int64)
        batch_masks = mask_key = None
        if self.mask_key is not None:
            mask_key = _key_in(first, self.mask_key, "mask_key")
            batch_masks = np.stack([_as_numpy(s[mask_key], "masks") for s in samples])
        out_images, out_masks = self.transform(images, indices, batch_masks)
        done = {image_key: out_images}
        if out_masks is not None:
            done[mask_key] = out_masks
        keys = list(first) if isinstance(first, Mapping) else range(len(first))
        collated = {key: done[key] if key in done else default_collate([s[key] for s in samples])
                    for key in keys}
        if isinstance(first, Mapping):
            return collated
        return _replaced(first, collated)
