"""Compose(out_layout="NCHW"): channels-last input, a channels-first batch stored by the
native pass (no transpose of the batch), equal to the channels-last result transposed."""
from __future__ import annotations

import numpy as np
import pytest

from fastaug import Compose, _core
from fastaug.transforms import (Affine, ColorJitter, HorizontalFlip, Normalize, RandomResizedCrop)

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _pipelines(channels):
    norm = [Normalize(MEAN[:1] * channels if channels != 3 else MEAN,
                      STD[:1] * channels if channels != 3 else STD)]
    return [
        [Affine(rotate=10, translate=(0.1, 0.1)), HorizontalFlip()],
        [RandomResizedCrop(24), HorizontalFlip()] + norm,
        [RandomResizedCrop((20, 28)), ColorJitter(brightness=0.3)],
    ]


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_channels_first_output_is_the_transposed_channels_last_one(channels, dtype, simd_level):
    rng = np.random.default_rng(channels)
    images = rng.integers(0, 256, (5, 33, 41, channels), dtype=np.uint8)
    if dtype == np.float32:
        images = images.astype(np.float32) / 255
    for transforms in _pipelines(channels):
        last = Compose(transforms, seed=4)(images, epoch=2).images
        first = Compose(transforms, seed=4, out_layout="NCHW")(images, epoch=2).images
        assert first.shape == (last.shape[0], last.shape[3]) + last.shape[1:3]
        assert first.flags.c_contiguous and first.dtype == last.dtype
        np.testing.assert_array_equal(first, last.transpose(0, 3, 1, 2))


def test_single_images_and_channel_free_batches():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    compose = Compose([HorizontalFlip(p=1.0)], out_layout="NCHW")
    np.testing.assert_array_equal(compose(image, indices=0).images, image[:, ::-1].transpose(2, 0, 1))
    gray = rng.integers(0, 256, (4, 30, 40), dtype=np.uint8)  # (N, H, W): no channel axis
    np.testing.assert_array_equal(compose(gray).images, gray[:, :, ::-1])


def test_layouts_round_trip_and_are_checked():
    compose = Compose([HorizontalFlip()], layout="NCHW", out_layout="NHWC")
    images = np.zeros((2, 3, 10, 12), np.uint8)
    assert compose(images).images.shape == (2, 10, 12, 3)
    again = Compose.from_dict(compose.to_dict())
    assert (again.layout, again.out_layout) == ("NCHW", "NHWC")
    assert Compose.from_json(Compose([HorizontalFlip()]).to_json()).out_layout == "NHWC"
    with pytest.raises(ValueError, match="out_layout must be"):
        Compose([HorizontalFlip()], out_layout="CHW")


def test_the_core_checks_planar_outputs():
    src = np.zeros((1, 8, 8, 3), np.uint8)
    args = (np.zeros(1, np.int64), np.array([[1, 0, 0, 0, 1, 0]], np.float64),
            np.zeros((1, 0), np.int32), np.zeros((1, 0), np.float32), 1, 1, 0.0, 1.0, 1)
    with pytest.raises(ValueError, match="channels"):  # (N, H, W, C) passed as planar
        _core.run_plans(src, args[0], np.zeros((1, 8, 8, 3), np.uint8), *args[1:], planar_out=True)
    strided = np.zeros((1, 3, 8, 16), np.uint8)[..., ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.run_plans(src, args[0], strided, *args[1:], planar_out=True)
    out = np.zeros((1, 3, 8, 8), np.uint8)
    _core.run_plans(src + 7, args[0], out, *args[1:], planar_out=True)
    assert (out == 7).all()
