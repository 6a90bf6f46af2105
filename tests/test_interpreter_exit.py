"""The interpreter exits cleanly whatever threads are inside a native call at the time.

During finalisation CPython ends a daemon thread that tries to take the GIL back (it calls
pthread_exit, which unwinds the thread's stack). Unwinding through a noexcept destructor,
such as the one that re-acquires the GIL after a kernel, aborted the process ("terminate
called without an active exception")."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

RUNS = 4  # the abort happened in every run before the fix

_DAEMONS_IN_KERNELS = """
import threading, time
import numpy as np
from fastaug import kernels

img = np.random.default_rng(0).integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
matrix = np.array([[0.9, 0.1, 3.0], [-0.1, 0.9, 2.0]])

def loop(kind):
    while True:
        if kind == "warp":
            kernels.warp_affine(img, matrix)
        elif kind == "shift":
            kernels.channel_shift(img, 7.0)
        else:
            kernels.flip_horizontal(img)

for kind in KINDS:
    threading.Thread(target=loop, args=(kind,), daemon=True).start()
time.sleep(0.5)
"""

_DAEMON_IN_GENERATOR = """
import threading, time
import numpy as np
from fastaug import ImageDataGenerator

x = np.random.default_rng(0).integers(0, 256, (64, 256, 256, 3)).astype(np.float32)
gen = ImageDataGenerator(rotation_range=20, zoom_range=0.2, num_threads=2)

def loop():
    it = gen.flow(x, batch_size=64, seed=1)
    while True:
        next(it)

threading.Thread(target=loop, daemon=True).start()
time.sleep(0.5)
"""


def _run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("kinds", [("warp", "warp"), ("warp", "shift", "flip")])
def test_exit_with_daemon_threads_inside_kernels(kinds):
    script = f"KINDS = {kinds!r}\n" + _DAEMONS_IN_KERNELS
    for _ in range(RUNS):
        proc = _run(script)
        assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
        assert "terminate called" not in proc.stderr


def test_exit_with_daemon_thread_inside_generator_batches():
    for _ in range(RUNS):
        proc = _run(_DAEMON_IN_GENERATOR)
        assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
        assert "terminate called" not in proc.stderr
