"""``fastaug.ImageFiles`` and ``fastaug.ImageFolder``: image files to augmented batches.

A batch is made in three steps, all in this loader's thread pool (``num_threads``) or the
native pool of the same size: read each file and its header (size, EXIF orientation); draw
every image's transform parameters for its size (the keyed draws of ``Compose``: a pure
function of (seed, epoch, file index)); decode each file -- a JPEG at the smallest DCT scale
that still gives at least one decoded pixel per output pixel, the remaining scale folded into
the image's plan -- and run the plans in one native call. The next batches are prepared in a
background thread while the caller trains on the current one (``prefetch``).
"""
from __future__ import annotations

import os
import queue
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from . import _checks, _core, _decode
from .compose import Compose
from .transforms._base import Plan

__all__ = ["ImageFiles", "ImageFolder"]

_STOP = object()


class _Failure:
    """An exception raised while a batch was being prepared, handed to the consumer."""

    def __init__(self, error: BaseException):
        self.error = error


class ImageFiles:
    """Batches ``(images, labels)`` from a list of image files.

    Args:
        paths: the files (str or os.PathLike); file k is sample index k of the keyed draws.
        labels: None, or one integer label per file (``labels`` in each batch is then an
            int64 array, else None).
        transform: a :class:`fastaug.Compose` (or ``Augment``), which must bring every image
            to one size (``RandomResizedCrop``, ``Resize((h, w))``, ``CenterCrop``...); None
            takes the files as they are (they must then share one size).
        batch_size: images per batch.
        shuffle: visit the files in a new order each epoch (a pure function of seed and
            epoch); else in the given order.
        seed: int in [0, 2**64) for the order (the transform has its own seed).
        num_threads: threads for decoding and augmenting (None or 0: every CPU).
        cache: None, a directory path or a ``DecodedCache``: decoded pixels are stored there
            on first use and read instead of decoding afterwards (see the decoded-cache docs);
            a ``DecodedCache(..., readonly=True)`` is only read (misses are decoded, not stored).
        cache_max_side: with ``cache``, store a JPEG at the smallest DCT scale whose longer
            side is still at least this (None: full size).
        drop_last: drop a last batch smaller than ``batch_size``.
        prefetch: batches prepared ahead in the background (0: none, made on demand).
        color_mode: ``"rgb"``, ``"rgba"`` or ``"grayscale"``.
        exif: apply each file's EXIF orientation (a phone photo comes out upright).
        reduced_decode: decode a JPEG at 1/2, 1/4 or 1/8 scale when the transform needs no
            more (it changes pixels slightly, as a downscale does); without a cache only.
        device: None (numpy batches), or a torch device ("cuda", "cuda:1", "cpu"): batches
            come out as a (N, C, h, w) tensor there, with int64 tensor labels, augmented
            there by the torch executor. On a CUDA device JPEGs are decoded on it (nvJPEG,
            through ``torchvision.io.decode_jpeg``) when torchvision can; other files, or
            without that, are decoded on the CPU and moved.

    ``len(loader)`` is the number of batches per epoch; iterating gives one epoch, at
    ``loader.epoch``, and then advances it by one; ``set_epoch(e)`` sets it (as torch's
    samplers do).
    """

    def __init__(self, paths: Sequence[Any], labels: Optional[Sequence[int]] = None,
                 transform: Optional[Compose] = None, batch_size: int = 32,
                 shuffle: bool = True, seed: int = 0, num_threads: Optional[int] = None,
                 cache: Any = None, cache_max_side: Optional[int] = None,
                 drop_last: bool = False, prefetch: int = 2, color_mode: str = "rgb",
                 exif: bool = True, reduced_decode: bool = True, device: Any = None):
        if isinstance(paths, (str, bytes, os.PathLike)) or not hasattr(paths, "__len__"):
            raise TypeError(f"paths must be a sequence of file paths, got {type(paths).__name__}")
        self.paths = []
        for k, p in enumerate(paths):
            p = os.fspath(p) if isinstance(p, (str, os.PathLike)) else p
            if not isinstance(p, str):
                raise TypeError(f"paths[{k}] must be a str or os.PathLike path, got {p!r}")
            self.paths.append(p)
        if labels is None:
            self.labels: Optional[np.ndarray] = None
        else:
            array = np.asarray(labels)
            if array.ndim != 1 or array.shape[0] != len(self.paths):
                raise ValueError(f"labels must have one entry per file ({len(self.paths)}), "
                                 f"got shape {array.shape}")
            if array.size and (array.dtype == bool or not np.issubdtype(array.dtype, np.integer)):
                raise TypeError(f"labels must be integers, got dtype {array.dtype}")
            # astype would wrap a uint64 label past 2**63 to a negative one
            if array.size and (int(array.min()) < -2 ** 63 or int(array.max()) >= 2 ** 63):
                raise ValueError(f"labels must fit in int64, got values in "
                                 f"[{int(array.min())}, {int(array.max())}]")
            self.labels = array.astype(np.int64)
        if transform is None:
            transform = Compose([])
        if not isinstance(transform, Compose):
            raise TypeError(f"transform must be a fastaug.Compose (or Augment) or None, got "
                            f"{type(transform).__name__}")
        self.transform = transform
        self.batch_size = _checks.integer(batch_size, "batch_size", 1, 2 ** 31)
        self.shuffle = bool(shuffle)
        self.seed = _checks.integer(seed, "seed", 0, 2 ** 64)
        self.num_threads = _checks.num_threads_arg(num_threads)
        self.drop_last = bool(drop_last)
        self.prefetch = _checks.integer(prefetch, "prefetch", 0, 1025)
        if color_mode not in _decode._MODES:
            raise ValueError(f"color_mode must be 'rgb', 'rgba' or 'grayscale', got {color_mode!r}")
        self.color_mode = color_mode
        self.exif = bool(exif)
        self.reduced_decode = bool(reduced_decode)
        self.cache_max_side = (None if cache_max_side is None
                               else _checks.integer(cache_max_side, "cache_max_side", 1, 2 ** 31))
        if cache is None:
            self.cache = None
        else:
            from ._cache import DecodedCache

            self.cache = cache if isinstance(cache, DecodedCache) else DecodedCache(cache)
            if not self.cache.readonly:
                # what an interrupted epoch stored, committed at the latest on exit
                weakref.finalize(self, _commit_open, self.cache)
        self._variant = (f"{color_mode}|exif={int(self.exif)}|"
                         f"max_side={self.cache_max_side or 'full'}")
        self.device = None
        if device is not None:
            import torch

            try:
                self.device = torch.device(device)
            except (RuntimeError, TypeError) as exc:
                raise ValueError(f"device must be a torch device or its name ('cuda', "
                                 f"'cuda:1', 'cpu'), got {device!r}: {exc}") from None
        self._epoch = 0
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pool_pid = -1

    # ------------------------------------------------------------ epochs and sizes

    @property
    def epoch(self) -> int:
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        self._epoch = _checks.integer(epoch, "epoch", 0, 2 ** 32)

    def __len__(self) -> int:
        n = len(self.paths)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def order(self, epoch: Optional[int] = None) -> np.ndarray:
        """The file indices in the order epoch ``epoch`` (default: the current) visits them."""
        epoch = self._epoch if epoch is None else _checks.integer(epoch, "epoch", 0, 2 ** 32)
        if not self.shuffle:
            return np.arange(len(self.paths), dtype=np.int64)
        rng = np.random.Generator(np.random.Philox(key=[self.seed % 2 ** 64, epoch]))
        return rng.permutation(len(self.paths)).astype(np.int64)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self.paths)} files, batch_size={self.batch_size}, "
                f"epoch={self._epoch})")

    # ------------------------------------------------------------ iteration

    def __iter__(self) -> Iterator[Tuple[np.ndarray, Optional[np.ndarray]]]:
        epoch = self._epoch
        if self.cache is not None:
            self.cache.refresh()  # what other processes committed since
        order = self.order(epoch)
        batches = [order[k:k + self.batch_size] for k in range(0, len(order), self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        if self.prefetch == 0:
            for files in batches:
                yield self.batch(files, epoch)
        else:
            yield from self._prefetched(batches, epoch)
        self.commit_cache()
        self._epoch = epoch + 1

    def _prefetched(self, batches: List[np.ndarray], epoch: int):
        ready: "queue.Queue[Any]" = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def produce() -> None:
            try:
                for files in batches:
                    if stop.is_set():
                        return
                    item: Any = self.batch(files, epoch)
                    while not stop.is_set():
                        try:
                            ready.put(item, timeout=0.1)
                            break
                        except queue.Full:
                            continue
            except BaseException as e:  # handed to the consumer, raised there
                ready.put(_Failure(e))
                return
            ready.put(_STOP)

        worker = threading.Thread(target=produce, name="fastaug-prefetch", daemon=True)
        worker.start()
        try:
            while True:
                item = ready.get()
                if item is _STOP:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            stop.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    ready.get(timeout=0.05)
                except queue.Empty:
                    pass
            worker.join()

    # ------------------------------------------------------------ one batch

    def _threads(self) -> ThreadPoolExecutor:
        if self._pool is None or self._pool_pid != os.getpid():  # a forked child has no threads
            workers = self.num_threads or _core.available_cpus()
            self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                            thread_name_prefix="fastaug-decode")
            self._pool_pid = os.getpid()
        return self._pool

    def _map(self, func, items) -> list:
        items = list(items)
        if len(items) <= 1 or self.num_threads == 1:
            return [func(item) for item in items]
        return list(self._threads().map(func, items))

    def batch(self, files: Sequence[int], epoch: Optional[int] = None
              ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """The batch of file indices ``files`` in ``epoch`` (default: the current):
        ``(images, labels)``."""
        epoch = self._epoch if epoch is None else epoch
        idx, single = _checks.indices_arg(files)
        if single or idx.size == 0:
            raise ValueError("files must be a non-empty sequence of file indices")
        if idx.max() >= len(self.paths):
            raise ValueError(f"file index {int(idx.max())} is out of range for "
                             f"{len(self.paths)} files")
        if self.device is not None:
            import torch

            labels = None if self.labels is None else torch.from_numpy(self.labels[idx])
            return self._tensor_images(idx, epoch), labels
        images = self._images(idx, epoch)
        labels = None if self.labels is None else self.labels[idx]
        return images, labels

    def _tensor_images(self, idx: np.ndarray, epoch: int):
        """The batch as a tensor on ``self.device``: files decoded there where it can."""
        import torch

        if self.cache is not None:  # the cached pixels, moved (the cache was ignored here)
            return self.transform([torch.from_numpy(_chw(v)).to(self.device) for v in
                                   self._map(self._cached_pixels, idx.tolist())],
                                  indices=idx, epoch=epoch).images
        read = self._map(self._read, idx.tolist())
        tensors: List[Any] = [None] * len(idx)
        if self.device.type == "cuda" and self.color_mode == "rgb" and _gpu_jpeg() is not None:
            jpegs = [k for k, (_, header, _) in enumerate(read) if header.jpeg]
            for k, t in zip(jpegs, _device_jpegs([read[k][0] for k in jpegs], self.device)):
                if t is not None:
                    tensors[k] = _orient_tensor(t, read[k][1].orientation) if self.exif else t
        rest = [k for k in range(len(idx)) if tensors[k] is None]
        for k, pixels in zip(rest, self._map(lambda k: self._decoded(read[k], 1), rest)):
            tensors[k] = torch.from_numpy(_chw(pixels)).to(self.device)
        return self.transform(tensors, indices=idx, epoch=epoch).images

    def _images(self, idx: np.ndarray, epoch: int) -> np.ndarray:
        t = self.transform
        if self.cache is not None:
            views = self._map(self._cached_pixels, idx.tolist())
            shapes = [v.shape[:2] for v in views]
            params = t._sample_list(idx, epoch, shapes)
            plan = Plan.gather([t._plan(g) for g in params.groups], params.positions, len(idx))
            return t._run_list(_as_listed(t, views), plan, self.num_threads)
        read = self._map(self._read, idx.tolist())
        headers = [h for _, h, _ in read]
        params = t._sample_list(idx, epoch, [h.shape for h in headers])
        plan = Plan.gather([t._plan(g) for g in params.groups], params.positions, len(idx))
        reductions = [1] * len(idx)
        if self.reduced_decode and any(h.jpeg for h in headers):
            linear = plan.pull[:, :2, :2]
            finite = np.isfinite(linear).all(axis=(1, 2))
            # svd raises LinAlgError on inf/NaN: such a plan decodes in full, and the native
            # run refuses it with a ValueError
            steps = np.zeros(len(idx))
            steps[finite] = np.linalg.svd(linear[finite], compute_uv=False)[:, -1]
            reductions = [_decode.reduction_for(float(s), h, True)
                          for s, h in zip(steps, headers)]
        views = self._map(lambda k: self._decoded(read[k], reductions[k]), range(len(idx)))
        scales = [(v.shape[0] / h.shape[0], v.shape[1] / h.shape[1])
                  for v, h in zip(views, headers)]
        if any(s != (1.0, 1.0) for s in scales):
            plan = _fold_source_scale(plan, scales)
        return t._run_list(_as_listed(t, views), plan, self.num_threads)

    def _read(self, k: int):
        path = self.paths[k]
        data = _decode.read_file(path)
        return data, _decode.read_header(data, path, self.exif), path

    def _decoded(self, read, reduction: int) -> np.ndarray:
        data, header, path = read
        return _decode.decode(data, path, self.color_mode, header, reduction, self.exif)

    def _cached_pixels(self, k: int) -> np.ndarray:
        path = self.paths[k]
        pixels = self.cache.lookup(path, self._variant)
        if pixels is not None:
            return pixels
        stat = os.stat(path)  # before decoding: a file changed meanwhile is seen as stale
        data, header, _ = self._read(k)
        reduction = 1
        if self.cache_max_side is not None and header.jpeg:
            longer = max(header.stored)
            reduction = max(r for r in _decode.REDUCTIONS
                            if -(-longer // r) >= self.cache_max_side or r == 1)
        pixels = _decode.decode(data, path, self.color_mode, header, reduction, self.exif)
        pixels = np.ascontiguousarray(pixels)
        if not self.cache.readonly:  # a readonly cache (a shared, prebuilt one) is looked up only
            self.cache.store(path, self._variant, pixels, stat=stat)
        return pixels

    def commit_cache(self) -> None:
        """Make what this loader stored in its cache visible to other processes (also done
        at the end of each epoch)."""
        if self.cache is not None and not self.cache.readonly:
            self.cache.commit()

    def close(self) -> None:
        """Stop the decode threads (and close the cache)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self.cache is not None and not self.cache._closed:  # a second close does nothing
            self.commit_cache()
            self.cache.close()


def _commit_open(cache) -> None:
    """A loader's cache committed when the loader goes (unless closed already)."""
    if not cache._closed:
        cache.commit()


def _gpu_jpeg():
    """(torchvision.io.decode_jpeg, ImageReadMode.RGB), or None without torchvision."""
    try:
        from torchvision.io import ImageReadMode, decode_jpeg
    except ImportError:
        return None
    return decode_jpeg, ImageReadMode.RGB


def _as_listed(t: Compose, views: List[np.ndarray]) -> List[np.ndarray]:
    """``t._image_list`` of decoded (H, W, C) pixels: a Compose with layout="NCHW" reads a
    list as (C, H, W) arrays, so they are handed over as such (views, no copy)."""
    if t.layout == "NCHW":
        views = [np.moveaxis(v, -1, 0) for v in views]
    return t._image_list(views)


def _chw(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) pixels as a C-contiguous, writable (C, H, W) array for torch.from_numpy:
    Pillow's pixels and the cache's memory map are read-only, which torch warns about (and
    a CPU tensor would share them)."""
    return np.require(np.moveaxis(pixels, -1, 0), requirements=["C", "W"])


def _device_jpegs(files: List[bytes], device) -> list:
    """The JPEG files decoded on ``device`` by nvJPEG, None for each it refuses: nvJPEG
    rejects files Pillow reads (CMYK, some progressive ones), and one of them fails the
    whole batched call. Those go to the CPU decoders, which decode them or name the file."""
    if not files:
        return []
    import torch

    decode_jpeg, rgb = _gpu_jpeg()
    data = [torch.frombuffer(bytearray(f), dtype=torch.uint8) for f in files]
    try:
        return list(decode_jpeg(data, mode=rgb, device=device))
    except RuntimeError:
        pass
    out = []
    for d in data:  # which ones: one at a time
        try:
            out.append(decode_jpeg(d, mode=rgb, device=device))
        except RuntimeError:
            out.append(None)
    return out


def _orient_tensor(t, orientation: int):
    """_decode's EXIF orientation for a (C, H, W) tensor."""
    import torch

    if orientation in (2, 4, 5, 7):
        t = t.flip(2)
    turns = {1: 0, 2: 0, 3: 2, 4: 2, 5: 1, 6: 3, 7: 3, 8: 1}[orientation]
    return torch.rot90(t, turns, dims=(1, 2)) if turns else t


def _fold_source_scale(plan: Plan, scales: List[Tuple[float, float]]) -> Plan:
    """The plan reading images decoded at ``scales`` (sy, sx) of the size it was drawn for:
    pixel edges stay on pixel edges, x' = (x + 0.5) * s - 0.5."""
    s = np.array(scales, np.float64)
    fold = np.zeros((plan.batch, 3, 3))
    fold[:, 0, 0], fold[:, 1, 1], fold[:, 2, 2] = s[:, 1], s[:, 0], 1.0
    fold[:, 0, 2] = 0.5 * s[:, 1] - 0.5
    fold[:, 1, 2] = 0.5 * s[:, 0] - 0.5
    plan._pull = fold @ plan.pull
    return plan


class ImageFolder(ImageFiles):
    """Batches ``(images, labels)`` from ``root/<class>/...`` image files: each
    subfolder of ``root`` (sorted by name) is a class, its index the label, its image files
    (png, jpg, jpeg, bmp, ppm, tif, tiff, found recursively) listed in the order Keras's
    ``flow_from_directory`` lists them. ``classes`` (names) and ``class_to_idx`` say which
    label is which. Every other argument is :class:`ImageFiles`'s.
    """

    def __init__(self, root: Any, transform: Optional[Compose] = None, batch_size: int = 32,
                 shuffle: bool = True, seed: int = 0, num_threads: Optional[int] = None,
                 cache: Any = None, drop_last: bool = False, follow_links: bool = False,
                 **kwargs: Any):
        from ._keras.directory import _list_class_files
        from ._keras.iterator import Iterator as _KerasIterator

        root = os.fspath(root)
        if not os.path.isdir(root):
            raise ValueError(f"root must be a directory of class folders, got {root!r}")
        self.root = root
        self.classes = [d for d in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, d))]
        self.class_to_idx = {name: k for k, name in enumerate(self.classes)}
        paths: List[str] = []
        labels: List[int] = []
        for name in self.classes:
            files = _list_class_files(os.path.join(root, name),
                                      _KerasIterator.white_list_formats, None, follow_links)
            paths += [os.path.join(root, name, f) for f in files]
            labels += [self.class_to_idx[name]] * len(files)
        if not paths:
            raise ValueError(f"no image files found under the class folders of {root!r}")
        super().__init__(paths, labels, transform=transform, batch_size=batch_size,
                         shuffle=shuffle, seed=seed, num_threads=num_threads, cache=cache,
                         drop_last=drop_last, **kwargs)
