"""Thread scaling measured in pairs: what the report's thread-scaling targets are judged on.

The pytest rows compare the median of a one-thread run with the median of an all-cores run
taken minutes later in another process; on a shared VM a slow spell in either run moves that
ratio by 0.2 or more (seven full runs on the 2-core VM gave 1.03x to 1.88x for the same
build). Here the same fastaug workloads (test_batch's) alternate a short block of calls at
one thread and a block at every core, in one process, and the ratio is taken per pair: a
slow spell then slows both sides of a pair. Each block starts with an untimed call, so both
sides are timed in steady state (a training loop's back-to-back batches, the pool's workers
awake) rather than the first call after the other side ran. Only fastaug is measured (its
thread count is a call argument, so nothing else has to change between the two sides).
"""
from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

from benchmarks._common import BATCH_LABEL, Geometry, Threads, make_batch, usable_cores

PAIRS = 61
CALLS_PER_SIDE = 3  # calls timed together on each side of a pair
WARMUP_CALLS = 1    # untimed calls before them


@dataclass(frozen=True)
class PairedScaling:
    workload: str
    cores: int
    one_s: float     # median seconds per call, one thread
    all_s: float     # median seconds per call, every core
    ratio: float     # median over the pairs of one_s / all_s
    ratio_lo: float  # the pairs' quartiles
    ratio_hi: float


def paired_ratios(sides: Sequence[Tuple[Callable[[], object], Callable[[], object]]], *,
                  pairs: int = PAIRS, calls: int = CALLS_PER_SIDE, warmup: int = WARMUP_CALLS,
                  clock: Callable[[], float] = time.perf_counter):
    """For each workload's (one-thread call, all-cores call) in ``sides``: (one-thread
    seconds per call, all-cores seconds per call, per-pair ratios). Each side of a pair runs
    ``warmup`` untimed calls, then ``calls`` timed ones. The side that goes first alternates,
    so a drift within a pair does not favour one side, and the workloads take turns pair by
    pair, so a slow spell of the machine falls on all of them alike rather than on one."""
    def timed(run):
        for _ in range(warmup):
            run()
        start = clock()
        for _ in range(calls):
            run()
        return (clock() - start) / calls

    results = [([], [], []) for _ in sides]
    for i in range(pairs):
        for (run_one, run_all), (one, every, ratios) in zip(sides, results):
            if i % 2 == 0:
                a = timed(run_one)
                b = timed(run_all)
            else:
                b = timed(run_all)
                a = timed(run_one)
            one.append(a)
            every.append(b)
            ratios.append(a / b)
    return results


def median_and_quartiles(values: Sequence[float]) -> Tuple[float, float, float]:
    """(median, lower quartile, upper quartile) of the pairs' ratios."""
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return statistics.median(values), q[0], q[2]


def _summary(workload: str, cores: int, one: Sequence[float], every: Sequence[float],
             ratios: Sequence[float]) -> PairedScaling:
    return PairedScaling(workload, cores, statistics.median(one), statistics.median(every),
                         *median_and_quartiles(ratios))


def measure(pairs: int = PAIRS) -> List[PairedScaling]:
    """The batch warp, the generator (uint8 and float32 out), Compose with the generator's
    transforms and the recipes (benchmarks/test_recipes.py), one thread against every core
    this process may use; empty on a one-core machine."""
    from benchmarks.test_batch import _augment_batch, _fastaug_compose, _fastaug_flow
    from benchmarks.test_recipes import RECIPES, _fastaug as _fastaug_recipe

    cores = usable_cores()
    if cores < 2:
        return []
    one, every = Threads(1, "1 thread"), Threads(cores, f"all cores ({cores})")
    batch = make_batch()
    geometry = Geometry(*batch.shape[1:3])
    workloads = [("batch affine bilinear, fill nearest", lambda t: _augment_batch(
        {"batch": batch, "geometry": geometry, "threads": t}))]
    for dtype in ("uint8", "float32"):
        workloads.append((f"generator, {dtype} out", lambda t, dtype=dtype: _fastaug_flow(
            {"batch": batch, "dtype": dtype, "threads": t})))
    workloads.append(("Compose, uint8 out", lambda t: _fastaug_compose(
        {"batch": batch, "dtype": "uint8", "threads": t})))
    for recipe, (shape, _) in RECIPES.items():
        photos = make_batch(shape)
        workloads.append((recipe, lambda t, recipe=recipe, photos=photos: _fastaug_recipe(
            {"batch": photos, "threads": t, "recipe": recipe})))
    sides = [(make(one), make(every)) for _, make in workloads]
    for run_one, run_all in sides:
        for _ in range(3):  # warm up: pool threads, caches, allocator
            run_one()
            run_all()
    return [_summary(workload, cores, *measured)
            for (workload, _), measured in zip(workloads, paired_ratios(sides, pairs=pairs))]


def json_from_module(module: str, env_overrides: Dict[str, str], cwd: str):
    """What ``python -m module`` prints, read as JSON, run in a fresh interpreter with
    ``env_overrides``: the report holds the BLAS and OpenMP pools to one thread there (fastaug
    uses neither), since their idle threads spin for a while after start-up or a call and take
    turns on the cores fastaug is timed on."""
    env = dict(os.environ, **env_overrides)
    out = subprocess.run([sys.executable, "-m", module], cwd=cwd, env=env,
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def measure_in_subprocess(env_overrides: Dict[str, str], cwd: str) -> List[PairedScaling]:
    """measure() in a fresh interpreter (see json_from_module)."""
    return [PairedScaling(**fields)
            for fields in json_from_module("benchmarks.paired_scaling", env_overrides, cwd)]


def markdown(results: Sequence[PairedScaling]) -> List[str]:
    if not results:
        return []
    lines = [
        "## Thread scaling, paired", "",
        f"fastaug only, {BATCH_LABEL} (the recipes: their benchmark batches): {PAIRS} pairs per workload in one fresh process (BLAS "
        f"and OpenMP pools held to one thread), the workloads taking turns pair by pair; each "
        f"pair one block at "
        f"one thread and one at every core ({WARMUP_CALLS} untimed call, then {CALLS_PER_SIDE} "
        "timed), the side going first alternating. The ratio is the median of the pairs' "
        "ratios (quartiles in brackets). The thread-scaling targets above are judged on these "
        "figures: the pytest rows' two sides ran minutes apart in separate processes, and a "
        "slow spell of this shared machine on either side moves their ratio by 0.2 or more.", "",
        "| workload | cores | ms per batch, 1 thread | ms per batch, all cores "
        "| speed-up (median of pairs) |",
        "|---|--:|--:|--:|--:|",
    ]
    for r in results:
        lines.append(f"| {r.workload} | {r.cores} | {r.one_s * 1e3:.2f} | {r.all_s * 1e3:.2f} "
                     f"| {r.ratio:.2f}x ({r.ratio_lo:.2f}-{r.ratio_hi:.2f}) |")
    return lines + [""]


if __name__ == "__main__":
    json.dump([dataclasses.asdict(r) for r in measure()], sys.stdout)
