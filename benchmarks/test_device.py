"""The ImageNet recipe on a CUDA device: a batch of 256 uint8 NCHW photos (375x500) already
on the device, and end to end from JPEG bytes in host memory (decoded on the device with
nvJPEG through torchvision). Rows: fastaug's Compose on tensors, and kornia's
AugmentationSequential of the same recipe. Without a CUDA device every row is skipped with
that reason, and the report shows the device targets as not measured."""
from __future__ import annotations

import io

import numpy as np
import pytest

import fastaug

from benchmarks._common import Impl, PIL_Image, impl_params, label, make_batch, optional_module, torch

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
BATCH = 256
SHAPE = (375, 500, 3)
kornia = optional_module("kornia")
CUDA = torch is not None and torch.cuda.is_available()
pytestmark = pytest.mark.skipif(not CUDA, reason="no CUDA device on this machine")


def _on_device():
    photos = make_batch((16,) + SHAPE)
    batch = np.concatenate([photos] * (BATCH // 16))
    return torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous().cuda()


def _recipe():
    t = fastaug.transforms
    return fastaug.Compose([t.RandomResizedCrop(224), t.HorizontalFlip(),
                            t.ColorJitter(0.4, 0.4, 0.4, 0.1), t.Normalize(MEAN, STD)], seed=0)


def _fastaug(case):
    compose, images = _recipe(), case["images"]
    epoch = iter(range(2 ** 31))

    def run():
        out = compose(images, epoch=next(epoch)).images
        torch.cuda.synchronize()
        return out
    return run


def _kornia(case):
    K = kornia.augmentation
    aug = K.AugmentationSequential(
        K.RandomResizedCrop((224, 224)), K.RandomHorizontalFlip(),
        K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1.0),
        K.Normalize(mean=torch.tensor(MEAN), std=torch.tensor(STD))).cuda()
    images = case["images"]

    def run():
        out = aug(images.float() / 255)
        torch.cuda.synchronize()
        return out
    return run


def _jpeg_bytes():
    data = []
    for image in make_batch((16,) + SHAPE):
        buffer = io.BytesIO()
        PIL_Image.fromarray(image).save(buffer, "JPEG", quality=90)
        data.append(torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8))
    return data * (BATCH // 16)


def _fastaug_from_jpeg(case):
    from torchvision.io import ImageReadMode, decode_jpeg

    compose, data = _recipe(), case["jpeg"]
    epoch = iter(range(2 ** 31))

    def run():
        images = decode_jpeg(data, mode=ImageReadMode.RGB, device="cuda")
        out = compose(images, epoch=next(epoch)).images
        torch.cuda.synchronize()
        return out
    return run


DEVICE_IMPLS = [
    Impl("fastaug", "Compose on tensors", "fastaug", _fastaug),
    Impl("kornia", "AugmentationSequential", "kornia", _kornia),
]


@pytest.mark.parametrize("impl", impl_params(DEVICE_IMPLS))
def test_device_recipe(benchmark, impl):
    if impl.library == "kornia" and kornia is None:
        pytest.skip("optional peer kornia is not installed (pip install 'fastaug[bench]')")
    case = {"images": _on_device()}
    label(benchmark, workload="device: ImageNet train recipe", impl=impl,
          size=f"{BATCH}x3x375x500 uint8 on the device -> {BATCH}x3x224x224 float32",
          threads=_DEVICE, images=BATCH, nbytes=case["images"].numel())
    out = benchmark(impl.make(case))
    assert tuple(out.shape) == (BATCH, 3, 224, 224)


def test_device_recipe_from_jpeg_bytes(benchmark):
    if PIL_Image is None:
        pytest.skip("optional peer pillow is not installed (pip install 'fastaug[bench]')")
    impl = Impl("fastaug", "nvJPEG decode + Compose on tensors", "fastaug", _fastaug_from_jpeg)
    case = {"jpeg": _jpeg_bytes()}
    label(benchmark, workload="device: ImageNet train recipe from JPEG bytes", impl=impl,
          size=f"{BATCH} JPEGs 500x375 in host memory -> {BATCH}x3x224x224 float32",
          threads=_DEVICE, images=BATCH, nbytes=sum(d.numel() for d in case["jpeg"]))
    out = benchmark(impl.make(case))
    assert tuple(out.shape) == (BATCH, 3, 224, 224)


class _Device:
    count = 1
    label = "one CUDA device"


_DEVICE = _Device()
