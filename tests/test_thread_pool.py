"""The native thread pool: what a caller sees when the OS refuses threads."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_SCRIPT = """
import resource
import numpy as np
from fastaug import ImageDataGenerator

x = np.zeros((64, 8, 8, 3), np.float32)
small = next(ImageDataGenerator(rotation_range=10, num_threads=2).flow(x, batch_size=64, seed=1))
# Room for a few thread stacks only: pthread_create fails with EAGAIN past them.
vm = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (vm + (96 << 20), resource.RLIM_INFINITY))
try:
    next(ImageDataGenerator(rotation_range=10, num_threads=64).flow(x, batch_size=64))
except RuntimeError as exc:
    print("ERROR:", exc)
# The pool that worked before is still there.
again = next(ImageDataGenerator(rotation_range=10, num_threads=2).flow(x, batch_size=64, seed=1))
print("SAME:", np.array_equal(small, again))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and RLIMIT_AS")
def test_thread_creation_failure_names_num_threads():
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(_SCRIPT)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ERROR: fastaug could not start 63 worker threads (num_threads=64)" in proc.stdout
    assert "use a smaller num_threads" in proc.stdout
    assert "SAME: True" in proc.stdout
