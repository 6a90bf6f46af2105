"""Compose on a list of images of different sizes (decoded photos): one batch out, each image
exactly what it gives alone (same keyed draws, same pixels), masks, keypoints and boxes
following, and the core reading the list in place."""
from __future__ import annotations

import numpy as np
import pytest

from fastaug import Compose, MixedSizeParams, _core
from fastaug.transforms import (Affine, CenterCrop, ColorJitter, HorizontalFlip, Normalize,
                                OneOf, RandomErasing, RandomResizedCrop, Resize)

SHAPES = [(50, 40), (61, 83), (50, 40), (33, 90), (61, 83), (47, 47)]


def _photos(channels=3, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for h, w in SHAPES:
        x = rng.integers(0, 256, (h, w) + ((channels,) if channels else ()), dtype=np.uint8)
        out.append(x if dtype == np.uint8 else x.astype(np.float32) / 255)
    return out


PIPELINES = {
    "imagenet": [RandomResizedCrop(24), HorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1),
                 Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))],
    "validation": [Resize(30), CenterCrop(24)],
    "fixed size": [Resize((20, 28)), Affine(rotate=15, translate=(0.1, 0.1))],
    "erasing": [RandomResizedCrop((24, 20)), RandomErasing(p=0.7, value="random"),
                OneOf([RandomErasing(p=1.0, value=3), ColorJitter(brightness=0.5)])],
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_each_image_of_a_list_is_what_it_gives_alone(name, dtype, simd_level):
    compose = Compose(PIPELINES[name], seed=7)
    photos = _photos(dtype=dtype)
    indices = np.arange(100, 100 + len(photos))
    out = compose(photos, indices=indices, epoch=3)
    assert isinstance(out.params, MixedSizeParams)
    assert out.images.shape[0] == len(photos)
    for i, photo in enumerate(photos):
        alone = compose(photo, indices=int(indices[i]), epoch=3).images
        np.testing.assert_array_equal(out.images[i], alone, err_msg=f"image {i} {photo.shape}")


def test_lists_take_layouts_gray_images_and_sample_apply():
    photos = _photos()
    compose = Compose(PIPELINES["validation"], seed=1, out_layout="NCHW")
    out = compose(photos).images
    assert out.shape == (len(photos), 3, 24, 24) and out.flags.c_contiguous
    last = Compose(PIPELINES["validation"], seed=1)(photos).images
    np.testing.assert_array_equal(out, last.transpose(0, 3, 1, 2))
    chw = Compose(PIPELINES["validation"], seed=1, layout="NCHW")
    np.testing.assert_array_equal(chw([p.transpose(2, 0, 1) for p in photos]).images, out)
    gray = _photos(channels=0)
    got = Compose(PIPELINES["validation"], seed=1)(gray).images
    assert got.shape == (len(gray), 24, 24)
    params = compose.sample(np.arange(len(photos)), image_shape=[p.shape for p in photos])
    np.testing.assert_array_equal(compose.apply(photos, params).images, out)
    assert len(params) == len(photos) and len(params.groups) == len(set(SHAPES))


def test_masks_keypoints_and_boxes_follow_each_image():
    photos = _photos()
    compose = Compose([RandomResizedCrop(24), HorizontalFlip(),
                       RandomErasing(p=1.0, value=0)], seed=2, mask_fill=255)
    masks = [np.arange(h * w, dtype=np.int32).reshape(h, w) % 7 for h, w in SHAPES]
    keypoints = [np.array([[w / 2, h / 2], [1.0, 2.0]]) for h, w in SHAPES]
    boxes = [np.array([[2.0, 3.0, w - 4.0, h - 5.0]]) for h, w in SHAPES]
    out = compose(photos, masks=masks, keypoints=keypoints, boxes=boxes)
    assert out.masks.shape == (len(photos), 24, 24) and out.masks.dtype == np.int32
    for i, photo in enumerate(photos):
        alone = compose(photo, indices=i, masks=masks[i], keypoints=keypoints[i],
                        boxes=boxes[i])
        np.testing.assert_array_equal(out.masks[i], alone.masks)
        np.testing.assert_array_equal(out.keypoints[i], alone.keypoints)
        np.testing.assert_array_equal(out.keypoints_visible[i], alone.keypoints_visible)
        np.testing.assert_array_equal(out.boxes[i], alone.boxes)


def test_lists_are_checked():
    photos = _photos()
    compose = Compose(PIPELINES["validation"])
    with pytest.raises(ValueError, match="come out at one size"):
        Compose([HorizontalFlip()])(photos)
    with pytest.raises(ValueError, match="at least one image"):
        compose([])
    with pytest.raises(TypeError, match=r"images\[1\] must be a numpy.ndarray"):
        compose([photos[0], [[1, 2]]])
    with pytest.raises(ValueError, match=r"images\[1\] has dtype float32"):
        compose([photos[0], photos[1].astype(np.float32)])
    with pytest.raises(ValueError, match=r"images\[2\] has dtype uint8"):
        compose([photos[0], photos[1], photos[2][..., :2]])
    with pytest.raises(TypeError, match=r"images\[0\] must have dtype uint8 or float32"):
        compose([photos[0].astype(np.int16)])
    with pytest.raises(ValueError, match=r"images\[0\] must be non-empty"):
        compose([np.zeros((0, 4, 3), np.uint8)])
    with pytest.raises(ValueError, match="one entry per image"):
        compose(photos, indices=[1, 2])
    with pytest.raises(ValueError, match="one entry per image"):
        compose(photos, indices=3)
    params = compose.sample(np.arange(len(photos)), image_shape=[p.shape for p in photos])
    with pytest.raises(ValueError, match="do not match params"):
        compose.apply(photos[::-1], params)
    with pytest.raises(TypeError, match="list of arrays for MixedSizeParams"):
        compose.apply(np.stack([photos[0], photos[2]]), params)
    with pytest.raises(TypeError, match="one mask per image"):
        compose(photos, masks=np.zeros((6, 50, 40), np.uint8))
    with pytest.raises(ValueError, match=r"masks\[1\] must have shape \(61, 83\)"):
        compose(photos, masks=[np.zeros(p.shape[:2], np.uint8) for p in photos[:1]] * 6)


def test_the_core_reads_lists_of_images_in_place():
    photos = _photos()
    rows = np.tile(np.array([1.0, 0, 0, 0, 1, 0]), (len(photos), 1))
    out = np.zeros((len(photos), 20, 20, 3), np.uint8)
    codes, args = np.zeros((len(photos), 0), np.int32), np.zeros((len(photos), 0), np.float32)
    _core.run_plans(photos, np.arange(len(photos)), out, rows, codes, args, 0, 0, 0.0, 1.0, 1)
    for got, photo in zip(out, photos):
        np.testing.assert_array_equal(got, photo[:20, :20])
    with pytest.raises(ValueError, match=r"src\[1\] must have the dtype and channel count"):
        _core.run_plans([photos[0], photos[1][..., :1]], np.arange(2), out[:2], rows[:2],
                        codes[:2], args[:2], 0, 0, 0.0, 1.0, 1)
    with pytest.raises(ValueError, match="out of range for src with 6 images"):
        _core.run_plans(photos, np.full(6, 6), out, rows, codes, args, 0, 0, 0.0, 1.0, 1)
    with pytest.raises(ValueError, match="overlap"):
        _core.run_plans([out[0]], np.zeros(1, np.int64), out[:1], rows[:1], codes[:1], args[:1], 0, 0,
                        0.0, 1.0, 1)
    with pytest.raises(ValueError, match="at least one image"):
        _core.run_plans([], np.zeros(0, np.int64), out[:0], rows[:0], codes[:0], args[:0], 0, 0, 0.0,
                        1.0, 1)
