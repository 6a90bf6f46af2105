"""Threads, fork, Ctrl-C and memory over many calls: the kernels and the generator behave
the same however they are called. (augment_batch's own concurrent-caller and fork tests are
in test_pipeline.py.)"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import numpy as np
import pytest

from fastaug import ImageDataGenerator, kernels
from fastaug._pipeline import augment_batch

from conftest import fork_and_run, run_threads

MATRIX = np.array([[0.9, 0.2, 1.5], [-0.15, 1.1, -2.0]])


def _image(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return (rng.random(size=shape) * 255).astype(np.float32)


def _kernel_calls():
    """(name, thunk) pairs covering every kernel, both dtypes, odd strides and out=."""
    calls = []
    for dtype in (np.uint8, np.float32):
        for k, shape in enumerate([(37, 41, 3), (64, 64, 4), (9, 200, 1)]):
            img = _image(shape, dtype, k)
            strided = _image((shape[0], shape[1] * 2, shape[2]), dtype, k + 10)[:, ::2]
            tag = f"{np.dtype(dtype).name}{shape}"
            calls += [
                (f"flip_h {tag}", lambda img=img: kernels.flip_horizontal(img)),
                (f"flip_v {tag}", lambda img=strided: kernels.flip_vertical(img)),
                (f"bright {tag}", lambda img=img: kernels.adjust_brightness(img, 1.7)),
                (f"shift {tag}", lambda img=strided: kernels.channel_shift(img, -20.5)),
                (f"warp0 {tag}", lambda img=img: kernels.warp_affine(img, MATRIX, order=0, fill_mode="wrap")),
                (f"warp1 {tag}", lambda img=strided: kernels.warp_affine(img, MATRIX, cval=9)),
                (f"batch {tag}", lambda img=img: augment_batch(
                    np.stack([img, img[::-1]]), [1, 0, 1], np.stack([MATRIX] * 3).reshape(3, 6),
                    brightness=[1.2, np.nan, 0.8], channel_shift=[np.nan, 5.0, -5.0],
                    num_threads=2)),
            ]
    return calls


def test_many_threads_calling_every_kernel_match_sequential_calls():
    calls = _kernel_calls()
    expected = [fn() for _, fn in calls]
    mismatches, errors = [], []
    start = threading.Barrier(8)

    def worker(k):
        try:
            start.wait()
            for rep in range(10):
                for j in range(len(calls)):
                    j = (j * 7 + k + rep) % len(calls)  # each thread its own order
                    if not np.array_equal(calls[j][1](), expected[j]):
                        mismatches.append(calls[j][0])
        except BaseException as exc:  # reported below
            errors.append(exc)

    run_threads(worker, [(k,) for k in range(8)], timeout=120)
    assert not errors, errors
    assert not mismatches, sorted(set(mismatches))


def test_threads_sharing_one_input_and_writing_separate_outs():
    """One read-only input shared by every thread; each writes its own out= array."""
    img = _image((50, 60, 3), np.float32, 3)
    img.flags.writeable = False
    want = kernels.warp_affine(img, MATRIX, fill_mode="reflect")
    outs = [np.empty_like(img) for _ in range(6)]
    bad = []

    def worker(out):
        for _ in range(20):
            kernels.warp_affine(img, MATRIX, fill_mode="reflect", out=out)
            if not np.array_equal(out, want):
                bad.append(1)

    run_threads(worker, [(o,) for o in outs])
    assert not bad


def test_one_iterator_shared_by_threads_yields_every_sequential_batch():
    x = _image((40, 8, 9, 3), np.float32, 5)
    gen = ImageDataGenerator(rescale=1 / 255.0, samplewise_center=True)
    sequential = gen.flow(x, np.arange(40), batch_size=4, shuffle=False)
    want = sorted((tuple(y), bx.tobytes()) for bx, y in (next(sequential) for _ in range(10)))
    shared = gen.flow(x, np.arange(40), batch_size=4, shuffle=False)
    got, errors = [], []

    def worker():
        try:
            for _ in range(5):
                bx, y = next(shared)
                got.append((tuple(y), bx.tobytes()))
        except BaseException as exc:
            errors.append(exc)

    run_threads(worker, [()] * 4)
    assert not errors, errors
    # 20 batches = two epochs of the same 10: each sequential batch exactly twice.
    assert sorted(got) == sorted(want * 2)


def test_apply_transform_from_threads_matches_sequential():
    gen = ImageDataGenerator(brightness_range=(0.5, 1.5), channel_shift_range=30)
    x = _image((20, 23, 3), np.float32, 8)
    params = [gen.get_random_transform(x.shape, seed=s) for s in range(12)]
    params = [dict(p, theta=5.0 * i, zx=0.9, tx=1.5) for i, p in enumerate(params)]
    want = [gen.apply_transform(x, p) for p in params]
    bad = []

    def worker(k):
        for i in range(len(params)):
            i = (i + k) % len(params)
            if not np.array_equal(gen.apply_transform(x, params[i]), want[i]):
                bad.append(i)

    run_threads(worker, [(k,) for k in range(6)])
    assert not bad


# ---------------------------------------------------------------- fork


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_after_file_loader_and_native_pools_started(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(6):
            Image.fromarray(_image((12, 10, 3), np.uint8, i)).save(tmp_path / cls / f"{i}.png")
    gen = ImageDataGenerator(rotation_range=10, num_threads=2)

    def batch():
        it = gen.flow_from_directory(str(tmp_path), target_size=(8, 8), batch_size=12,
                                     shuffle=False, seed=2)
        np.random.seed(0)
        return next(it)[0]

    want = batch()  # both the decoder thread pool and the native pool now have threads

    def child():
        if not np.array_equal(batch(), want):
            raise AssertionError("child batch differs")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads alive
        assert fork_and_run(child) == 0
    np.testing.assert_array_equal(batch(), want)


# ---------------------------------------------------------------- Ctrl-C and memory


def _run_python(code, **kwargs):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


@pytest.mark.parametrize("loop", ["kernels", "generator"])
def test_sigint_during_a_batch_loop_raises_keyboard_interrupt_and_exits(loop):
    body = {
        "kernels": """
            src = np.random.default_rng(0).random((8, 96, 96, 3), dtype=np.float32)
            mats = np.tile([1.0, 0.1, 0.5, -0.1, 1.0, 0.5], (32, 1))
            idx = np.arange(32) % 8
            print("started", flush=True)
            while True:
                augment_batch(src, idx, mats, num_threads=2, brightness=1.1)
                kernels.warp_affine(src[0], mats[0].reshape(2, 3))
        """,
        "generator": """
            x = np.random.default_rng(0).random((64, 48, 48, 3), dtype=np.float32)
            it = ImageDataGenerator(rotation_range=30, zoom_range=0.2, num_threads=2).flow(x, batch_size=32)
            print("started", flush=True)
            for batch in it:
                pass
        """,
    }[loop]
    proc = _run_python("import numpy as np\n"
                       "from fastaug import kernels, ImageDataGenerator\n"
                       "from fastaug._pipeline import augment_batch\n"
                       + textwrap.dedent(body))
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(0.5)  # well inside the loop
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the process did not stop after SIGINT")
    # An uncaught KeyboardInterrupt ends Python by SIGINT itself (3.8+), after the traceback.
    assert proc.returncode == -signal.SIGINT, err
    assert err.rstrip().splitlines()[-1] == "KeyboardInterrupt", err


def test_rss_and_python_objects_stay_flat_over_10000_calls():
    code = """
        import sys
        import numpy as np
        from fastaug import kernels, ImageDataGenerator
        from fastaug._pipeline import augment_batch

        def rss_kib():
            with open("/proc/self/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

        rng = np.random.default_rng(0)
        u8 = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
        f32 = u8.astype(np.float32)
        out = np.empty_like(u8)
        m = np.array([[1.0, 0.1, 0.5], [-0.1, 1.0, 0.5]])
        stack, mats = np.stack([f32, f32]), np.stack([m, m])
        gen = ImageDataGenerator(rotation_range=20, brightness_range=(0.8, 1.2), num_threads=2)
        calls = [
            lambda: kernels.flip_horizontal(u8),
            lambda: kernels.flip_vertical(f32[::2]),
            lambda: kernels.adjust_brightness(u8, 1.3, out=out),
            lambda: kernels.channel_shift(f32, [1.0, 2.0, 3.0]),
            lambda: kernels.warp_affine(u8, m, order=0),
            lambda: augment_batch(stack, [0, 1, 1], np.stack([m] * 3), brightness=1.1),
            lambda: gen.apply_transform(f32, {"theta": 10.0, "brightness": 1.1}),
        ]
        bad = [lambda: kernels.warp_affine(u8, m, cval=float("nan")),
               lambda: augment_batch(stack, [5], mats[:1]),
               lambda: kernels.flip_horizontal(u8, out=u8)]

        def run(n):
            for i in range(n):
                calls[i % len(calls)]()
                try:
                    bad[i % len(bad)]()
                except ValueError:
                    pass
            it = gen.flow(stack, batch_size=2)
            for _ in range(n // 100):
                next(it)

        run(2000)  # warm-up: pools, caches, allocator arenas
        rss0, blocks0 = rss_kib(), sys.getallocatedblocks()
        run(10000)
        print(rss_kib() - rss0, sys.getallocatedblocks() - blocks0)
    """
    proc = _run_python(code)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    rss_growth_kib, block_growth = map(int, out.split())
    # One leaked 48x48x3 image per call would be >= 60 MB; one leaked Python object per call
    # would be 10,000 blocks.
    assert rss_growth_kib < 8 * 1024, rss_growth_kib
    assert block_growth < 1000, block_growth
