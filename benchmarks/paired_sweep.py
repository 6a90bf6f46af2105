"""The geometry sweep measured in pairs: what the report's sweep targets are judged on.

The pytest sweep (benchmarks/test_sweep.py) times each library's row of a case one after
another, minutes apart, so a slow spell of a shared machine lands on one side of a ratio and
not the other. Here each case alternates a block of fastaug calls (at one SIMD level) with a
block of OpenCV calls on the same image and matrix, in one process, and the speed-up is the
median of the pairs' ratios; the whole-pixel translation is paired with a copy of the image
the same way. Everything runs on one thread (the report also holds BLAS and OpenMP to one).
"""
from __future__ import annotations

import dataclasses
import json
import statistics
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from benchmarks._common import cv2, make_image
from benchmarks.paired_scaling import json_from_module, median_and_quartiles, paired_ratios

PAIRS = 21
CALLS_PER_SIDE = 20
WARMUP_CALLS = 2
TRANSLATION = "whole-pixel translation"


@dataclass(frozen=True)
class PairedSweepCase:
    level: str      # fastaug's SIMD level
    order: str      # "nearest" or "bilinear"
    fill: str
    geometry: str
    peer: str       # "opencv" (cv2.warpAffine) or "memcpy" (np.copyto of the image)
    ours_s: float   # median seconds per call, fastaug
    peer_s: float   # median seconds per call, the peer
    ratio: float    # median over the pairs of peer_s / ours_s: fastaug's speed-up
    ratio_lo: float  # the pairs' quartiles
    ratio_hi: float

    @property
    def workload(self) -> str:
        from benchmarks.test_sweep import workload_name
        return workload_name(1 if self.order == "bilinear" else 0, self.fill, self.geometry)


def measure(pairs: int = PAIRS, calls: int = CALLS_PER_SIDE,
            levels: Optional[Sequence[str]] = None) -> List[PairedSweepCase]:
    """Every sweep case at every SIMD level (or ``levels``) against OpenCV, and the
    whole-pixel translation against the copy; empty without OpenCV."""
    from fastaug import _core
    from benchmarks.test_sweep import FILLS, GEOMETRIES, LEVELS, ORDERS, SIZE, _copy, _fastaug, _opencv

    if cv2 is None:
        return []
    cv2.setNumThreads(1)
    image = make_image((SIZE, SIZE, 3))
    cases = [(order, fill, geometry) for order in ORDERS for fill in FILLS for geometry in GEOMETRIES]
    previous = _core.active_simd_level()
    out: List[PairedSweepCase] = []
    try:
        for level in levels or LEVELS:
            _core._testing.set_simd_level(level)
            sides: List[Tuple[Tuple[int, str, str], str, Tuple]] = []
            for order, fill, geometry in cases:
                case = {"image": image, "matrix": GEOMETRIES[geometry], "order": order,
                        "fill": fill}
                ours = _fastaug(level)(case)
                sides.append(((order, fill, geometry), "opencv", (ours, _opencv(case))))
                if geometry == TRANSLATION:
                    sides.append(((order, fill, geometry), "memcpy", (ours, _copy(case))))
            measured = paired_ratios([pair for _, _, pair in sides], pairs=pairs, calls=calls,
                                     warmup=WARMUP_CALLS)
            for ((order, fill, geometry), peer, _), (ours_s, peer_s, ratios) in zip(sides, measured):
                # paired_ratios gives first-side / second-side times: ours over the peer's.
                out.append(PairedSweepCase(level, ORDERS[order], fill, geometry, peer,
                                           statistics.median(ours_s), statistics.median(peer_s),
                                           *median_and_quartiles([1.0 / r for r in ratios])))
    finally:
        _core._testing.set_simd_level(previous)
    return out


def summary(results: Sequence[PairedSweepCase]):
    """(test_sweep.summarise_ratios of the OpenCV pairs, {(level, workload): fastaug's time
    over the copy's} of the translation), the shapes the report's sweep verdicts take."""
    from benchmarks.test_sweep import summarise_ratios

    means = summarise_ratios([(r.level, r.order, r.ratio, r.workload)
                              for r in results if r.peer == "opencv"])
    translation = {(r.level, r.workload): 1.0 / r.ratio for r in results if r.peer == "memcpy"}
    return means, translation


def measure_in_subprocess(env_overrides: Dict[str, str], cwd: str) -> List[PairedSweepCase]:
    """measure() in a fresh interpreter (see paired_scaling.json_from_module)."""
    return [PairedSweepCase(**fields)
            for fields in json_from_module("benchmarks.paired_sweep", env_overrides, cwd)]


def markdown(results: Sequence[PairedSweepCase]) -> List[str]:
    if not results:
        return []
    levels = sorted({r.level for r in results}, key=[r.level for r in results].index)
    orders = ("nearest", "bilinear")
    columns = [(level, order) for level in levels for order in orders]
    by_case = {(r.level, r.order, r.fill, r.geometry, r.peer): r for r in results}
    lines = [
        "## Geometry sweep, paired", "",
        f"fastaug's speed-up over cv2.warpAffine ({cv2.__version__ if cv2 else 'OpenCV'}), one "
        f"thread, 224x224x3 uint8, per case: {PAIRS} pairs in one fresh process, each pair a "
        f"block of fastaug calls and a block of OpenCV calls ({WARMUP_CALLS} untimed, then "
        f"{CALLS_PER_SIDE} timed), the side going first alternating and the cases taking turns "
        "pair by pair. The figure is the median of the pairs' ratios; the sweep targets above "
        "are judged on these, the pytest sweep rows being timed minutes apart.", "",
        "| geometry | fill | " + " | ".join(f"{lv} {o}" for lv, o in columns) + " |",
        "|---|---|" + "--:|" * len(columns),
    ]
    geometries = list(dict.fromkeys(r.geometry for r in results))
    fills = list(dict.fromkeys(r.fill for r in results))
    for geometry in geometries:
        for fill in fills:
            cells = []
            for level, order in columns:
                r = by_case.get((level, order, fill, geometry, "opencv"))
                cells.append("–" if r is None else f"{r.ratio:.2f}x")
            lines.append(f"| {geometry} | {fill} | " + " | ".join(cells) + " |")
    copies = [r for r in results if r.peer == "memcpy"]
    if copies:
        lines += ["", f"The {TRANSLATION} against np.copyto of the image, paired the same way "
                  "(fastaug's time over the copy's):", "",
                  "| level | order | fill | fastaug µs | copy µs | time / copy |",
                  "|---|---|---|--:|--:|--:|"]
        for r in copies:
            lines.append(f"| {r.level} | {r.order} | {r.fill} | {r.ours_s * 1e6:.1f} | "
                         f"{r.peer_s * 1e6:.1f} | {1.0 / r.ratio:.2f}x |")
    return lines + [""]


if __name__ == "__main__":
    json.dump([dataclasses.asdict(r) for r in measure()], sys.stdout)
