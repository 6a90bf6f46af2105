"""Affine warp of one uint8 image with the same geometry in every library (see Geometry):
bilinear and nearest-neighbour, fill `nearest` (edge replicate) and `constant` (0)."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks._common import (
    SINGLE_SHAPES,
    Geometry,
    Impl,
    PIL_Image,
    albumentations,
    cv2,
    fastaug_api,
    impl_params,
    label,
    make_image,
    ndimage,
)

INTERPS = {"bilinear": 1, "nearest": 0}
FILLS = ("nearest", "constant")


def _fastaug(case):
    warp = fastaug_api("kernels.warp_affine")
    img, m = case["image"], case["geometry"].pull_rc
    order, fill = INTERPS[case["interp"]], case["fill"]
    return lambda: warp(img, m, order=order, fill_mode=fill, cval=0.0)


def _scipy(case):
    img, m = case["image"], case["geometry"].pull_rc
    order, fill = INTERPS[case["interp"]], case["fill"]

    def run():
        # As Keras's apply_affine_transform calls it: one 2-D call per channel, then stack.
        planes = [
            ndimage.affine_transform(img[:, :, ch], m[:, :2], offset=m[:, 2], order=order,
                                     mode=fill, cval=0.0)
            for ch in range(img.shape[2])
        ]
        return np.stack(planes, axis=-1)

    return run


def _cv2_flags(case):
    interp = cv2.INTER_LINEAR if case["interp"] == "bilinear" else cv2.INTER_NEAREST
    border = cv2.BORDER_REPLICATE if case["fill"] == "nearest" else cv2.BORDER_CONSTANT
    return interp, border


def _opencv(case):
    img, geo = case["image"], case["geometry"]
    interp, border = _cv2_flags(case)
    m = geo.pull_xy.astype(np.float64)
    dsize = (img.shape[1], img.shape[0])
    # The pull matrix with WARP_INVERSE_MAP: the same map fastaug and scipy get.
    return lambda: cv2.warpAffine(img, m, dsize, flags=interp | cv2.WARP_INVERSE_MAP,
                                  borderMode=border, borderValue=(0, 0, 0, 0))


def _pillow(case):
    img, data = case["image"], case["geometry"].pillow_data
    resample = (PIL_Image.Resampling.BILINEAR if case["interp"] == "bilinear"
                else PIL_Image.Resampling.NEAREST)
    size = (img.shape[1], img.shape[0])

    def run():
        # numpy in, numpy out, as a numpy pipeline would use it.
        src = PIL_Image.fromarray(img)
        return np.asarray(src.transform(size, PIL_Image.Transform.AFFINE, data,
                                        resample=resample, fillcolor=(0, 0, 0)))

    return run


def _albumentations(case):
    geo = case["geometry"]
    interp, border = _cv2_flags(case)
    transform = albumentations.Affine(
        scale=(geo.scale, geo.scale), rotate=(geo.rotate_deg, geo.rotate_deg),
        translate_px={"x": (geo.shift_px, geo.shift_px), "y": (0, 0)},
        shear=(0.0, 0.0), interpolation=interp, border_mode=border, fill=0, p=1.0,
    )
    img = case["image"]
    return lambda: transform(image=img)["image"]


IMPLS = [
    Impl("fastaug", "warp_affine", "fastaug", _fastaug),
    Impl("scipy.ndimage", "per channel", "scipy", _scipy, needs_peers=("scipy",)),
    Impl("OpenCV", "warpAffine", "opencv", _opencv, needs_peers=("cv2",)),
    Impl("Pillow", "transform", "pillow", _pillow, needs_peers=("PIL",)),
    Impl("AlbumentationsX", "Affine", "albumentations", _albumentations,
         needs_peers=("albumentations", "cv2")),
]


def _supported(impl: Impl, fill: str) -> bool:
    # Pillow's transform has no edge-replicate fill.
    return not (impl.library == "Pillow" and fill == "nearest")


CASES = [
    pytest.param(interp, fill, p.values[0], id=f"{interp}-fill_{fill}-{p.id}", marks=p.marks)
    for interp in INTERPS
    for fill in FILLS
    for p in impl_params(IMPLS)
    if _supported(p.values[0], fill)
]


def _case(size, interp, fill):
    shape = SINGLE_SHAPES[size]
    return {"image": make_image(shape), "geometry": Geometry(shape[0], shape[1]),
            "interp": interp, "fill": fill}


@pytest.mark.parametrize("interp, fill, impl", CASES)
def test_affine(benchmark, threads, size, interp, fill, impl):
    case = _case(size, interp, fill)
    img = case["image"]
    label(benchmark, workload=f"affine {interp}, fill {fill}", impl=impl,
          size=f"{size}x{size}x3", threads=threads, images=1, nbytes=img.nbytes)
    out = benchmark(impl.make(case))
    assert out.shape == img.shape and out.dtype == np.uint8


# --- sanity: every library computes the same image ----------------------------------------


def _interior_mask(geo: Geometry, shape, margin: float) -> np.ndarray:
    """Output pixels whose source point lies at least `margin` pixels inside the image, so
    that no border rule (which libraries treat differently) is involved."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    m = geo.pull_rc
    in_r = m[0, 0] * rows + m[0, 1] * cols + m[0, 2]
    in_c = m[1, 0] * rows + m[1, 1] * cols + m[1, 2]
    return ((in_r >= margin) & (in_r <= shape[0] - 1 - margin)
            & (in_c >= margin) & (in_c <= shape[1] - 1 - margin))


@pytest.mark.skipif(ndimage is None, reason="scipy is the reference and is not installed")
@pytest.mark.parametrize("interp, fill, impl", CASES)
def test_affine_matches_scipy(interp, fill, impl):
    case = _case("224", interp, fill)
    ref = _scipy(case)().astype(np.int16)
    got = impl.make(case)().astype(np.int16)
    diff = np.abs(got - ref)
    inside = _interior_mask(case["geometry"], ref.shape, margin=1.5)
    assert inside.mean() > 0.5  # the geometry keeps most of the image in view
    if interp == "bilinear":
        # OpenCV snaps coordinates to 1/32 px: a few levels on this smooth image.
        assert diff[inside].max() <= 4, f"{impl.id}: interior max diff {diff[inside].max()}"
    else:
        # Ties may round to the neighbouring pixel: a small change on smooth content.
        assert np.mean(diff[inside] <= 8) > 0.999, f"{impl.id}: nearest picks other pixels"
    # Border rules differ at the edge of the source (OpenCV blends with the fill value);
    # the whole image still agrees closely.
    assert diff.mean() < 2.0, f"{impl.id}: mean diff {diff.mean():.2f}"
