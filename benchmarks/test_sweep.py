"""The warp over many geometries, one 224x224x3 uint8 image, one thread: matrices drawn from
the Keras generator's own distributions (rotation, shifts, independent zoom in and out,
shear) and the special cases a generator also produces (whole-pixel and fractional
translation, pure zoom, a quarter turn, a flip, the identity), x fill nearest / constant /
reflect x order 0 / 1, at every SIMD level this CPU has, against OpenCV's warpAffine (with
the same pull matrix). The report gives the geometric mean and the worst case of the
speed-up per level and order, and the whole-pixel translation against a copy."""
from __future__ import annotations

import math

import numpy as np
import pytest

import fastaug
from fastaug import _core

from benchmarks._common import Impl, cv2, impl_params, label, make_image

SIZE = 224
FILLS = ("nearest", "constant", "reflect")
ORDERS = {0: "nearest", 1: "bilinear"}


def _xy_to_rc(m):
    (a, b, c), (d, e, f) = m[0], m[1]
    return np.array([[e, d, f], [b, a, c]])


def _about_centre(lin):
    """The pull map with 2x2 part ``lin`` (in (x, y)) about the image centre."""
    centre = np.array([(SIZE - 1) / 2, (SIZE - 1) / 2])
    return np.hstack([lin, (centre - lin @ centre)[:, None]])


def geometries():
    """{name: (2, 3) pull matrix in fastaug's (row, col) order}."""
    draws = fastaug.Augment(rotation=15, width_shift=0.1, height_shift=0.1, zoom=(0.8, 1.25),
                            shear=10, seed=7).sample(np.arange(5), image_shape=(SIZE, SIZE))
    out = {f"generator draw {k}": _xy_to_rc(m[:2]) for k, m in enumerate(draws.pull_matrices())}
    turn = np.array([[0.0, -1.0], [1.0, 0.0]])
    out.update({
        "whole-pixel translation": np.array([[1.0, 0.0, -12.0], [0.0, 1.0, 20.0]]),
        "fractional translation": np.array([[1.0, 0.0, -12.3], [0.0, 1.0, 20.6]]),
        "zoom in 1.25x": _xy_to_rc(_about_centre(np.eye(2) * 0.8)),
        "zoom out 0.8x": _xy_to_rc(_about_centre(np.eye(2) * 1.25)),
        "quarter turn": _xy_to_rc(_about_centre(turn)),
        "horizontal flip": np.array([[1.0, 0.0, 0.0], [0.0, -1.0, SIZE - 1.0]]),
        "identity": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    })
    return out


GEOMETRIES = geometries()
LEVELS = [lv for lv in _core.available_simd_levels() if lv != "scalar"]


def _fastaug(level):
    def make(case):
        img, m, order, fill = case["image"], case["matrix"], case["order"], case["fill"]
        out = np.empty_like(img)

        def run():
            _core.warp_affine(img, out, m, order, fill, 0.0)
            return out
        return run
    return make


def _opencv(case):
    img, m = case["image"], case["matrix"]
    (e, d, f), (b, a, c) = m  # back to OpenCV's (x, y) pull matrix
    pull_xy = np.array([[a, b, c], [d, e, f]])
    interp = cv2.INTER_LINEAR if case["order"] == 1 else cv2.INTER_NEAREST
    border = {"nearest": cv2.BORDER_REPLICATE, "constant": cv2.BORDER_CONSTANT,
              "reflect": cv2.BORDER_REFLECT}[case["fill"]]
    out = np.empty_like(img)
    return lambda: cv2.warpAffine(img, pull_xy, (SIZE, SIZE), dst=out,
                                  flags=interp | cv2.WARP_INVERSE_MAP, borderMode=border,
                                  borderValue=(0, 0, 0, 0))


def _copy(case):
    img = case["image"]
    out = np.empty_like(img)

    def run():
        np.copyto(out, img)
        return out
    return run


IMPLS = ([Impl("fastaug", level, "fastaug", _fastaug(level)) for level in LEVELS]
         + [Impl("OpenCV", "warpAffine", "opencv", _opencv, needs_peers=("cv2",))])
COPY = Impl("memcpy", "np.copyto, existing array", "memcpy", _copy)
# Every impl on every case; the copy once, beside the whole-pixel translation.
CASES = [pytest.param(p.values[0], order, fill, geometry, marks=p.marks,
                      id=f"{p.id}-{ORDERS[order]}-{fill}-{geometry}")
         for p in impl_params(IMPLS) for order in ORDERS for fill in FILLS
         for geometry in GEOMETRIES]
CASES.append(pytest.param(COPY, 1, "constant", "whole-pixel translation",
                          id="memcpy-whole-pixel translation"))


@pytest.fixture
def simd_level_of(request):
    """Set the impl's SIMD level (fastaug rows) for the test, then restore it."""
    previous = _core.active_simd_level()
    yield lambda level: _core._testing.set_simd_level(level)
    _core._testing.set_simd_level(previous)


@pytest.mark.parametrize("impl, order, fill, geometry", CASES)
def test_sweep(benchmark, simd_level_of, impl, order, fill, geometry):
    if impl.family == "fastaug":
        simd_level_of(impl.variant)
    if cv2 is not None:
        cv2.setNumThreads(1)
    case = {"image": make_image((SIZE, SIZE, 3)), "matrix": GEOMETRIES[geometry],
            "order": order, "fill": fill}
    benchmark.group = f"sweep | {geometry} | {ORDERS[order]} | fill {fill}"
    label(benchmark, workload=workload_name(order, fill, geometry), impl=impl,
          size=f"{SIZE}x{SIZE}x3", threads=_ONE, images=1, nbytes=case["image"].nbytes)
    out = benchmark(impl.make(case))
    assert out.shape == (SIZE, SIZE, 3)


class _One:
    count = 1
    label = "1 thread"


_ONE = _One()


def workload_name(order: int, fill: str, geometry: str) -> str:
    return f"sweep {ORDERS[order]}, fill {fill}: {geometry}"


def summarise_ratios(entries):
    """{(level, order name): (geometric mean, worst speed-up, its workload, case count)} of
    ``entries``: (level, order name, speed-up over OpenCV, workload) tuples."""
    by_key = {}
    for level, order, ratio, workload in entries:
        by_key.setdefault((level, order), []).append((ratio, workload))
    summary = {}
    for key, ratios in by_key.items():
        worst = min(ratios)
        summary[key] = (math.exp(sum(math.log(v) for v, _ in ratios) / len(ratios)), worst[0],
                        worst[1], len(ratios))
    return summary


def summarise(rows):
    """summarise_ratios of the sweep's report rows (benchmarks.report.Row), and
    {(level, workload): time over the copy's} of the whole-pixel translation."""
    by_case = {}
    for r in rows:
        if r.workload.startswith("sweep "):
            by_case.setdefault(r.workload, []).append(r)
    entries = []
    copy = None
    for workload, members in by_case.items():
        order = workload.split()[1].rstrip(",")
        cv = [r for r in members if r.family == "opencv"]
        for r in members:
            if r.family == "memcpy":
                copy = r
            if r.family == "fastaug" and cv:
                entries.append((r.variant, order, cv[0].median_s / r.median_s, workload))
    translation = {}
    if copy is not None:
        for workload, members in by_case.items():
            if workload.endswith("whole-pixel translation"):
                for r in members:
                    if r.family == "fastaug":
                        translation[(r.variant, workload)] = r.median_s / copy.median_s
    return summarise_ratios(entries), translation
