"""CenterCrop, RandomCrop and Pad: whole-pixel windows of the one warp, against torchvision's
functional crop and pad on the same images and the same drawn corners."""
from __future__ import annotations

import numpy as np
import pytest

from fastaug import Compose
from fastaug.transforms import Affine, CenterCrop, HorizontalFlip, Pad, RandomCrop

torch = pytest.importorskip("torch")
F = pytest.importorskip("torchvision.transforms.v2.functional")


def _images(n=5, shape=(17, 22, 3), dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    return x if dtype == np.uint8 else x.astype(np.float32) / np.float32(255)


def _chw(image):
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def _hwc(t):
    return t.permute(1, 2, 0).numpy()


@pytest.mark.parametrize("size", [8, (9, 10), (17, 22), (16, 21), (20, 30), (30, 5)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_center_crop_matches_torchvision(size, dtype, simd_level):
    images = _images(dtype=dtype)
    got = Compose([CenterCrop(size)])(images).images
    expected = np.stack([_hwc(F.center_crop(_chw(im), list(np.atleast_1d(size))))
                         for im in images])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("padding, mode", [(3, "constant"), ((1, 2), "edge"),
                                           ((4, 0, 2, 5), "reflect"), (2, "symmetric")])
def test_pad_matches_torchvision(padding, mode, simd_level):
    images = _images()
    got = Compose([Pad(padding, fill=7, padding_mode=mode)])(images).images
    expected = np.stack([_hwc(F.pad(_chw(im), list(np.atleast_1d(padding)), fill=7,
                                    padding_mode=mode)) for im in images])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("kwargs", [dict(size=8), dict(size=(17, 22)),
                                    dict(size=32, padding=4, fill=3),
                                    dict(size=(18, 12), padding=(2, 1), padding_mode="reflect"),
                                    dict(size=(25, 25), pad_if_needed=True, padding_mode="edge")])
def test_random_crop_matches_torchvision_at_the_drawn_corner(kwargs):
    shape = (28, 28, 3) if kwargs["size"] == 32 else (17, 22, 3)
    images = _images(n=12, shape=shape)
    compose = Compose([RandomCrop(**kwargs)], seed=4)
    params = compose.sample(np.arange(12), epoch=1, image_shape=shape[:2])
    got = compose.apply(images, params).images
    crop = compose.transforms[0]
    left, top, height, width = crop._padded(shape[:2])
    pad = [left, top, width - shape[1] - left, height - shape[0] - top]
    h, w = crop.size
    p = params.transforms[0]
    if (height, width) != crop.size:
        assert len({(t, l) for t, l in zip(p["top"], p["left"])}) > 1
    for i, image in enumerate(images):
        padded = F.pad(_chw(image), pad, fill=kwargs.get("fill", 0),
                       padding_mode=kwargs.get("padding_mode", "constant"))
        expected = _hwc(F.crop(padded, int(p["top"][i]), int(p["left"][i]), h, w))
        np.testing.assert_array_equal(got[i], expected, err_msg=f"image {i}")


def test_random_crop_corners_cover_every_position_uniformly():
    compose = Compose([RandomCrop((3, 2))], seed=1)
    p = compose.sample(np.arange(6000), image_shape=(5, 4)).transforms[0]
    counts = np.zeros((3, 3))
    np.add.at(counts, (p["top"].astype(int), p["left"].astype(int)), 1)
    assert counts.min() > 0.8 * 6000 / 9 and counts.max() < 1.2 * 6000 / 9


def test_crop_then_flip_and_keypoints_follow_the_window():
    images = _images(n=2)
    compose = Compose([RandomCrop(10), HorizontalFlip(p=1.0)], seed=2)
    keypoints = np.array([[[5.0, 4.0]], [[12.0, 9.0]]])
    out = compose(images, keypoints=keypoints)
    p = out.params.transforms[0]
    for i in range(2):
        window = images[i, int(p["top"][i]):int(p["top"][i]) + 10,
                        int(p["left"][i]):int(p["left"][i]) + 10]
        np.testing.assert_array_equal(out.images[i], window[:, ::-1])
        x, y = keypoints[i, 0]
        np.testing.assert_allclose(out.keypoints[i, 0], [9 - (x - p["left"][i]), y - p["top"][i]])


def test_crop_errors_name_the_problem():
    with pytest.raises(ValueError, match="larger than the"):
        Compose([RandomCrop(40)])(_images())
    with pytest.raises(ValueError, match="padding_mode"):
        Pad(2, padding_mode="wrap")
    with pytest.raises(ValueError, match="size"):
        CenterCrop((1, 2, 3))
    with pytest.raises(ValueError, match="must agree on fill_mode"):
        Compose([Pad(2, padding_mode="edge"), Affine(rotate=5)])


def test_crops_round_trip_through_json():
    compose = Compose([Pad((1, 2), padding_mode="symmetric", fill=0),
                       RandomCrop(12, padding=2, padding_mode="symmetric"), CenterCrop(10)],
                      seed=6)
    again = Compose.from_json(compose.to_json())
    images = _images()
    np.testing.assert_array_equal(compose(images).images, again(images).images)
