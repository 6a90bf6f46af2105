"""MixUp and CutMix: keyed per batch, torchvision's formulas for images and soft labels."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug
from fastaug.transforms import CutMix, MixUp


def _batch(n=8, dtype=np.float32, shape=(12, 16, 3), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    labels = rng.integers(0, 5, n)
    return (x if dtype == np.uint8 else x.astype(np.float32) / 255), labels


def test_mixup_mixes_images_and_one_hot_labels_with_the_neighbour():
    images, labels = _batch()
    out = MixUp(alpha=0.4, num_classes=5, seed=3)(images, labels, indices=np.arange(8), epoch=2)
    lam = out.lam
    assert 0 < lam < 1
    np.testing.assert_allclose(out.images, lam * images + (1 - lam) * np.roll(images, 1, 0),
                               rtol=1e-6, atol=1e-6)
    one_hot = np.eye(5, dtype=np.float32)[labels]
    np.testing.assert_allclose(out.labels, lam * one_hot + (1 - lam) * np.roll(one_hot, 1, 0),
                               rtol=1e-6)
    np.testing.assert_allclose(out.labels.sum(1), 1.0, rtol=1e-6)


def test_draws_are_keyed_by_seed_epoch_and_batch():
    images, labels = _batch()
    mix = MixUp(num_classes=5, seed=1)
    lam = [mix(images, labels, indices=np.arange(8) + 8 * b, epoch=e).lam
           for b in range(3) for e in range(3)]
    assert len(set(lam)) == 9
    assert mix(images, labels, indices=np.arange(8) + 8, epoch=1).lam == lam[4]
    assert MixUp(num_classes=5, seed=2)(images, labels).lam != MixUp(num_classes=5, seed=1)(
        images, labels).lam


@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
def test_cutmix_pastes_the_neighbours_box_and_weights_labels_by_its_area(dtype, layout):
    images, labels = _batch(dtype=dtype)
    if layout == "NCHW":
        images = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    out = CutMix(alpha=1.0, num_classes=5, seed=4, layout=layout)(images, labels, epoch=1)
    top, left, bottom, right = out.box
    expected = images.copy()
    rolled = np.roll(images, 1, 0)
    if layout == "NHWC":
        expected[:, top:bottom, left:right] = rolled[:, top:bottom, left:right]
    else:
        expected[:, :, top:bottom, left:right] = rolled[:, :, top:bottom, left:right]
    np.testing.assert_array_equal(out.images, expected)
    assert out.images.dtype == images.dtype
    area = (bottom - top) * (right - left) / (12 * 16)
    assert out.lam == pytest.approx(1 - area)
    one_hot = np.eye(5, dtype=np.float32)[labels]
    np.testing.assert_allclose(out.labels, out.lam * one_hot + (1 - out.lam) * np.roll(one_hot, 1, 0),
                               rtol=1e-6)


def test_mixup_on_uint8_rounds_and_never_writes_its_input():
    images, labels = _batch(dtype=np.uint8)
    before = images.copy()
    out = MixUp(num_classes=5)(images, labels)
    assert out.images.dtype == np.uint8
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize("call, error, message", [
    (lambda i, l: MixUp()(i, l), ValueError, "num_classes"),
    (lambda i, l: MixUp(num_classes=3)(i, l), ValueError, r"labels must be in \[0, 3\)"),
    (lambda i, l: MixUp(num_classes=5)(i[0], l), ValueError, "batch"),
    (lambda i, l: MixUp(num_classes=5)(i, l[:3]), ValueError, "one row per image"),
    (lambda i, l: MixUp(num_classes=5)(i, l.astype(float)), TypeError, "class indices"),
    (lambda i, l: MixUp(alpha=0), ValueError, "alpha must be > 0"),
    (lambda i, l: CutMix(layout="CHW"), ValueError, "layout"),
])
def test_bad_arguments_name_the_problem(call, error, message):
    images, labels = _batch()
    with pytest.raises(error, match=message):
        call(images, labels)


def test_soft_labels_pass_through_and_names_are_public():
    images, _ = _batch()
    soft = np.full((8, 3), 1 / 3, np.float32)
    out = fastaug.MixUp()(images, soft)
    np.testing.assert_allclose(out.labels, soft, rtol=1e-6)
    assert fastaug.CutMix is CutMix
