"""Memory-bound kernels on one uint8 image: horizontal/vertical flip into a new array,
brightness x0.7 with saturation, per-channel shift; each group carries memcpy rows."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks._common import (
    SINGLE_SHAPES,
    Impl,
    PIL_Image,
    PIL_ImageEnhance,
    albucore,
    albumentations,
    cv2,
    fastaug_api,
    impl_params,
    label,
    make_image,
    memcpy_impls,
)

BRIGHTNESS = 0.7
SHIFT = (20.0, -15.0, 10.0)  # per channel: raises one channel, lowers another


def _fastaug(api: str, *args, **kwargs):
    """fastaug kernel writing a new array, and the same kernel writing into `out=`."""

    def new(case):
        fn, img = fastaug_api(api), case["image"]
        return lambda: fn(img, *args, **kwargs)

    def into(case):
        fn, img = fastaug_api(api), case["image"]
        dst = np.empty_like(img)
        return lambda: fn(img, *args, out=dst, **kwargs)

    return [
        Impl("fastaug", "new array", "fastaug", new),
        Impl("fastaug", "out=", "fastaug", into),
    ]


def _pillow(op):
    def make(case):
        img = case["image"]
        return lambda: np.asarray(op(PIL_Image.fromarray(img)))

    return make


# --- flips ---------------------------------------------------------------------------------

FLIPS = {
    "horizontal": dict(axis=1, cv2_code=1, api="kernels.flip_horizontal",
                       pil="FLIP_LEFT_RIGHT", albu="HorizontalFlip"),
    "vertical": dict(axis=0, cv2_code=0, api="kernels.flip_vertical",
                     pil="FLIP_TOP_BOTTOM", albu="VerticalFlip"),
}


def _flip_impls(spec) -> list:
    axis, code = spec["axis"], spec["cv2_code"]

    def numpy_copy(case):
        img = case["image"]
        return lambda: np.flip(img, axis=axis).copy()

    def opencv(case):
        img = case["image"]
        return lambda: cv2.flip(img, code)

    def pillow(case):
        method = getattr(PIL_Image.Transpose, spec["pil"])
        return _pillow(lambda im: im.transpose(method))(case)

    def albu(case):
        img, transform = case["image"], getattr(albumentations, spec["albu"])(p=1.0)
        return lambda: transform(image=img)["image"]

    return _fastaug(spec["api"]) + [
        Impl("numpy", "copy of flipped view", "numpy", numpy_copy),
        Impl("OpenCV", "flip", "opencv", opencv, needs_peers=("cv2",)),
        Impl("Pillow", "transpose", "pillow", pillow, needs_peers=("PIL",)),
        Impl("AlbumentationsX", spec["albu"], "albumentations", albu,
             needs_peers=("albumentations", "cv2")),
    ] + memcpy_impls()


FLIP_CASES = [
    pytest.param(direction, p.values[0], id=f"{direction}-{p.id}", marks=p.marks)
    for direction, spec in FLIPS.items()
    for p in impl_params(_flip_impls(spec))
]


@pytest.mark.parametrize("direction, impl", FLIP_CASES)
def test_flip(benchmark, threads, size, direction, impl):
    img = make_image(SINGLE_SHAPES[size])
    label(benchmark, workload=f"flip {direction}", impl=impl, size=f"{size}x{size}x3",
          threads=threads, images=1, nbytes=img.nbytes)
    out = benchmark(impl.make({"image": img}))
    assert out.shape == img.shape and out.dtype == np.uint8


@pytest.mark.parametrize("direction, impl", FLIP_CASES)
def test_flip_matches_numpy(direction, impl):
    img = make_image(SINGLE_SHAPES["224"])
    got = impl.make({"image": img})()
    want = img if impl.family == "memcpy" else np.flip(img, axis=FLIPS[direction]["axis"])
    np.testing.assert_array_equal(got, want, err_msg=impl.id)


# --- brightness ----------------------------------------------------------------------------


def _brightness_reference(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img * np.float32(BRIGHTNESS)), 0, 255).astype(np.uint8)


def _brightness_impls() -> list:
    def numpy_float(case):
        img = case["image"]
        return lambda: _brightness_reference(img)

    def convert_scale_abs(case):
        img = case["image"]
        return lambda: cv2.convertScaleAbs(img, alpha=BRIGHTNESS)

    def lut(case):
        img = case["image"]

        def run():
            # The table depends on the (random) factor, so it is built per call.
            table = np.clip(np.rint(np.arange(256, dtype=np.float32) * BRIGHTNESS), 0, 255)
            return cv2.LUT(img, table.astype(np.uint8))

        return run

    def albucore_multiply(case):
        img = case["image"]
        return lambda: albucore.multiply(img, BRIGHTNESS)

    pillow = _pillow(lambda im: PIL_ImageEnhance.Brightness(im).enhance(BRIGHTNESS))
    return _fastaug("kernels.adjust_brightness", BRIGHTNESS) + [
        Impl("numpy", "float32 multiply, clip", "numpy", numpy_float),
        Impl("OpenCV", "convertScaleAbs", "opencv", convert_scale_abs, needs_peers=("cv2",)),
        Impl("OpenCV", "LUT", "opencv", lut, needs_peers=("cv2",)),
        Impl("albucore", "multiply", "albumentations", albucore_multiply,
             needs_peers=("albucore",)),
        Impl("Pillow", "ImageEnhance.Brightness", "pillow", pillow, needs_peers=("PIL",)),
    ] + memcpy_impls()


BRIGHTNESS_CASES = impl_params(_brightness_impls())


@pytest.mark.parametrize("impl", BRIGHTNESS_CASES)
def test_brightness(benchmark, threads, size, impl):
    img = make_image(SINGLE_SHAPES[size])
    label(benchmark, workload=f"brightness x{BRIGHTNESS}", impl=impl, size=f"{size}x{size}x3",
          threads=threads, images=1, nbytes=img.nbytes)
    out = benchmark(impl.make({"image": img}))
    assert out.shape == img.shape and out.dtype == np.uint8


@pytest.mark.parametrize("impl", BRIGHTNESS_CASES)
def test_brightness_matches_numpy(impl):
    img = make_image(SINGLE_SHAPES["224"])
    got = impl.make({"image": img})().astype(np.int16)
    want = img if impl.family == "memcpy" else _brightness_reference(img)
    # Pillow floors where the others round: one level apart at most.
    assert np.abs(got - want).max() <= 1, impl.id


# --- channel shift -------------------------------------------------------------------------


def _shift_reference(img: np.ndarray) -> np.ndarray:
    return np.clip(img + np.asarray(SHIFT, np.float32), 0, 255).astype(np.uint8)


def _shift_impls() -> list:
    def numpy_float(case):
        img = case["image"]
        return lambda: _shift_reference(img)

    def opencv_add(case):
        img = case["image"]
        return lambda: cv2.add(img, SHIFT + (0.0,))

    def albucore_add(case):
        img, shift = case["image"], np.asarray(SHIFT, np.float32)
        return lambda: albucore.add(img, shift)

    return _fastaug("kernels.channel_shift", SHIFT) + [
        Impl("numpy", "float32 add, clip", "numpy", numpy_float),
        Impl("OpenCV", "add", "opencv", opencv_add, needs_peers=("cv2",)),
        Impl("albucore", "add", "albumentations", albucore_add, needs_peers=("albucore",)),
    ] + memcpy_impls()


SHIFT_CASES = impl_params(_shift_impls())


@pytest.mark.parametrize("impl", SHIFT_CASES)
def test_channel_shift(benchmark, threads, size, impl):
    img = make_image(SINGLE_SHAPES[size])
    label(benchmark, workload="channel shift", impl=impl, size=f"{size}x{size}x3",
          threads=threads, images=1, nbytes=img.nbytes)
    out = benchmark(impl.make({"image": img}))
    assert out.shape == img.shape and out.dtype == np.uint8


@pytest.mark.parametrize("impl", SHIFT_CASES)
def test_channel_shift_matches_numpy(impl):
    img = make_image(SINGLE_SHAPES["224"])
    img[:8] = 250  # some pixels saturate at 255 in the raised channel
    img[-8:] = 5  # and at 0 in the lowered one
    got = impl.make({"image": img})()
    want = img if impl.family == "memcpy" else _shift_reference(img)
    np.testing.assert_array_equal(got, want, err_msg=impl.id)
