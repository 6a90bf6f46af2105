"""kernels.warp_affine against scipy.ndimage.affine_transform (orders 0 and 1)."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage

from fastaug import _core, kernels

from conftest import SIMD_PATHS, forced_simd_path, random_image, strided_variants

MODES = ["constant", "nearest", "reflect", "wrap", "mirror"]


def scipy_warp(img, matrix, order, mode, cval, output_shape=None):
    """scipy per channel on float64: the exact result before any output cast."""
    img = np.asarray(img, np.float64)
    if img.ndim == 2:
        img = img[:, :, None]
    m = np.asarray(matrix, np.float64)[:2]
    shape = img.shape[:2] if output_shape is None else tuple(output_shape)
    chans = [ndimage.affine_transform(img[:, :, k], m, order=order, mode=mode, cval=cval,
                                      output_shape=shape) for k in range(img.shape[2])]
    return np.stack(chans, axis=-1)


def as_u8_like_scipy(t):
    """scipy's unsigned cast (round half up), saturated."""
    return np.minimum(np.where(t > 0, t + 0.5, 0.0), 255.0).astype(np.uint8)


def check_against_scipy(got, img, matrix, order, mode, cval, output_shape=None):
    exact = scipy_warp(img, matrix, order, mode, cval, output_shape)
    if got.ndim == 2:
        got = got[:, :, None]
    if got.dtype == np.uint8:
        want = as_u8_like_scipy(exact)
        if order == 0:
            np.testing.assert_array_equal(got, want)
        else:
            diff = np.abs(got.astype(np.int16) - want.astype(np.int16))
            assert diff.max(initial=0) <= 1, f"uint8 bilinear off by {diff.max()}"
    else:
        if order == 0:
            np.testing.assert_array_equal(got, exact.astype(np.float32))
        else:
            np.testing.assert_allclose(got, exact, rtol=0, atol=1e-4)


def random_matrix(rng, max_shift=12.0):
    angle = rng.uniform(-np.pi, np.pi)
    zoom = rng.uniform(0.5, 1.6, size=2)
    shear = rng.uniform(-0.3, 0.3)
    lin = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    lin = lin @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag(zoom)
    return np.hstack([lin, rng.uniform(-max_shift, max_shift, size=(2, 1))])


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("mode", MODES)
def test_random_matrices_match_scipy_on_every_level(simd_level, rng, mode, order, dtype):
    for trial in range(6):
        channels = 1 + trial % 5
        h, w = (int(v) for v in rng.integers(1, 40, size=2))
        out_shape = tuple(int(v) for v in rng.integers(1, 50, size=2))
        img = random_image(rng, (h, w, channels), dtype)
        m = random_matrix(rng, max_shift=max(h, w))
        got = kernels.warp_affine(img, m, order=order, fill_mode=mode, cval=37.6,
                                  output_shape=out_shape)
        assert got.shape == out_shape + (channels,) and got.dtype == dtype
        check_against_scipy(got, img, m, order, mode, 37.6, out_shape)


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 9, 1), (9, 1, 4), (7, 5, 3), (2, 2, 1)])
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("mode", MODES)
def test_tiny_images_and_edge_coordinates(simd_level, rng, shape, order, mode):
    """Coordinates exactly on 0, n-1, +-0.5, just outside, and shifts far off the image."""
    img = random_image(rng, shape, np.float32)
    h, w = shape[:2]
    shifts = [0.0, 0.5, -0.5, h - 1.0, -(h - 1.0), 1e-9, -1e-9, h - 0.5, 2.5 * h, -3.5 * w,
              1e6 + 0.25, -1e9, 123456789.75, 3e15 + 0.5, -7e14 - 0.5]
    for dy in shifts:
        for dx in (0.0, -0.5, w - 1.0, w - 0.5, 1.5 * w, -1e7):
            m = np.array([[1.0, 0.0, dy], [0.0, 1.0, dx]])
            got = kernels.warp_affine(img, m, order=order, fill_mode=mode, cval=-5.0,
                                      output_shape=(h + 3, w + 20))
            check_against_scipy(got, img, m, order, mode, -5.0, (h + 3, w + 20))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("order", [0, 1])
def test_224_rotation_zoom_shift(simd_level, rng, order, dtype):
    img = random_image(rng, (224, 224, 3), dtype)
    th, z = np.deg2rad(15.0), 0.8
    rot = np.array([[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0], [0, 0, 1]])
    centre = np.array([[1, 0, 112.0], [0, 1, 112.0], [0, 0, 1]])
    shift = np.array([[1, 0, 22.4], [0, 1, -22.4], [0, 0, 1]])
    m = centre @ rot @ shift @ np.diag([z, z, 1.0]) @ np.linalg.inv(centre)
    for mode in ("nearest", "constant", "reflect") if order == 1 else ("wrap",):
        got = kernels.warp_affine(img, m, order=order, fill_mode=mode, cval=10.0)
        check_against_scipy(got, img, m, order, mode, 10.0)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("order", [0, 1])
def test_every_level_agrees_with_scalar_reference(rng, order, dtype):
    """Large images with all fill modes and random (also wild) matrices, every path vs scalar."""
    for trial in range(4):
        channels = (1, 3, 4, 2)[trial]
        img = random_image(rng, (61, 83, channels), dtype)
        mats = [random_matrix(rng, 40.0), random_matrix(rng, 200.0),
                np.array([[1e300, -1e300, 1e300], [1e-300, 5e299, -1e300]])]
        for m in mats:
            for mode in MODES:
                results = {}
                for path in SIMD_PATHS:
                    with forced_simd_path(path):
                        results[path] = kernels.warp_affine(
                            img, m, order=order, fill_mode=mode, cval=300.0,
                            output_shape=(47, 101))
                ref = results["scalar"].astype(np.float64)
                for path, res in results.items():
                    diff = np.abs(res.astype(np.float64) - ref)
                    tol = 0 if order == 0 else (1 if dtype == np.uint8 else 1e-4)
                    assert diff.max() <= tol, (path, mode, diff.max())


@pytest.mark.parametrize("layout", ["contiguous", "neg_rows", "neg_cols", "step2", "channel_slice"])
@pytest.mark.parametrize("order", [0, 1])
def test_any_strides(simd_level, rng, layout, order):
    base = random_image(rng, (19, 45, 3), np.uint8)
    img = strided_variants(base)[layout]
    flipped = base[::-1, ::-1]  # truly negative strides, not a double flip
    m = random_matrix(rng, 10.0)
    for src in (img, flipped, np.swapaxes(base, 0, 1)):
        before = src.copy()
        for mode in ("nearest", "constant", "mirror"):
            got = kernels.warp_affine(src, m, order=order, fill_mode=mode, cval=9.0)
            check_against_scipy(got, before, m, order, mode, 9.0)
        np.testing.assert_array_equal(src, before)  # input untouched


def test_strided_output_and_2d_images(rng):
    img = random_image(rng, (12, 17), np.float32)
    m = random_matrix(rng, 5.0)
    got = kernels.warp_affine(img, m, output_shape=(9, 30), fill_mode="reflect")
    assert got.shape == (9, 30)
    check_against_scipy(got, img, m, 1, "reflect", 0.0, (9, 30))
    big = np.zeros((9, 30, 5), np.uint8)
    out = big[:, :, ::2]  # channel stride 2: goes through a temporary
    img3 = random_image(rng, (12, 17, 3), np.uint8)
    assert kernels.warp_affine(img3, m, output_shape=(9, 30), out=out) is out
    check_against_scipy(out, img3, m, 1, "constant", 0.0, (9, 30))
    assert not big[:, :, 1::2].any()
    out2 = np.zeros((30, 9, 3), np.uint8).transpose(1, 0, 2)  # column stride > channels
    kernels.warp_affine(img3, m, order=0, output_shape=(9, 30), out=out2)
    check_against_scipy(out2, img3, m, 0, "constant", 0.0, (9, 30))


def test_homogeneous_3x3_matrix_and_list_input(rng):
    img = random_image(rng, (10, 11, 3), np.uint8)
    m = random_matrix(rng, 3.0)
    full = np.vstack([m, [0, 0, 1]])
    np.testing.assert_array_equal(kernels.warp_affine(img, full), kernels.warp_affine(img, m))
    np.testing.assert_array_equal(kernels.warp_affine(img, m.tolist()), kernels.warp_affine(img, m))


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("pair", [(np.uint8, np.float32), (np.float32, np.uint8)])
def test_mixed_dtypes_through_core(simd_level, rng, order, pair):
    """The pipeline's (uint8 -> float32) and (float32 -> uint8) instantiations."""
    tin, tout = pair
    for channels in (1, 3, 4, 5):
        img = random_image(rng, (23, 37, channels), tin)
        if tin == np.float32:
            img = img * np.float32(1.2) - np.float32(20)  # exercises saturation both ways
        m = random_matrix(rng, 8.0)
        for mode in MODES:
            out = np.empty((29, 34, channels), tout)
            _core.warp_affine(img, out, m, order, mode, 260.0)
            check_against_scipy(out, img, m, order, mode, 260.0, (29, 34))


def axis_aligned_matrix(rng, h, w, out_shape):
    """A Keras-like zoom/shift/flip pull map: m[0, 1] = m[1, 0] = 0 exactly; scales of
    either sign, including exact 1 (integer coordinates) and 0.5 (bilinear ties)."""
    scales = rng.choice([1.0, -1.0, 0.5, -2.0, 1.25])
    zy, zx = (rng.uniform(0.3, 2.5) * rng.choice([1, -1]) if rng.random() < 0.7 else scales
              for _ in range(2))
    oy = rng.uniform(-1.5, 1.5) * h + (out_shape[0] if zy < 0 else 0) * abs(zy)
    ox = rng.uniform(-1.5, 1.5) * w + (out_shape[1] if zx < 0 else 0) * abs(zx)
    if rng.random() < 0.3:
        oy, ox = float(np.round(oy)) or 1.0, float(np.round(ox)) or 1.0
    return np.array([[zy, 0.0, oy], [0.0, zx, ox]])


def as_general_matrix(m):
    """The same map with m[0, 1] = m[1, 0] = 1e-300 instead of 0: the warp then takes its
    general path, yet every coordinate rounds to the same double (the offsets are nonzero
    and the added products are far below half an ulp). See assert_paths_agree."""
    g = m.copy()
    g[0, 1] = g[1, 0] = 1e-300
    assert g[0, 2] != 0 and g[1, 2] != 0
    return g


def assert_paths_agree(separable, general, order):
    """The separable and the general path agree bit for bit, except uint8-to-uint8
    bilinear: inside the image the general path steps its coordinates in 16.16 fixed point
    (weights within 2**-15 of the double ones), so a value that lands on a rounding edge
    may round the other way there: within 1."""
    if order == 1 and separable.dtype == np.uint8 and general.dtype == np.uint8:
        diff = np.abs(separable.astype(np.int16) - general.astype(np.int16))
        assert diff.max(initial=0) <= 1
    else:
        np.testing.assert_array_equal(separable, general)


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pair", [(np.uint8, np.uint8), (np.uint8, np.float32),
                                  (np.float32, np.float32), (np.float32, np.uint8)])
def test_axis_aligned_path_equals_general_path_and_scipy(simd_level, rng, order, mode, pair):
    """Zoom/shift/flip matrices (m01 = m10 = 0) take the separable path: the same as the
    general path on every level (assert_paths_agree), and within the usual tolerance of
    scipy."""
    tin, tout = pair
    for trial in range(8):
        channels = 1 + trial % 5
        h, w = (int(v) for v in rng.integers(1, 70, size=2))
        out_shape = tuple(int(v) for v in rng.integers(1, 90, size=2))
        img = random_image(rng, (h, w, channels), tin)
        if tin == np.float32:
            img = img * np.float32(1.3) - np.float32(30)  # saturates both ways as uint8
        m = axis_aligned_matrix(rng, h, w, out_shape)
        got = np.empty(out_shape + (channels,), tout)
        general = np.empty_like(got)
        _core.warp_affine(img, got, m, order, mode, 37.6)
        _core.warp_affine(img, general, as_general_matrix(m), order, mode, 37.6)
        if tin == np.uint8:
            assert_paths_agree(got, general, order)
        else:
            np.testing.assert_array_equal(got, general)
        check_against_scipy(got, img, m, order, mode, 37.6, out_shape)


@pytest.mark.parametrize("tout", [np.uint8, np.float32])
@pytest.mark.parametrize("mode", MODES)
def test_packed_rows_equal_the_channel_planar_path(simd_level, rng, mode, tout):
    """Packed uint8 pixels warped bilinearly along an axis-aligned map go through 16-byte
    windows and byte shuffles; pixels that are not packed (a channel slice of wider ones)
    take the channel-planar path. The two agree bit for bit, including zooms out far enough
    that the windows do not fit, flips, rows shorter than one window and row tails."""
    for trial in range(32):
        channels = 1 + trial % 4
        h = int(rng.integers(1, 60))
        w = int(rng.integers(1, 8)) if trial % 6 == 5 else int(rng.integers(8, 90))
        out_shape = (int(rng.integers(1, 50)), int(rng.integers(16, 120)))
        wide = random_image(rng, (h, w, channels + 1), np.uint8)
        planar_src = wide[..., :channels]
        packed_src = np.ascontiguousarray(planar_src)
        zy = rng.choice([0.5, 1.0, -1.0, 1.3, 6.0]) * rng.uniform(0.8, 1.2)
        # Column steps of about 5 pixels put 4 one-channel taps on a window's last byte.
        zx = rng.choice([0.7, 1.0, -1.0, -1.25, 3.0, 5.2, -5.2, 6.5]) * rng.uniform(0.95, 1.05)
        m = np.array([[zy, 0.0, rng.uniform(-0.5, 0.5) * h + (out_shape[0] * abs(zy) if zy < 0 else 0)],
                      [0.0, zx, rng.uniform(-0.5, 0.5) * w + (out_shape[1] * abs(zx) if zx < 0 else 0)]])
        packed = np.empty(out_shape + (channels,), tout)
        planar = np.empty_like(packed)
        _core.warp_affine(packed_src, packed, m, 1, mode, 91.0)
        _core.warp_affine(planar_src, planar, m, 1, mode, 91.0)
        np.testing.assert_array_equal(packed, planar, err_msg=f"{m.tolist()}, {channels} channels")


# (m1, m2) with y = c * m1 + m2 reaching a hair above 0 inside a block of 16, 8 or 4 columns
# (AVX-512, AVX2, SSE4), where the fixed-point lane coordinate (block start truncated to
# 16.16, plus the rounded lane step) comes out at -1: the tap must still be row 0, not
# wrap around to the last row. Found by emulating that arithmetic.
FIXED_POINT_BELOW_ZERO = [(-0.22051571538894593, 10.36423873530772),
                          (-0.33388934829100136, 10.350569968847477),
                          (-0.4220331327653994, 16.45929641195312),
                          (-0.1595298743991971, 3.66919020400635),
                          (-0.08735070676717586, 2.009067326053408),
                          (-0.5189449776049506, 20.23885608604161)]


@pytest.mark.parametrize("axis", ["rows", "columns"])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_fixed_point_rounding_just_below_zero_reads_the_edge(simd_level, rng, channels, axis):
    src = random_image(rng, (40, 64, channels), np.uint8)
    # Make a wrong edge read far off: the last row (rows), the next row's first pixel (columns).
    src[0], src[-1] = 0, 255
    src[:, 0] = (np.arange(40) % 2 * 255)[:, None]
    for m1, m2 in FIXED_POINT_BELOW_ZERO:
        if axis == "rows":
            m = np.array([[0.0, m1, m2], [0.0, 1.0, 0.0]])
        else:  # x = c * m1 + m2 (the tiny m[0, 1] keeps it off the axis-aligned path)
            m = np.array([[1.0, 1e-300, 0.0], [0.0, m1, m2]])
        for mode in ("constant", "nearest"):
            got = kernels.warp_affine(src, m, order=1, fill_mode=mode, output_shape=(8, 64))
            check_against_scipy(got, src, m, 1, mode, 0.0, (8, 64))


# Entries whose products and sums land exactly on the image's edges and on order-0 ties,
# or a rounding step away, depending on the order of the additions.
EDGE_ENTRIES = (0.1, 0.2, 0.3, -0.1, -0.3, 0.7, 1 / 3, -1 / 3, 0.5, 1.0, -1.0)
EDGE_OFFSETS = (0.0, -1e-17, 1e-17, -1.4e-45, 0.3, -0.3, 0.1, -0.2, 2.9999999999999996)


@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect"])
@pytest.mark.parametrize("shape", [(6, 7), (20, 37)])
def test_coordinates_add_the_offset_first_as_scipy_does(simd_level, rng, mode, shape):
    """scipy forms an input coordinate as (offset + r*m0) + c*m1: adding the offset last
    instead moves some coordinates by a rounding step, which flips `constant`'s edge test
    (-1.4e-45 is outside) and order-0 ties. Order 0 must pick scipy's pixel exactly."""
    img = random_image(rng, shape + (3,), np.uint8)
    for _ in range(150):
        lin = rng.choice(EDGE_ENTRIES, size=(2, 2)) * rng.choice([1.0, 2.0, 4.0])
        m = np.hstack([lin, rng.choice(EDGE_OFFSETS, size=(2, 1))])
        got = kernels.warp_affine(img, m, order=0, fill_mode=mode, cval=7.0)
        check_against_scipy(got, img, m, 0, mode, 7.0)


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_fixed_point_inlier_blocks_match_scipy(simd_level, rng, channels, order):
    """Packed uint8 warps step their coordinates in fixed point inside the image. Order 0
    must still pick scipy's pixel where a double coordinate is exactly on a rounding tie
    (k + 0.5, rounded up) or a hair either side of one, and bilinear stay within 1 of
    scipy, along rows long enough for the fixed-point steps to add up."""
    img = random_image(rng, (300, 520, channels), np.uint8)
    for eps in (0.0, 1e-12, -1e-12, 2.0**-17, -(2.0**-17), 3e-6):
        for lin in ([[0.5, 0.25], [-0.25, 0.5]],  # coordinates on multiples of 1/4
                    [[0.75, -0.5], [0.5, 0.75]],
                    [[0.0625, 0.375], [-0.9375, 0.0078125]]):
            m = np.hstack([np.array(lin), [[40.25 + eps], [300.5 - eps]]])
            for mode in ("nearest", "constant"):
                got = kernels.warp_affine(img, m, order=order, fill_mode=mode, cval=3.0,
                                          output_shape=(96, 512))
                check_against_scipy(got, img, m, order, mode, 3.0, (96, 512))
    # Rotations: coordinates spread over every fraction, many blocks per row.
    for _ in range(4):
        m = random_matrix(rng, max_shift=60.0)
        m[:, :2] *= 0.5
        m[:, 2] += (150.0, 260.0)
        got = kernels.warp_affine(img, m, order=order, fill_mode="nearest", output_shape=(64, 520))
        check_against_scipy(got, img, m, order, "nearest", 0.0, (64, 520))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_order0_rows_leaving_the_image_match_scipy(simd_level, rng, channels):
    """Order 0 rows that leave the image: fill "nearest" clamps the fixed-point coordinates
    into it, fill "constant" fills cval outside each row's inlier span. Zoom-outs and
    rotations put most of each row outside; offsets of k + 0.5 put lanes exactly on the
    rounding tie at the edges (-0.5 and last + 0.5) and a hair either side of it."""
    img = random_image(rng, (61, 83, channels), np.uint8)
    for eps in (0.0, 1e-12, -1e-12, 2.0**-17):
        for lin in ([[1.5, 0.0], [0.0, 1.5]], [[1.25, 0.5], [-0.5, 1.25]],
                    [[0.5, -1.75], [1.75, 0.5]], [[-2.0, 0.25], [0.125, 2.5]]):
            m = np.hstack([np.array(lin), [[-30.5 + eps], [-40.5 - eps]]])
            for mode in ("nearest", "constant"):
                got = kernels.warp_affine(img, m, order=0, fill_mode=mode, cval=200.0,
                                          output_shape=(90, 130))
                check_against_scipy(got, img, m, 0, mode, 200.0, (90, 130))
    for _ in range(6):
        m = random_matrix(rng, max_shift=120.0)
        m[:, :2] *= rng.uniform(1.2, 2.5)
        for mode in ("nearest", "constant"):
            got = kernels.warp_affine(img, m, order=0, fill_mode=mode, cval=9.0,
                                      output_shape=(70, 140))
            check_against_scipy(got, img, m, 0, mode, 9.0, (70, 140))


@pytest.mark.parametrize("order", [0, 1])
def test_axis_aligned_path_with_strides_and_repeated_rows(simd_level, rng, order):
    """Negative and padded strides on both sides, and magnifications where many output rows
    read the same source rows (the row cache and the row copy)."""
    base = random_image(rng, (40, 52, 3), np.uint8)
    for src in (base, base[::-1, ::-2], np.swapaxes(base, 0, 1)):
        for m in (np.array([[0.25, 0.0, 3.3], [0.0, -0.4, 19.7]]),
                  np.array([[1.0, 0.0, -2.0], [0.0, 1.0, 5.0]]),
                  np.array([[-0.7, 0.0, 30.2], [0.0, 1.9, -4.1]])):
            for mode in ("nearest", "constant", "reflect"):
                contiguous = np.ascontiguousarray(src)
                want = np.empty((37, 45, 3), np.uint8)
                general = np.empty_like(want)
                _core.warp_affine(contiguous, want, m, order, mode, 7.0)
                _core.warp_affine(contiguous, general, as_general_matrix(m), order, mode, 7.0)
                assert_paths_agree(want, general, order)
                check_against_scipy(want, contiguous, m, order, mode, 7.0, (37, 45))
                for out in (np.zeros((37, 45, 3), np.uint8), np.zeros((45, 37, 3), np.uint8).transpose(1, 0, 2),
                            np.zeros((37, 45, 3), np.uint8)[::-1]):
                    _core.warp_affine(src, out, m, order, mode, 7.0)
                    np.testing.assert_array_equal(out, want)


def test_float_specials_never_crash_and_round_like_scipy(simd_level):
    img = np.array([[0.49999997, 254.5, -3.0, np.inf], [np.nan, 255.49, 1e30, -np.inf]],
                   np.float32)[:, :, None]
    out = np.empty((2, 4, 1), np.uint8)
    _core.warp_affine(img, out, np.array([[1.0, 0, 0], [0, 1.0, 0]]), 0, "constant", 0.0)
    np.testing.assert_array_equal(out[:, :, 0], [[0, 255, 0, 255], [0, 255, 255, 0]])


# ------------------------------------------------------------------ properties

image_u8_or_f32 = st.sampled_from([np.uint8, np.float32]).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=20),
                          elements=st.integers(0, 255) if dt == np.uint8 else
                          st.floats(-1e4, 1e4, width=32)))


@given(image_u8_or_f32, st.sampled_from(MODES), st.sampled_from([0, 1]))
@settings(max_examples=60, deadline=None)
def test_identity_returns_input_exactly(img, mode, order):
    res = kernels.warp_affine(img, np.eye(3), order=order, fill_mode=mode)
    np.testing.assert_array_equal(res, img)


@given(st.integers(0, 255), st.integers(1, 30), st.integers(1, 30), st.integers(1, 4),
       st.sampled_from(MODES), st.sampled_from([0, 1]),
       st.lists(st.floats(-3, 3), min_size=4, max_size=4), st.floats(-50, 50))
@settings(max_examples=60, deadline=None)
def test_constant_image_stays_constant(value, h, w, c, mode, order, lin, shift):
    img = np.full((h, w, c), value, np.uint8)
    m = np.array([[lin[0], lin[1], shift], [lin[2], lin[3], -shift]])
    res = kernels.warp_affine(img, m, order=order, fill_mode=mode, cval=value ^ 1)
    if mode == "constant":
        assert set(np.unique(res)) <= {value, value ^ 1}
        inside = scipy_warp(np.ones((h, w)), m, 0, "constant", 0.0)[:, :, 0] == 1
        assert (res[inside] == value).all()
    else:
        assert (res == value).all()


@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=16)),
       st.sampled_from(MODES), st.lists(st.floats(-4, 4), min_size=6, max_size=6))
@settings(max_examples=60, deadline=None)
def test_nearest_neighbour_only_returns_input_values_or_cval(img, mode, coeffs):
    m = np.array(coeffs, np.float64).reshape(2, 3) * [1, 1, 5]
    res = kernels.warp_affine(img, m, order=0, fill_mode=mode, cval=7.0)
    allowed = {tuple(p) for p in img.reshape(-1, img.shape[2])} | {(7,) * img.shape[2]}
    assert {tuple(p) for p in res.reshape(-1, res.shape[2])} <= allowed


# ------------------------------------------------------------------ bad input

IMG = np.zeros((4, 5, 3), np.uint8)
M = np.array([[1.0, 0, 0], [0, 1.0, 0]])

BAD_CALLS = [
    (lambda: kernels.warp_affine([[1, 2]], M), TypeError, "image must be a numpy.ndarray"),
    (lambda: kernels.warp_affine(IMG.astype(np.int16), M), TypeError, "image must have dtype"),
    (lambda: kernels.warp_affine(IMG.astype(">f4"), M), TypeError, "image must have dtype"),
    (lambda: kernels.warp_affine(np.zeros((2, 4, 4, 3), np.uint8), M), ValueError, "image must have shape"),
    (lambda: kernels.warp_affine(np.zeros((4, 4, 0), np.uint8), M), ValueError, "at least one channel"),
    (lambda: kernels.warp_affine(IMG, np.eye(2)), ValueError, "matrix must have shape"),
    (lambda: kernels.warp_affine(IMG, np.ones((3, 3))), ValueError, "matrix's last row"),
    (lambda: kernels.warp_affine(IMG, [[1, 0, np.nan], [0, 1, 0]]), ValueError, "matrix must contain only finite"),
    (lambda: kernels.warp_affine(IMG, [[1, 0, np.inf], [0, 1, 0]]), ValueError, "matrix must contain only finite"),
    # float64 (2, 3) arrays go through the binding's plain-argument path.
    (lambda: kernels.warp_affine(IMG, np.array([[1, 0, np.nan], [0, 1, 0]])), ValueError, "matrix must contain only finite"),
    (lambda: kernels.warp_affine(IMG, np.array([[1, 0, 0], [0, 1, -np.inf]])), ValueError, "matrix must contain only finite"),
    (lambda: kernels.warp_affine(IMG, M, order=True), TypeError, "order must be an int"),
    (lambda: kernels.warp_affine(IMG, M, order=2 ** 70), ValueError, "order must be 0 or 1"),
    (lambda: kernels.warp_affine(IMG, M, cval=float("inf")), ValueError, "cval must be finite"),
    (lambda: kernels.warp_affine(IMG, "abc"), ValueError, "matrix"),
    (lambda: kernels.warp_affine(IMG, M, order=3), ValueError, "higher spline orders are not native"),
    (lambda: kernels.warp_affine(IMG, M, order=-1), ValueError, "order must be 0 or 1"),
    (lambda: kernels.warp_affine(IMG, M, order=1.0), TypeError, "order must be an int"),
    (lambda: kernels.warp_affine(IMG, M, fill_mode="grid-wrap"), ValueError, "fill_mode must be one of constant, nearest"),
    (lambda: kernels.warp_affine(IMG, M, fill_mode=None), ValueError, "fill_mode must be one of"),
    (lambda: kernels.warp_affine(IMG, M, cval=np.nan), ValueError, "cval must be finite"),
    (lambda: kernels.warp_affine(IMG, M, cval="0"), TypeError, "cval must be a real number"),
    (lambda: kernels.warp_affine(IMG, M, output_shape=(0, 3)), ValueError, "output_shape must be two positive ints"),
    (lambda: kernels.warp_affine(IMG, M, output_shape=(3,)), ValueError, "output_shape must be"),
    (lambda: kernels.warp_affine(IMG, M, output_shape=(3.0, 2)), ValueError, "output_shape must be two positive ints"),
    (lambda: kernels.warp_affine(IMG, M, out=np.zeros((4, 5, 3), np.float32)), TypeError, "out must have dtype uint8"),
    (lambda: kernels.warp_affine(IMG, M, out=np.zeros((4, 6, 3), np.uint8)), ValueError, r"out must have shape \(4, 5, 3\)"),
    (lambda: kernels.warp_affine(IMG, M, out=IMG), ValueError, "out overlaps"),
]


@pytest.mark.parametrize("call,exc,msg", BAD_CALLS)
def test_bad_input_raises_named_error(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_core_validates_directly_too():
    """A direct _core call with bad arguments raises; it never crashes or writes out of bounds."""
    out = np.zeros((4, 5, 3), np.uint8)
    calls = [
        (lambda: _core.warp_affine(IMG, out, M.ravel(), 1, "constant", 0.0), ValueError, "matrix must have shape"),
        (lambda: _core.warp_affine(IMG, out, M.astype(np.float32), 1, "constant", 0.0), TypeError, "matrix must have dtype float64"),
        (lambda: _core.warp_affine(IMG, out, M.tolist(), 1, "constant", 0.0), TypeError, "matrix must be a numpy.ndarray"),
        (lambda: _core.warp_affine(IMG, out, np.full((2, 3), np.inf), 1, "constant", 0.0), ValueError, "finite"),
        (lambda: _core.warp_affine(IMG, out, M, 2, "constant", 0.0), ValueError, "order must be 0 or 1"),
        (lambda: _core.warp_affine(IMG, out, M, 1, "bogus", 0.0), ValueError, "fill_mode must be one of"),
        (lambda: _core.warp_affine(IMG, out, M, 1, "constant", float("inf")), ValueError, "cval must be finite"),
        (lambda: _core.warp_affine(IMG, np.zeros((4, 5, 2), np.uint8), M, 1, "constant", 0.0), ValueError, "channels"),
        (lambda: _core.warp_affine(IMG[:, :, 0], out[:, :, 0], M, 1, "constant", 0.0), ValueError, "shape"),
        (lambda: _core.warp_affine(IMG, IMG, M, 1, "constant", 0.0), ValueError, "overlaps"),
        (lambda: _core.warp_affine(np.zeros((4, 5, 6), np.uint8)[..., ::2], out, M, 1, "constant", 0.0), ValueError, "contiguous channels"),
        (lambda: _core.warp_affine(IMG.astype(np.int16), out, M, 1, "constant", 0.0), TypeError, "uint8 or float32"),
        (lambda: _core.warp_affine(IMG, out.astype(np.float64), M, 1, "constant", 0.0), TypeError, "uint8 or float32"),
        (lambda: _core.warp_affine(IMG, np.zeros((0, 5, 3), np.uint8), M, 1, "constant", 0.0), ValueError, "height and width"),
    ]
    for call, exc, msg in calls:
        with pytest.raises(exc, match=msg):
            call()
    ro = np.zeros_like(out)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _core.warp_affine(IMG, ro, M, 1, "constant", 0.0)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "mirror", "wrap"])
def test_whole_pixel_shifts_and_flips_are_exact_index_maps(simd_level, rng, dtype, mode):
    """Axis-aligned whole-pixel maps take the row-copy path: scipy's result, any shift."""
    for shape in [(7, 5, 3), (1, 9, 1), (30, 41, 3), (6, 1, 4)]:
        img = random_image(rng, shape, dtype)
        h, w = shape[:2]
        for sy, sx in [(1, 1), (-1, 1), (1, -1), (-1, -1)]:
            for dy, dx in [(0, 0), (3, -2), (-h - 4, 2 * w + 1), (h - 1, 0), (-1, w)]:
                oy = dy + (h - 1 if sy < 0 else 0)
                ox = dx + (w - 1 if sx < 0 else 0)
                m = np.array([[sy, 0.0, float(oy)], [0.0, sx, float(ox)]])
                for order in (0, 1):
                    got = kernels.warp_affine(img, m, order=order, fill_mode=mode, cval=9.0,
                                              output_shape=(h + 2, w + 3))
                    check_against_scipy(got, img, m, 0, mode, 9.0, (h + 2, w + 3))


@pytest.mark.parametrize("pair", [(np.uint8, np.uint8), (np.float32, np.float32),
                                  (np.uint8, np.float32)])
@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "mirror", "wrap"])
def test_whole_pixel_shifts_of_the_image_size_copy_blocks_of_rows(simd_level, rng, pair, mode):
    """Output as large as the input: rows reading consecutive input rows are copied in
    blocks that span several rows (one block for the identity and vertical shifts), and rows
    repeating the edge row copy the row before; uint8 into float32 converts runs, mirrored
    ones (horizontal flips) through a mirrored byte row. Tall enough for several blocks."""
    tin, tout = pair
    for shape in [(75, 41, 3), (40, 23, 1), (70, 9, 4)]:
        img = random_image(rng, shape, tin)
        h, w = shape[:2]
        for (dy, dx), sx in itertools.product(
                [(0, 0), (5, 0), (-37, 0), (0, 7), (-3, -11), (12, 3), (h + 2, 0), (2, -w)],
                (1, -1)):
            m = np.array([[1.0, 0.0, float(dy)],
                          [0.0, float(sx), float(dx + (w - 1 if sx < 0 else 0))]])
            for order in (0, 1):
                out = np.empty(shape, tout)
                _core.warp_affine(img, out, m, order, mode, 9.0)
                check_against_scipy(out, img, m, 0, mode, 9.0)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "mirror", "wrap"])
def test_quarter_turns_and_transposes_are_exact_index_maps(simd_level, rng, dtype, mode):
    for shape in [(7, 5, 3), (1, 9, 1), (30, 41, 3)]:
        img = random_image(rng, shape, dtype)
        h, w = shape[:2]
        for a, b in [(1, 1), (-1, 1), (1, -1), (-1, -1)]:
            for dy, dx in [(0, 0), (2, -3), (h - 1, w - 1), (-h - 2, 2 * w)]:
                m = np.array([[0.0, a, float(dy)], [b, 0.0, float(dx)]])
                for order in (0, 1):
                    got = kernels.warp_affine(img, m, order=order, fill_mode=mode, cval=9.0,
                                              output_shape=(w + 1, h + 2))
                    check_against_scipy(got, img, m, 0, mode, 9.0, (w + 1, h + 2))
        # Four quarter turns about the centre of a square image give the image back.
        sq = random_image(rng, (9, 9, shape[2]), dtype)
        turn = np.array([[0.0, -1.0, 8.0], [1.0, 0.0, 0.0]])
        x = sq
        for _ in range(4):
            x = kernels.warp_affine(x, turn, order=1, fill_mode=mode)
        np.testing.assert_array_equal(x, sq)


TRANSLATIONS = [(-12.3, 20.6), (0.5, 3.0), (2.0, -3.25), (3.999999, -0.0001), (60.5, 2.5),
                (-1e9, 0.3), (-0.75, 1e-12)]


@pytest.mark.parametrize("shape", [(61, 83, 3), (7, 5, 1), (33, 70, 4), (16, 9, 2)])
def test_fractional_translation_matches_scipy_and_the_general_path(simd_level, rng, shape):
    """uint8 shifts by fractions of a pixel: bilinear takes the two-tap fixed-point pass
    (interleaved rows, one weight per axis; border columns with their own taps), nearest
    takes exact index maps. Both against scipy and against the general path, every fill
    mode, shifts that leave the image, sub-ulp fractions and whole rows of cval."""
    img = random_image(rng, shape, np.uint8)
    out_shape = (shape[0] + 5, shape[1] + 3)
    for dy, dx in TRANSLATIONS:
        m = np.array([[1.0, 0.0, dy], [0.0, 1.0, dx]])
        for mode in ("nearest", "constant", "reflect", "mirror", "wrap"):
            for order in (0, 1):
                got = kernels.warp_affine(img, m, order=order, fill_mode=mode, cval=7.0,
                                          output_shape=out_shape)
                check_against_scipy(got, img, m, order, mode, 7.0, out_shape)
                general = kernels.warp_affine(img, as_general_matrix(m), order=order,
                                              fill_mode=mode, cval=7.0, output_shape=out_shape)
                assert_paths_agree(got, general, order)


def test_fractional_translation_with_strided_views(simd_level, rng):
    """Rows read and written through strides (a negative row stride, a padded view): the
    same result as with contiguous arrays."""
    base = random_image(rng, (40, 52, 3), np.uint8)
    m = np.array([[1.0, 0.0, -4.6], [0.0, 1.0, 7.3]])
    want = kernels.warp_affine(base, m, order=1, fill_mode="reflect")
    padded = np.zeros((80, 52, 3), np.uint8)
    padded[::2] = base
    for src in (base[::-1].copy()[::-1], padded[::2]):
        assert not src.flags.c_contiguous
        out = np.zeros((80, 52, 3), np.uint8)[::2]
        _core.warp_affine(src, out, m, 1, "reflect", 0.0)
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("mode", ["nearest", "constant", "reflect"])
def test_whole_pixel_shift_into_a_padded_view_stays_inside_it(simd_level, rng, mode):
    """The whole-pixel path copies rows in runs: into a padded view, the gaps between its
    rows keep their bytes, and both layouts give scipy's pixels."""
    img = random_image(rng, (30, 41, 3), np.uint8)
    m = np.array([[1.0, 0.0, -7.0], [0.0, 1.0, 9.0]])
    contiguous = np.empty_like(img)
    _core.warp_affine(img, contiguous, m, 0, mode, 5.0)
    check_against_scipy(contiguous, img, m, 0, mode, 5.0)
    base = np.full((30, 45, 3), 77, np.uint8)
    view = base[:, 2:43]
    _core.warp_affine(img, view, m, 0, mode, 5.0)
    np.testing.assert_array_equal(view, contiguous)
    assert (base[:, :2] == 77).all() and (base[:, 43:] == 77).all()
