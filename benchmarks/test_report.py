"""The report's thread-scaling verdicts: 1 -> 2 cores needs 1.8x, 1 -> 16 needs 12x, other
core counts are shown without a verdict; a paired measurement, when there is one, decides."""
from __future__ import annotations

import pytest

from benchmarks.paired_scaling import PairedScaling, paired_ratios
from benchmarks.paired_pointwise import PairedPointwise
from benchmarks.paired_sweep import PairedSweepCase
from benchmarks.report import UNPAIRED_NOTE, Row, _scaling_cases, evaluate_targets, group_rows

WORKLOAD = "batch affine bilinear, fill nearest"


def _rows(count: int, one_s: float, all_s: float):
    def row(threads, thread_count, median_s):
        return Row(WORKLOAD, "32x224x224x3", threads, thread_count, "fastaug", "augment_batch",
                   "fastaug", median_s, 0.0, 10, 32)
    return [row("1 thread", 1, one_s), row(f"all cores ({count})", count, all_s)]


@pytest.mark.parametrize("count, one_s, all_s, passed", [
    (2, 1.0, 0.5, True), (2, 1.0, 0.6, False),
    (16, 1.0, 1 / 12.5, True), (16, 1.0, 1 / 11.0, False),
    (8, 1.0, 0.2, None),
])
def test_scaling_verdict_by_core_count(count, one_s, all_s, passed):
    (case,) = _scaling_cases(group_rows(_rows(count, one_s, all_s)), WORKLOAD)
    assert case.target == f"threads: batch throughput from 1 core to {count}"
    assert case.measured == pytest.approx(one_s / all_s)
    assert case.passed is passed


def _threads_cases(targets):
    # The workloads without rows give MISSING cases; only the measured ones are asked about.
    return [t for t in targets if t.target.startswith("threads") and t.measured is not None]


def test_paired_measurement_decides_the_scaling_verdict():
    groups = group_rows(_rows(2, 1.0, 0.8))  # unpaired 1.25x: would fail
    paired = [PairedScaling(WORKLOAD, 2, 1.0, 0.52, 1.92, 1.9, 1.95),
              PairedScaling("generator, uint8 out", 2, 1.0, 0.6, 1.7, 1.6, 1.75)]
    unpaired, batch, gen = _threads_cases(evaluate_targets(groups, paired))
    assert unpaired.measured == pytest.approx(1.25)
    assert unpaired.passed is None and unpaired.missing == UNPAIRED_NOTE
    assert batch.case.endswith("1 -> 2 cores, paired") and batch.measured == 1.92
    assert batch.passed is True
    assert gen.case.startswith("generator, uint8 out") and gen.passed is False


def test_without_a_paired_measurement_the_unpaired_rows_decide():
    (case,) = _threads_cases(evaluate_targets(group_rows(_rows(2, 1.0, 0.8))))
    assert case.passed is False and case.measured == pytest.approx(1.25)


def test_paired_ratios_alternate_sides_and_pair_the_timings():
    now = [0.0]
    order = []

    def clock():
        return now[0]

    def side(name, seconds):
        def run():
            order.append(name)
            now[0] += seconds
        return run

    (one, every, ratios), (one_b, every_b, ratios_b) = paired_ratios(
        [(side("one", 2.0), side("all", 1.0)), (side("one-b", 3.0), side("all-b", 1.0))],
        pairs=4, calls=2, warmup=1, clock=clock)
    # The untimed warm-up call of each block is not in its time.
    assert one == [2.0] * 4 and every == [1.0] * 4 and ratios == [2.0] * 4
    assert one_b == [3.0] * 4 and every_b == [1.0] * 4 and ratios_b == [3.0] * 4
    # Each side's calls run together; the side going first alternates pair by pair; the
    # workloads take turns.
    pair_even = ["one"] * 3 + ["all"] * 3 + ["one-b"] * 3 + ["all-b"] * 3
    pair_odd = ["all"] * 3 + ["one"] * 3 + ["all-b"] * 3 + ["one-b"] * 3
    assert order == (pair_even + pair_odd) * 2


def test_paired_measurement_runs_in_a_subprocess_with_the_given_environment(monkeypatch):
    import json
    import subprocess

    from benchmarks import paired_scaling

    seen = {}
    result = PairedScaling(WORKLOAD, 2, 1.0, 0.5, 2.0, 1.9, 2.1)

    def fake_run(cmd, **kwargs):
        seen.update(cmd=cmd, env=kwargs["env"])
        return subprocess.CompletedProcess(cmd, 0, stdout=json.dumps([result.__dict__]))

    monkeypatch.setattr(paired_scaling.subprocess, "run", fake_run)
    got = paired_scaling.measure_in_subprocess({"OMP_NUM_THREADS": "1"}, cwd=".")
    assert got == [result]
    assert seen["cmd"][1:] == ["-m", "benchmarks.paired_scaling"]
    assert seen["env"]["OMP_NUM_THREADS"] == "1"


def test_lowest_of_passes_keeps_each_benchmarks_lowest_median():
    from benchmarks.report import lowest_of_passes

    def row(library, median_s, rounds):
        return Row(WORKLOAD, "32x224x224x3", "1 thread", 1, library, "v", library, median_s,
                   0.0, rounds, 32)

    merged = lowest_of_passes([row("fastaug", 2.0, 1), row("OpenCV", 3.0, 2),
                               row("fastaug", 1.5, 3), row("OpenCV", 4.0, 4)])
    assert sorted((r.library, r.median_s, r.rounds) for r in merged) == [
        ("OpenCV", 3.0, 2), ("fastaug", 1.5, 3)]


def test_the_16_core_target_is_reported_as_not_measured_without_a_16_core_run(monkeypatch):
    monkeypatch.setattr("benchmarks.report.usable_cores", lambda: 2)
    two = [t for t in evaluate_targets(group_rows(_rows(2, 1.0, 0.5)))
           if t.target.endswith("to 16")]
    assert len(two) == 1 and two[0].measured is None and two[0].passed is None
    assert two[0].missing == "not measured: this run had 2 usable cores"
    sixteen = [t for t in evaluate_targets(group_rows(_rows(16, 1.0, 1 / 13)))
               if t.target.endswith("to 16")]
    assert [t.passed for t in sixteen] == [True]


def test_compose_is_judged_against_the_generator_row():
    def row(variant, median_s):
        return Row("generator, uint8 out", "32x224x224x3", "1 thread", 1, "fastaug", variant,
                   "fastaug", median_s, 0.0, 10, 32)
    groups = group_rows([row("ImageDataGenerator.flow", 1.0), row("Compose", 1.1),
                         row("Augment", 1.2)])
    cases = {c.target.split(" ")[0]: c for c in evaluate_targets(groups)
             if "vs ImageDataGenerator.flow" in c.target}
    assert cases["Compose"].measured == pytest.approx(1.1) and cases["Compose"].passed is True
    assert cases["Augment"].measured == pytest.approx(1.2) and cases["Augment"].passed is False


def test_albumentationsx_rows_are_judged_under_their_family():
    """The AlbumentationsX rows (library "AlbumentationsX", family "albumentations") give the
    recipe and generator targets their measured ratios."""
    def row(workload, size, library, variant, family, median_s, images):
        return Row(workload, size, "1 thread", 1, library, variant, family, median_s, 0.0, 10,
                   images)
    recipe, generator = "16x375x500x3 uint8 -> 16x3x224x224 float32", "32x224x224x3"
    groups = group_rows([
        row("ImageNet train recipe", recipe, "fastaug", "Compose", "fastaug", 1.0, 16),
        row("ImageNet train recipe", recipe, "AlbumentationsX", "Compose per image",
            "albumentations", 6.0, 16),
        row("generator, uint8 out", generator, "fastaug", "ImageDataGenerator.flow", "fastaug",
            1.0, 32),
        row("generator, uint8 out", generator, "AlbumentationsX", "Compose per image",
            "albumentations", 2.0, 32),
    ])
    cases = {c.target: c for c in evaluate_targets(groups) if "AlbumentationsX" in c.target}
    assert cases["ImageNet train recipe vs AlbumentationsX"].measured == pytest.approx(6.0)
    assert cases["ImageNet train recipe vs AlbumentationsX"].passed is True
    assert cases["generator uint8 out vs AlbumentationsX Compose"].measured == pytest.approx(2.0)
    assert cases["generator uint8 out vs AlbumentationsX Compose"].passed is False


def _sweep_rows(ours_s: float, cv_s: float):
    workload = "sweep bilinear, fill constant: generator draw 0"

    def row(library, variant, family, median_s):
        return Row(workload, "224x224x3", "1 thread", 1, library, variant, family, median_s,
                   0.0, 10, 1)
    return [row("fastaug", "avx2", "fastaug", ours_s), row("OpenCV", "warpAffine", "opencv", cv_s)]


def _sweep_case(ratio: float, geometry: str = "generator draw 0", peer: str = "opencv"):
    return PairedSweepCase("avx2", "bilinear", "constant", geometry, peer, 1.0, ratio, ratio,
                           ratio, ratio)


def _sweep_targets(targets):
    return [t for t in targets if t.target.startswith("sweep") and t.measured is not None]


def test_paired_sweep_decides_the_sweep_verdicts():
    groups = group_rows(_sweep_rows(1.0, 0.9))  # unpaired 0.9x: would fail
    paired = [_sweep_case(1.7), _sweep_case(1.6, "identity"),
              _sweep_case(1 / 1.2, "whole-pixel translation", "memcpy")]
    mean, worst, mean_p, worst_p, copy_p = _sweep_targets(evaluate_targets(groups, sweep=paired))
    assert mean.measured == pytest.approx(0.9) and worst.measured == pytest.approx(0.9)
    assert mean.passed is None and worst.passed is None and mean.missing == UNPAIRED_NOTE
    assert mean_p.case == "avx2, bilinear, 2 cases, paired"
    assert mean_p.measured == pytest.approx((1.7 * 1.6) ** 0.5) and mean_p.passed is True
    assert worst_p.measured == pytest.approx(1.6) and "identity" in worst_p.case
    assert worst_p.passed is True
    assert copy_p.measured == pytest.approx(1.2) and copy_p.passed is True


def test_without_a_paired_sweep_the_sweep_rows_decide():
    mean, worst = _sweep_targets(evaluate_targets(group_rows(_sweep_rows(1.0, 0.9))))
    assert mean.passed is False and worst.passed is False


def test_paired_sweep_pairs_every_case_with_opencv_and_the_translation_with_a_copy():
    from benchmarks import paired_sweep
    from benchmarks.test_sweep import FILLS, GEOMETRIES, ORDERS
    from fastaug import _core

    level = _core.active_simd_level()
    got = paired_sweep.measure(pairs=2, calls=1, levels=[level])
    cases = len(ORDERS) * len(FILLS)
    opencv = [r for r in got if r.peer == "opencv"]
    copies = [r for r in got if r.peer == "memcpy"]
    assert len(opencv) == cases * len(GEOMETRIES) and len(copies) == cases
    assert {r.geometry for r in copies} == {paired_sweep.TRANSLATION}
    assert all(r.level == level and r.ratio > 0 and r.ours_s > 0 and r.peer_s > 0 for r in got)
    assert _core.active_simd_level() == level
    assert paired_sweep.markdown(got)[0] == "## Geometry sweep, paired"


def _pointwise_rows(ours_s: float, copy_s: float):
    def row(library, variant, family, median_s):
        return Row("flip horizontal", "224x224x3", "1 thread", 1, library, variant, family,
                   median_s, 0.0, 10, 1)
    return [row("fastaug", "out=", "fastaug", ours_s),
            row("memcpy", "np.copyto, existing array", "memcpy", copy_s)]


def _memcpy_targets(targets):
    return [t for t in targets if t.target == "within 1.5x of memcpy of the same bytes"
            and t.measured is not None]


def test_paired_pointwise_decides_the_memcpy_verdicts():
    groups = group_rows(_pointwise_rows(1.7, 1.0))  # unpaired 1.7x: would fail
    paired = [PairedPointwise("flip horizontal", "224x224x3", "out=",
                              "np.copyto, existing array", 1.3, 1.0, 1.3, 1.25, 1.35)]
    unpaired, judged = _memcpy_targets(evaluate_targets(groups, pointwise=paired))
    assert unpaired.measured == pytest.approx(1.7)
    assert unpaired.passed is None and unpaired.missing == UNPAIRED_NOTE
    assert judged.case.endswith(", paired") and judged.measured == 1.3 and judged.passed is True
    (alone,) = _memcpy_targets(evaluate_targets(groups))
    assert alone.passed is False


def test_paired_pointwise_pairs_every_kernel_with_its_copy():
    from benchmarks import paired_pointwise

    got = paired_pointwise.measure(pairs=2, calls=1, sizes=("224",))
    assert {(r.workload, r.variant) for r in got} == {
        (w, v) for w in ("flip horizontal", "flip vertical", "brightness x0.7", "channel shift")
        for v in ("out=", "new array")}
    assert all(r.copy == paired_pointwise.VARIANTS[r.variant] and r.size == "224x224x3"
               and r.ratio > 0 for r in got)
    assert paired_pointwise.markdown(got)[0].startswith("## Memory-bound kernels")
