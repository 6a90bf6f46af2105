"""Batch workloads on 32x224x224x3 uint8: the fused batch warp, and the whole augmentation
generator (width/height shift 0.2, zoom 0.8-1.2, horizontal flip, brightness 0.5-1.5, fill
nearest, bilinear) with uint8 and float32 output."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug

from benchmarks._common import (
    BATCH_LABEL,
    BATCH_SHAPE,
    Geometry,
    Impl,
    Threads,
    albumentations,
    cv2,
    fastaug_api,
    impl_params,
    keras_image,
    label,
    make_batch,
    memcpy_impls,
    ndimage,
)

SHIFT = 0.2
ZOOM = (0.8, 1.2)
BRIGHTNESS = (0.5, 1.5)
DTYPES = ("uint8", "float32")


# --- batch warp: one geometry for every image ------------------------------------------------


def _augment_batch(case):
    run_batch = fastaug_api("_pipeline.augment_batch")
    src, n = case["batch"], case["batch"].shape[0]
    indices = np.arange(n, dtype=np.int64)
    matrices = np.repeat(case["geometry"].pull_rc[None], n, axis=0)
    count = case["threads"].fastaug
    return lambda: run_batch(src, indices, matrices, out_dtype=np.uint8, order=1,
                             fill_mode="nearest", num_threads=count)


def _opencv_loop(case):
    src = case["batch"]
    m = case["geometry"].pull_xy
    dsize = (src.shape[2], src.shape[1])

    def run():
        out = np.empty_like(src)
        for i in range(src.shape[0]):
            cv2.warpAffine(src[i], m, dsize, dst=out[i],
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
        return out

    return run


WARP_CASES = impl_params([
    Impl("fastaug", "augment_batch", "fastaug", _augment_batch),
    Impl("OpenCV", "warpAffine per image", "opencv", _opencv_loop, needs_peers=("cv2",)),
] + memcpy_impls("batch")[:1])


def _warp_case(threads):
    batch = make_batch()
    return {"batch": batch, "geometry": Geometry(*BATCH_SHAPE[1:3]), "threads": threads}


@pytest.mark.parametrize("impl", WARP_CASES)
def test_batch_warp(benchmark, threads, impl):
    case = _warp_case(threads)
    label(benchmark, workload="batch affine bilinear, fill nearest", impl=impl,
          size=BATCH_LABEL, threads=threads, images=BATCH_SHAPE[0], nbytes=case["batch"].nbytes)
    out = benchmark(impl.make(case))
    assert out.shape == BATCH_SHAPE and out.dtype == np.uint8


@pytest.mark.skipif(ndimage is None, reason="scipy is the reference and is not installed")
@pytest.mark.parametrize("impl", WARP_CASES)
def test_batch_warp_matches_scipy(impl):
    case = _warp_case(Threads(1, "1 thread"))
    got = impl.make(case)().astype(np.int16)
    m = case["geometry"].pull_rc
    for i in (0, BATCH_SHAPE[0] - 1):
        src = case["batch"][i]
        want = src if impl.family == "memcpy" else np.stack(
            [ndimage.affine_transform(src[:, :, c], m[:, :2], offset=m[:, 2], order=1,
                                      mode="nearest") for c in range(3)], axis=-1)
        diff = np.abs(got[i] - want)
        assert diff.max() <= 4 and diff.mean() < 0.5, f"{impl.id}: image {i} differs"


# --- the whole generator ---------------------------------------------------------------------


def _fastaug_flow(case):
    gen = fastaug.ImageDataGenerator(
        width_shift_range=SHIFT, height_shift_range=SHIFT, zoom_range=list(ZOOM),
        horizontal_flip=True, brightness_range=list(BRIGHTNESS), dtype=case["dtype"],
        num_threads=case["threads"].fastaug)
    it = gen.flow(case["batch"], batch_size=BATCH_SHAPE[0], seed=0)
    return lambda: next(it)


def _compose_recipe():
    """The generator's transforms in Compose terms: whole-pixel shifts (torchvision rounds
    them), content scale 1/zoom (isotropic), horizontal flip, brightness factor."""
    return [fastaug.Affine(translate=(SHIFT, SHIFT), scale=(1 / ZOOM[1], 1 / ZOOM[0]),
                           fill_mode="nearest"),
            fastaug.HorizontalFlip(), fastaug.ColorJitter(brightness=BRIGHTNESS)]


def _keyed_batches(pipeline, src):
    """Calls of a keyed pipeline on the batch, a new epoch each call (fresh draws)."""
    indices = np.arange(src.shape[0])
    epoch = iter(range(2 ** 31))
    return lambda: pipeline(src, indices=indices, epoch=next(epoch)).images


def _fastaug_compose(case):
    compose = fastaug.Compose(_compose_recipe(), seed=0, out_dtype=case["dtype"],
                              num_threads=case["threads"].fastaug)
    return _keyed_batches(compose, case["batch"])


def _fastaug_augment(case):
    augment = fastaug.Augment(width_shift=SHIFT, height_shift=SHIFT, zoom=ZOOM,
                              horizontal_flip=True, brightness=BRIGHTNESS, fill_mode="nearest",
                              out_dtype=case["dtype"], num_threads=case["threads"].fastaug)
    return _keyed_batches(augment, case["batch"])


def _keras_flow(case):
    gen = keras_image.ImageDataGenerator(
        width_shift_range=SHIFT, height_shift_range=SHIFT, zoom_range=list(ZOOM),
        horizontal_flip=True, brightness_range=list(BRIGHTNESS), dtype=case["dtype"])
    it = gen.flow(case["batch"], batch_size=BATCH_SHAPE[0], seed=0)
    return lambda: next(it)


def _albumentations_compose(case):
    # Content scale is 1/zoom (Keras's zoom is a pull factor), drawn per axis as Keras does.
    compose = albumentations.Compose([
        albumentations.Affine(
            translate_percent={"x": (-SHIFT, SHIFT), "y": (-SHIFT, SHIFT)},
            scale={"x": (1 / ZOOM[1], 1 / ZOOM[0]), "y": (1 / ZOOM[1], 1 / ZOOM[0])},
            interpolation=cv2.INTER_LINEAR, border_mode=cv2.BORDER_REPLICATE, p=1.0),
        albumentations.HorizontalFlip(p=0.5),
        albumentations.MultiplicativeNoise(multiplier=BRIGHTNESS, per_channel=False,
                                           elementwise=False, p=1.0),
    ], seed=0)
    src, dtype = case["batch"], case["dtype"]
    rng = np.random.default_rng(0)

    def run():
        out = np.empty(src.shape, dtype=dtype)
        for i, j in enumerate(rng.permutation(src.shape[0])):
            out[i] = compose(image=src[j])["image"]
        return out

    return run


def _opencv_fused(case):
    src, dtype = case["batch"], case["dtype"]
    n, h, w = src.shape[:3]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    rng = np.random.default_rng(0)
    warped = np.empty(src.shape[1:], np.uint8)
    bright = np.empty(src.shape[1:], np.uint8)

    def run():
        out = np.empty(src.shape, dtype=dtype)
        for i, j in enumerate(rng.permutation(n)):
            zr, zc = rng.uniform(*ZOOM, size=2)
            tr, tc = rng.uniform(-SHIFT, SHIFT, size=2) * (h, w)
            # The flip folds into the warp: mirroring the output column negates x's scale.
            sx = -zc if rng.random() < 0.5 else zc
            m = np.array([[sx, 0.0, cx - sx * cx + tc], [0.0, zr, cy - zr * cy + tr]])
            cv2.warpAffine(src[j], m, (w, h), dst=warped,
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
            factor = rng.uniform(*BRIGHTNESS)
            if dtype == "uint8":
                cv2.convertScaleAbs(warped, dst=out[i], alpha=factor)
            else:
                cv2.convertScaleAbs(warped, dst=bright, alpha=factor)
                out[i] = bright
        return out

    return run


GENERATOR_IMPLS = [
    Impl("fastaug", "ImageDataGenerator.flow", "fastaug", _fastaug_flow),
    Impl("fastaug", "Compose", "fastaug", _fastaug_compose),
    Impl("fastaug", "Augment", "fastaug", _fastaug_augment),
    Impl("Keras", "keras_preprocessing flow", "scipy", _keras_flow,
         needs_peers=("keras_preprocessing", "scipy")),
    Impl("AlbumentationsX", "Compose per image", "albumentations", _albumentations_compose,
         needs_peers=("albumentations", "cv2")),
    Impl("OpenCV", "hand-fused per image", "opencv", _opencv_fused, needs_peers=("cv2",)),
]

# Compose and Augment are measured where their target is (uint8 out); Augment's float32
# output is not clipped, unlike the other rows'.
GENERATOR_CASES = [
    pytest.param(dtype, p.values[0], id=f"{dtype}-{p.id}", marks=p.marks)
    for dtype in DTYPES
    for p in impl_params(GENERATOR_IMPLS)
    if dtype == "uint8" or p.values[0].variant not in ("Compose", "Augment")
]


@pytest.mark.parametrize("dtype, impl", GENERATOR_CASES)
def test_generator(benchmark, threads, dtype, impl):
    case = {"batch": make_batch(), "dtype": dtype, "threads": threads}
    label(benchmark, workload=f"generator, {dtype} out", impl=impl, size=BATCH_LABEL,
          threads=threads, images=BATCH_SHAPE[0], nbytes=case["batch"].nbytes)
    out = benchmark(impl.make(case))
    assert out.shape == BATCH_SHAPE and out.dtype == np.dtype(dtype)
    assert 0 <= out.min() and out.max() <= 255


@pytest.mark.skipif(keras_image is None, reason="keras-preprocessing is the reference and is "
                    "not installed")
@pytest.mark.parametrize("dtype", DTYPES)
def test_fastaug_generator_matches_keras(dtype):
    """The generator rows compare like with like: same seed, same images as Keras.

    The reference is Keras's float32 flow, whose values are integers after its brightness
    step. (Keras's own dtype="uint8" flow rounds the warp to uint8 before brightness and so
    differs from its float32 flow by a few levels.)"""
    one = Threads(1, "1 thread")
    batch = make_batch()
    got = _fastaug_flow({"batch": batch, "dtype": dtype, "threads": one})().astype(np.float64)
    want = _keras_flow({"batch": batch, "dtype": "float32", "threads": one})().astype(np.float64)
    diff = np.abs(got - want)
    assert diff.mean() < 0.05 and np.mean(diff <= 1) > 0.999, (
        f"mean diff {diff.mean():.3f}, max {diff.max()}")
