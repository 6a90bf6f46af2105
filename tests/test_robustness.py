"""Hostile input across the public API: every bad argument gets a TypeError/ValueError naming
it, and every odd-but-valid one (empty, 1-pixel, many channels, misaligned, huge virtual
sizes) is computed correctly. Nothing crashes, and no input array is ever written."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from fastaug import ImageDataGenerator, _core, kernels
from fastaug._pipeline import augment_batch

as_strided = np.lib.stride_tricks.as_strided

EYE = np.array([[1.0, 0, 0], [0, 1.0, 0]])


def _batch_identity(image):
    """augment_batch on one (H, W[, C]) image with the identity map, as a kernel-like call."""
    if not isinstance(image, np.ndarray):  # passed on as it is, to be refused by name
        return augment_batch(image, [0], EYE[np.newaxis])
    return augment_batch(image[np.newaxis], [0], EYE[np.newaxis], out_dtype=image.dtype)[0]


# Each entry: name, call(image) -> result, and the reference result for a valid image.
KERNELS = {
    "flip_horizontal": (kernels.flip_horizontal, lambda a: a[:, ::-1]),
    "flip_vertical": (kernels.flip_vertical, lambda a: a[::-1]),
    "adjust_brightness": (
        lambda a: kernels.adjust_brightness(a, 2.0),
        lambda a: (np.clip(np.rint(a * np.float32(2)), 0, 255) if a.dtype == np.uint8
                   else a * np.float32(2)).astype(a.dtype)),
    "channel_shift": (
        lambda a: kernels.channel_shift(a, 3.0),
        lambda a: (np.clip(a.astype(np.float32) + 3, 0, 255) if a.dtype == np.uint8
                   else a + np.float32(3)).astype(a.dtype)),
    "warp_affine": (lambda a: kernels.warp_affine(a, EYE), lambda a: a),
    "augment_batch": (_batch_identity, lambda a: a),
}
ARG_NAME = {name: "src" if name == "augment_batch" else "image" for name in KERNELS}


def _image(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return (rng.random(size=shape) * 255).astype(dtype)


# ---------------------------------------------------------------- dtypes and ranks

BAD_DTYPES = [np.bool_, np.int8, np.int64, np.uint16, np.float16, np.float64, np.complex64,
              object, ">f4", ">u2", "datetime64[s]", "V4"]


@pytest.mark.parametrize("dtype", BAD_DTYPES, ids=str)
@pytest.mark.parametrize("name", KERNELS)
def test_unsupported_dtype_is_a_type_error_naming_the_image(name, dtype):
    call, _ = KERNELS[name]
    image = np.zeros((4, 5, 3), dtype)
    with pytest.raises(TypeError, match=f"{ARG_NAME[name]} must have dtype uint8 or float32"):
        call(image)


@pytest.mark.parametrize("name", KERNELS)
def test_non_array_image_is_a_type_error(name):
    call, _ = KERNELS[name]
    for value in ([[1, 2], [3, 4]], np.uint8(3), None, "image", memoryview(b"abcd")):
        with pytest.raises(TypeError, match=f"{ARG_NAME[name]} must be a numpy.ndarray"):
            call(value)


@pytest.mark.parametrize("shape", [(), (7,), (1, 2, 3, 4, 5)])
@pytest.mark.parametrize("name", [n for n in KERNELS if n != "augment_batch"])
def test_wrong_rank_is_a_value_error(name, shape):
    call, _ = KERNELS[name]
    with pytest.raises(ValueError, match=r"image must have shape \(height, width\)"):
        call(np.zeros(shape, np.uint8))


@pytest.mark.parametrize("shape", [(), (7,), (2, 3), (1, 2, 3, 4, 5)])
def test_batch_wrong_rank_is_a_value_error(shape):
    with pytest.raises(ValueError, match=r"src must have shape \(N, H, W\)"):
        augment_batch(np.zeros(shape, np.float32), [], np.zeros((0, 6)))


# ---------------------------------------------------------------- odd sizes


@pytest.mark.parametrize("shape", [(0, 5, 3), (3, 0, 1), (0, 0), (0, 4)])
@pytest.mark.parametrize("name", ["flip_horizontal", "flip_vertical", "adjust_brightness",
                                  "channel_shift"])
def test_empty_images_give_empty_results(name, shape):
    call, _ = KERNELS[name]
    for dtype in (np.uint8, np.float32):
        got = call(np.zeros(shape, dtype))
        assert got.shape == shape and got.dtype == dtype


def test_empty_images_cannot_be_warped():
    # There is no pixel to sample, so the output would be all fill: refused by name.
    for shape in [(0, 5, 3), (3, 0), (0, 0, 1)]:
        with pytest.raises(ValueError, match="image must have height and width >= 1"):
            kernels.warp_affine(np.zeros(shape, np.uint8), EYE)
        with pytest.raises(ValueError, match="src images must be non-empty"):
            augment_batch(np.zeros((1,) + shape, np.uint8), [0], EYE[np.newaxis])


def test_empty_image_read_only_out_is_still_refused():
    out = np.zeros((0, 4, 3), np.uint8)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        kernels.flip_horizontal(np.zeros((0, 4, 3), np.uint8), out=out)
    with pytest.raises(ValueError, match="out is read-only"):
        _core.flip_horizontal(np.zeros((0, 4, 3), np.uint8), out)


@pytest.mark.parametrize("shape", [(1, 1), (1, 1, 1), (1, 1, 3), (1, 9, 2), (9, 1, 4)])
@pytest.mark.parametrize("name", KERNELS)
def test_one_pixel_wide_images_are_computed_correctly(name, shape):
    call, reference = KERNELS[name]
    for dtype in (np.uint8, np.float32):
        image = _image(shape, dtype)
        np.testing.assert_array_equal(call(image), reference(image))


@pytest.mark.parametrize("channels", [5, 7, 64, 300])
@pytest.mark.parametrize("name", KERNELS)
def test_many_channels_are_computed_correctly(name, channels):
    call, reference = KERNELS[name]
    for dtype in (np.uint8, np.float32):
        image = _image((3, 4, channels), dtype)
        np.testing.assert_array_equal(call(image), reference(image))


def test_keras_brightness_needs_1_3_or_4_channels():
    src = np.zeros((1, 3, 3, 5), np.float32)
    with pytest.raises(ValueError, match="Unsupported channel number: 5"):
        augment_batch(src, [0], EYE[np.newaxis], brightness=1.5)


def test_one_pixel_image_warped_anywhere_gives_pixel_or_cval():
    image = np.full((1, 1, 2), 7.0, np.float32)
    far = np.array([[0.3, 0.2, -1e9], [1.5, 0.0, 1e9]])
    for mode in ("constant", "nearest", "reflect", "wrap", "mirror"):
        for order in (0, 1):
            got = kernels.warp_affine(image, far, fill_mode=mode, order=order, cval=-1.0,
                                      output_shape=(3, 3))
            assert set(np.unique(got)) <= {7.0, -1.0}, (mode, order)
            if mode != "constant":  # every outside point folds back onto the only pixel
                assert (got == 7.0).all(), (mode, order)


# ---------------------------------------------------------------- layouts


def _misaligned(shape, dtype=np.float32, seed=0):
    """A float32 array whose data pointer is one byte off 4-byte alignment."""
    values = _image(shape, dtype, seed)
    buf = np.zeros(values.nbytes + 1, np.uint8)
    arr = buf[1:].view(dtype).reshape(shape)
    arr[...] = values
    assert not arr.flags.aligned
    return arr


@pytest.mark.parametrize("name", KERNELS)
def test_misaligned_float_image_is_computed_correctly(name):
    call, reference = KERNELS[name]
    image = _misaligned((5, 6, 3))
    before = image.copy()
    np.testing.assert_array_equal(call(image), reference(before))
    np.testing.assert_array_equal(image, before)


def test_misaligned_out_is_filled_correctly():
    image = _image((5, 6, 3), np.float32)
    out = _misaligned((5, 6, 3), seed=1)
    assert kernels.flip_vertical(image, out=out) is out
    np.testing.assert_array_equal(out, image[::-1])
    out = _misaligned((5, 6, 3), seed=1)
    kernels.adjust_brightness(image, 0.5, out=out)
    np.testing.assert_array_equal(out, image * np.float32(0.5))


def test_core_refuses_misaligned_arrays():
    image = _misaligned((3, 5, 1))
    aligned = np.zeros((3, 5, 1), np.float32)
    with pytest.raises(ValueError, match="image is not aligned"):
        _core.adjust_brightness(image, aligned, 1.0, "nearest")
    with pytest.raises(ValueError, match="out is not aligned"):
        _core.channel_shift(aligned, image, [1.0], 0.0, 1.0)
    with pytest.raises(ValueError, match="image is not aligned"):
        _core.flip_horizontal(image, aligned)
    with pytest.raises(ValueError, match="image is not aligned"):
        _core.warp_affine(image, aligned, EYE, 1, "constant", 0.0)


def test_misaligned_batch_src_and_out_are_computed_correctly():
    src = _misaligned((2, 5, 6, 3))
    got = augment_batch(src, [1, 0], np.stack([EYE, EYE]))
    np.testing.assert_array_equal(got, src[[1, 0]])
    out = _misaligned((2, 5, 6, 3), seed=1)
    assert augment_batch(src.copy(), [1, 0], np.stack([EYE, EYE]), out=out) is out
    np.testing.assert_array_equal(out, src[[1, 0]])


# ---------------------------------------------------------------- out=


def _bad_outs(shape, dtype):
    read_only = np.zeros(shape, dtype)
    read_only.flags.writeable = False
    aliased = as_strided(np.zeros(64, dtype), shape, (0, dtype(0).itemsize, dtype(0).itemsize))
    return [
        ([0], TypeError, "out must be a numpy.ndarray"),
        (np.zeros(shape, np.float64), TypeError, "out must have dtype"),
        (np.zeros(shape[:2], dtype), ValueError, "out must have shape"),
        (np.zeros(shape[:2] + (shape[2] + 1,), dtype), ValueError, "out must have shape"),
        (read_only, ValueError, "out is read-only"),
        (np.broadcast_to(np.zeros(shape[2], dtype), shape), ValueError, "out is read-only"),
        (aliased, ValueError, "out has overlapping elements"),
    ]


@pytest.mark.parametrize("name", [n for n in KERNELS if n != "augment_batch"])
def test_bad_out_is_refused_by_name(name):
    image = _image((4, 5, 1), np.uint8)
    calls = {
        "flip_horizontal": lambda out: kernels.flip_horizontal(image, out=out),
        "flip_vertical": lambda out: kernels.flip_vertical(image, out=out),
        "adjust_brightness": lambda out: kernels.adjust_brightness(image, 2.0, out=out),
        "channel_shift": lambda out: kernels.channel_shift(image, 1.0, out=out),
        "warp_affine": lambda out: kernels.warp_affine(image, EYE, out=out),
    }
    for out, exc, msg in _bad_outs((4, 5, 1), np.uint8):
        with pytest.raises(exc, match=msg):
            calls[name](out)


# Overlapping windows of one buffer: strided ones, and row ranges (C-contiguous, so the
# pointwise kernels' plain-array fast path sees them).
WINDOWS = {
    "strided": lambda buf: (buf[:5, :6], buf[3:8, 2:8]),
    "rows": lambda buf: (buf[:5], buf[3:8]),
}


@pytest.mark.parametrize("window", sorted(WINDOWS))
@pytest.mark.parametrize("name", [n for n in KERNELS if n != "augment_batch"])
def test_out_overlapping_the_input_is_refused_and_nothing_written(name, window):
    buf = _image((10, 10, 3), np.uint8)
    before = buf.copy()
    image, out = WINDOWS[window](buf)
    calls = {
        "flip_horizontal": lambda: kernels.flip_horizontal(image, out=out),
        "flip_vertical": lambda: kernels.flip_vertical(image, out=out),
        "adjust_brightness": lambda: kernels.adjust_brightness(image, 2.0, out=out),
        "channel_shift": lambda: kernels.channel_shift(image, 1.0, out=out),
        "warp_affine": lambda: kernels.warp_affine(image, EYE, out=out),
    }
    with pytest.raises(ValueError, match="out overlaps"):
        calls[name]()
    np.testing.assert_array_equal(buf, before)


def test_out_interleaved_with_the_input_is_refused():
    buf = _image((4, 10, 3), np.uint8)
    with pytest.raises(ValueError, match="out overlaps"):
        kernels.flip_horizontal(buf[:, ::2], out=buf[:, 1::2])
    with pytest.raises(ValueError, match="out overlaps"):
        augment_batch(buf[np.newaxis, :, ::2], [0], EYE[np.newaxis], out_dtype=np.uint8,
                      out=buf[np.newaxis, :, 1::2])


# ---------------------------------------------------------------- parameters

HUGE_INT = 10 ** 400  # float(HUGE_INT) raises OverflowError

BAD_PARAMETERS = [
    (lambda: kernels.adjust_brightness(np.zeros((2, 2), np.uint8), HUGE_INT), ValueError, "factor must be finite"),
    (lambda: kernels.adjust_brightness(np.zeros((2, 2), np.uint8), 1e39), ValueError, "factor must be a finite float32"),
    (lambda: kernels.adjust_brightness(np.zeros((2, 2), np.uint8), -1e-300), ValueError, "factor must be >= 0"),
    (lambda: kernels.adjust_brightness(np.zeros((2, 2), np.uint8), np.array([1.0])), TypeError, "factor must be a real number"),
    (lambda: kernels.adjust_brightness(np.zeros((2, 2), np.uint8), 1j), TypeError, "factor must be a real number"),
    (lambda: kernels.adjust_brightness(np.zeros((2, 2), np.uint8), 1.0, rounding=None), ValueError, "rounding must be"),
    (lambda: kernels.channel_shift(np.zeros((2, 2), np.uint8), HUGE_INT), ValueError, "shift must be finite"),
    (lambda: kernels.channel_shift(np.zeros((2, 2), np.uint8), 1e39), ValueError, "shift must be a finite float32"),
    (lambda: kernels.channel_shift(np.zeros((2, 2, 2), np.uint8), [1, -np.inf]), ValueError, r"shift\[1\] must be finite"),
    (lambda: kernels.channel_shift(np.zeros((2, 2, 2), np.uint8), {1, 2}), TypeError, "shift must be a real number"),
    (lambda: kernels.channel_shift(np.zeros((2, 2), np.uint8), 1, clip=(0, HUGE_INT)), ValueError, r"clip\[1\] must be finite"),
    (lambda: kernels.channel_shift(np.zeros((2, 2), np.uint8), 1, clip=(np.nan, 1)), ValueError, r"clip\[0\] must be finite"),
    (lambda: kernels.channel_shift(np.zeros((2, 2), np.uint8), 1, clip=(3, -3)), ValueError, "clip must have lo <= hi"),
    (lambda: kernels.channel_shift(np.zeros((2, 2), np.uint8), 1, clip=5), ValueError, "clip must be None or a pair"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), EYE, cval=HUGE_INT), ValueError, "cval must be finite"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), EYE, cval=np.float16("inf")), ValueError, "cval must be finite"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), EYE + 0j), TypeError, "matrix must hold real numbers"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), np.eye(3, dtype=bool)), TypeError, "matrix must hold real numbers"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), [[1, 0, 0], [0, 1]]), ValueError, "matrix must be a 2x3 or 3x3"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), None), ValueError, "matrix must have shape"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), [[1, 0, -np.inf], [0, 1, 0]]), ValueError, "matrix must contain only finite"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), EYE, order=2 ** 70), ValueError, "order must be 0 or 1"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), EYE, order=True), TypeError, "order must be an int"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), EYE, output_shape=(-1, 3)), ValueError, "output_shape must be two positive ints"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), EYE, output_shape="ab"), ValueError, "output_shape must be two positive ints"),
    (lambda: kernels.warp_affine(np.zeros((2, 2), np.uint8), EYE, output_shape=(2 ** 62, 4)), ValueError, "too big"),
    (lambda: augment_batch(np.zeros((1, 2, 2), np.uint8), [0], EYE[np.newaxis], cval=HUGE_INT), ValueError, "cval must be finite"),
    (lambda: augment_batch(np.zeros((1, 2, 2), np.uint8), [0], EYE[np.newaxis], rescale=HUGE_INT), ValueError, "rescale must be finite"),
    (lambda: augment_batch(np.zeros((1, 2, 2), np.uint8), [0], EYE[np.newaxis], brightness=1e39), ValueError, "brightness must be finite"),
    (lambda: augment_batch(np.zeros((1, 2, 2), np.uint8), [0], EYE[np.newaxis], num_threads=2 ** 40), ValueError, "num_threads"),
    (lambda: augment_batch(np.zeros((1, 2, 2), np.uint8), [2 ** 70], EYE[np.newaxis]), (TypeError, ValueError), "indices"),
    (lambda: augment_batch(np.zeros((1, 2, 2), np.uint8), [0], (EYE + 0j)[np.newaxis]), TypeError, "matrices must be"),
    (lambda: augment_batch(np.zeros((1, 2, 2), np.uint8), [0], EYE[np.newaxis], output_shape=(2 ** 62, 4)), ValueError, "too big"),
]


@pytest.mark.parametrize("call,exc,msg", BAD_PARAMETERS)
def test_bad_parameter_raises_named_error(call, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)  # not an answer
        with pytest.raises(exc, match=msg):
            call()


def test_huge_finite_parameters_are_computed_not_refused():
    image = _image((4, 5, 3), np.uint8)
    assert (kernels.adjust_brightness(image, 3e38) == np.where(image > 0, 255, 0)).all()
    assert (kernels.channel_shift(image, -3e38) == 0).all()
    assert (kernels.channel_shift(image, 1.0, clip=(-1e300, 1e300)) == np.minimum(image.astype(int) + 1, 255)).all()
    assert (kernels.channel_shift(image, 0.0, clip=(300, 400)) == 255).all()
    far = np.full((2, 3), 1e308)
    assert (kernels.warp_affine(image, far, cval=1e300) == 255).all()  # saturated cval
    assert (kernels.warp_affine(image, far, cval=-1e300) == 0).all()
    got = kernels.warp_affine(image.astype(np.float32), far, cval=1e300)
    assert np.isinf(got).all() and (got > 0).all()  # float32(1e300), as scipy casts


# ---------------------------------------------------------------- huge virtual sizes

# Zero-stride views with 2**32+ rows or columns: byte counts and indices beyond 32 bits, yet
# no memory behind them. A kernel that keeps sizes or coordinates in 32-bit ints classifies
# these points wrongly.
BIG = 2 ** 32 + 3


def _virtual(shape, value, dtype):
    return np.broadcast_to(np.asarray(value, dtype).reshape((1,) * len(shape)), shape)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("order", [0, 1])
def test_warp_reads_huge_virtual_images_with_64_bit_coordinates(dtype, order):
    for shape, inside, outside in [
        ((BIG, 5, 1), [[1, 0, BIG - 2], [0, 1, 0]], [[1, 0, 2.0 * BIG], [0, 1, 0]]),
        ((5, BIG, 1), [[1, 0, 0], [0, 1, BIG - 2]], [[1, 0, 0], [0, 1, 2.0 * BIG]]),
    ]:
        image = _virtual(shape, 7, dtype)
        got = kernels.warp_affine(image, inside, order=order, output_shape=(2, 2), cval=1)
        assert (got == 7).all(), shape
        got = kernels.warp_affine(image, outside, order=order, output_shape=(2, 2), cval=1)
        assert (got == 1).all(), shape


def test_batch_reads_huge_virtual_images_with_64_bit_coordinates():
    src = _virtual((3, BIG, 4, 1), 7, np.uint8)
    inside = np.array([[1, 0, BIG - 2, 0, 1, 0], [1, 0, 2.0 * BIG, 0, 1, 0]])
    got = augment_batch(src, [2, 1], inside, output_shape=(2, 2), fill_mode="constant",
                        cval=1.0, out_dtype=np.uint8)
    assert (got[0] == 7).all() and (got[1] == 1).all()


# ---------------------------------------------------------------- generator

HOSTILE_GENERATOR_CONFIGS = [
    dict(rotation_range=np.nan), dict(rotation_range=np.inf), dict(rotation_range=-1e6),
    dict(width_shift_range=np.inf), dict(width_shift_range=1e6),
    dict(height_shift_range=5), dict(zoom_range=np.nan), dict(zoom_range=(2, 1)),
    dict(zoom_range=(0, 0), rotation_range=1), dict(zoom_range=(-1, 1)), dict(zoom_range="a"),
    dict(zoom_range=(1, 2, 3)), dict(shear_range=1e308), dict(shear_range=-5),
    dict(channel_shift_range=np.nan), dict(channel_shift_range=-5),
    dict(brightness_range=(np.nan, 1)), dict(brightness_range=(2, 1)), dict(brightness_range=(-1, 0)),
    dict(brightness_range=1.5), dict(rescale=0), dict(rescale=1e300), dict(cval=1e300), dict(rotation_range=30, fill_mode="bogus"),
    dict(rotation_range=30, interpolation_order=-1), dict(rotation_range=30, interpolation_order=3),
    dict(rotation_range=30, dtype="int8"), dict(data_format="bogus"), dict(validation_split=np.nan),
    dict(preprocessing_function=lambda a: a[:1]), dict(preprocessing_function=lambda a: 1 / 0),
]


def _outcome(generator_class, config, x):
    """('ok', shape, dtype) or ('raises', exception type name)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.random.seed(0)
            batch = next(generator_class(**config).flow(x, batch_size=2, seed=1))
        return ("ok", batch.shape, batch.dtype)
    except Exception as exc:  # the kind of failure is what is compared
        return ("raises", type(exc).__name__)


# Settings Keras accepts and computes with, spreading NaN or inf through the images (or
# ignoring cval when no constant fill applies): fastaug gives Keras's result, without numpy
# warnings of its own.
NON_FINITE_WHERE_KERAS_COMPUTES = [
    dict(width_shift_range=[np.nan]),
    dict(rescale=np.nan),
    dict(cval=np.nan),
    dict(channel_shift_range=1e39),
]


@pytest.mark.parametrize("config", HOSTILE_GENERATOR_CONFIGS, ids=repr)
def test_generator_handles_hostile_settings_like_keras(config):
    kimage = pytest.importorskip("keras_preprocessing.image")
    x = _image((4, 6, 7, 3), np.float32)
    before = x.copy()
    ours = _outcome(ImageDataGenerator, config, x)
    assert ours == _outcome(kimage.ImageDataGenerator, config, x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("config", NON_FINITE_WHERE_KERAS_COMPUTES, ids=repr)
def test_generator_follows_keras_where_it_computes_with_non_finite_values(config):
    kimage = pytest.importorskip("keras_preprocessing.image")
    x = _image((4, 6, 7, 3), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = next(kimage.ImageDataGenerator(**config).flow(x, batch_size=2, seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = next(ImageDataGenerator(**config).flow(x, batch_size=2, seed=1))
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.bool_, np.int64, np.float16, np.float64, ">f4", np.uint16])
def test_generator_converts_other_dtypes_like_keras(dtype):
    kimage = pytest.importorskip("keras_preprocessing.image")
    x = _image((3, 5, 6, 3), np.float32).astype(dtype)
    config = dict(rotation_range=20, channel_shift_range=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = next(ImageDataGenerator(**config).flow(x, batch_size=3, seed=4, shuffle=False))
        theirs = next(kimage.ImageDataGenerator(**config).flow(x, batch_size=3, seed=4, shuffle=False))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-3)


def test_generator_non_finite_pixels_never_crash():
    x = np.full((2, 4, 4, 3), np.nan, np.float32)
    x[1] = np.inf
    gen = ImageDataGenerator(rotation_range=30, zoom_range=0.2, channel_shift_range=10,
                             brightness_range=(0.5, 1.5), horizontal_flip=True)
    batch = next(gen.flow(x, batch_size=2, shuffle=False, seed=3))
    assert batch.shape == x.shape and batch.dtype == np.float32
    params = gen.get_random_transform((4, 4, 3), seed=1)
    assert gen.apply_transform(x[0], params).shape == (4, 4, 3)


def test_apply_transform_hostile_parameters():
    """Parameters Keras computes with (NaN or overflowing matrices, shifts beyond float32)
    give Keras's image, without numpy warnings, and never touch the input."""
    kimage = pytest.importorskip("keras_preprocessing.image")
    gen = ImageDataGenerator()
    x = _image((5, 6, 3), np.float32)
    before = x.copy()
    for params in [
        {"theta": np.nan}, {"tx": np.inf}, {"zx": 0.0, "zy": 0.0}, {"zx": 1e-300},
        {"theta": 1e300}, {"channel_shift_intensity": 1e39},
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = gen.apply_transform(x, params)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            want = kimage.ImageDataGenerator().apply_transform(x.copy(), params)
        assert got.shape == x.shape
        np.testing.assert_allclose(got, want, atol=1e-3, err_msg=repr(params))
    # A NaN brightness factor means no brightness step (Keras's Pillow blend gives black).
    np.testing.assert_array_equal(gen.apply_transform(x, {"brightness": np.nan}), x)
    np.testing.assert_array_equal(x, before)


# ---------------------------------------------------------------- memory outside the arrays

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SENTINELS = {np.dtype(np.uint8): 0xA5, np.dtype(np.float32): np.float32(-1.5e38)}


def _embedded(values, pad, step):
    """`values` as a view inside a larger sentinel-filled buffer: `pad` elements on every side
    of the two image axes and `step` between pixels. Returns (buffer, view)."""
    h, w, c = values.shape
    buf = np.full((h * step + 2 * pad, w * step + 2 * pad, c + 2), SENTINELS[values.dtype],
                  values.dtype)
    view = buf[pad:pad + h * step:step, pad:pad + w * step:step, 1:c + 1]
    view[...] = values
    return buf, view


affine = st.lists(st.floats(-3, 3), min_size=4, max_size=4).flatmap(
    lambda lin: st.tuples(st.just(lin), st.floats(-40, 40), st.floats(-40, 40))).map(
    lambda t: np.array([[t[0][0], t[0][1], t[1]], [t[0][2], t[0][3], t[2]]]))

CALLS = {
    "flip_horizontal": lambda img, m, mode, order, out: kernels.flip_horizontal(img, out=out),
    "flip_vertical": lambda img, m, mode, order, out: kernels.flip_vertical(img, out=out),
    "adjust_brightness": lambda img, m, mode, order, out: kernels.adjust_brightness(img, 1.3, out=out),
    "channel_shift": lambda img, m, mode, order, out: kernels.channel_shift(img, -7.25, out=out),
    "warp_affine": lambda img, m, mode, order, out: kernels.warp_affine(
        img, m, order=order, fill_mode=mode, cval=3.0, out=out),
    "augment_batch": lambda img, m, mode, order, out: augment_batch(
        img[np.newaxis], [0], m[np.newaxis], order=order, fill_mode=mode, cval=3.0,
        out_dtype=img.dtype, brightness=1.2 if img.shape[2] in (1, 3, 4) else None,
        channel_shift=4.0, out=None if out is None else out[np.newaxis])[0],
}


def _agree_within_contract(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.abs(got.astype(np.int16) - want).max() <= 1


@given(name=st.sampled_from(sorted(CALLS)), dtype=st.sampled_from([np.uint8, np.float32]),
       shape=st.tuples(st.integers(1, 17), st.integers(1, 17), st.integers(1, 5)),
       pad=st.integers(0, 3), step=st.integers(1, 3), matrix=affine,
       mode=st.sampled_from(["constant", "nearest", "reflect", "wrap", "mirror"]),
       order=st.sampled_from([0, 1]), seed=st.integers(0, 2 ** 16))
@settings(max_examples=150, deadline=None)
def test_results_never_depend_on_or_touch_memory_outside_the_arrays(
        name, dtype, shape, pad, step, matrix, mode, order, seed):
    values = _image(shape, dtype, seed)
    in_buf, image = _embedded(values, pad, step)
    in_before = in_buf.copy()
    want = CALLS[name](values.copy(), matrix, mode, order, None)
    # Input inside sentinels: same result as a compact copy, and the buffer is unchanged.
    # (uint8 bilinear warps of packed and strided images may take different exact-to-1
    # paths, fixed-point and double coordinates, so there the results agree within 1.)
    got = CALLS[name](image, matrix, mode, order, None)
    same = _agree_within_contract if name == "warp_affine" and order == 1 and dtype == np.uint8 \
        else np.testing.assert_array_equal
    same(got, want)
    np.testing.assert_array_equal(in_buf, in_before)
    # Output inside sentinels: filled exactly, nothing around it written.
    out_buf, out = _embedded(np.zeros_like(want), pad, step)
    out_before = out_buf.copy()
    out[...] = 0
    CALLS[name](image, matrix, mode, order, out)
    same(out, want)
    mask = np.ones(out_buf.shape, bool)
    mask[pad:pad + out.shape[0] * step:step, pad:pad + out.shape[1] * step:step, 1:-1] = False
    np.testing.assert_array_equal(out_buf[mask], out_before[mask])


@given(shape=st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 3, 4])),
       pad=st.integers(1, 3), step=st.integers(1, 2), seed=st.integers(0, 2 ** 16))
@settings(max_examples=40, deadline=None)
def test_generator_batches_never_depend_on_memory_outside_x(shape, pad, step, seed):
    values = _image((5,) + shape, np.float32, seed)
    # Five images inside a buffer whose other images and padding are sentinels.
    buf = np.full((11, shape[0] * step + 2 * pad, shape[1] * step + 2 * pad, shape[2] + 1),
                  SENTINELS[np.dtype(np.float32)], np.float32)
    x = buf[1:10:2, pad:pad + shape[0] * step:step, pad:pad + shape[1] * step:step, :shape[2]]
    x[...] = values
    gen = ImageDataGenerator(rotation_range=40, width_shift_range=0.3, zoom_range=0.3,
                             fill_mode="reflect", channel_shift_range=5,
                             brightness_range=(0.7, 1.3), horizontal_flip=True)

    def batches(data):
        np.random.seed(seed)
        it = gen.flow(data, batch_size=3, seed=seed)
        return [next(it) for _ in range(3)]

    for got, want in zip(batches(x), batches(values.copy())):
        np.testing.assert_array_equal(got, want)
