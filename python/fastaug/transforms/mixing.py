"""Batch-level mixing: MixUp and CutMix, as torchvision's ``transforms.v2.MixUp`` and
``CutMix``. They act on a whole augmented batch and its labels (after ``Compose``), each
image mixed with the next one in the batch (``roll(1)``), with one mixing factor per batch
drawn keyed by (seed, epoch, the batch's first index) like every other draw of fastaug."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .. import _checks

__all__ = ["MixUp", "CutMix", "MixResult"]


@dataclass(eq=False)
class MixResult:
    """Mixed ``images`` (the input's dtype and layout), soft ``labels`` (float32, (N, K)),
    the factor ``lam`` of the original images (the rest is their neighbour's) and, for
    CutMix, the pasted ``box`` (top, left, bottom, right) in pixels."""

    images: np.ndarray
    labels: np.ndarray
    lam: float
    box: Optional[Tuple[int, int, int, int]] = None


class _Mix:
    config_keys: Tuple[str, ...] = ("alpha", "num_classes", "seed", "layout")

    def __init__(self, alpha: float = 1.0, num_classes: Optional[int] = None, seed: int = 0,
                 layout: str = "NHWC"):
        self.alpha = _checks.real(alpha, "alpha", 0.0)
        if self.alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        self.num_classes = None if num_classes is None else _checks.integer(
            num_classes, "num_classes", 1, 2 ** 31)
        self.seed = _checks.integer(seed, "seed", 0, 2 ** 64)
        if layout not in ("NHWC", "NCHW"):
            raise ValueError(f"layout must be 'NHWC' or 'NCHW', got {layout!r}")
        self.layout = layout

    def get_config(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in self.config_keys}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(
            f"{k}={v!r}" for k, v in self.get_config().items()) + ")"

    def _generator(self, key: int, epoch: int) -> np.random.Generator:
        # numpy's Philox keyed by (seed, batch key) with the epoch in the counter: the same
        # batch of the same epoch mixes the same way in every run and process.
        mask = 2 ** 64 - 1
        return np.random.Generator(np.random.Philox(
            key=(self.seed & mask) | ((key & mask) << 64), counter=int(epoch)))

    def _arguments(self, images, labels, indices, epoch):
        images = _checks.array_arg(images, "images")
        if images.ndim != 4:
            raise ValueError(f"images must be a batch of shape (N, H, W, C) (or NCHW with "
                             f"layout='NCHW'), got shape {images.shape}")
        if images.dtype not in (np.uint8, np.float32):
            raise TypeError(f"images must have dtype uint8 or float32, got {images.dtype}")
        n = images.shape[0]
        labels = np.asarray(labels)
        if labels.ndim == 1:
            if not np.issubdtype(labels.dtype, np.integer):
                raise TypeError(f"labels must be class indices (ints) or (N, K) soft labels, "
                                f"got dtype {labels.dtype}")
            if self.num_classes is None:
                raise ValueError("num_classes is needed to one-hot integer labels")
            if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
                raise ValueError(f"labels must be in [0, {self.num_classes}), got "
                                 f"[{labels.min()}, {labels.max()}]")
            soft = np.zeros((labels.shape[0], self.num_classes), np.float32)
            soft[np.arange(labels.shape[0]), labels] = 1.0
        elif labels.ndim == 2:
            soft = labels.astype(np.float32)
        else:
            raise ValueError(f"labels must have shape (N,) or (N, K), got {labels.shape}")
        if soft.shape[0] != n:
            raise ValueError(f"labels must have one row per image ({n}), got {soft.shape[0]}")
        idx, _ = _checks.indices_arg(np.arange(n) if indices is None else indices)
        epoch = _checks.integer(epoch, "epoch", 0, 2 ** 32)
        generator = self._generator(int(idx[0]) if idx.size else 0, epoch)
        return images, soft, generator, float(generator.beta(self.alpha, self.alpha))

    @staticmethod
    def _mix_labels(soft: np.ndarray, lam: float) -> np.ndarray:
        return (soft * np.float32(lam) + np.roll(soft, 1, axis=0) * np.float32(1.0 - lam))


class MixUp(_Mix):
    """``lam * x + (1 - lam) * x_next`` for images and their one-hot (or soft) labels, with
    ``lam ~ Beta(alpha, alpha)`` once per batch (torchvision's ``MixUp``).

    Call it as ``mixup(images, labels, indices=None, epoch=0)`` on an augmented batch;
    ``labels`` are class indices (with ``num_classes``) or (N, K) soft labels. uint8 images
    come back rounded to uint8 (half to even), float32 ones as computed.
    """

    def __call__(self, images, labels, indices=None, epoch: int = 0) -> MixResult:
        images, soft, _, lam = self._arguments(images, labels, indices, epoch)
        mixed = images.astype(np.float32) * np.float32(lam) + np.roll(
            images, 1, axis=0).astype(np.float32) * np.float32(1.0 - lam)
        if images.dtype == np.uint8:
            mixed = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
        return MixResult(mixed, self._mix_labels(soft, lam), lam)


class CutMix(_Mix):
    """Paste a box of the next image of the batch into each image, as torchvision's
    ``CutMix``: ``lam ~ Beta(alpha, alpha)`` once per batch, a box of half-sides
    ``int(W sqrt(1 - lam) / 2)`` and ``int(H sqrt(1 - lam) / 2)`` centred on a uniform random
    pixel and clipped to the image, the labels mixed by the box's actual share of the image.
    """

    def __call__(self, images, labels, indices=None, epoch: int = 0) -> MixResult:
        images, soft, generator, lam = self._arguments(images, labels, indices, epoch)
        height, width = images.shape[1:3] if self.layout == "NHWC" else images.shape[2:4]
        cx, cy = int(generator.integers(0, width)), int(generator.integers(0, height))
        r = 0.5 * math.sqrt(1.0 - lam)
        half_w, half_h = int(r * width), int(r * height)
        left, right = max(cx - half_w, 0), min(cx + half_w, width)
        top, bottom = max(cy - half_h, 0), min(cy + half_h, height)
        out = np.array(images)
        rolled = np.roll(images, 1, axis=0)
        if self.layout == "NHWC":
            out[:, top:bottom, left:right] = rolled[:, top:bottom, left:right]
        else:
            out[:, :, top:bottom, left:right] = rolled[:, :, top:bottom, left:right]
        lam_box = 1.0 - (right - left) * (bottom - top) / (width * height)
        return MixResult(out, self._mix_labels(soft, lam_box), lam_box, (top, left, bottom, right))
