import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from fastaug import kernels

from conftest import random_image, strided_variants

SHAPES = [(1, 1, 1), (1, 9, 3), (9, 1, 3), (7, 5, 1), (7, 5, 2), (7, 5, 3), (7, 5, 4),
          (7, 5, 5), (33, 67, 3), (224, 224, 3), (16, 130, 4)]


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_flips_match_numpy_on_every_simd_level(simd_level, rng, shape, dtype):
    img = random_image(rng, shape, dtype)
    np.testing.assert_array_equal(kernels.flip_horizontal(img), img[:, ::-1])
    np.testing.assert_array_equal(kernels.flip_vertical(img), img[::-1])


@pytest.mark.parametrize("layout", ["contiguous", "neg_rows", "neg_cols", "step2", "channel_slice"])
def test_flips_accept_any_strides(simd_level, rng, layout):
    img = strided_variants(random_image(rng, (13, 17, 3), np.uint8))[layout]
    before = img.copy()
    np.testing.assert_array_equal(kernels.flip_horizontal(img), before[:, ::-1])
    np.testing.assert_array_equal(kernels.flip_vertical(img), before[::-1])
    np.testing.assert_array_equal(img, before)  # input untouched


def test_flip_2d_image_returns_2d(rng):
    img = random_image(rng, (5, 8), np.float32)
    res = kernels.flip_horizontal(img)
    assert res.shape == (5, 8)
    np.testing.assert_array_equal(res, img[:, ::-1])


def test_flip_into_out_including_strided_out(rng):
    img = random_image(rng, (6, 9, 3), np.uint8)
    out = np.zeros_like(img)
    assert kernels.flip_vertical(img, out=out) is out
    np.testing.assert_array_equal(out, img[::-1])
    big = np.zeros((6, 9, 5), np.uint8)
    strided_out = big[..., ::2]  # channel stride 2: computed via a temporary
    assert kernels.flip_horizontal(img, out=strided_out) is strided_out
    np.testing.assert_array_equal(big[..., ::2], img[:, ::-1])
    assert not big[..., 1::2].any()


@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=24)))
@settings(max_examples=60, deadline=None)
def test_flipping_twice_is_identity(img):
    np.testing.assert_array_equal(kernels.flip_horizontal(kernels.flip_horizontal(img)), img)
    np.testing.assert_array_equal(kernels.flip_vertical(kernels.flip_vertical(img)), img)


BAD_CALLS = [
    (lambda: kernels.flip_horizontal(np.zeros((4, 4, 3), np.int64)), TypeError, "image must have dtype"),
    (lambda: kernels.flip_horizontal(np.zeros((4, 4, 3), ">f4")), TypeError, "image must have dtype"),
    (lambda: kernels.flip_horizontal(np.zeros((4, 4, 3), bool)), TypeError, "image must have dtype"),
    (lambda: kernels.flip_horizontal([[1, 2]]), TypeError, "image must be a numpy.ndarray"),
    (lambda: kernels.flip_horizontal(np.zeros((2, 4, 4, 3), np.uint8)), ValueError, "image must have shape"),
    (lambda: kernels.flip_horizontal(np.zeros(4, np.uint8)), ValueError, "image must have shape"),
    (lambda: kernels.flip_horizontal(np.zeros((4, 4, 0), np.uint8)), ValueError, "at least one channel"),
    (lambda: kernels.flip_horizontal(np.zeros((4, 4, 3), np.uint8), out=np.zeros((4, 4, 3), np.float32)),
     TypeError, "out must have dtype uint8"),
    (lambda: kernels.flip_horizontal(np.zeros((4, 4, 3), np.uint8), out=np.zeros((4, 5, 3), np.uint8)),
     ValueError, r"out must have shape \(4, 4, 3\)"),
]


@pytest.mark.parametrize("call,exc,msg", BAD_CALLS)
def test_flip_bad_input_raises_named_error(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_flip_rejects_read_only_and_overlapping_out():
    img = np.zeros((4, 4, 3), np.uint8)
    ro = np.zeros_like(img)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        kernels.flip_horizontal(img, out=ro)
    with pytest.raises(ValueError, match="out overlaps"):
        kernels.flip_horizontal(img, out=img)
    with pytest.raises(ValueError, match="out overlaps"):
        kernels.flip_vertical(img, out=img[::-1])


def test_core_validates_directly_too():
    """The bindings re-check everything: a direct _core call cannot crash the process."""
    from fastaug import _core
    img = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="out must have the same shape"):
        _core.flip_horizontal(img, np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="image must have shape"):
        _core.flip_horizontal(np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="contiguous channels"):
        _core.flip_horizontal(np.zeros((4, 4, 6), np.uint8)[..., ::2], np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="overlaps"):
        _core.flip_horizontal(img, img)
    with pytest.raises(TypeError, match="uint8 or float32"):
        _core.flip_horizontal(np.zeros((4, 4, 3), np.int16), np.zeros((4, 4, 3), np.int16))


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 6, 8, 12, 16])
def test_flip_horizontal_every_vector_path_and_width(simd_level, rng, channels):
    """Pixel sizes with byte-shuffle paths, at widths around 16/32/48/64-byte vectors."""
    for width in (1, 2, 5, 15, 16, 17, 21, 31, 33, 47, 48, 50, 63, 64, 65, 96, 97, 100, 224):
        img = random_image(rng, (3, width, channels), np.uint8)
        np.testing.assert_array_equal(kernels.flip_horizontal(img), img[:, ::-1])
        imgf = random_image(rng, (2, width, min(channels, 4)), np.float32)
        np.testing.assert_array_equal(kernels.flip_horizontal(imgf), imgf[:, ::-1])


def test_flip_negative_stride_inputs(simd_level, rng):
    img = random_image(rng, (9, 70, 3), np.uint8)
    for view in (img[:, ::-1], img[::-1], img[::-1, ::-1]):
        np.testing.assert_array_equal(kernels.flip_horizontal(view), view[:, ::-1])
        np.testing.assert_array_equal(kernels.flip_vertical(view), view[::-1])
