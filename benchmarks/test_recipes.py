"""Training recipes to the float32 NCHW batch torch trains on: the ImageNet train recipe
(RandomResizedCrop(224), horizontal flip, ColorJitter(0.4, 0.4, 0.4, 0.1), Normalize) and its
validation form (Resize(256), CenterCrop(224), Normalize) on 16 photo-sized 375x500 uint8
images, and the CIFAR train recipe (RandomCrop(32, padding=4), flip, Normalize) on 256 32x32
images. fastaug runs one Compose call per batch; AlbumentationsX and torchvision v2 go image
by image (torchvision on uint8 tensors). AlbumentationsX's images are stacked channels-first
as its ToTensorV2 and a DataLoader's collation would (a transposed view per image, one copy
into the batch)."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug

from benchmarks._common import (Impl, albumentations, cv2, impl_params, label, make_batch,
                                torch, torchvision_v2)

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
RECIPES = {
    "ImageNet train recipe": ((16, 375, 500, 3), 224),
    "ImageNet validation recipe": ((16, 375, 500, 3), 224),
    "CIFAR train recipe": ((256, 32, 32, 3), 32),
}


def _size_label(recipe):
    shape, side = RECIPES[recipe]
    return "x".join(map(str, shape)) + f" uint8 -> {shape[0]}x3x{side}x{side} float32"


def _fastaug(case):
    t = fastaug.transforms
    recipe = case["recipe"]
    if recipe == "ImageNet train recipe":
        ops = [t.RandomResizedCrop(224), t.HorizontalFlip(), t.ColorJitter(0.4, 0.4, 0.4, 0.1)]
    elif recipe == "ImageNet validation recipe":
        ops = [t.Resize(256), t.CenterCrop(224)]
    else:
        ops = [t.RandomCrop(32, padding=4), t.HorizontalFlip()]
    compose = fastaug.Compose(ops + [t.Normalize(MEAN, STD)], seed=0,
                              num_threads=case["threads"].fastaug, out_layout="NCHW")
    src, indices = case["batch"], np.arange(case["batch"].shape[0])
    epoch = iter(range(2 ** 31))
    return lambda: compose(src, indices=indices, epoch=next(epoch)).images


def _albumentations(case):
    A = albumentations
    recipe = case["recipe"]
    if recipe == "ImageNet train recipe":
        ops = [A.RandomResizedCrop(size=(224, 224)), A.HorizontalFlip(),
               A.ColorJitter(brightness_range=(0.6, 1.4), contrast_range=(0.6, 1.4),
                             saturation_range=(0.6, 1.4), hue_range=(-0.1, 0.1), p=1.0)]
    elif recipe == "ImageNet validation recipe":
        ops = [A.SmallestMaxSize(max_size=256), A.CenterCrop(224, 224)]
    else:
        ops = [A.PadIfNeeded(40, 40, border_mode=cv2.BORDER_CONSTANT), A.RandomCrop(32, 32),
               A.HorizontalFlip()]
    compose = A.Compose(ops + [A.Normalize(mean=MEAN, std=STD)], seed=0)
    src = case["batch"]
    return lambda: np.stack([compose(image=im)["image"].transpose(2, 0, 1) for im in src])


def _torchvision(case):
    v2 = torchvision_v2
    recipe = case["recipe"]
    if recipe == "ImageNet train recipe":
        ops = [v2.RandomResizedCrop(224, antialias=True), v2.RandomHorizontalFlip(),
               v2.ColorJitter(0.4, 0.4, 0.4, 0.1)]
    elif recipe == "ImageNet validation recipe":
        ops = [v2.Resize(256, antialias=True), v2.CenterCrop(224)]
    else:
        ops = [v2.RandomCrop(32, padding=4), v2.RandomHorizontalFlip()]
    compose = v2.Compose(ops + [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)])
    images = [torch.from_numpy(im).permute(2, 0, 1).contiguous() for im in case["batch"]]
    return lambda: torch.stack([compose(im) for im in images]).numpy()


RECIPE_IMPLS = [
    Impl("fastaug", "Compose", "fastaug", _fastaug),
    Impl("AlbumentationsX", "Compose per image", "albumentations", _albumentations,
         needs_peers=("albumentations", "cv2")),
    Impl("torchvision", "v2 per image", "torchvision", _torchvision,
         needs_peers=("torchvision",)),
]


@pytest.mark.parametrize("recipe", list(RECIPES))
@pytest.mark.parametrize("impl", impl_params(RECIPE_IMPLS))
def test_recipe(benchmark, threads, impl, recipe):
    if impl.library == "torchvision":
        torch.set_num_threads(threads.count)
    if impl.library == "AlbumentationsX":
        cv2.setNumThreads(threads.count)
    shape, side = RECIPES[recipe]
    case = {"batch": make_batch(shape), "threads": threads, "recipe": recipe}
    label(benchmark, workload=recipe, impl=impl, size=_size_label(recipe), threads=threads,
          images=shape[0], nbytes=case["batch"].nbytes)
    out = benchmark(impl.make(case))
    assert out.shape == (shape[0], 3, side, side) and out.dtype == np.float32
    assert np.isfinite(out).all() and -3 < out.min() and out.max() < 3
