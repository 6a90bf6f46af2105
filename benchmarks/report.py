"""Run the workloads and write the comparison: python -m benchmarks.report [--quick]

Runs pytest-benchmark twice (every library on one thread, with the BLAS/OpenMP pools held
to one thread before Python starts; then on all cores), and writes a markdown report with a
table per workload, the performance targets with PASS/FAIL from the measured medians, and a
bar chart when matplotlib is installed. Targets whose two sides the pytest rows time minutes
apart are judged on paired measurements instead (each alternating blocks of calls of both
sides in one process), taken in full mode: thread scaling (benchmarks/paired_scaling.py,
when both thread settings ran), the geometry sweep (benchmarks/paired_sweep.py) and the
memory-bound kernels against a copy (benchmarks/paired_pointwise.py).
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from benchmarks._common import BATCH_LABEL, usable_cores
from benchmarks import paired_pointwise, paired_scaling, paired_sweep
from benchmarks.paired_pointwise import PairedPointwise
from benchmarks.paired_scaling import PairedScaling
from benchmarks.paired_sweep import PairedSweepCase

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")

# pytest-benchmark settings: --quick proves the pipeline in about a minute; the full run
# takes enough rounds for stable medians (several minutes on two cores).
TIMING = {
    "quick": ["--bench-sizes=224", "--benchmark-min-rounds=3", "--benchmark-max-time=0.02",
              "--benchmark-warmup=off"],
    "full": ["--benchmark-min-rounds=10", "--benchmark-max-time=0.5", "--benchmark-warmup=on",
             "--benchmark-warmup-iterations=3", "--benchmark-disable-gc"],
}

WORKLOAD_ORDER = [
    "affine bilinear, fill nearest", "affine bilinear, fill constant",
    "affine nearest, fill nearest", "affine nearest, fill constant",
    "flip horizontal", "flip vertical", "brightness x0.7", "channel shift",
    "batch affine bilinear, fill nearest", "generator, uint8 out", "generator, float32 out",
    "ImageNet train recipe", "ImageNet validation recipe", "CIFAR train recipe",
]
# A peer family's name in target labels: the albumentations family is the AlbumentationsX package.
PEER_NAMES = {"albumentations": "AlbumentationsX"}
# The recipes' targets: (workload, peer family, required speed-up per image).
RECIPE_TARGETS = [
    ("ImageNet train recipe", "albumentations", 5.0), ("ImageNet train recipe", "torchvision", 20.0),
    ("ImageNet validation recipe", "torchvision", 5.0), ("CIFAR train recipe", "torchvision", 10.0),
]
# From files, on all cores: (workload, baseline family, how many times faster fastaug must be;
# below 1 it may be slower by at most 1 / need).
FILE_TARGETS = [
    ("files: ImageNet recipe", "decode", 1 / 1.15),
    ("files: ImageNet recipe", "torchvision", 2.0),
    ("files: flow_from_directory", "decode", 1 / 1.15),
    ("files: flow_from_directory", "keras", 7.0),
    ("files: cached epochs, ImageNet recipe", "uncached", 8.0),
    ("files: 4000x3000 photos, RandomResizedCrop(224)", "decode", 3.0),
]
FILE_SCALING_WORKLOADS = ("files: ImageNet recipe", "files: flow_from_directory")
PACKAGES = ["fastaug", "numpy", "scipy", "opencv-python-headless", "pillow", "albumentationsx",
            "albucore", "keras-preprocessing", "torch", "torchvision", "pytest-benchmark",
            "matplotlib"]


@dataclass(frozen=True)
class Row:
    workload: str
    size: str
    threads: str
    thread_count: int
    library: str
    variant: str
    family: str
    median_s: float
    iqr_s: float
    rounds: int
    images: int

    @property
    def us_per_image(self) -> float:
        return self.median_s * 1e6 / self.images

    @property
    def images_per_s(self) -> float:
        return self.images / self.median_s

    @property
    def name(self) -> str:
        return f"{self.library} ({self.variant})" if self.variant else self.library


Group = Tuple[str, str, str]  # workload, size, threads


# --- running ---------------------------------------------------------------------------------


def run_pytest(mode: str, threads: str, json_path: Path) -> Tuple[int, List[str]]:
    """One pytest-benchmark pass; returns (exit status, command)."""
    cmd = [sys.executable, "-m", "pytest", str(BENCH_DIR.relative_to(REPO_ROOT)), "-q",
           "-p", "no:cacheprovider", "-o", "addopts=", f"--bench-threads={threads}",
           f"--benchmark-json={json_path}", *TIMING[mode]]
    if threads == "all":
        # The one-thread pass already ran the sanity checks.
        cmd.append("--benchmark-only")
    env = dict(os.environ)
    if threads == "1":
        env.update({var: "1" for var in THREAD_ENV})
    log_path = json_path.with_suffix(".log")
    print("+", " ".join(shlex.quote(c) for c in cmd), flush=True)
    print(f"  (pytest output: {log_path})", flush=True)
    with open(log_path, "w") as log:
        status = subprocess.call(cmd, cwd=REPO_ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT)
    tail = log_path.read_text().splitlines()
    # The closing summary, or more of the log when something failed.
    print("\n".join(tail[-1:] if status == 0 else tail[-40:]), flush=True)
    return status, cmd


def load_rows(paths: Iterable[Path]) -> List[Row]:
    rows = []
    for path in paths:
        data = json.loads(Path(path).read_text())
        for bench in data["benchmarks"]:
            info, stats = bench.get("extra_info", {}), bench["stats"]
            if "workload" not in info:
                continue
            rows.append(Row(info["workload"], info["size"], info["threads"],
                            int(info["thread_count"]), info["library"], info["variant"],
                            info["family"], stats["median"], stats["iqr"], stats["rounds"],
                            int(info["images"])))
    return rows


# --- analysis --------------------------------------------------------------------------------


def lowest_of_passes(rows: Sequence[Row]) -> List[Row]:
    """One row per benchmark: of the passes' medians, the lowest. A slow spell of a shared
    machine lasts seconds and raises every round of a row it hits; the same benchmark in
    another pass, minutes later, escapes it. Every library's rows are treated alike."""
    best: Dict[Tuple[str, str, str, str, str], Row] = {}
    for row in rows:
        key = (row.workload, row.size, row.threads, row.library, row.variant)
        if key not in best or row.median_s < best[key].median_s:
            best[key] = row
    return list(best.values())


def group_rows(rows: Sequence[Row]) -> Dict[Group, List[Row]]:
    groups: Dict[Group, List[Row]] = defaultdict(list)
    for row in rows:
        groups[(row.workload, row.size, row.threads)].append(row)
    for members in groups.values():
        members.sort(key=lambda r: r.median_s)
    return groups


def _group_sort_key(group: Group):
    workload, size, threads = group
    order = WORKLOAD_ORDER.index(workload) if workload in WORKLOAD_ORDER else len(WORKLOAD_ORDER)
    return (order, workload, size, threads != "1 thread", threads)


def fastest(members: Sequence[Row], family: str, variant: Optional[str] = None) -> Optional[Row]:
    found = [r for r in members if r.family == family and (variant is None or r.variant == variant)]
    return min(found, key=lambda r: r.median_s) if found else None


@dataclass
class TargetCase:
    target: str
    case: str
    required: str
    measured: Optional[float]  # None: a row is missing
    passed: Optional[bool]
    missing: str = ""


def _speedup_case(target, case, members, baseline_family, need, baseline_variant=None,
                  fastaug_variant=None):
    """fastaug must be `need` times faster than the baseline row."""
    ours = fastest(members, "fastaug", fastaug_variant) if members else None
    base = fastest(members, baseline_family, baseline_variant) if members else None
    if ours is None or base is None:
        what = "fastaug" if ours is None else baseline_family
        return TargetCase(target, case, f">= {need}x", None, None, f"no {what} row")
    ratio = base.median_s / ours.median_s
    return TargetCase(target, case, f">= {need}x", ratio, ratio >= need)


def _relative_case(target, case, members, variant, baseline_variant, limit):
    """fastaug's ``variant`` row must take at most ``limit`` times its ``baseline_variant``."""
    ours = fastest(members, "fastaug", variant) if members else None
    base = fastest(members, "fastaug", baseline_variant) if members else None
    if ours is None or base is None:
        return TargetCase(target, case, f"<= {limit}x", None, None,
                          f"no {variant if ours is None else baseline_variant} row")
    ratio = ours.median_s / base.median_s
    return TargetCase(target, case, f"<= {limit}x", ratio, ratio <= limit)


def evaluate_targets(groups: Dict[Group, List[Row]],
                     paired: Sequence[PairedScaling] = (),
                     sweep: Sequence[PairedSweepCase] = (),
                     pointwise: Sequence[PairedPointwise] = ()) -> List[TargetCase]:
    """Every target's verdict from the pytest rows; the thread-scaling ones from ``paired``
    (benchmarks/paired_scaling.py), the sweep's from ``sweep`` (benchmarks/paired_sweep.py)
    and the memcpy ones from ``pointwise`` (benchmarks/paired_pointwise.py) when they were
    measured, the unpaired rows then shown without a verdict."""
    one = "1 thread"
    by_workload: Dict[str, List[Tuple[str, List[Row]]]] = defaultdict(list)
    for (workload, size, threads), members in sorted(groups.items(), key=lambda g: g[0]):
        if threads == one:
            by_workload[workload].append((size, members))

    def cases(workload):
        return by_workload.get(workload) or [("(not run)", [])]

    out: List[TargetCase] = []
    for fill in ("nearest", "constant"):
        for size, members in cases(f"affine bilinear, fill {fill}"):
            case = f"fill {fill}, {size}"
            out.append(_speedup_case("affine bilinear uint8 vs cv2.warpAffine INTER_LINEAR",
                                     case, members, "opencv", 2.0, baseline_variant="warpAffine"))
            out.append(_speedup_case("affine bilinear uint8 vs scipy.ndimage", case, members,
                                     "scipy", 40.0))
    for fill in ("nearest", "constant"):
        for size, members in cases(f"affine nearest, fill {fill}"):
            out.append(_speedup_case("affine nearest uint8 vs cv2.warpAffine INTER_NEAREST",
                                     f"fill {fill}, {size}", members, "opencv", 1.5,
                                     baseline_variant="warpAffine"))
    pairs = (("out=", "np.copyto, existing array"), ("new array", "np.copy, new array"))
    for workload in ("flip horizontal", "flip vertical", "brightness x0.7", "channel shift"):
        for size, members in cases(workload):
            for ours_variant, copy_variant in pairs:
                case = f"{workload}, {size}, fastaug {ours_variant} vs {copy_variant}"
                ours = fastest(members, "fastaug", ours_variant)
                copy = fastest(members, "memcpy", copy_variant)
                if ours is None or copy is None:
                    out.append(TargetCase("within 1.5x of memcpy of the same bytes", case,
                                          "<= 1.5x memcpy", None, None,
                                          "no fastaug row" if ours is None else "no memcpy row"))
                    continue
                ratio = ours.median_s / copy.median_s
                out.append(TargetCase("within 1.5x of memcpy of the same bytes", case,
                                      "<= 1.5x memcpy", ratio,
                                      None if pointwise else ratio <= 1.5,
                                      UNPAIRED_NOTE if pointwise else ""))
    for r in pointwise:
        out.append(TargetCase("within 1.5x of memcpy of the same bytes",
                              f"{r.workload}, {r.size}, fastaug {r.variant} vs {r.copy}, paired",
                              "<= 1.5x memcpy", r.ratio, r.ratio <= 1.5))
    flow = "ImageDataGenerator.flow"
    for size, members in cases("generator, uint8 out"):
        out.append(_speedup_case("generator uint8 out vs AlbumentationsX Compose", size,
                                 members, "albumentations", 3.0, fastaug_variant=flow))
        out.append(_speedup_case("generator uint8 out vs Keras, per core", size, members,
                                 "scipy", 50.0, fastaug_variant=flow))
        for variant in ("Compose", "Augment"):
            out.append(_relative_case(f"{variant} (Keras-equivalent transforms) vs "
                                      "ImageDataGenerator.flow, uint8 out", size, members,
                                      variant, flow, 1.15))
    for size, members in cases("generator, float32 out"):
        out.append(_speedup_case("generator float32 out vs Keras, per core", size, members,
                                 "scipy", 30.0, fastaug_variant=flow))
    for workload, peer, need in RECIPE_TARGETS:
        for size, members in cases(workload):
            out.append(_speedup_case(f"{workload} vs {PEER_NAMES.get(peer, peer)}", size, members,
                                     peer, need))
    all_cores: Dict[str, List[Tuple[str, List[Row]]]] = defaultdict(list)
    for (workload, size, threads), members in sorted(groups.items(), key=lambda g: g[0]):
        if threads != one:
            all_cores[workload].append((size, members))
    for workload, peer, need in FILE_TARGETS:
        for size, members in all_cores.get(workload) or [("(not run)", [])]:
            out.append(_speedup_case(f"{workload} vs {peer}, all cores", size, members, peer,
                                     round(need, 2)))
    for workload in SCALING_WORKLOADS:
        out.extend(_scaling_cases(groups, workload, judged=not paired))
    for workload in FILE_SCALING_WORKLOADS:  # not in the paired measurement
        out.extend(_scaling_cases(groups, workload))
    out.extend(_device_cases(groups))
    out.extend(_sweep_cases(groups, sweep))
    out.extend(_paired_scaling_cases(paired))
    target_16 = "threads: batch throughput from 1 core to 16"
    if not any(c.target == target_16 for c in out):
        # That target needs a 16-core machine: say it was not measured rather than omit it.
        out.append(TargetCase(target_16, f"batch and generator, {BATCH_LABEL}",
                              f">= {SCALING_TARGETS[16]}x", None, None,
                              f"not measured: this run had {usable_cores()} usable cores"))
    return out


# The warp over the geometry sweep (benchmarks/test_sweep.py): geometric mean of the speed-up
# over OpenCV per (SIMD level, order), the worst case, and the whole-pixel translation
# against a copy of the image.
SWEEP_MEANS = {("avx512", "bilinear"): 2.0, ("avx512", "nearest"): 1.5,
               ("avx2", "bilinear"): 1.5, ("avx2", "nearest"): 1.2}
JUDGED_LEVELS = ("avx2", "avx512")  # the worst-case and translation targets' levels


def _sweep_cases(groups, paired: Sequence[PairedSweepCase] = ()) -> List[TargetCase]:
    """The sweep's verdicts from ``paired`` (benchmarks/paired_sweep.py) when it was measured,
    the pytest rows then shown without a verdict; from the pytest rows otherwise."""
    from benchmarks.test_sweep import summarise

    rows = [r for members in groups.values() for r in members]
    out = _sweep_verdicts(*summarise(rows), judged=not paired)
    if paired:
        out.extend(_sweep_verdicts(*paired_sweep.summary(paired), judged=True, tag=", paired"))
    if not out:
        return [TargetCase("sweep: warp vs OpenCV over the geometry sweep", "(not run)", "-",
                           None, None, "no sweep rows")]
    return out


def _sweep_verdicts(summary, translation, judged: bool, tag: str = "") -> List[TargetCase]:
    def verdict(level, need, value, passes):
        if need is None or level not in JUDGED_LEVELS:
            return None, "no target at this level"
        if not judged:
            return None, UNPAIRED_NOTE
        return passes(value), ""

    out = []
    for (level, order), (mean, worst, where, n) in sorted(summary.items()):
        case = f"{level}, {order}, {n} cases{tag}"
        need = SWEEP_MEANS.get((level, order))
        passed, note = verdict(level, need, mean, lambda v: v >= need)
        out.append(TargetCase("sweep: geometric mean vs cv2.warpAffine", case,
                              f">= {need}x" if need else "-", mean, passed, note))
        passed, note = verdict(level, 1.0, worst, lambda v: v >= 1.0)
        out.append(TargetCase("sweep: worst case vs cv2.warpAffine",
                              f"{case}; worst: {where.split(': ', 1)[1]}, "
                              f"{where.split(',')[1].strip().split(':')[0]}",
                              ">= 1.0x" if level in JUDGED_LEVELS else "-", worst, passed, note))
    for (level, workload), ratio in sorted(translation.items()):
        passed, note = verdict(level, 1.5, ratio, lambda v: v <= 1.5)
        out.append(TargetCase("sweep: whole-pixel translation within 1.5x of memcpy",
                              f"{level}, {workload.split(':')[0][len('sweep '):]}{tag}",
                              "<= 1.5x memcpy" if level in JUDGED_LEVELS else "-", ratio,
                              passed, note))
    return out


DEVICE_WORKLOAD = "device: ImageNet train recipe"
DEVICE_IMAGES_PER_S = 50_000


def _device_cases(groups) -> List[TargetCase]:
    """The CUDA targets: images/s of the recipe on the device, and the ratio to kornia."""
    found = [(size, m) for (w, size, _), m in groups.items() if w == DEVICE_WORKLOAD]
    if not found:
        why = "not measured: no CUDA device in this run"
        return [TargetCase("device: ImageNet recipe images/s", "batch 256 on one GPU",
                           f">= {DEVICE_IMAGES_PER_S}", None, None, why),
                TargetCase("device: ImageNet recipe vs kornia", "batch 256 on one GPU",
                           ">= 2.0x", None, None, why)]
    out = []
    for size, members in found:
        ours = fastest(members, "fastaug")
        rate = ours.images / ours.median_s if ours else None
        out.append(TargetCase("device: ImageNet recipe images/s", size,
                              f">= {DEVICE_IMAGES_PER_S}", rate,
                              None if rate is None else rate >= DEVICE_IMAGES_PER_S,
                              "" if ours else "no fastaug row"))
        out.append(_speedup_case("device: ImageNet recipe vs kornia", size, members, "kornia",
                                 2.0))
    return out


# Thread-scaling targets by core count: 1 -> 2 on the CI-sized machine, 1 -> 16 on the
# 16-core one; other counts are reported without a verdict.
SCALING_TARGETS = {2: 1.8, 16: 12.0}
SCALING_WORKLOADS = ("batch affine bilinear, fill nearest", "generator, uint8 out",
                     "generator, float32 out", "ImageNet train recipe",
                     "ImageNet validation recipe", "CIFAR train recipe")
# The fastaug row each scaling workload is judged on (the generator workloads also have
# Compose and Augment rows).
SCALING_VARIANTS = {"generator, uint8 out": "ImageDataGenerator.flow",
                    "generator, float32 out": "ImageDataGenerator.flow"}
UNPAIRED_NOTE = "unpaired; judged on the paired measurement"


def _scaling_case(case: str, count: int, ratio: float, judged: bool = True) -> TargetCase:
    required = SCALING_TARGETS.get(count)
    target = f"threads: batch throughput from 1 core to {count}"
    want = f">= {required}x" if required else "-"
    if not judged:
        return TargetCase(target, case, want, ratio, None, UNPAIRED_NOTE)
    if required is None:
        return TargetCase(target, case, want, ratio, None,
                          f"targets exist for {sorted(SCALING_TARGETS)} cores only")
    return TargetCase(target, case, want, ratio, ratio >= required)


def _paired_batch(workload: str) -> str:
    from benchmarks.test_recipes import RECIPES, _size_label
    return _size_label(workload) if workload in RECIPES else BATCH_LABEL


def _paired_scaling_cases(paired) -> List[TargetCase]:
    return [_scaling_case(f"{r.workload}, {_paired_batch(r.workload)}, 1 -> {r.cores} cores, paired",
                          r.cores, r.ratio) for r in paired]


def _scaling_cases(groups, workload, judged: bool = True) -> List[TargetCase]:
    singles = {size: m for (w, size, t), m in groups.items() if w == workload and t == "1 thread"}
    found = []
    for (w, size, threads), members in groups.items():
        if w != workload or threads == "1 thread" or size not in singles:
            continue
        variant = SCALING_VARIANTS.get(workload)
        ours_all = fastest(members, "fastaug", variant)
        ours_one = fastest(singles[size], "fastaug", variant)
        count = members[0].thread_count
        case = f"{workload}, {size}, 1 -> {count} cores"
        if ours_all is None or ours_one is None:
            required = SCALING_TARGETS.get(count)
            found.append(TargetCase(f"threads: batch throughput from 1 core to {count}", case,
                                    f">= {required}x" if required else "-", None, None,
                                    "no fastaug row"))
            continue
        found.append(_scaling_case(case, count, ours_one.median_s / ours_all.median_s, judged))
    if not found:
        found.append(TargetCase("threads: batch throughput", workload, "-", None, None,
                                "no one-thread and all-cores pair"))
    return found


# --- writing ---------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> List[Tuple[str, str]]:
    found = [("Python", platform.python_version())]
    for name in PACKAGES:
        try:
            found.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            found.append((name, "not installed"))
    return found


def simd_info() -> str:
    try:
        import fastaug
    except ImportError as exc:
        return f"fastaug not importable ({exc})"
    forced = os.environ.get("FASTAUG_SIMD")
    if forced:  # fastaug may have been imported before --simd set the variable
        fastaug._core._testing.set_simd_level(forced)
    return repr(fastaug.simd_info())


def _fmt_us(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _fmt_ratio(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def group_table(members: Sequence[Row]) -> List[str]:
    scipy_row, cv_row = fastest(members, "scipy"), fastest(members, "opencv")
    copy_row = fastest(members, "memcpy", "np.copyto, existing array")
    lines = ["| library | variant | µs/image (median) | images/s | time / memcpy "
             "| fastaug speed-up vs scipy (Keras) | fastaug speed-up vs OpenCV | rounds |",
             "|---|---|--:|--:|--:|--:|--:|--:|"]
    for row in members:
        is_ours = row.family == "fastaug"
        vs_scipy = scipy_row.median_s / row.median_s if is_ours and scipy_row else None
        vs_cv = cv_row.median_s / row.median_s if is_ours and cv_row else None
        vs_copy = row.median_s / copy_row.median_s if copy_row else None
        library = f"**{row.library}**" if is_ours else row.library
        lines.append(f"| {library} | {row.variant} | {_fmt_us(row.us_per_image)} "
                     f"| {row.images_per_s:,.0f} | {_fmt_ratio(vs_copy)} | {_fmt_ratio(vs_scipy)} "
                     f"| {_fmt_ratio(vs_cv)} | {row.rounds} |")
    return lines


def targets_table(targets: Sequence[TargetCase]) -> List[str]:
    lines = ["| target | case | required | measured | result |", "|---|---|---|--:|---|"]
    for t in targets:
        if t.measured is None:
            measured, result = "–", f"MISSING ({t.missing})"
        else:
            measured = _fmt_ratio(t.measured)
            result = "PASS" if t.passed else "FAIL" if t.passed is False else f"n/a ({t.missing})"
        lines.append(f"| {t.target} | {t.case} | {t.required} | {measured} | {result} |")
    return lines


def write_markdown(path: Path, groups, targets, *, mode: str, commands: List[List[str]],
                   statuses: List[int], chart_note: str, paired: Sequence[str] = ()) -> None:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    passed = sum(t.passed is True for t in targets)
    failed = sum(t.passed is False for t in targets)
    other = len(targets) - passed - failed
    lines = [
        "# fastaug benchmark results", "",
        f"- Date: {now}; mode: {mode}"
        + (" (few rounds, 224 only: not for publishing)" if mode == "quick" else ""),
        f"- CPU: {cpu_model()}; {os.cpu_count()} logical cores, {usable_cores()} usable",
        f"- fastaug.simd_info(): `{simd_info()}`",
        "- Versions: " + ", ".join(f"{n} {v}" for n, v in versions()),
        "- Reproduce: `python -m benchmarks.report" + (" --quick" if mode == "quick" else "") + "`",
        "", "Runs:", "",
    ]
    for cmd, status in zip(commands, statuses):
        shown = ["python"] + [c for c in cmd[1:] if not c.startswith("--benchmark-json=")]
        lines.append(f"- `{' '.join(shlex.quote(c) for c in shown)}` (exit status {status})")
    lines += [
        "", "Each row is the median over the rounds of one call (with several passes, the "
        "lowest of the passes' medians, for every library alike); µs/image divides by the images "
        "a call produces. \"1 thread\" rows hold every library to one thread "
        "(cv2.setNumThreads(1), fastaug num_threads=1, OMP/OPENBLAS/MKL/NUMEXPR_NUM_THREADS=1); "
        "scipy, numpy and Pillow run on one thread in both settings. Pillow rows include "
        "the conversion from and to numpy. The affine geometry is the same in every library "
        "(zoom 0.8 as a pull factor, rotation 15°, shift of 10% of the width in whole pixels, "
        "about the image centre); the sanity tests check that the outputs agree.", "",
        f"## Targets (same run; one thread but for thread scaling): {passed} PASS, {failed} FAIL, {other} other", "",
        "Flip, brightness and channel-shift targets compare like with like: fastaug writing "
        "into an existing array against np.copyto, and fastaug allocating its result "
        "against np.copy. Generator targets compare rows with the same output dtype (Keras "
        "with ImageDataGenerator(dtype=...)). Speed-ups are the baseline's median time over "
        "fastaug's.", "",
        *targets_table(targets), "",
        *paired,
        "## Results", "",
    ]
    if chart_note:
        lines += [chart_note, ""]
    current = None
    for group in sorted(groups, key=_group_sort_key):
        workload, size, threads = group
        if workload != current:
            lines += [f"### {workload}", ""]
            current = workload
        lines += [f"#### {size}, {threads}", "", *group_table(groups[group]), ""]
    path.write_text("\n".join(lines))


def write_chart(path: Path, groups, link_from: Path) -> str:
    """Bar chart of µs/image per library, one panel per workload (one thread, smallest
    size). Returns the line the report shows about it, linking from the folder link_from."""
    try:
        import matplotlib
    except ImportError:
        return "No chart: matplotlib is not installed (pip install 'fastaug[bench]')."
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    panels = {}
    for group in sorted(groups, key=_group_sort_key):
        workload, size, threads = group
        if threads == "1 thread" and workload not in panels:
            panels[workload] = (size, groups[group])
    if not panels:
        return "No chart: no one-thread rows."
    cols = 3
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 3.0 * rows), squeeze=False)
    for ax, (workload, (size, members)) in zip(axes.flat, panels.items()):
        members = sorted(members, key=lambda r: -r.median_s)
        colours = ["#d62728" if r.family == "fastaug" else "#7f7f7f" if r.family == "memcpy"
                   else "#1f77b4" for r in members]
        values = [r.us_per_image for r in members]
        bars = ax.barh([r.name for r in members], values, color=colours)
        ax.bar_label(bars, labels=[_fmt_us(v) for v in values], fontsize=7, padding=2)
        ax.set_xscale("log")
        ax.set_xlim(min(values) / 1.5, max(values) * 4)  # room for the bar labels
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"{workload} ({size}, 1 thread)", fontsize=9)
        ax.set_xlabel("µs per image (median, log scale)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"![µs per image, one thread]({os.path.relpath(path, link_from)})"


# --- entry point -----------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="few rounds and 224x224 only: proves the pipeline, not for publishing")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--chart", type=Path, default=BENCH_DIR / "results.png")
    parser.add_argument("--json-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "fastaug-bench",
                        help="where pytest-benchmark's JSON and pytest's output go "
                             "(default: %(default)s)")
    parser.add_argument("--passes", type=int, default=None,
                        help="pytest-benchmark passes per thread setting; each row reports "
                             "the lowest of its passes' medians (default: 2, --quick: 1)")
    parser.add_argument("--threads", default="1,all",
                        help="thread settings to run, comma-separated: 1 and/or all")
    parser.add_argument("--simd", choices=("scalar", "sse4", "avx2", "avx512"),
                        help="force fastaug's SIMD level (FASTAUG_SIMD) for every run, e.g. to "
                             "check the targets on the AVX2 path of an AVX-512 machine")
    args = parser.parse_args(argv)
    if args.simd:
        os.environ["FASTAUG_SIMD"] = args.simd  # the pytest runs inherit it
    mode = "quick" if args.quick else "full"
    if args.passes is None:
        args.passes = 1 if args.quick else 2
    if args.passes < 1:
        parser.error("--passes must be at least 1")
    modes = [m.strip() for m in args.threads.split(",") if m.strip()]
    if not modes or any(m not in ("1", "all") for m in modes):
        parser.error(f"--threads takes 1 and/or all, got {args.threads!r}")

    json_dir = args.json_dir.resolve()
    json_dir.mkdir(parents=True, exist_ok=True)
    commands, statuses, paths = [], [], []
    for pass_index in range(args.passes):
        for threads in modes:
            path = json_dir / f"bench-{mode}-threads-{threads}-pass{pass_index + 1}.json"
            path.unlink(missing_ok=True)  # never report a previous run's numbers
            status, cmd = run_pytest(mode, threads, path)
            commands.append(cmd)
            statuses.append(status)
            if path.exists():
                paths.append(path)
    rows = lowest_of_passes(load_rows(paths))

    if not rows:
        print("no benchmark results were produced", file=sys.stderr)
        return 1
    groups = group_rows(rows)
    measured_pairs: List[PairedScaling] = []
    if "all" in modes and mode == "full":
        print("measuring paired thread scaling (fastaug)", flush=True)
        measured_pairs = paired_scaling.measure_in_subprocess(
            {var: "1" for var in THREAD_ENV}, cwd=str(REPO_ROOT))
    measured_sweep: List[PairedSweepCase] = []
    measured_pointwise: List[PairedPointwise] = []
    if "1" in modes and mode == "full":
        one_thread = {var: "1" for var in THREAD_ENV}
        print("measuring the paired geometry sweep (fastaug against OpenCV)", flush=True)
        measured_sweep = paired_sweep.measure_in_subprocess(one_thread, cwd=str(REPO_ROOT))
        print("measuring the memory-bound kernels against a copy, paired", flush=True)
        measured_pointwise = paired_pointwise.measure_in_subprocess(one_thread, cwd=str(REPO_ROOT))
    targets = evaluate_targets(groups, measured_pairs, measured_sweep, measured_pointwise)
    paired = (paired_scaling.markdown(measured_pairs) + paired_sweep.markdown(measured_sweep)
              + paired_pointwise.markdown(measured_pointwise))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    chart_note = ""
    if args.chart:
        args.chart.parent.mkdir(parents=True, exist_ok=True)
        chart_note = write_chart(args.chart, groups, args.output.parent)
    write_markdown(args.output, groups, targets, mode=mode, commands=commands,
                   statuses=statuses, chart_note=chart_note, paired=paired)
    print(f"wrote {args.output}" + (f" and {args.chart}" if chart_note.startswith("![")
                                    else f"; {chart_note}" if chart_note else ""))
    # A failed sanity check or benchmark makes the numbers suspect: say so in the status.
    return 0 if all(s == 0 for s in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
