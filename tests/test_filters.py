"""GaussianBlur and RandomAdjustSharpness: neighbourhood ops of the plan (cpp/filter/),
against torchvision's functional ``gaussian_blur`` and ``adjust_sharpness`` on the same
images with the same sigma and factor.

Tolerances: ``adjust_sharpness`` is bit-exact on uint8 (float32 within 1e-6);
``gaussian_blur`` sums separably in float32 where torchvision runs one 2-D ``conv2d``, so a
uint8 value may differ by 1 where the exact sum is within rounding of a half (at most 1e-4
of the values here; float32 within 2e-6)."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug
from fastaug import Compose, _pipeline
from fastaug.transforms import (Affine, ColorJitter, GaussianBlur, OneOf,
                                RandomAdjustSharpness, RandomErasing)

torch = pytest.importorskip("torch")
F = pytest.importorskip("torchvision.transforms.v2.functional")


def _images(n=8, shape=(30, 41, 3), dtype=np.uint8, seed=0):
    x = np.random.default_rng(seed).integers(0, 256, (n,) + shape, dtype=np.uint8)
    if n > 2:
        x[1] = x[1] // 4 + 100  # smooth-ish and narrow
        x[2] = x[2, :1, :1]     # constant
    return x if dtype == np.uint8 else x.astype(np.float32) / np.float32(255)


def _torch(fn, image, *args):
    t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()
    return fn(t, *args).permute(1, 2, 0).numpy()


def _assert_blur_close(got, expected, dtype):
    if dtype == np.uint8:
        diff = np.abs(got.astype(int) - expected.astype(int))
        assert diff.max() <= 1
        assert (diff > 0).mean() <= 1e-4
    else:
        np.testing.assert_allclose(got, expected, atol=2e-6, rtol=0)


@pytest.mark.parametrize("kernel_size", [3, (5, 7), 9, (1, 5), (21, 3), (29, 29)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_gaussian_blur_matches_torchvision(kernel_size, dtype):
    images = _images(dtype=dtype)
    out = Compose([GaussianBlur(kernel_size, sigma=(0.1, 5.0))], seed=1)(images)
    sigma = out.params.transforms[0]["sigma"]
    ks = list(np.atleast_1d(kernel_size)) * (2 if np.ndim(kernel_size) == 0 else 1)
    expected = np.stack([_torch(F.gaussian_blur, im, ks, [float(s)])
                         for im, s in zip(images, sigma)])
    _assert_blur_close(out.images, expected, dtype)
    assert (out.images[0] != images[0]).any()


def test_gaussian_blur_on_gray_and_many_channel_images():
    for shape in [(17, 12, 1), (17, 12, 4)]:
        images = _images(shape=shape)
        out = Compose([GaussianBlur(5, sigma=1.3)])(images)
        expected = np.stack([_torch(F.gaussian_blur, im, [5, 5], [1.3]) for im in images])
        _assert_blur_close(out.images, expected, np.uint8)


def test_sigma_draws_are_float32_uniform_and_keyed():
    params = Compose([GaussianBlur(3, sigma=(0.5, 2.0), p=0.5)], seed=3).sample(
        np.arange(20000), image_shape=(8, 8)).transforms[0]
    sigma = params["sigma"]
    assert sigma.dtype == np.float32 and 0.5 <= sigma.min() and sigma.max() <= 2.0
    assert abs(sigma.mean() - 1.25) < 0.01 and abs(sigma.std() - 1.5 / 12 ** 0.5) < 0.01
    assert abs(params["applied"].mean() - 0.5) < 0.01
    fixed = Compose([GaussianBlur(3, sigma=0.7)]).sample(np.arange(5), image_shape=(8, 8))
    assert (fixed.transforms[0]["sigma"] == np.float32(0.7)).all()


def test_blur_runs_after_the_warp_in_order_with_the_colour_ops():
    images = _images()
    compose = Compose([Affine(rotate=20, interpolation="nearest"), ColorJitter(brightness=0.5),
                       GaussianBlur(5, sigma=(1.0, 2.0))], seed=2)
    out = compose(images)
    factor = out.params.transforms[1]["brightness"]
    sigma = out.params.transforms[2]["sigma"]
    warped = Compose([Affine(rotate=20, interpolation="nearest")], seed=2)(images).images
    expected = np.stack([_torch(lambda t: F.gaussian_blur(F.adjust_brightness(t, float(f)),
                                                          [5, 5], [float(s)]), im)
                         for im, f, s in zip(warped, factor, sigma)])
    _assert_blur_close(out.images, expected, np.uint8)


@pytest.mark.parametrize("factor", [0.0, 0.3, 1.0, 1.7, 2.0, 5.5])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_sharpness_matches_torchvision(factor, dtype):
    images = _images(dtype=dtype)
    got = Compose([RandomAdjustSharpness(factor, p=1.0)])(images).images
    expected = np.stack([_torch(F.adjust_sharpness, im, factor) for im in images])
    if dtype == np.uint8:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("shape", [(3, 3, 3), (2, 9, 3), (9, 2, 1), (5, 6, 1)])
def test_sharpness_on_small_and_gray_images(shape):
    images = _images(shape=shape)
    got = Compose([RandomAdjustSharpness(2.5, p=1.0)])(images).images
    expected = np.stack([_torch(F.adjust_sharpness, im, 2.5) for im in images])
    np.testing.assert_array_equal(got, expected)


def test_sharpness_p_and_a_container():
    images = _images(32)
    out = Compose([OneOf([RandomAdjustSharpness(2.0, p=1.0), GaussianBlur(3, 1.0)])],
                  seed=4)(images)
    choice = out.params.transforms[0]["choice"][:, 0]
    assert set(choice.tolist()) == {0, 1}
    for i, c in enumerate(choice):
        if c == 0:
            np.testing.assert_array_equal(out.images[i], _torch(F.adjust_sharpness, images[i], 2.0))
    half = Compose([RandomAdjustSharpness(2.0)], seed=4)(images)
    applied = half.params.transforms[0]["applied"]
    assert 0 < applied.sum() < 32
    np.testing.assert_array_equal(half.images[~applied], images[~applied])


def test_inputs_are_never_written_and_configs_round_trip():
    images = _images()
    before = images.copy()
    compose = Compose([GaussianBlur((3, 5), sigma=(0.2, 1.0), p=0.5),
                       RandomAdjustSharpness(1.5), RandomErasing()], seed=9)
    out = compose(images).images
    np.testing.assert_array_equal(images, before)
    for again in (Compose.from_json(compose.to_json()), Compose.from_toml(compose.to_toml())):
        assert again.transforms == compose.transforms
        np.testing.assert_array_equal(again(images).images, out)
    assert fastaug.GaussianBlur is GaussianBlur and "RandomAdjustSharpness" in fastaug.__all__


@pytest.mark.parametrize("make, exc, msg", [
    (lambda: GaussianBlur(4), ValueError, "kernel_size must be odd"),
    (lambda: GaussianBlur((3, 5, 7)), ValueError, "kernel_size must be an int or a pair"),
    (lambda: GaussianBlur(0), ValueError, "kernel_size"),
    (lambda: GaussianBlur(4097), ValueError, "kernel_size"),
    (lambda: GaussianBlur(3.0), TypeError, "kernel_size"),
    (lambda: GaussianBlur(3, sigma=0), ValueError, "sigma must be > 0"),
    (lambda: GaussianBlur(3, sigma=(2, 1)), ValueError, "sigma must"),
    (lambda: RandomAdjustSharpness(-1), ValueError, "sharpness_factor"),
    (lambda: Compose([GaussianBlur(61)])(_images(2)), ValueError,
     "GaussianBlur: kernel_size \\(61, 61\\) needs an image wider than 30"),
    (lambda: Compose([RandomAdjustSharpness(2, p=1.0)])(_images(2, shape=(5, 5, 4))), ValueError,
     "sharpness needs 1 or 3 channels"),
])
def test_bad_arguments_name_themselves(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


@pytest.mark.parametrize("a, b, msg", [(4.0 + 4096 * 3, 1.0, "odd kx, ky"),
                                       (3.5, 1.0, "kx \\+ 4096 ky"),
                                       (-3.0, 1.0, "kx \\+ 4096 ky"),
                                       (13.0 + 4096 * 3, 1.0, "needs an image wider than 6"),
                                       (3.0 + 4096 * 3, 0.0, "sigma must be > 0")])
def test_the_core_refuses_blur_arguments_that_do_not_fit(a, b, msg):
    src = np.zeros((1, 5, 6, 3), np.uint8)
    codes = np.array([[_pipeline.COLOR_OPS["gaussian_blur"]]], np.int32)
    args = np.array([[[a, b]]], np.float32)
    with pytest.raises(ValueError, match=msg):
        _pipeline.run_plans(src, np.zeros(1, np.int64), np.array([[1.0, 0, 0, 0, 1, 0]]), codes,
                            args, out_dtype=np.uint8)
