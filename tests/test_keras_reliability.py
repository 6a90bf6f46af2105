"""ImageDataGenerator under hostile parameters: non-finite cval and transform parameters,
masks of every dtype, thread counts, and which errors (or warnings) reach the caller."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from fastaug import ImageDataGenerator


def _keras(**kwargs):
    from keras_preprocessing.image import ImageDataGenerator as KerasGenerator

    return KerasGenerator(**kwargs)


def _images(n=2, h=9, w=11, c=3, seed=0):
    return (np.random.default_rng(seed).random((n, h, w, c)) * 255).astype(np.float32)


# ----------------------------------------------------------------- item 7: cval = NaN

def test_nan_cval_with_nearest_fill_is_unused():
    x = _images()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = next(ImageDataGenerator(rotation_range=30, cval=np.nan).flow(
            x, batch_size=2, shuffle=False, seed=3))
        want = next(ImageDataGenerator(rotation_range=30, cval=0.0).flow(
            x, batch_size=2, shuffle=False, seed=3))
    np.testing.assert_array_equal(got, want)
    assert not np.isnan(got).any()


@pytest.mark.parametrize("cval", [np.nan, np.inf, -np.inf])
def test_non_finite_cval_with_constant_fill_matches_keras(cval):
    x = _images()
    kwargs = dict(rotation_range=40, zoom_range=0.3, fill_mode="constant", cval=cval)
    gen = ImageDataGenerator(**kwargs)
    with pytest.warns(UserWarning, match="cval=.* has no native kernel"):
        got = next(gen.flow(x, batch_size=2, shuffle=False, seed=5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Keras's scipy import
        want = next(_keras(**kwargs).flow(x, batch_size=2, shuffle=False, seed=5))
    assert (np.isnan(want).any() if np.isnan(cval) else np.isinf(want).any())
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)
    single = gen.apply_transform(x[0], {"theta": 30})
    np.testing.assert_allclose(single, _keras(**kwargs).apply_transform(x[0].copy(),
                                                                      {"theta": 30}), atol=1e-3)


@pytest.mark.parametrize("cval, fill", [(np.nan, 0), (np.inf, 255), (-np.inf, 0)])
def test_non_finite_cval_into_uint8_output(cval, fill):
    x = _images()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = next(ImageDataGenerator(width_shift_range=5, fill_mode="constant", cval=cval,
                                      dtype="uint8").flow(x, batch_size=2, shuffle=False,
                                                          seed=2))
        want = next(ImageDataGenerator(width_shift_range=5, fill_mode="constant", cval=fill,
                                       dtype="uint8").flow(x, batch_size=2, shuffle=False,
                                                           seed=2))
        # Through a standardisation step (float batch, then the cast) as well.
        centred = next(ImageDataGenerator(width_shift_range=5, fill_mode="constant", cval=cval,
                                          samplewise_center=True, dtype="uint8").flow(
            x, batch_size=2, shuffle=False, seed=2))
    np.testing.assert_array_equal(got, want)
    assert centred.dtype == np.uint8


# ----------------------------------------------------------------- item 8: mask values

@pytest.mark.parametrize("dtype, value", [(np.float64, 0.1), (np.float64, 1 / 3),
                                          (np.int64, 2 ** 40 + 1), (np.int32, -(2 ** 30) - 3),
                                          (np.uint16, 65535), (np.float16, 0.1), (bool, True)])
def test_masks_keep_their_values_exactly(dtype, value):
    x = _images(n=3, h=10, w=12)
    masks = np.full((3, 10, 12), value, dtype=dtype)
    masks[:, :, 0] = 0
    gen = ImageDataGenerator(rotation_range=25, width_shift_range=0.2, horizontal_flip=True)
    _, out = next(gen.flow(x, masks=masks, batch_size=3, shuffle=False, seed=7))
    assert out.dtype == masks.dtype
    assert set(np.unique(out).tolist()) <= {0, masks.flat[1].item()}
    assert (out == masks.flat[1]).any()
    # The same geometry as a uint8 mask of the same layout (which the kernels warp directly).
    _, ref = next(gen.flow(x, masks=(masks != 0).astype(np.uint8), batch_size=3,
                           shuffle=False, seed=7))
    np.testing.assert_array_equal(out != 0, ref != 0)


def test_mask_gather_matches_nearest_warp_for_varied_labels():
    rng = np.random.default_rng(4)
    x = _images(n=4, h=13, w=17)
    labels = rng.integers(1, 250, (4, 13, 17, 2))
    gen = ImageDataGenerator(rotation_range=30, zoom_range=0.3, vertical_flip=True)
    _, wide = next(gen.flow(x, masks=labels.astype(np.int64), batch_size=4, shuffle=False,
                            seed=1))
    _, narrow = next(gen.flow(x, masks=labels.astype(np.uint8), batch_size=4, shuffle=False,
                              seed=1))
    np.testing.assert_array_equal(wide, narrow.astype(np.int64))


# ----------------------------------------------------------------- item 10: num_threads

@pytest.mark.parametrize("bad", [0, 1025, 5000, -1])
def test_num_threads_out_of_range_is_refused_by_the_constructor(bad):
    with pytest.raises(ValueError, match=r"num_threads must be None or an int from 1 to 1024"):
        ImageDataGenerator(num_threads=bad)


def test_num_threads_at_the_limit_is_accepted():
    assert ImageDataGenerator(num_threads=1024).num_threads == 1024


# ----------------------------------------------------------------- item 11: hostile values

@pytest.mark.parametrize("params", [{"theta": np.nan}, {"zx": np.nan}, {"tx": np.inf},
                                    {"shear": np.nan, "theta": 3}])
def test_non_finite_transform_parameters_follow_keras(params):
    x = _images(n=1)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ImageDataGenerator().apply_transform(x, params)
    with np.errstate(all="ignore"):
        want = _keras().apply_transform(x.copy(), params)
    np.testing.assert_array_equal(got, want)


def test_overflowing_matrices_in_a_batch_with_masks_follow_keras():
    # Zoom factors near float64's limit overflow when the matrix is centred: inf entries.
    x = _images(n=2)
    masks = np.ones((2, 9, 11), np.uint8)
    kwargs = dict(zoom_range=[1e307, 1.5e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch, out = next(ImageDataGenerator(**kwargs).flow(
            x, masks=masks, batch_size=2, shuffle=False, seed=3))
    with np.errstate(all="ignore"):
        want = next(_keras(**kwargs).flow(x, batch_size=2, shuffle=False, seed=3))
    assert np.isnan(want).all()
    np.testing.assert_array_equal(batch, want)
    assert not out.any()


def test_huge_channel_shift_range_acts_as_clipped_shift_like_keras():
    x = _images(n=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = next(ImageDataGenerator(channel_shift_range=1e40).flow(
            x, batch_size=2, shuffle=False, seed=9))
    want = next(_keras(channel_shift_range=1e40).flow(x, batch_size=2, shuffle=False, seed=9))
    np.testing.assert_array_equal(got, want)


def test_huge_brightness_factor_gives_no_cast_warning():
    x = _images(n=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = next(ImageDataGenerator(brightness_range=(1e39, 1e40)).flow(
            x, batch_size=2, shuffle=False, seed=9))
    assert got.max() == 255.0
