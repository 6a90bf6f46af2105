"""Photometric kernels (brightness, channel shift, min/max, scale/offset, Keras brightness)
against the numpy expressions they are defined by, on every SIMD level and memory layout."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageEnhance

from fastaug import _core, kernels

from conftest import random_image, strided_variants

# Element counts straddle the vector block sizes (16..64 elements) so blocks and tails run.
SHAPES = [(1, 1), (1, 67), (7, 5), (224, 224)]
CHANNELS = [1, 2, 3, 4, 5]
LAYOUTS = ["contiguous", "neg_rows", "neg_cols", "step2", "channel_slice"]


# ---------------------------------------------------------------- numpy definitions

def np_brightness(img, factor, rounding):
    f = np.float32(factor)
    x = img.astype(np.float32)
    if rounding == "floor":
        return np.clip(np.floor(f * x), 0, 255).astype(img.dtype)
    if img.dtype == np.uint8:
        return np.clip(np.rint(x * f), 0, 255).astype(np.uint8)
    return x * f


def np_channel_shift(img, shift, clip=None):
    channels = img.shape[2] if img.ndim == 3 else 1
    s = np.broadcast_to(np.asarray(shift, np.float32), (channels,))
    x = img.astype(np.float32) + (s if img.ndim == 3 else s[0])
    if img.dtype == np.uint8:
        lo, hi = (0.0, 255.0) if clip is None else clip
        lo = math.ceil(min(max(np.float32(lo), 0), 255))
        hi = math.floor(min(max(np.float32(hi), 0), 255))
        return np.clip(np.rint(x), lo, hi).astype(np.uint8)
    if clip is None:
        return x
    return np.clip(x, np.float32(clip[0]), np.float32(clip[1]))


def np_scale_offset(img, scale, offset, out_dtype):
    x = img.astype(np.float32) * np.float32(scale) + np.float32(offset)
    if out_dtype == np.uint8:
        x = np.nan_to_num(x, nan=0.0)
        return np.clip(np.rint(x), 0, 255).astype(np.uint8)
    return x


def keras_stretch_to_u8(x):
    """keras-preprocessing 1.1.2 array_to_img(scale=True): float32 stretch, then astype."""
    x = x.astype(np.float32)
    x = x - np.min(x)
    m = np.max(x)
    if m != 0:
        x /= m
    x *= 255
    return x.astype(np.uint8)


def pillow_brightness(u8, factor):
    """The real Pillow path Keras takes: ImageEnhance.Brightness on the uint8 image."""
    img = Image.fromarray(u8[:, :, 0] if u8.shape[2] == 1 else u8)
    out = np.asarray(ImageEnhance.Brightness(img).enhance(factor), dtype=np.float32)
    return out.reshape(u8.shape)


def assert_same(actual, expected):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


# ---------------------------------------------------------------- brightness

BRIGHTNESS_FACTORS = [0.0, 0.5, 0.7, 1.0, 1.5, 2.3, 1e6]


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_brightness_matches_numpy_on_every_simd_level(simd_level, rng, shape, channels, dtype):
    img = random_image(rng, shape + (channels,), dtype)
    for factor in BRIGHTNESS_FACTORS:
        for rounding in ("nearest", "floor"):
            assert_same(kernels.adjust_brightness(img, factor, rounding=rounding),
                        np_brightness(img, factor, rounding))


def test_uint8_brightness_is_exact_for_every_byte_and_many_factors(simd_level, rng):
    """Without VBMI table lookups the uint8 kernel switches to 16-bit integer forms where
    they reproduce the float results: every byte value, many factors below 2 (the integer
    range) and beyond, both roundings, vector body and scalar tail."""
    img = np.concatenate([np.arange(256, dtype=np.uint8)] * 3 + [rng.integers(0, 256, 77, dtype=np.uint8)])
    img = img.reshape(1, -1, 1)
    out_buffer = np.empty(img.size + 128, np.uint8)
    out_buffer = out_buffer[-out_buffer.ctypes.data % 64:]  # starts on a 64-byte boundary
    factors = [0.0, 0.5, 0.7, 0.999, 1.0, 1.25, 1.999, 2.0, 3.7]
    factors += [float(f) for f in rng.uniform(0, 2, 60)] + [k / 256 for k in range(0, 512, 37)]
    for factor in factors:
        for rounding in ("nearest", "floor"):
            # Outputs at several offsets from a 64-byte boundary: the elements before the
            # first vector boundary take the exact table.
            for start in (0, 1, 5, 17, 40):
                out = out_buffer[start:start + img.size].reshape(img.shape)
                kernels.adjust_brightness(img, factor, rounding=rounding, out=out)
                assert_same(out, np_brightness(img, factor, rounding))


def test_uint8_brightness_takes_its_fast_path_on_every_simd_level(simd_level):
    """The integer forms are checked against the float results for all 256 bytes before
    use, so a broken one still gives the right pixels, only slowly: this pins which form
    each level takes (x0.7, x0.5 and x1.5 round products to exact ties; x1.3's float
    products land on both sides of them, so only the map reproduces it)."""
    method = _core._testing.brightness_u8_method
    if simd_level == "scalar":
        expected = {0.7: "float", 0.8: "float", 1.3: "float", 2.5: "float"}
    elif simd_level == "avx512" and _core._testing.avx512vbmi():
        expected = {0.7: "table", 0.8: "table", 1.3: "table", 2.5: "table"}
    else:
        expected = {0.7: "multiply+parity", 0.5: "multiply+parity", 0.8: "multiply",
                    1.5: "multiply+parity", 1.3: "multiply+map", 2.5: "float"}
    assert {f: method(f, "nearest") for f in expected} == expected
    if simd_level != "scalar" and expected[0.7] != "table":
        assert method(0.5, "floor") == "multiply"
        # floor(x * 0.7) needs the multiplier next to the truncated one (no map).
        assert method(0.7, "floor") == "multiply"


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_brightness_accepts_any_strides_and_works_in_place(simd_level, rng, layout, dtype):
    base = random_image(rng, (13, 37, 3), dtype)
    img = strided_variants(base.copy())[layout]
    before = img.copy()
    assert_same(kernels.adjust_brightness(img, 0.5), np_brightness(before, 0.5, "nearest"))
    np.testing.assert_array_equal(img, before)  # input untouched
    assert kernels.adjust_brightness(img, 1.3, rounding="floor", out=img) is img
    assert_same(img, np_brightness(before, 1.3, "floor"))


def test_brightness_ties_round_half_to_even():
    img = np.arange(256, dtype=np.uint8).reshape(16, 16, 1)
    res = kernels.adjust_brightness(img, 0.5)[:, :, 0].ravel()
    # 1 * 0.5 = 0.5 -> 0, 3 * 0.5 = 1.5 -> 2, 5 * 0.5 = 2.5 -> 2
    assert list(res[:6]) == [0, 0, 1, 2, 2, 2]
    assert_same(kernels.adjust_brightness(img, 0.5), np_brightness(img, 0.5, "nearest"))


def test_brightness_2d_image_and_out(rng):
    img = random_image(rng, (9, 40), np.uint8)
    out = np.empty_like(img)
    assert kernels.adjust_brightness(img, 0.8, out=out) is out
    assert_same(out, np_brightness(img, 0.8, "nearest"))
    # out with a strided channel axis goes through a temporary
    img3 = random_image(rng, (5, 6, 3), np.float32)
    big = np.zeros((5, 6, 6), np.float32)
    res = kernels.adjust_brightness(img3, 2.0, out=big[..., ::2])
    assert_same(big[..., ::2], np_brightness(img3, 2.0, "nearest"))
    assert res.base is big and not big[..., 1::2].any()


@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=20)))
@settings(max_examples=50, deadline=None)
def test_factor_one_nearest_is_identity_on_uint8(img):
    assert_same(kernels.adjust_brightness(img, 1.0), img)


@given(
    st.sampled_from([np.uint8, np.float32]),
    st.integers(1, 40), st.integers(1, 40), st.integers(1, 5),
    st.floats(0, 255), st.floats(0, 10), st.sampled_from(["nearest", "floor"]),
)
@settings(max_examples=60, deadline=None)
def test_constant_image_stays_constant(dtype, h, w, c, value, factor, rounding):
    img = np.full((h, w, c), value, dtype=dtype)
    res = kernels.adjust_brightness(img, factor, rounding=rounding)
    assert (res == res.flat[0]).all()
    shifted = kernels.channel_shift(img, factor)
    assert (shifted == shifted.flat[0]).all()


# ---------------------------------------------------------------- channel shift

@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_channel_shift_matches_numpy_on_every_simd_level(simd_level, rng, shape, channels, dtype):
    img = random_image(rng, shape + (channels,), dtype)
    per_channel = list(rng.uniform(-80, 80, channels).astype(np.float32))
    # Just below 0.5, v + s rounds to a tie for some v only: not a plain integer add.
    below_half = float(np.nextafter(np.float32(0.5), np.float32(0)))
    # numpy scalars take the general parsing, a tuple of Python floats the plain-array path.
    for shift in (per_channel, tuple(map(float, per_channel)), 0.5, -0.5, 2.5, -300.0, below_half):
        for clip in (None, (10, 200), (10.4, 199.6), (-1e9, 1e9)):
            assert_same(kernels.channel_shift(img, shift, clip=clip),
                        np_channel_shift(img, shift, clip))


def test_uint8_channel_shift_every_byte_at_the_integer_path_edges(simd_level):
    """uint8 shifts go to a byte add when their fraction is clear of one half; every byte,
    with shifts a hair either side of that limit, of ties, and of the +-255.5 saturation."""
    img = np.tile(np.arange(256, dtype=np.uint8).reshape(16, 16, 1), (1, 1, 3))
    edges = [k + 0.5 + d for k in (-256, -3, 0, 2, 255)
             for d in (0.0, 1e-6, -1e-6, 2e-4, -2e-4, 3e-4, -3e-4)]
    edges += [255.6, 255.99, -255.6, -255.99, 256.0, -256.0, 1e-30, -0.49]
    for s in edges:
        s = float(np.float32(s))
        for shift in ((s, -s, 0.5 * s), s):
            for clip in (None, (10, 200)):
                assert_same(kernels.channel_shift(img, shift, clip=clip),
                            np_channel_shift(img, shift, clip))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_channel_shift_many_channels(simd_level, rng, dtype):
    # More channels than the kernel's repeating-pattern buffer holds: pixel-by-pixel path.
    img = random_image(rng, (3, 4, 70), dtype)
    shift = rng.uniform(-50, 50, 70)
    assert_same(kernels.channel_shift(img, shift, clip=(5, 250)), np_channel_shift(img, shift, (5, 250)))
    assert_same(kernels.channel_shift(img, [float(v) for v in shift]), np_channel_shift(img, shift))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_channel_shift_accepts_any_strides_and_works_in_place(simd_level, rng, layout, dtype):
    img = strided_variants(random_image(rng, (11, 29, 4), dtype))[layout]
    before = img.copy()
    shift = [3.5, -7.25, 100.0, -0.5]
    assert_same(kernels.channel_shift(img, shift), np_channel_shift(before, shift))
    np.testing.assert_array_equal(img, before)
    assert kernels.channel_shift(img, shift, clip=(20, 230), out=img) is img
    assert_same(img, np_channel_shift(before, shift, (20, 230)))


def test_channel_shift_keras_semantics(rng):
    """Keras: one scalar for every channel, clipped to the image's own min and max."""
    x = random_image(rng, (16, 16, 3), np.float32)
    intensity = 37.5
    keras = np.clip(x + intensity, x.min(), x.max())
    lo, hi = _core.min_max(x)
    assert_same(kernels.channel_shift(x, intensity, clip=(lo, hi)), keras.astype(np.float32))


def test_channel_shift_float_nan_passes_through_like_numpy():
    img = np.array([[[np.nan, 1.0, 300.0]]], np.float32)
    res = kernels.channel_shift(img, 1.0, clip=(0, 255))
    assert np.isnan(res[0, 0, 0]) and res[0, 0, 1] == 2.0 and res[0, 0, 2] == 255.0


def test_channel_shift_list_of_one_value_needs_one_channel():
    # A bare float applies to every channel; a one-element list is one value per channel.
    img = np.zeros((2, 2, 3), np.uint8)
    np.testing.assert_array_equal(kernels.channel_shift(img, 5.0), np.full_like(img, 5))
    with pytest.raises(ValueError, match="shift"):
        kernels.channel_shift(img, [5.0])
    np.testing.assert_array_equal(kernels.channel_shift(img[:, :, :1], [5.0]),
                                  np.full((2, 2, 1), 5, np.uint8))


class _NdarraySubclass(np.ndarray):
    pass


@pytest.mark.parametrize("make", [
    lambda a: a[:, :, 0],                                   # 2-D
    lambda a: a[:, ::2],                                    # not C-contiguous
    lambda a: a.astype(np.int16),                           # another dtype
    lambda a: a.astype(">f4"),                              # non-native byte order
    lambda a: a.view(_NdarraySubclass),                     # not exactly numpy.ndarray
], ids=["2d", "strided", "int16", "big-endian", "subclass"])
def test_plain_bindings_decline_arrays_they_do_not_take(make):
    # The *_plain fast paths return None, writing nothing, for anything but plain arrays;
    # kernels.py then takes its general path.
    img = make(np.arange(48, dtype=np.uint8).reshape(2, 8, 3))
    assert _core.adjust_brightness_plain(img, None, 0.5, "nearest") is None
    assert _core.flip_horizontal_plain(img, None) is None
    assert _core.channel_shift_plain(img, None, 1.0) is None
    plain = np.zeros((2, 8, 3), np.uint8)
    for out in (plain[:, ::-1], plain.astype(np.float32), np.zeros((2, 8, 4), np.uint8)):
        assert _core.adjust_brightness_plain(plain, out, 0.5, "nearest") is None
    assert not out.any() and not plain.any()


def test_plain_bindings_allocate_or_fill_out():
    img = np.arange(48, dtype=np.uint8).reshape(2, 8, 3)
    new = _core.flip_vertical_plain(img, None)
    assert new.flags.c_contiguous and new.dtype == np.uint8
    np.testing.assert_array_equal(new, img[::-1])
    out = np.empty_like(img)
    assert _core.adjust_brightness_plain(img, out, 2.0, "floor") is out
    np.testing.assert_array_equal(out, np.minimum(img.astype(int) * 2, 255))


# ---------------------------------------------------------------- min / max, scale / offset

@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 67, 3), (7, 5, 2), (224, 224, 3), (3, 3, 70)])
def test_min_max_matches_numpy(simd_level, rng, shape, dtype):
    img = random_image(rng, shape, dtype)
    if dtype == np.float32:
        img -= 100.0
    for view in strided_variants(img).values():
        assert _core.min_max(view) == (float(view.min()), float(view.max()))
    if img.size > 4:  # the extreme in the last element (a tail) is still found
        img.flat[-1] = 255 if dtype == np.uint8 else 1e9
        assert _core.min_max(img)[1] == float(img.max())


@pytest.mark.parametrize("src_dtype,out_dtype", [(np.uint8, np.uint8), (np.uint8, np.float32),
                                                 (np.float32, np.float32), (np.float32, np.uint8)])
@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 67, 3), (7, 5, 5), (224, 224, 3)])
def test_scale_offset_matches_numpy(simd_level, rng, shape, src_dtype, out_dtype):
    img = random_image(rng, shape, src_dtype)
    for scale, offset in ((1 / 255, 0.0), (2.0, -127.5), (0.5, 0.0), (-1.0, 300.0)):
        for view in strided_variants(img).values():
            out = np.empty(shape, out_dtype)
            _core.scale_offset(view, out, scale, offset)
            assert_same(out, np_scale_offset(view, scale, offset, out_dtype))


def test_scale_offset_in_place_and_nan_to_uint8(rng):
    img = random_image(rng, (5, 70, 3), np.float32)
    expected = np_scale_offset(img, 0.25, 1.0, np.float32)
    _core.scale_offset(img, img, 0.25, 1.0)
    assert_same(img, expected)
    src = np.array([[[np.nan, -np.inf, np.inf, 254.5, 253.5]]], np.float32)
    out = np.empty(src.shape, np.uint8)
    _core.scale_offset(src, out, 1.0, 0.0)
    assert out.tolist() == [[[0, 0, 255, 254, 254]]]


# ---------------------------------------------------------------- Keras brightness

def keras_reference(x, factor):
    return pillow_brightness(keras_stretch_to_u8(x), factor)


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("value_range", [(0, 255), (0, 1), (50, 200), (-3, 3)])
def test_keras_brightness_matches_pillow(simd_level, rng, channels, value_range):
    x = rng.uniform(*value_range, size=(37, 29, channels)).astype(np.float32)
    for factor in (0.0, 0.3248, 0.5, 1.0, 1.37, 2.5, -0.5):
        res = x.copy()
        _core.keras_brightness_inplace(res, factor, channels == 4)
        assert_same(res, keras_reference(x, factor))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_keras_brightness_any_strides(simd_level, rng, layout):
    x = strided_variants(rng.uniform(0, 255, size=(33, 21, 3)).astype(np.float32))[layout]
    expected = keras_reference(x.copy(), 0.8)
    _core.keras_brightness_inplace(x, 0.8, False)
    assert_same(x, expected)


def test_keras_brightness_matches_keras_preprocessing(rng):
    affine = pytest.importorskip("keras_preprocessing.image.affine_transformations")
    for channels in (1, 3, 4):
        x = rng.uniform(-20, 300, size=(19, 23, channels)).astype(np.float32)
        for factor in (0.2, 0.9, 1.6):
            res = x.copy()
            _core.keras_brightness_inplace(res, factor, channels == 4)
            assert_same(res, affine.apply_brightness_shift(x.copy(), factor).astype(np.float32))


@pytest.mark.parametrize("span", [255.0, 1.0, 0.37, 1e-20, 3e-36, 1e35])
def test_keras_brightness_at_the_stretch_boundaries(simd_level, span):
    """The stretch truncates (x - lo) / span * 255 as float32 does: values a few ulps either
    side of every level's boundary, over spans from tiny to huge, truncate alike on every
    level."""
    span = np.float32(span)
    edges = np.arange(256, dtype=np.float32) * span / np.float32(255)
    near = [edges]
    for steps in (1, 2, 3):
        up, down = edges.copy(), edges.copy()
        for _ in range(steps):
            up = np.nextafter(up, np.float32(np.inf))
            down = np.nextafter(down, np.float32(-np.inf))
        near += [up, down]
    x = np.clip(np.concatenate(near), 0, span)
    x[:2] = 0, span  # the image's range is exactly [0, span]
    x = x.reshape(1, -1, 1).astype(np.float32)
    for factor in (1.0, 1.37):
        res = x.copy()
        _core.keras_brightness_inplace(res, factor, False)
        assert_same(res, keras_reference(x, factor))


def test_keras_brightness_constant_image_is_all_zero():
    x = np.full((8, 8, 3), 42.0, np.float32)
    _core.keras_brightness_inplace(x, 1.5, False)
    assert not x.any()


@given(
    hnp.arrays(np.float32, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=20),
               elements=st.floats(-1e6, 1e6, width=32)),
    st.floats(-2, 5),
)
@settings(max_examples=80, deadline=None)
def test_keras_brightness_output_is_integer_valued_in_0_255(x, factor):
    _core.keras_brightness_inplace(x, factor, x.shape[2] == 4)
    assert ((x >= 0) & (x <= 255) & (x == np.floor(x))).all()


# ---------------------------------------------------------------- bad input

U8 = np.zeros((4, 4, 3), np.uint8)
F32 = np.zeros((4, 4, 3), np.float32)

BAD_CALLS = [
    (lambda: kernels.adjust_brightness(U8, -0.1), ValueError, "factor must be >= 0"),
    (lambda: kernels.adjust_brightness(U8, float("nan")), ValueError, "factor must be finite"),
    (lambda: kernels.adjust_brightness(U8, float("inf")), ValueError, "factor must be finite"),
    (lambda: kernels.adjust_brightness(U8, "2"), TypeError, "factor must be a real number"),
    (lambda: kernels.adjust_brightness(U8, True), TypeError, "factor must be a real number"),
    (lambda: kernels.adjust_brightness(U8, 1e300), ValueError, "factor must be a finite float32"),
    (lambda: kernels.adjust_brightness(U8, 1.0, rounding="up"), ValueError, "rounding must be"),
    (lambda: kernels.adjust_brightness(np.zeros((4, 4, 3), np.int16), 1.0), TypeError, "image must have dtype"),
    (lambda: kernels.adjust_brightness([[1]], 1.0), TypeError, "image must be a numpy.ndarray"),
    (lambda: kernels.adjust_brightness(U8, 1.0, out=F32), TypeError, "out must have dtype uint8"),
    (lambda: kernels.adjust_brightness(U8, 1.0, out=U8[::-1]), ValueError, "out overlaps"),
    (lambda: kernels.adjust_brightness(U8, 1.0, out=U8[..., :2]), ValueError, "out must have shape"),
    (lambda: kernels.channel_shift(U8, [1, 2]), ValueError, "shift must be a number or a sequence of 3"),
    (lambda: kernels.channel_shift(U8, [[1, 2, 3]]), ValueError, "shift must be a number or a sequence"),
    (lambda: kernels.channel_shift(U8, [1, float("nan"), 3]), ValueError, r"shift\[1\] must be finite"),
    (lambda: kernels.channel_shift(U8, "abc"), TypeError, "shift must be a real number"),
    (lambda: kernels.channel_shift(U8, 1.0, clip=(5, 1)), ValueError, "clip must have lo <= hi"),
    (lambda: kernels.channel_shift(U8, 1.0, clip=(0, float("inf"))), ValueError, r"clip\[1\] must be finite"),
    (lambda: kernels.channel_shift(U8, 1.0, clip=(1, 2, 3)), ValueError, "clip must be None or a pair"),
    (lambda: kernels.channel_shift(U8, 1.0, clip="ab"), ValueError, "clip must be None or a pair"),
    (lambda: kernels.channel_shift(F32, 1.0, out=F32[:, ::-1]), ValueError, "out overlaps"),
    # direct _core calls are validated too
    (lambda: _core.adjust_brightness(U8, F32, 1.0, "nearest"), TypeError, "same dtype"),
    (lambda: _core.adjust_brightness(U8, U8.copy(), -1.0, "nearest"), ValueError, "factor must be >= 0"),
    (lambda: _core.adjust_brightness(U8, [[0]], 1.0, "nearest"), TypeError, "out must be a numpy.ndarray"),
    (lambda: _core.adjust_brightness(U8, U8[::-1], 1.0, "nearest"), ValueError, "overlaps"),
    (lambda: _core.channel_shift(U8, U8.copy(), [1.0], 0, 255), ValueError, "one value per channel"),
    (lambda: _core.channel_shift(U8, U8.copy(), [1.0] * 3, 5, 1), ValueError, "lo must be <= hi"),
    (lambda: _core.channel_shift(U8, U8.copy(), [1.0] * 3, float("nan"), 1), ValueError, "must not be NaN"),
    (lambda: _core.channel_shift(U8, U8.copy(), [1.0, float("inf"), 0.0], 0, 1), ValueError, "shift must be finite"),
    (lambda: _core.channel_shift(U8[:, :, 0], U8[:, :, 0].copy(), [1.0], 0, 1), ValueError, "shape"),
    (lambda: _core.min_max(np.zeros((0, 4, 3), np.uint8)), ValueError, "must not be empty"),
    (lambda: _core.min_max(np.zeros((4, 4, 3), np.float64)), TypeError, "uint8 or float32"),
    (lambda: _core.min_max(np.zeros((4, 4), np.uint8)), ValueError, "image must have shape"),
    (lambda: _core.scale_offset(U8, F32.copy(), float("nan"), 0.0), ValueError, "scale must be"),
    (lambda: _core.scale_offset(U8, F32.copy(), 1.0, float("inf")), ValueError, "offset must be"),
    (lambda: _core.scale_offset(F32, F32[:, :, :1].copy(), 1.0, 0.0), ValueError, "same shape"),
    (lambda: _core.scale_offset(F32, F32.view(np.uint8)[:, :, :3], 1.0, 0.0), ValueError, "overlaps"),
    (lambda: _core.keras_brightness_inplace(U8.copy(), 1.0, False), TypeError, "float32"),
    (lambda: _core.keras_brightness_inplace(F32.copy(), 1.0, True), ValueError, "keep_alpha needs"),
    (lambda: _core.keras_brightness_inplace(F32.copy(), float("nan"), False), ValueError, "factor must be"),
    (lambda: _core.keras_brightness_inplace(np.zeros((4, 4, 6), np.float32)[..., ::2], 1.0, False),
     ValueError, "contiguous channels"),
]


@pytest.mark.parametrize("call,exc,msg", BAD_CALLS)
def test_bad_input_raises_named_error(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_read_only_out_and_image_rejected():
    ro = np.zeros((4, 4, 3), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        kernels.adjust_brightness(F32, 1.0, out=ro)
    with pytest.raises(ValueError, match="image is read-only"):
        _core.keras_brightness_inplace(ro, 1.0, False)
    assert not ro.any()
