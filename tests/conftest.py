"""Shared fixtures: run kernel tests on every SIMD level this CPU supports."""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import numpy as np
import pytest

import fastaug
from fastaug import _core

SIMD_LEVELS = fastaug.simd_info()["available"]
# Every kernel path this CPU can run: each SIMD level, and on a CPU with AVX512-VBMI also the
# avx512 kernels without their VBMI paths (what AVX-512 CPUs without VBMI run).
SIMD_PATHS = SIMD_LEVELS + (["avx512-novbmi"] if _core._testing.avx512vbmi() else [])
# The paths the simd_level fixture runs a test on. FASTAUG_TEST_LEVELS=active: only the
# level FASTAUG_SIMD chose. .ci/arm64.sh runs the suite once per level under emulation,
# where every level in each pass would double its time for nothing. (Tests that compare all
# levels with each other in one run iterate SIMD_PATHS themselves and still do.)
FIXTURE_PATHS = SIMD_PATHS
if os.environ.get("FASTAUG_TEST_LEVELS", "all") == "active":
    FIXTURE_PATHS = [fastaug.simd_info()["active"]]
elif os.environ.get("FASTAUG_TEST_LEVELS", "all") != "all":
    raise ValueError("FASTAUG_TEST_LEVELS must be 'all' or 'active', got "
                     f"{os.environ['FASTAUG_TEST_LEVELS']!r}")


@contextlib.contextmanager
def forced_simd_path(path):
    """Run the block on one of SIMD_PATHS, then restore the level and VBMI setting."""
    level, _, variant = path.partition("-")
    previous_level = _core.active_simd_level()
    _core._testing.set_simd_level(level)
    previous_vbmi = _core._testing.set_avx512vbmi(variant != "novbmi")
    try:
        yield
    finally:
        _core._testing.set_simd_level(previous_level)
        _core._testing.set_avx512vbmi(previous_vbmi)


@pytest.fixture(params=FIXTURE_PATHS)
def simd_level(request):
    """Force one kernel path (FIXTURE_PATHS) for the test."""
    with forced_simd_path(request.param):
        yield request.param


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def random_image(rng, shape, dtype):
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return (rng.random(size=shape, dtype=np.float32) * 255).astype(np.float32)


def strided_variants(img):
    """The same pixels as `img` through several memory layouts (views, never copies of
    `img` itself): contiguous, negative row/col strides, every-other-column, channel-padded."""
    out = {"contiguous": img, "neg_rows": img[::-1][::-1], "neg_cols": img[:, ::-1][:, ::-1]}
    padded = np.zeros((img.shape[0] * 2, img.shape[1] * 2) + img.shape[2:], img.dtype)
    padded[::2, ::2] = img
    out["step2"] = padded[::2, ::2]
    if img.ndim == 3:
        wide = np.zeros(img.shape[:2] + (img.shape[2] + 2,), img.dtype)
        wide[..., 1:-1] = img
        out["channel_slice"] = wide[..., 1:-1]
    return out


# .ci/arm64.sh runs the suite on an aarch64 interpreter under qemu-user and sets
# FASTAUG_EMULATED. That interpreter cannot start another one (the host runs no binfmt
# handler for aarch64 binaries), so tests that spawn a Python subprocess are skipped there
# only; they run natively on x86-64 and on real arm64 runners (the cibuildwheel test step),
# and the script checks FASTAUG_SIMD in a process of its own at each level instead.
EMULATED_SKIP_REASON = ("spawns a Python subprocess, which the qemu-user emulated interpreter "
                        "cannot start (.ci/arm64.sh; covered natively)")
# Hardware a machine may lack, not an extra: the CUDA tests and benchmarks skip with this.
NO_CUDA_REASON = "no CUDA device on this machine"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "spawns_python: the test starts a Python subprocess (skipped under emulation)")


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("FASTAUG_EMULATED"):
        return
    skip = pytest.mark.skip(reason=EMULATED_SKIP_REASON)
    for item in items:
        if "spawns_python" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    """In CI every test extra is installed, so a skip can only mean a gap: fail the run
    (but for the subprocess tests under emulation, which are covered natively, and the CUDA
    ones on a machine without a GPU, which the report shows as not measured)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    skipped = [r for r in skipped
               if not any(reason in str(getattr(r, "longrepr", ""))
                          for reason in (EMULATED_SKIP_REASON, NO_CUDA_REASON))]
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; every extra is installed "
                            "in CI, so a skip hides a gap", red=True)
        session.exitstatus = 1


def run_threads(worker, args_list, timeout=60.0):
    """Run worker(*args) on one thread per entry of args_list, all at once; fails the test if
    any thread is still running after `timeout` (a hung concurrent call)."""
    threads = [threading.Thread(target=worker, args=args) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a concurrent call hung"


def fork_and_run(child_fn, timeout=30.0):
    """Fork; the child runs child_fn() and exits 0 on success, 1 on an exception. Returns the
    child's exit status, or fails the test if it hangs past `timeout`."""
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            child_fn()
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("child process deadlocked after fork")
        time.sleep(0.02)
