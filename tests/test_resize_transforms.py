"""Resize, RandomResizedCrop and Normalize: the crop read from the source and resampled with
torchvision's antialiased bilinear kernel, normalised in the same pass, against torchvision's
functional resize, resized_crop and normalize."""
from __future__ import annotations

import numpy as np
import pytest

from fastaug import Compose
from fastaug.transforms import (Affine, CenterCrop, ColorJitter, HorizontalFlip, Normalize,
                                RandomResizedCrop, Resize, VerticalFlip)

torch = pytest.importorskip("torch")
F = pytest.importorskip("torchvision.transforms.v2.functional")


def _images(n=6, shape=(75, 100, 3), dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    return x if dtype == np.uint8 else x.astype(np.float32) / np.float32(255)


def _chw(image):
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def _hwc(t):
    return t.permute(1, 2, 0).numpy()


def _assert_close(got, expected, dtype):
    if dtype == np.uint8:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("size", [30, (40, 90), (75, 100), 200, (7, 300)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_resize_matches_torchvision_antialias(size, dtype, simd_level):
    images = _images(dtype=dtype)
    got = Compose([Resize(size)])(images).images
    expected = np.stack([_hwc(F.resize(_chw(im), list(np.atleast_1d(size)), antialias=True))
                         for im in images])
    assert got.shape == expected.shape
    _assert_close(got, expected, dtype)


@pytest.mark.parametrize("shape", [(75, 100, 3), (100, 75, 1), (40, 40, 4)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_random_resized_crop_matches_torchvision_at_the_drawn_box(shape, dtype, simd_level):
    images = _images(n=12, shape=shape, dtype=dtype)
    compose = Compose([RandomResizedCrop((24, 32))], seed=3)
    params = compose.sample(np.arange(12), epoch=4, image_shape=shape[:2])
    got = compose.apply(images, params).images
    p = params.transforms[0]
    for i, image in enumerate(images):
        box = [int(p[k][i]) for k in ("top", "left", "height", "width")]
        expected = _hwc(F.resized_crop(_chw(image), *box, [24, 32], antialias=True))
        _assert_close(got[i], expected, dtype)


def test_flips_after_the_crop_mirror_the_resampled_crop(simd_level):
    images = _images(n=8)
    compose = Compose([RandomResizedCrop(20), HorizontalFlip(p=1.0), VerticalFlip(p=0.5)],
                      seed=1)
    out = compose(images)
    p, vflip = out.params.transforms[0], out.params.transforms[2]["applied"]
    for i, image in enumerate(images):
        box = [int(p[k][i]) for k in ("top", "left", "height", "width")]
        expected = _hwc(F.resized_crop(_chw(image), *box, [20, 20], antialias=True))[:, ::-1]
        if vflip[i]:
            expected = expected[::-1]
        np.testing.assert_array_equal(out.images[i], expected)


@pytest.mark.parametrize("flip", [False, True], ids=["plain", "mirrored"])
@pytest.mark.parametrize("view", ["whole", "strided"])
def test_crops_at_the_last_pixels_read_only_the_image(flip, view, simd_level):
    """Boxes ending at the image's last row and column, of every width modulo 4 and with
    downscales up to 9x (many taps): the vector passes' wide reads stop inside the image
    (a strided view's gaps included) and the result is torchvision's, mirrored or not."""
    base = _images(n=1, shape=(61, 83, 3), seed=5)[0]
    image = base if view == "whole" else base[1:-1:1, 2:-1]
    h, w = image.shape[:2]
    compose = Compose([RandomResizedCrop((9, 7)), HorizontalFlip(p=1.0 if flip else 0.0)])
    boxes = [(h - bh, w - bw, bh, bw) for bh, bw in
             [(h, w), (9, 7), (10, 9), (40, 61), (h - 3, w - 1), (5, 62), (h, 2)]]
    batch = np.stack([image] * len(boxes))
    params = compose.sample(np.arange(len(boxes)), image_shape=(h, w))
    for key, column in zip(("top", "left", "height", "width"), np.array(boxes).T):
        params.transforms[0][key] = column.astype(np.float64)
    got = compose.apply(batch, params).images
    for i, box in enumerate(boxes):
        expected = _hwc(F.resized_crop(_chw(image), *box, [9, 7], antialias=True))
        np.testing.assert_array_equal(got[i], expected[:, ::-1] if flip else expected,
                                      err_msg=f"box {box}")


def test_random_resized_crop_boxes_follow_torchvisions_rules():
    compose = Compose([RandomResizedCrop(8, scale=(0.2, 0.6), ratio=(0.5, 2.0))], seed=2)
    p = compose.sample(np.arange(4000), image_shape=(60, 80)).transforms[0]
    area = p["height"] * p["width"] / (60 * 80)
    ratio = p["width"] / p["height"]
    assert (p["top"] >= 0).all() and (p["top"] + p["height"] <= 60).all()
    assert (p["left"] >= 0).all() and (p["left"] + p["width"] <= 80).all()
    assert 0.18 < area.min() and area.max() < 0.63  # whole pixels round the drawn area
    assert 0.45 < ratio.min() and ratio.max() < 2.1
    # The fallback: a tall image no ratio fits, cropped to the ratio range at its centre.
    q = Compose([RandomResizedCrop(8, scale=(0.9, 1.0), ratio=(2.0, 3.0))]).sample(
        np.arange(50), image_shape=(100, 10)).transforms[0]
    assert (q["width"] == 10).all() and (q["height"] == 5).all() and (q["top"] == 47).all()


def test_antialias_off_and_non_axis_aligned_maps_warp_bilinearly():
    images = _images(n=3)
    plain = Compose([Resize(25, antialias=False)])(images).images
    smooth = Compose([Resize(25)])(images).images
    assert plain.shape == smooth.shape == (3, 25, 33, 3)
    # A downscale without antialiasing samples 4 source pixels per output one: noisier.
    assert plain.astype(float).std() > smooth.astype(float).std() + 5
    rotated = Compose([Affine(rotate=(20, 20)), Resize(25)])(images).images
    assert rotated.shape == (3, 25, 33, 3)


def test_imagenet_recipe_runs_in_one_call():
    images = _images(n=4, shape=(120, 90, 3))
    recipe = Compose([RandomResizedCrop(64), HorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1)],
                     seed=0)
    out = recipe(images)
    assert out.images.shape == (4, 64, 64, 3) and out.images.dtype == np.uint8
    again = Compose.from_json(recipe.to_json())(images).images
    np.testing.assert_array_equal(out.images, again)


MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_normalize_matches_torchvision_after_to_dtype(dtype, simd_level):
    images = _images(dtype=dtype)
    got = Compose([Normalize(MEAN, STD)])(images).images
    assert got.dtype == np.float32
    expected = np.stack([_hwc(F.normalize(F.to_dtype(_chw(im), torch.float32, scale=True),
                                          MEAN, STD)) for im in images])
    np.testing.assert_allclose(got, expected, atol=2e-6, rtol=1e-6)


def test_the_imagenet_train_and_validation_recipes_match_torchvision(simd_level):
    images = _images(n=6, shape=(90, 120, 3))
    train = Compose([RandomResizedCrop(56), HorizontalFlip(), Normalize(MEAN, STD)],
                    seed=7, layout="NCHW")
    out = train(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))  # layout: NCHW in and out
    assert out.images.shape == (6, 3, 56, 56) and out.images.dtype == np.float32
    p, flips = out.params.transforms[0], out.params.transforms[1]["applied"]
    for i, image in enumerate(images):
        box = [int(p[k][i]) for k in ("top", "left", "height", "width")]
        t = F.resized_crop(_chw(image), *box, [56, 56], antialias=True)
        if flips[i]:
            t = F.horizontal_flip(t)
        t = F.normalize(F.to_dtype(t, torch.float32, scale=True), MEAN, STD)
        np.testing.assert_allclose(out.images[i], t.numpy(), atol=2e-6, rtol=1e-6)
    val = Compose([Resize(64), CenterCrop(56), Normalize(MEAN, STD)], layout="NCHW")(
        images.transpose(0, 3, 1, 2))
    for i, image in enumerate(images):
        t = F.center_crop(F.resize(_chw(image), [64], antialias=True), [56, 56])
        t = F.normalize(F.to_dtype(t, torch.float32, scale=True), MEAN, STD)
        np.testing.assert_allclose(val.images[i], t.numpy(), atol=2e-6, rtol=1e-6)


def test_normalize_must_come_last_and_write_float32():
    with pytest.raises(ValueError, match="Normalize must be the last"):
        Compose([Normalize(0.5, 0.5), HorizontalFlip()])
    with pytest.raises(ValueError, match="float32"):
        Compose([Normalize(0.5, 0.5)], out_dtype="uint8")(_images(n=1))
    with pytest.raises(ValueError, match="std must be > 0"):
        Normalize(0.5, 0.0)
    with pytest.raises(ValueError, match="channels"):
        Compose([Normalize((0.1, 0.2), (1, 1))])(_images(n=1))
