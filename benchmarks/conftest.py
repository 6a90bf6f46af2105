"""Options and fixtures for the workloads: thread settings and image sizes.

--bench-threads=1,all   rows to produce: every library on one thread, and on all cores
--bench-sizes=224,512   single-image sizes (the 32x224x224x3 batch workloads always run)
"""
from __future__ import annotations

import os

import pytest

from benchmarks._common import SINGLE_SHAPES, Threads, cv2, usable_cores

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def pytest_addoption(parser):
    group = parser.getgroup("fastaug benchmarks")
    group.addoption("--bench-threads", default="1,all",
                    help="comma-separated thread settings: 1 and/or all (default: 1,all)")
    group.addoption("--bench-sizes", default=",".join(SINGLE_SHAPES),
                    help="comma-separated single-image sizes out of 224,512 (default: both)")


def _split(value: str, allowed, option: str):
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if not items or bad:
        raise pytest.UsageError(f"{option} takes a comma-separated subset of {list(allowed)}, "
                                f"got {value!r}")
    return items


def pytest_configure(config):
    # keras-preprocessing 1.1.2 calls scipy through a namespace scipy deprecates.
    config.addinivalue_line(
        "filterwarnings", "ignore:Please import `affine_transform`:DeprecationWarning")
    modes = _split(config.getoption("--bench-threads"), ("1", "all"), "--bench-threads")
    if modes == ["1"]:
        # BLAS/OpenMP pools size themselves when first loaded, so this only helps libraries
        # imported after it; `python -m benchmarks.report` sets them before Python starts.
        for var in THREAD_ENV:
            os.environ.setdefault(var, "1")


def pytest_generate_tests(metafunc):
    config = metafunc.config
    if "threads" in metafunc.fixturenames:
        modes = _split(config.getoption("--bench-threads"), ("1", "all"), "--bench-threads")
        metafunc.parametrize("threads", modes, indirect=True, ids=[f"t{m}" for m in modes])
    if "size" in metafunc.fixturenames:
        sizes = _split(config.getoption("--bench-sizes"), tuple(SINGLE_SHAPES), "--bench-sizes")
        metafunc.parametrize("size", sizes)


@pytest.fixture
def threads(request):
    """Hold OpenCV (and so albumentations) to the row's thread count; fastaug gets
    ``threads.fastaug`` passed explicitly, and numpy/scipy/Pillow run on one thread anyway."""
    count = 1 if request.param == "1" else usable_cores()
    setting = Threads(count, "1 thread" if request.param == "1" else f"all cores ({count})")
    if cv2 is None:
        yield setting
        return
    previous = cv2.getNumThreads()
    cv2.setNumThreads(count)
    try:
        yield setting
    finally:
        cv2.setNumThreads(previous)


def pytest_collection_modifyitems(config, items):
    # The geometry sweep is a one-thread measurement: a pass with only the all-cores setting
    # leaves it out.
    modes = _split(config.getoption("--bench-threads"), ("1", "all"), "--bench-threads")
    if "1" in modes:
        return
    kept = [item for item in items if "test_sweep.py" not in item.nodeid]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
