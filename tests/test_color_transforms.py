"""The torchvision colour transforms of the plan (ColorJitter's four adjustments, Grayscale,
Invert, Posterize, AutoContrast, Equalize) against torchvision's functional ops, run on the
same images with the same factors."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug
from fastaug import Compose
from fastaug.transforms import (AutoContrast, ColorJitter, Equalize, Grayscale, Invert,
                                Posterize, RandomGrayscale)

torch = pytest.importorskip("torch")
F = pytest.importorskip("torchvision.transforms.v2.functional")


def _images(dtype=np.uint8, n=6, shape=(23, 31, 3), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    x[1] = x[1] // 5 + 90          # a narrow range (autocontrast, equalize)
    x[2, ..., 0] = 200             # a constant channel
    x[3] = x[3, :1, :1]            # a constant image
    if dtype == np.float32:
        return x.astype(np.float32) / np.float32(255)
    return x


def _torch(fn, image, *args):
    t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()
    return fn(t, *args).permute(1, 2, 0).numpy()


def _assert_same(got, expected, dtype):
    if dtype == np.uint8:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, atol=2e-6, rtol=0)


POINT_OPS = [
    (Grayscale(), lambda t: F.rgb_to_grayscale(t, 3)),
    (Invert(p=1.0), F.invert),
    (AutoContrast(p=1.0), F.autocontrast),
    (Equalize(p=1.0), F.equalize),
] + [(Posterize(bits, p=1.0), lambda t, bits=bits: F.posterize(t, bits)) for bits in range(9)]


@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
@pytest.mark.parametrize("transform, reference", POINT_OPS, ids=lambda v: repr(v)[:24])
def test_point_ops_match_torchvision(transform, reference, dtype, simd_level):
    images = _images(dtype)
    got = Compose([transform])(images).images
    expected = np.stack([_torch(reference, im) for im in images])
    _assert_same(got, expected, dtype)


def test_equalize_float_bins_to_uint8():
    images = _images(np.float32)
    got = Compose([Equalize(p=1.0)])(images).images
    as_u8 = (images * np.float32(255.999)).astype(np.uint8)
    expected = np.stack([_torch(F.equalize, im) for im in as_u8]).astype(np.float32) / 255
    np.testing.assert_allclose(got, expected, atol=1e-6)


ADJUSTMENTS = {
    "brightness": F.adjust_brightness, "contrast": F.adjust_contrast,
    "saturation": F.adjust_saturation, "hue": F.adjust_hue,
}


@pytest.mark.parametrize("name, factors", [
    ("contrast", [0.0, 0.3, 1.0, 1.234, 1.9, 0.7]),
    ("saturation", [0.0, 0.3, 1.0, 1.234, 1.9, 0.7]),
    ("hue", [-0.5, -0.3, 0.0, 0.1, 0.25, 0.5]),
])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_each_adjustment_matches_torchvision(name, factors, dtype, simd_level):
    images = _images(dtype)
    lo, hi = (-0.5, 0.5) if name == "hue" else (0.0, 2.0)
    compose = Compose([ColorJitter(**{name: (lo, hi)})])
    params = compose.sample(np.arange(len(images)), image_shape=images.shape[1:3])
    params.transforms[0][name] = np.asarray(factors, np.float64)
    got = compose.apply(images, params).images
    expected = np.stack([_torch(ADJUSTMENTS[name], im, float(np.float32(f)))
                         for im, f in zip(images, factors)])
    if dtype == np.uint8:
        np.testing.assert_array_equal(got, expected)
    else:  # float32: within a few ulps of [0, 1]
        np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_color_jitter_runs_the_four_in_each_images_drawn_order(dtype, simd_level):
    images = _images(dtype, n=16, seed=3)
    compose = Compose([ColorJitter(0.4, 0.4, 0.4, 0.1)], seed=5)
    params = compose.sample(np.arange(16), epoch=2, image_shape=images.shape[1:3])
    got = compose.apply(images, params).images
    p = params.transforms[0]
    assert len({tuple(o) for o in p["order"]}) > 3, "orders should vary between images"
    for i, image in enumerate(images):
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()
        for k in p["order"][i]:
            name = ColorJitter._OPS[k]
            x = ADJUSTMENTS[name](x, float(np.float32(p[name][i])))
        expected = x.permute(1, 2, 0).numpy()
        if dtype == np.uint8:
            np.testing.assert_array_equal(got[i], expected, err_msg=f"image {i}")
        else:
            np.testing.assert_allclose(got[i], expected, atol=1e-5, err_msg=f"image {i}")


def test_color_jitter_takes_torchvisions_argument_forms():
    jitter = ColorJitter(brightness=0.4, contrast=(0.5, 1.5), saturation=2.0, hue=0.1)
    assert jitter.brightness == (0.6, 1.4)
    assert jitter.contrast == (0.5, 1.5)
    assert jitter.saturation == (0.0, 3.0)
    assert jitter.hue == (-0.1, 0.1)
    for bad in (dict(hue=0.6), dict(hue=(-0.7, 0.2)), dict(contrast=-1)):
        with pytest.raises(ValueError):
            ColorJitter(**bad)


def test_brightness_only_draws_did_not_move():
    """Adding contrast/saturation/hue kept ColorJitter's brightness word: a brightness-only
    pipeline gives the factors it gave before (word 1 of the slot's first block)."""
    compose = Compose([ColorJitter(brightness=(0.5, 1.5))], seed=9)
    params = compose.sample(np.arange(8), epoch=1, image_shape=(4, 4))
    from fastaug._random import stream_uniforms
    slot = compose._slots[0]
    u = stream_uniforms(9, 1, np.arange(8), [slot << 8])[0]
    np.testing.assert_array_equal(params.transforms[0]["brightness"], 0.5 + u[1])


def test_random_grayscale_applies_with_its_probability():
    images = _images(n=400, shape=(2, 2, 3))
    out = Compose([RandomGrayscale(p=0.25)], seed=1)(images).images
    gray = (out[..., 0] == out[..., 1]).all(axis=(1, 2)) & (out[..., 1] == out[..., 2]).all(
        axis=(1, 2))
    was_gray = (images[..., 0] == images[..., 1]).all(axis=(1, 2)) & (
        images[..., 1] == images[..., 2]).all(axis=(1, 2))
    assert 0.17 < np.mean(gray & ~was_gray) < 0.33


@pytest.mark.parametrize("transform", [ColorJitter(contrast=0.5), ColorJitter(hue=0.2),
                                       Grayscale(), AutoContrast(p=1.0)], ids=repr)
def test_rgb_ops_refuse_four_channels_by_name(transform):
    images = np.zeros((2, 5, 5, 4), np.uint8)
    with pytest.raises(ValueError, match="needs 1 or 3 channels, got 4"):
        Compose([transform])(images)


def test_gray_images_keep_saturation_and_hue():
    images = _images(shape=(9, 9, 1))
    out = Compose([ColorJitter(saturation=(0, 0), hue=(0.3, 0.3))])(images).images
    np.testing.assert_array_equal(out, images)


def test_new_transforms_round_trip_through_toml():
    compose = Compose([ColorJitter(0.4, 0.3, 0.2, 0.1), RandomGrayscale(), Invert(),
                       Posterize(3), AutoContrast(), Equalize()], seed=2)
    again = Compose.from_toml(compose.to_toml())
    images = _images(n=8)
    np.testing.assert_array_equal(compose(images).images, again(images).images)
    assert fastaug.Posterize is Posterize


def test_posterize_bits_are_checked():
    with pytest.raises(ValueError, match="bits"):
        Posterize(9)
    with pytest.raises(TypeError, match="bits"):
        Posterize(2.5)
