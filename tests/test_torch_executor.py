"""Compose on torch tensors: the same draws as numpy input, the plan run as batched tensor
ops on the tensor's device, equal to the native pass within one uint8 level on at least
99.9% of values (float32 within 1e-3), for every transform the torch executor supports; the
others refused with an error naming the transform and the device."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug
from fastaug import Compose
from conftest import NO_CUDA_REASON
from fastaug.transforms import (Affine, AutoContrast, CenterCrop, ChannelShift, ColorJitter,
                                CoarseDropout, Equalize, GaussianBlur, Grayscale,
                                HorizontalFlip, Invert, Normalize, Pad, Posterize,
                                RandAugment, RandomCrop, RandomErasing, RandomGrayscale,
                                RandomResizedCrop, Resize, Solarize, VerticalFlip)

torch = pytest.importorskip("torch")

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
SUPPORTED = {
    "affine bilinear": [Affine(rotate=20, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=5),
                        HorizontalFlip()],
    "affine nearest, fill 40": [Affine(rotate=30, interpolation="nearest", fill=40),
                                VerticalFlip()],
    "affine reflect": [Affine(rotate=25, scale=(0.6, 0.8), fill_mode="reflect")],
    "affine edge": [Affine(rotate=25, scale=(0.6, 0.8), fill_mode="nearest")],
    "affine mirror": [Affine(rotate=25, scale=(0.6, 0.8), fill_mode="mirror")],
    "affine wrap": [Affine(translate=(0.3, 0.2), fill_mode="wrap")],
    "random resized crop": [RandomResizedCrop(24), HorizontalFlip()],
    "resize, centre crop": [Resize(30), CenterCrop(24)],
    "random crop, pad": [Pad(3), RandomCrop(32, padding=2)],
    "colour jitter": [RandomResizedCrop(24), ColorJitter(0.4, 0.4, 0.4, 0.1)],
    "grayscale, invert, solarize, posterize": [RandomGrayscale(p=0.5), Invert(p=0.5),
                                               Solarize(100, p=0.5), Posterize(4, p=0.5)],
    "autocontrast, grayscale": [AutoContrast(p=0.7), Grayscale(p=0.3)],
    "erasing": [RandomResizedCrop(24), RandomErasing(p=0.8, value=7),
                CoarseDropout(num_holes_range=(1, 3), fill=200, p=0.6)],
    "channel shift": [ChannelShift(30, p=0.8), HorizontalFlip()],
    "imagenet recipe": [RandomResizedCrop(24), HorizontalFlip(),
                        ColorJitter(0.4, 0.4, 0.4, 0.1), Normalize(MEAN, STD)],
}


def _images(dtype=np.uint8, n=8, shape=(40, 52, 3), seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    smooth = (np.stack([xx * 4, yy * 5, xx + yy], -1)[None] % 256
              + rng.integers(0, 40, (n,) + shape))
    x = np.clip(smooth, 0, 255).astype(np.uint8)
    return x if dtype == np.uint8 else x.astype(np.float32) / 255


def _tensor(images):
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))


def _levels(got, expected, normalize):
    """|got - expected| in uint8 levels (normalised outputs scaled back)."""
    d = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    if normalize:
        d = d * 255 * np.array(STD)
    return d


@pytest.mark.parametrize("name", sorted(SUPPORTED))
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_tensors_get_the_native_result(name, dtype):
    images = _images(dtype)
    compose = Compose(SUPPORTED[name], seed=3)
    expected = compose(images, indices=np.arange(20, 28), epoch=2).images
    got = compose(_tensor(images), indices=np.arange(20, 28), epoch=2).images
    assert isinstance(got, torch.Tensor) and got.device.type == "cpu"
    got = got.permute(0, 2, 3, 1).numpy()
    assert got.shape == expected.shape and got.dtype == expected.dtype
    normalize = name == "imagenet recipe"
    if dtype == np.uint8 or normalize:
        d = _levels(got, expected, normalize)
        assert np.mean(d <= 1.0 + 1e-3) >= 0.999, (name, np.mean(d <= 1), d.max())
        assert d.max() <= 4
    else:
        d = np.abs(got - expected)
        assert np.mean(d <= 1e-3) >= 0.999, (name, np.mean(d <= 1e-3), d.max())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_tensors_take_16_bit_outputs(dtype):
    pytest.importorskip("ml_dtypes")
    images = _images()
    compose = Compose([RandomResizedCrop(24), Normalize(MEAN, STD, dtype=dtype)], seed=1)
    got = compose(_tensor(images)).images
    assert got.dtype == getattr(torch, dtype)
    expected = compose(images).images.astype(np.float32)
    d = _levels(got.float().permute(0, 2, 3, 1).numpy(), expected, True)
    assert np.mean(d <= 2.0) >= 0.999  # the 16-bit rounding on top of the one level


def test_masks_keypoints_and_boxes_follow_on_tensors():
    images = _images()
    compose = Compose([RandomResizedCrop(24), HorizontalFlip(),
                       RandomErasing(p=1.0, value=0)], seed=2, mask_fill=9)
    masks = (np.arange(40 * 52).reshape(40, 52) % 5).astype(np.int64)
    masks = np.broadcast_to(masks, (8, 40, 52)).copy()
    keypoints = np.tile([[10.0, 12.0], [30.5, 20.0]], (8, 1, 1))
    boxes = np.tile([[4.0, 5.0, 40.0, 30.0]], (8, 1, 1))
    native = compose(images, masks=masks, keypoints=keypoints, boxes=boxes)
    tensor = compose(_tensor(images), masks=torch.from_numpy(masks), keypoints=keypoints,
                     boxes=boxes)
    assert tensor.masks.dtype == torch.int64
    np.testing.assert_array_equal(tensor.masks.numpy(), native.masks)
    np.testing.assert_array_equal(tensor.keypoints, native.keypoints)
    np.testing.assert_array_equal(tensor.boxes[0], native.boxes[0])


@pytest.mark.parametrize("transform, name", [
    (GaussianBlur(3), "GaussianBlur"), (Equalize(), "Equalize"),
    (RandAugment(), "RandAugment"), (RandomErasing(p=1.0, value="random"), "RandomErasing")])
def test_what_tensors_do_not_support_is_refused(transform, name):
    images = _tensor(_images())
    with pytest.raises(ValueError, match=rf"{name}.*torch tensors.*cpu"):
        Compose([transform], seed=0)(images)



def test_tensor_inputs_are_checked():
    compose = Compose([HorizontalFlip()])
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        compose(torch.zeros(3, 8, 8, dtype=torch.uint8))
    with pytest.raises(TypeError, match="torch.uint8 or torch.float32"):
        compose(torch.zeros(2, 3, 8, 8, dtype=torch.int16))
    with pytest.raises(ValueError, match="one entry per image"):
        compose(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), indices=[1])
    with pytest.raises(TypeError, match="masks must be a torch tensor"):
        compose(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), masks=np.zeros((2, 8, 8)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA_REASON)
def test_cuda_tensors_stay_on_the_device():
    images = _images()
    compose = Compose(SUPPORTED["imagenet recipe"], seed=0)
    got = compose(_tensor(images).cuda()).images
    assert got.device.type == "cuda"
    d = _levels(got.cpu().permute(0, 2, 3, 1).numpy(), compose(images).images, True)
    assert np.mean(d <= 1.0 + 1e-3) >= 0.999


def test_lists_of_tensors_of_different_sizes():
    photos = [_images(n=1, shape=shape, seed=k)[0]
              for k, shape in enumerate([(40, 52, 3), (50, 30, 3), (40, 52, 3)])]
    compose = Compose(SUPPORTED["imagenet recipe"], seed=6)
    expected = compose(photos, indices=[4, 5, 6]).images
    got = compose([torch.from_numpy(p.transpose(2, 0, 1).copy()) for p in photos],
                  indices=[4, 5, 6])
    assert isinstance(got.params, fastaug.MixedSizeParams)
    d = _levels(got.images.permute(0, 2, 3, 1).numpy(), expected, True)
    assert np.mean(d <= 1.0 + 1e-3) >= 0.999
    with pytest.raises(ValueError, match="come out at one size"):
        Compose([HorizontalFlip()])([torch.zeros(3, 4, 4), torch.zeros(3, 5, 4)])
    with pytest.raises(ValueError, match=r"images\[1\] must have the dtype"):
        compose([torch.zeros(3, 4, 4), torch.zeros(1, 4, 4)])



@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect"])
def test_augment_runs_on_tensors(dtype, fill_mode):
    images = _images(dtype)
    shift = 25.0 if dtype == np.uint8 else 0.1
    augment = fastaug.Augment(rotation=20, width_shift=0.1, height_shift=0.1, zoom=0.2,
                              horizontal_flip=True, brightness=(0.6, 1.4), channel_shift=shift,
                              fill_mode=fill_mode, cval=30.0, seed=8)
    expected = augment(images, epoch=1).images
    got = augment(_tensor(images), epoch=1).images.permute(0, 2, 3, 1).numpy()
    d = np.abs(got.astype(np.float64) - expected)
    tol = 1.0 if dtype == np.uint8 else 1e-3
    assert np.mean(d <= tol + 1e-6) >= 0.999, (np.mean(d <= tol), d.max())


def test_uint8_in_float32_out_keeps_the_unrounded_warp():
    images = _images()
    compose = Compose([Affine(rotate=17)], seed=2, out_dtype="float32")
    expected = compose(images).images
    got = compose(_tensor(images)).images.permute(0, 2, 3, 1).numpy()
    assert got.dtype == np.float32
    assert np.mean(np.abs(got - expected) <= 1e-3) >= 0.999
