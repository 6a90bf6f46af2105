"""Training recipes on photos: the ImageNet train recipe (RandomResizedCrop(224), horizontal
flip, ColorJitter(0.4, 0.4, 0.4, 0.1), Normalize) on 16 photo-sized 375x500 uint8 images to
the float32 NCHW batch torch trains on, fastaug (one Compose call for the batch) against
AlbumentationsX and torchvision v2 (image by image, torchvision on uint8 tensors).
AlbumentationsX's images are stacked channels-first as its ToTensorV2 and a DataLoader's
collation would (a transposed view per image, one copy into the batch)."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug

from benchmarks._common import (Impl, albumentations, cv2, impl_params, label, make_batch,
                                torch, torchvision_v2)

PHOTOS = (16, 375, 500, 3)
PHOTO_LABEL = "16x375x500x3 uint8 -> 16x3x224x224 float32"
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _fastaug(case):
    t = fastaug.transforms
    compose = fastaug.Compose([t.RandomResizedCrop(224), t.HorizontalFlip(),
                               t.ColorJitter(0.4, 0.4, 0.4, 0.1), t.Normalize(MEAN, STD)],
                              seed=0, num_threads=case["threads"].fastaug, out_layout="NCHW")
    src, indices = case["batch"], np.arange(case["batch"].shape[0])
    epoch = iter(range(2 ** 31))
    return lambda: compose(src, indices=indices, epoch=next(epoch)).images


def _albumentations(case):
    compose = albumentations.Compose([
        albumentations.RandomResizedCrop(size=(224, 224)), albumentations.HorizontalFlip(),
        albumentations.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1.0),
        albumentations.Normalize(mean=MEAN, std=STD)], seed=0)
    src = case["batch"]
    return lambda: np.stack([compose(image=im)["image"].transpose(2, 0, 1) for im in src])


def _torchvision(case):
    v2 = torchvision_v2
    compose = v2.Compose([v2.RandomResizedCrop(224, antialias=True), v2.RandomHorizontalFlip(),
                          v2.ColorJitter(0.4, 0.4, 0.4, 0.1), v2.ToDtype(torch.float32, scale=True),
                          v2.Normalize(MEAN, STD)])
    images = [torch.from_numpy(im).permute(2, 0, 1).contiguous() for im in case["batch"]]
    return lambda: torch.stack([compose(im) for im in images]).numpy()


RECIPE_IMPLS = [
    Impl("fastaug", "Compose", "fastaug", _fastaug),
    Impl("albumentations", "Compose per image", "albumentations", _albumentations,
         needs_peers=("albumentations", "cv2")),
    Impl("torchvision", "v2 per image", "torchvision", _torchvision,
         needs_peers=("torchvision",)),
]


@pytest.mark.parametrize("impl", impl_params(RECIPE_IMPLS))
def test_imagenet_train_recipe(benchmark, threads, impl):
    if impl.library == "torchvision":
        torch.set_num_threads(threads.count)
    if impl.library == "albumentations":
        cv2.setNumThreads(threads.count)
    case = {"batch": make_batch(PHOTOS), "threads": threads}
    label(benchmark, workload="ImageNet train recipe", impl=impl, size=PHOTO_LABEL,
          threads=threads, images=PHOTOS[0], nbytes=case["batch"].nbytes)
    out = benchmark(impl.make(case))
    assert out.shape == (PHOTOS[0], 3, 224, 224) and out.dtype == np.float32
    assert np.isfinite(out).all() and -3 < out.min() and out.max() < 3
