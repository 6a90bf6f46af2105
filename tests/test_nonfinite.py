"""Non-finite pixels (NaN, +-inf) under transforms that move no pixel off the grid.

An identity, a flip, a whole-pixel shift or a quarter turn copies each pixel: a non-finite
value stays where the transform puts it and does not spread to its neighbours (bilinear
weights of 1 and 0 used to make inf * 0 = NaN next to it). Keras's own generator never
interpolates for these, so its results are the reference."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage

from fastaug import ImageDataGenerator, kernels

FILL_MODES = ("constant", "nearest", "reflect", "wrap", "mirror")


def _image_with_specials(shape, seed=0):
    rng = np.random.default_rng(seed)
    img = (rng.random(shape) * 255).astype(np.float32)
    h, w = shape[:2]
    img[0, 0, 0] = np.nan
    img[h // 2, w // 2, -1] = np.inf
    img[h - 1, w - 1, 0] = -np.inf
    img[1, w - 2, 0] = np.nan
    img[h // 3, 17 % w, 0] = np.inf
    return img


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint32)


def _expected(img, matrix, fill_mode, cval):
    """out[r, c] = img[i, j] with (i, j) the matrix's integer coordinates, mapped as scipy
    maps them (order 0: indices only, so non-finite values cannot spread)."""
    return np.stack([scipy.ndimage.affine_transform(img[..., k], matrix[:, :2], matrix[:, 2],
                                                    order=0, mode=fill_mode, cval=cval)
                     for k in range(img.shape[2])], axis=-1)


def _whole_pixel_matrices(h, w):
    return {
        "identity": [[1, 0, 0], [0, 1, 0]],
        "flip_h": [[1, 0, 0], [0, -1, w - 1]],
        "flip_v": [[-1, 0, h - 1], [0, 1, 0]],
        "flip_both": [[-1, 0, h - 1], [0, -1, w - 1]],
        "shift": [[1, 0, -3], [0, 1, 5]],
        "flip_shift": [[1, 0, 2], [0, -1, w + 4]],
        "quarter_turn": [[0, 1, 0], [-1, 0, h - 1]],
    }


@pytest.mark.parametrize("shape", [(6, 6, 1), (37, 70, 3), (19, 45, 4)])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_whole_pixel_warps_copy_non_finite_values(simd_level, shape, fill_mode):
    img = _image_with_specials(shape)
    h, w = shape[:2]
    for name, matrix in _whole_pixel_matrices(h, w).items():
        matrix = np.array(matrix, dtype=np.float64)
        if name == "quarter_turn" and h != w:
            continue  # keeps the output shape; a square image is enough for the check
        got = kernels.warp_affine(img, matrix, order=1, fill_mode=fill_mode, cval=-7.0)
        want = _expected(img, matrix, fill_mode, -7.0)
        assert np.array_equal(_bits(got), _bits(want)), (name, simd_level)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_whole_pixel_warps_equal_scipy_bilinear_for_finite_values(simd_level, fill_mode):
    rng = np.random.default_rng(3)
    img = (rng.random((23, 41, 3)) * 255).astype(np.float32)
    u8 = rng.integers(0, 256, (23, 41, 3), dtype=np.uint8)
    for name, matrix in _whole_pixel_matrices(23, 41).items():
        if name == "quarter_turn":
            continue
        matrix = np.array(matrix, dtype=np.float64)
        for src in (img, u8):
            got = kernels.warp_affine(src, matrix, order=1, fill_mode=fill_mode, cval=3.0)
            want = np.stack([scipy.ndimage.affine_transform(
                src[..., k], matrix[:, :2], matrix[:, 2], order=1, mode=fill_mode, cval=3.0)
                for k in range(3)], axis=-1)
            assert np.array_equal(got, want), (name, src.dtype, simd_level)


def test_a_fractional_matrix_still_interpolates(simd_level):
    img = np.zeros((8, 8, 1), np.float32)
    img[4, 4, 0] = 100.0
    got = kernels.warp_affine(img, [[1, 0, 0.5], [0, 1, 0]], order=1)
    assert got[3, 4, 0] == 50.0 and got[4, 4, 0] == 50.0


# ----------------------------------------------------------------- the generator, vs Keras

def _keras():
    from keras_preprocessing.image import ImageDataGenerator as KerasGenerator

    return KerasGenerator


def test_rescale_only_keeps_one_nan_pixel(simd_level):
    x = np.random.default_rng(1).random((1, 6, 6, 1)).astype(np.float32) * 255
    x[0, 2, 3, 0] = np.nan
    got = next(ImageDataGenerator(rescale=1 / 255).flow(x, batch_size=1, shuffle=False))
    want = next(_keras()(rescale=1 / 255).flow(x, batch_size=1, shuffle=False))
    assert np.isnan(got).sum() == 1 and np.isnan(got[0, 2, 3, 0])
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("flip", ["flip_horizontal", "flip_vertical"])
def test_flip_moves_inf_without_making_nan(simd_level, flip):
    x = np.arange(36, dtype=np.float32).reshape(6, 6, 1)
    x[1, 2, 0] = np.inf
    x[4, 0, 0] = -np.inf
    params = {flip: True}
    got = ImageDataGenerator().apply_transform(x, params)
    want = _keras()().apply_transform(x.copy(), params)
    assert not np.isnan(got).any()
    np.testing.assert_array_equal(got, want)


def test_channel_shift_of_inf_row_matches_keras(simd_level):
    x = np.array([[[np.inf], [1.0], [2.0]]], dtype=np.float32)
    params = {"channel_shift_intensity": 3.0}
    got = ImageDataGenerator().apply_transform(x, params)
    want = _keras()().apply_transform(x.copy(), params)
    np.testing.assert_array_equal(got.ravel(), [np.inf, 4.0, 5.0])
    np.testing.assert_array_equal(got, want)


def test_channel_shift_with_both_infinities_in_a_batch(simd_level):
    x = np.random.default_rng(2).random((3, 9, 33, 3)).astype(np.float32) * 255
    x[0, 4, 30, 2] = np.inf
    x[1, 8, 0, 0] = -np.inf
    x[2, 0, 32, 1] = np.inf
    x[2, 1, 31, 1] = -np.inf
    gen = ImageDataGenerator(channel_shift_range=50, horizontal_flip=True)
    batch = next(gen.flow(x, batch_size=3, shuffle=False, seed=4))
    ref = _keras()(channel_shift_range=50, horizontal_flip=True)
    want = next(ref.flow(x, batch_size=3, shuffle=False, seed=4))
    np.testing.assert_array_equal(batch, want)
