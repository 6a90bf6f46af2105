"""Augment became a preset of Compose (its draws, Compose's plan executor). Its images must be
bit-identical to what Augment computed before: the warp through the batch kernel, then (for
images with brightness or channel shift) the photometric steps in numpy float32 on the
unrounded warp. That earlier algorithm is written out here as the reference."""
import numpy as np
import pytest

import fastaug
from fastaug._pipeline import augment_batch

SETTINGS = {
    "full": dict(rotation=25, width_shift=0.1, height_shift=0.15, shear=8, zoom=(0.8, 1.2),
                 horizontal_flip=True, vertical_flip=True, brightness=(0.7, 1.3),
                 channel_shift=20, seed=1234),
    "geometry": dict(rotation=10, zoom=0.2, horizontal_flip=True, seed=5),
    "brightness": dict(brightness=0.5, seed=9),
    "shift_constant": dict(channel_shift=30, seed=9, fill_mode="constant", cval=7.0),
    "nearest_wrap": dict(rotation=40, order=0, fill_mode="wrap", seed=3, brightness=(0.5, 1.5)),
    "float32_out": dict(rotation=5, brightness=(0.8, 1.2), out_dtype=np.float32, seed=2),
    "uint8_out": dict(rotation=5, channel_shift=10, out_dtype=np.uint8, seed=2,
                      fill_mode="mirror"),
    "identity": dict(seed=1),
}


def legacy_images(aug, images, params):
    """Augment's images as computed before the Compose executor existed."""
    out_dtype = images.dtype if aug.out_dtype is None else aug.out_dtype
    pull = params.pull_matrices()
    rows = np.stack([pull[:, 1, 1], pull[:, 1, 0], pull[:, 1, 2],
                     pull[:, 0, 1], pull[:, 0, 0], pull[:, 0, 2]], axis=1)
    options = dict(order=aug.order, fill_mode=aug.fill_mode, cval=aug.cval, num_threads=1)
    factor, offset = params.brightness, params.channel_shift
    photometric = ~(np.isnan(factor) & np.isnan(offset))
    out = np.empty((len(images),) + images.shape[1:], out_dtype)
    rest = np.flatnonzero(~photometric)
    out[rest] = augment_batch(images, rest, rows[rest], out_dtype=out_dtype, **options)
    chosen = np.flatnonzero(photometric)
    if chosen.size:
        warped = augment_batch(images, chosen, rows[chosen], out_dtype=np.float32, **options)
        expand = (slice(None),) + (np.newaxis,) * (warped.ndim - 1)
        warped *= np.nan_to_num(factor[chosen], nan=1.0).astype(np.float32)[expand]
        warped += np.nan_to_num(offset[chosen], nan=0.0).astype(np.float32)[expand]
        if out_dtype == np.uint8:
            np.rint(warped, out=warped)
            np.clip(warped, 0, 255, out=warped)
        out[chosen] = warped.astype(out_dtype)
    return out


@pytest.fixture(scope="module")
def batches():
    rng = np.random.default_rng(7)
    return {
        "uint8": rng.integers(0, 256, (16, 24, 30, 3), dtype=np.uint8),
        "float32": rng.random((16, 24, 30, 3), dtype=np.float32) * 255,
        "gray": rng.integers(0, 256, (16, 24, 30), dtype=np.uint8),
        "rgba": rng.integers(0, 256, (16, 17, 13, 4), dtype=np.uint8),
    }


@pytest.mark.parametrize("name", sorted(SETTINGS))
@pytest.mark.parametrize("kind", ["uint8", "float32", "gray", "rgba"])
def test_augment_images_are_unchanged_by_the_compose_executor(name, kind, batches, simd_level):
    images = batches[kind]
    aug = fastaug.Augment(**SETTINGS[name])
    indices = np.random.default_rng(1).permutation(1000)[:len(images)]
    params = aug.sample(indices, epoch=3, image_shape=images.shape[1:3])
    got = aug(images, indices=indices, epoch=3).images
    want = legacy_images(aug, images, params)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_the_legacy_reference_sees_photometric_images():
    # The comparison above must cover both branches of the legacy algorithm.
    aug = fastaug.Augment(**SETTINGS["full"])
    params = aug.sample(np.arange(16), image_shape=(24, 30))
    assert (~np.isnan(params.brightness)).all() and (~np.isnan(params.channel_shift)).all()
    assert np.isnan(fastaug.Augment(**SETTINGS["geometry"]).sample(
        np.arange(4), image_shape=(24, 30)).brightness).all()
