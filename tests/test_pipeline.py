"""fastaug._pipeline.augment_batch against a plain Python composition of the Keras steps
(scipy warp, numpy channel shift, Pillow brightness, numpy rescale), plus the thread pool:
thread counts, concurrent callers, fork, worker errors, bad input."""
import os
import threading

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from scipy import ndimage

from fastaug import _core
from fastaug._pipeline import FILL_MODES, augment_batch

from conftest import fork_and_run, random_image, run_threads


# ---------------------------------------------------------------- reference composition

def keras_matrix(rng, src_hw, out_hw, flip_h=False, flip_v=False):
    """A random Keras-style inverse matrix (rotation, shift, shear, zoom about Keras's
    centre), returned unflipped and with the output flips folded in."""
    h, w = src_hw
    t, s = np.deg2rad(rng.uniform(-30, 30)), np.deg2rad(rng.uniform(-10, 10))
    tx, ty = rng.uniform(-0.2, 0.2) * h, rng.uniform(-0.2, 0.2) * w
    zx, zy = rng.uniform(0.7, 1.3, size=2)
    rot = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    shear = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    zoom = np.diag([zx, zy, 1.0])
    m = rot @ shift @ shear @ zoom
    o = np.array([[1, 0, h / 2 + 0.5], [0, 1, w / 2 + 0.5], [0, 0, 1]])
    o_inv = np.array([[1, 0, -h / 2 - 0.5], [0, 1, -w / 2 - 0.5], [0, 0, 1]])
    m = (o @ m @ o_inv)[:2].copy()
    folded = m.copy()
    if flip_h:  # out[r, c] = warped[r, W2-1-c]
        folded[:, 2] += folded[:, 1] * (out_hw[1] - 1)
        folded[:, 1] *= -1
    if flip_v:
        folded[:, 2] += folded[:, 0] * (out_hw[0] - 1)
        folded[:, 0] *= -1
    return m, folded


def pil_brightness(x, factor):
    """keras-preprocessing 1.1.2 apply_brightness_shift, through Pillow."""
    x = x.astype(np.float32)
    x = x - np.min(x)
    x_max = np.max(x)
    if x_max != 0:
        x /= x_max
    x *= 255
    u8 = x.astype(np.uint8)
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[x.shape[2]]
    img = Image.fromarray(u8[..., 0] if mode == "L" else u8, mode)
    res = np.asarray(ImageEnhance.Brightness(img).enhance(float(factor)), dtype=np.float32)
    return res.reshape(x.shape)


def reference_image(img, matrix, out_hw, order, mode, cval, flips, shift, factor, rescale):
    chans = [ndimage.affine_transform(img[..., c].astype(np.float64), matrix[:, :2],
                                      offset=matrix[:, 2], output_shape=out_hw, order=order,
                                      mode=mode, cval=cval)
             for c in range(img.shape[2])]
    x = np.stack(chans, axis=-1).astype(np.float32)
    if not np.isnan(shift):
        x = np.clip(x + np.float32(shift), x.min(), x.max())
    if flips[0]:
        x = x[:, ::-1]
    if flips[1]:
        x = x[::-1]
    if not np.isnan(factor):
        x = pil_brightness(x, factor)
    if rescale != 1:
        x = x * np.float32(rescale)
    return x


def make_case(rng, n=3, batch=5, hw=(13, 17), channels=3, out_hw=None, dtype=np.uint8,
              shift=True, bright=True, p_off=0.3):
    out_hw = hw if out_hw is None else out_hw
    src = random_image(rng, (n,) + hw + (channels,), dtype)
    indices = rng.integers(0, n, batch)
    flips = [(bool(rng.random() < 0.5), bool(rng.random() < 0.5)) for _ in range(batch)]
    pairs = [keras_matrix(rng, hw, out_hw, *f) for f in flips]
    shifts = np.where(rng.random(batch) < p_off, np.nan, rng.uniform(-60, 60, batch)) if shift \
        else np.full(batch, np.nan)
    factors = np.where(rng.random(batch) < p_off, np.nan, rng.uniform(0.3, 1.7, batch)) if bright \
        else np.full(batch, np.nan)
    return dict(src=src, indices=indices, flips=flips, plain=np.array([p[0] for p in pairs]),
                matrices=np.array([p[1] for p in pairs]), shifts=shifts, factors=factors,
                out_hw=out_hw)


def run_case(case, **kw):
    return augment_batch(case["src"], case["indices"], case["matrices"],
                         output_shape=case["out_hw"], channel_shift=case["shifts"],
                         brightness=case["factors"], **kw)


def reference_case(case, order=1, fill_mode="nearest", cval=0.0, rescale=1.0):
    return np.stack([
        reference_image(case["src"][j], case["plain"][i], case["out_hw"], order, fill_mode, cval,
                        case["flips"][i], case["shifts"][i], case["factors"][i], rescale)
        for i, j in enumerate(case["indices"])])


def assert_close_to_reference(got, ref, case, rescale=1.0):
    """Warp-only images within 1e-3; brightened ones within one grey level (truncation to
    uint8 can flip on a value the two warps compute a hair apart) and equal on >= 99.9%."""
    bright = ~np.isnan(case["factors"])
    if (~bright).any():
        np.testing.assert_allclose(got[~bright], ref[~bright], rtol=0, atol=1e-3)
    if bright.any():
        diff = np.abs(got[bright].astype(np.float64) - ref[bright])
        assert diff.max() <= abs(rescale) * (1 + 1e-6), diff.max()
        assert (diff == 0).mean() >= 0.999


# ---------------------------------------------------------------- against the reference

@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("order", [0, 1])
def test_float_out_matches_reference_on_every_simd_level(simd_level, rng, channels, dtype, order):
    case = make_case(rng, channels=channels, dtype=dtype)
    got = run_case(case, order=order)
    assert got.dtype == np.float32 and got.shape == (5, 13, 17, channels)
    assert_close_to_reference(got, reference_case(case, order=order), case)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("order", [0, 1])
def test_every_fill_mode_matches_reference(rng, fill_mode, order):
    case = make_case(rng, batch=4, hw=(11, 14), out_hw=(15, 9), dtype=np.float32)
    got = run_case(case, order=order, fill_mode=fill_mode, cval=37.5)
    assert_close_to_reference(got, reference_case(case, order, fill_mode, 37.5), case)


@pytest.mark.parametrize("rescale", [1 / 255.0, -2.0, 0.5])
def test_rescale_matches_reference(rng, rescale):
    case = make_case(rng)
    got = run_case(case, rescale=rescale)
    assert_close_to_reference(got, reference_case(case, rescale=rescale), case, rescale)


@pytest.mark.parametrize("out_hw", [(13, 17), (20, 6), (1, 1), (3, 40)])
def test_output_size_may_differ_from_source(rng, out_hw):
    case = make_case(rng, hw=(13, 17), out_hw=out_hw, dtype=np.float32)
    got = run_case(case, fill_mode="reflect")
    assert got.shape == (5,) + out_hw + (3,)
    assert_close_to_reference(got, reference_case(case, fill_mode="reflect"), case)


def assert_uint8_is_rounded_reference(got, ref):
    """Round half to even and saturate; where the reference sits within 1e-3 of a .5 tie,
    either neighbour is accepted (the warp-only path rounds halves up, and the two float
    computations may differ by a hair)."""
    assert got.dtype == np.uint8
    expected = np.clip(np.rint(ref), 0, 255)
    tie = np.abs(ref - np.floor(ref) - 0.5) < 1e-3
    np.testing.assert_array_equal(got[~tie], expected[~tie])
    assert np.abs(got[tie].astype(np.float64) - expected[tie]).max(initial=0) <= 1


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("steps", ["none", "shift", "brightness", "rescale"])
def test_uint8_out_is_rounded_reference(simd_level, rng, dtype, steps):
    case = make_case(rng, batch=6, dtype=dtype, shift=steps == "shift",
                     bright=steps == "brightness", p_off=0.0)
    rescale = 0.7 if steps == "rescale" else 1.0
    got = run_case(case, out_dtype=np.uint8, rescale=rescale)
    ref = reference_case(case, rescale=rescale)
    if steps == "brightness":  # integer-valued; one grey level where truncation flips
        diff = np.abs(got.astype(np.float64) - ref)
        assert diff.max() <= 1 and (diff == 0).mean() >= 0.999
    else:
        assert_uint8_is_rounded_reference(got, ref)


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("out_dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill", [("nearest", 0.0), ("constant", 260.0)])
def test_fused_steps_equal_the_steps_one_by_one(simd_level, rng, channels, dtype, out_dtype, order,
                                                fill):
    """The generator's usual workload (zoom, shift and flips only: axis-aligned matrices,
    the separable warp) with brightness and rescale fused after it: exactly the float32
    warp followed by Keras's brightness (Pillow), the rescale and the uint8 rounding. The
    warp reports the value range brightness needs as it stores; a cval above every pixel
    must count in it."""
    fill_mode, cval = fill
    n, hw, out_hw = 3, (31, 45), (29, 52)
    src = random_image(rng, (n,) + hw + (channels,), dtype)
    batch = 6
    zoom = rng.uniform(0.6, 1.4, size=(batch, 2)) * np.where(rng.random((batch, 2)) < 0.5, -1, 1)
    offsets = rng.uniform(-8, 8, size=(batch, 2)) + np.where(zoom < 0, -zoom * (np.array(out_hw) - 1), 0)
    matrices = np.zeros((batch, 2, 3))
    matrices[:, 0, 0], matrices[:, 1, 1] = zoom[:, 0], zoom[:, 1]
    matrices[:, :, 2] = offsets
    indices = rng.integers(0, n, batch)
    factors = rng.uniform(0.3, 1.7, batch)
    factors[1] = np.nan  # rescale only
    for rescale in (1.0, 0.7):
        got = augment_batch(src, indices, matrices, out_dtype=out_dtype, output_shape=out_hw,
                            order=order, brightness=factors, rescale=rescale,
                            fill_mode=fill_mode, cval=cval)
        warped = augment_batch(src, indices, matrices, out_dtype=np.float32,
                               output_shape=out_hw, order=order, fill_mode=fill_mode, cval=cval)
        for i in range(batch):
            x = warped[i] if np.isnan(factors[i]) else pil_brightness(warped[i], factors[i])
            if rescale != 1.0:
                x = x * np.float32(rescale) + np.float32(0)
            if out_dtype == np.uint8:
                if np.isnan(factors[i]) and rescale == 1.0:
                    continue  # warped straight to uint8 (half up): covered by the warp tests
                x = np.clip(np.rint(x), 0, 255).astype(np.uint8)
            np.testing.assert_array_equal(got[i], x, err_msg=f"image {i}, rescale {rescale}")


@pytest.mark.parametrize("shift", [0.0, 0.37])
def test_fused_brightness_stretch_on_integer_and_fractional_warps(simd_level, rng, shift):
    """The uint8 brightness stretch multiplies where a bracket proves the division's
    truncation and divides elsewhere: an identity warp (integer values, the bracket misses
    at nearly every block) and a fractional shift (a few hundred values within reach of a
    stretch boundary) both equal Pillow's brightness of the float32 warp."""
    src = random_image(rng, (2, 96, 120, 3), np.uint8)
    matrices = np.tile([1.0, 0.0, shift, 0.0, 1.0, -shift], (4, 1)).reshape(4, 2, 3)
    matrices[1:, 0, 0] = matrices[1:, 1, 1] = 1.0 + shift / 50
    indices = [0, 1, 0, 1]
    factors = np.array([1.0, 0.55, 1.3, 1.8])
    got = augment_batch(src, indices, matrices, out_dtype=np.uint8, order=1, brightness=factors,
                        fill_mode="nearest")
    warped = augment_batch(src, indices, matrices, out_dtype=np.float32, order=1,
                           fill_mode="nearest")
    for i in range(4):
        want = np.clip(np.rint(pil_brightness(warped[i], factors[i])), 0, 255).astype(np.uint8)
        np.testing.assert_array_equal(got[i], want, err_msg=f"image {i}")


def test_uint8_out_saturates(rng):
    src = random_image(rng, (2, 6, 7, 3), np.float32) * 4 - 300  # about [-300, 720]
    eye = np.tile([1.0, 0, 0, 0, 1, 0], (2, 1))
    got = augment_batch(src, [0, 1], eye, out_dtype=np.uint8, rescale=1.0)
    assert_uint8_is_rounded_reference(got, src)
    got = augment_batch(src, [0, 1], eye, out_dtype=np.uint8, rescale=0.5)
    assert_uint8_is_rounded_reference(got, src * np.float32(0.5))


def test_indices_pick_and_repeat_images(rng):
    src = random_image(rng, (4, 9, 10, 3), np.uint8)
    m = keras_matrix(rng, (9, 10), (9, 10), flip_h=True)[1]
    got = augment_batch(src, [3, 0, 3, 3, 1], np.stack([m] * 5), brightness=[0.8] * 5)
    for i, j in enumerate([3, 0, 3, 3, 1]):
        np.testing.assert_array_equal(got[i], augment_batch(src[j:j + 1], [0], m[None],
                                                            brightness=0.8)[0])
    np.testing.assert_array_equal(got[0], got[2])
    np.testing.assert_array_equal(got[0], got[3])
    assert not np.array_equal(got[0], got[1])


def test_identity_warp_reproduces_source(rng):
    src = random_image(rng, (3, 8, 11, 4), np.uint8)
    eye = np.tile(np.array([[1.0, 0, 0], [0, 1, 0]]), (3, 1, 1))
    for order in (0, 1):
        np.testing.assert_array_equal(augment_batch(src, [2, 1, 0], eye, order=order),
                                      src[[2, 1, 0]].astype(np.float32))
        np.testing.assert_array_equal(augment_batch(src, [2, 1, 0], eye, out_dtype=np.uint8),
                                      src[[2, 1, 0]])


def test_two_channels_work_without_brightness_and_raise_with_it(rng):
    case = make_case(rng, channels=2, bright=False)
    assert_close_to_reference(run_case(case), reference_case(case), case)
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        augment_batch(case["src"], [0], case["matrices"][:1], brightness=[1.2])
    # All-NaN brightness means "off": fine for any channel count.
    augment_batch(case["src"], [0], case["matrices"][:1], brightness=[np.nan])


def test_three_dimensional_src_gives_three_dimensional_out(rng):
    src = random_image(rng, (2, 7, 9), np.float32)
    m = keras_matrix(rng, (7, 9), (7, 9))[1]
    got = augment_batch(src, [1], m[None], channel_shift=[5.0])
    assert got.shape == (1, 7, 9)
    np.testing.assert_array_equal(got, augment_batch(src[..., None], [1], m[None],
                                                     channel_shift=[5.0])[..., 0])
    out = np.zeros((1, 7, 9), np.uint8)
    assert augment_batch(src, [1], m[None], out=out) is out


def test_any_src_strides_and_input_untouched(rng):
    case = make_case(rng, batch=4, dtype=np.uint8)
    want = run_case(case)
    base = case["src"]
    padded = np.zeros((base.shape[0] * 2, base.shape[1] * 2, base.shape[2], base.shape[3] + 2),
                      base.dtype)
    padded[::2, ::2, :, 1:-1] = base
    layouts = {"neg": base[::-1, ::-1, ::-1][::-1, ::-1, ::-1],
               "step_and_channel_slice": padded[::2, ::2, :, 1:-1],
               "channel_stride": np.ascontiguousarray(base.transpose(3, 0, 1, 2)).transpose(1, 2, 3, 0)}
    for name, src in layouts.items():
        before = src.copy()
        got = run_case(dict(case, src=src))
        np.testing.assert_array_equal(got, want, err_msg=name)
        np.testing.assert_array_equal(src, before, err_msg=name)


def test_uint8_brightness_path_matches_float_path_in_any_out_layout(simd_level, rng):
    """Brightness without a channel shift, to uint8 without rescale, takes the byte path
    (stretch to bytes, then integer brightness in place): the same integers as the float32
    path gives, into dense, strided and flipped outs."""
    for channels in (1, 3):
        case = make_case(rng, batch=4, hw=(13, 71), channels=channels, shift=False, p_off=0.0)
        want = run_case(case, out_dtype=np.float32)
        assert np.array_equal(want, np.floor(want))
        got = run_case(case, out_dtype=np.uint8)
        np.testing.assert_array_equal(got, want.astype(np.uint8))
        big = np.zeros((8, 13, 71, 2 * channels), np.uint8)
        strided = big[::2, :, :, ::2]
        run_case(case, out=strided, out_dtype=np.uint8)
        np.testing.assert_array_equal(strided, got)
        assert not big[1::2].any() and not big[..., 1::2].any()
        flipped = np.zeros((4, 13, 71, channels), np.uint8)[:, ::-1]
        run_case(case, out=flipped, out_dtype=np.uint8)
        np.testing.assert_array_equal(flipped, got)


def test_out_argument_strided_and_returned(rng):
    case = make_case(rng, batch=4)
    want = run_case(case)
    out = np.zeros((4, 13, 17, 3), np.float32)
    assert run_case(case, out=out) is out
    np.testing.assert_array_equal(out, want)
    big = np.zeros((8, 13, 17, 6), np.float32)
    strided = big[::2, :, :, ::2]  # channel stride 2: computed via a temporary
    assert run_case(case, out=strided) is strided
    np.testing.assert_array_equal(big[::2, :, :, ::2], want)
    assert not big[1::2].any() and not big[..., 1::2].any()
    flipped = np.zeros((4, 13, 17, 3), np.float32)[:, ::-1]
    run_case(case, out=flipped)
    np.testing.assert_array_equal(flipped, want)


def test_empty_batch(rng):
    src = random_image(rng, (2, 4, 4, 3), np.uint8)
    got = augment_batch(src, np.zeros(0, np.int64), np.zeros((0, 6)))
    assert got.shape == (0, 4, 4, 3)


# ---------------------------------------------------------------- threads

def test_thread_counts_give_identical_results(rng):
    case = make_case(rng, n=6, batch=23, hw=(30, 41), dtype=np.uint8)
    for out_dtype in (np.float32, np.uint8):
        results = [run_case(case, out_dtype=out_dtype, num_threads=t) for t in (1, 2, None, 0, 5)]
        for r in results[1:]:
            np.testing.assert_array_equal(r, results[0])


def test_pool_runs_every_task_once_across_resizes():
    for threads in (2, 3, 2, 0, 8, 1, 2):
        for count in (0, 1, 2, 7, 1000):
            assert _core._testing.parallel_for_selftest(count, threads) == [1] * count


def test_available_cpus_matches_affinity():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert _core.available_cpus() == expected


@pytest.mark.parametrize("fail_at", [0, 5, 49])
def test_worker_exception_becomes_python_exception(fail_at):
    for threads in (1, 2, 4):
        with pytest.raises(RuntimeError, match=f"task {fail_at} failed"):
            _core._testing.parallel_for_selftest(50, threads, fail_at)
    assert _core._testing.parallel_for_selftest(50, 4) == [1] * 50  # pool still healthy


def test_concurrent_python_callers_match_sequential_calls(rng):
    cases = [make_case(rng, n=4, batch=9, hw=(21, 18), dtype=d)
             for d in (np.uint8, np.float32, np.uint8, np.float32)]
    configs = [(c, od, t) for c in cases for od in (np.float32, np.uint8) for t in (1, 2, 3)]
    expected = [run_case(c, out_dtype=od, num_threads=t) for c, od, t in configs]
    results = {}
    errors = []

    def worker(k):
        try:
            for rep in range(4):
                for j in range(k % len(configs), len(configs), 3):
                    c, od, t = configs[j]
                    results[(k, rep, j)] = run_case(c, out_dtype=od, num_threads=t)
        except BaseException as e:  # reported below
            errors.append(e)

    run_threads(worker, [(k,) for k in range(6)])
    assert not errors, errors
    assert len(results) == 4 * sum(len(range(k % len(configs), len(configs), 3)) for k in range(6))
    for (k, rep, j), got in results.items():
        np.testing.assert_array_equal(got, expected[j])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_after_pool_started_child_can_run(rng):
    case = make_case(rng, n=3, batch=12, hw=(25, 25))
    want = run_case(case, num_threads=2)  # pool threads now exist in the parent

    def child():
        for threads in (2, 3, None):
            got = run_case(case, num_threads=threads)
            if not np.array_equal(got, want):
                raise AssertionError("child result differs")
        if _core._testing.parallel_for_selftest(100, 2) != [1] * 100:
            raise AssertionError("child pool lost tasks")

    assert fork_and_run(child) == 0
    np.testing.assert_array_equal(run_case(case, num_threads=2), want)  # parent pool intact


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_while_other_threads_use_the_pool(rng):
    """Forking while pool locks may be held elsewhere must not hang the child."""
    case = make_case(rng, n=3, batch=16, hw=(20, 20))
    want = run_case(case, num_threads=2)
    stop = threading.Event()
    failures = []

    def busy(threads):
        while not stop.is_set():
            if not np.array_equal(run_case(case, num_threads=threads), want):
                failures.append(threads)

    workers = [threading.Thread(target=busy, args=(t,)) for t in (2, 3)]  # 3 forces resizes
    for w in workers:
        w.start()
    try:
        def child():
            if not np.array_equal(run_case(case, num_threads=2), want):
                raise AssertionError("child result differs")

        for _ in range(15):
            assert fork_and_run(child) == 0
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
    assert not failures


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_multiprocessing_fork_context_child(rng):
    import multiprocessing as mp

    case = make_case(rng, n=2, batch=8, hw=(16, 16))
    want = run_case(case, num_threads=2)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()

    def child():
        queue.put(float(run_case(case, num_threads=2).sum(dtype=np.float64)))

    proc = ctx.Process(target=child)
    proc.start()
    proc.join(timeout=30)
    if proc.is_alive():
        proc.kill()
        proc.join()
        pytest.fail("multiprocessing child deadlocked after fork")
    assert proc.exitcode == 0
    assert queue.get(timeout=5) == float(want.sum(dtype=np.float64))


# ---------------------------------------------------------------- bad input

SRC = np.zeros((3, 5, 6, 3), np.uint8)
EYE = np.tile([1.0, 0, 0, 0, 1, 0], (2, 1))


def call(**kw):
    args = dict(src=SRC, indices=[0, 2], matrices=EYE)
    args.update(kw)
    return augment_batch(args.pop("src"), args.pop("indices"), args.pop("matrices"), **args)


BAD_CALLS = [
    (dict(src=[[1]]), TypeError, "src must be a numpy.ndarray"),
    (dict(src=SRC.astype(np.int16)), TypeError, "src must have dtype"),
    (dict(src=SRC.astype(">f4")), TypeError, "src must have dtype"),
    (dict(src=np.zeros((5, 6), np.uint8)), ValueError, "src must have shape"),
    (dict(src=np.zeros((3, 0, 6, 3), np.uint8)), ValueError, "src images must be non-empty"),
    (dict(indices=[0, 3]), ValueError, r"indices must be in \[0, 3\)"),
    (dict(indices=[-1, 0]), ValueError, r"indices must be in \[0, 3\)"),
    (dict(indices=[0.0, 1.0]), TypeError, "indices must be integers"),
    (dict(indices=[[0, 1]]), ValueError, "indices must be 1-D"),
    (dict(indices=[0]), ValueError, r"matrices must have shape \(1, 2, 3\)"),
    (dict(matrices=np.zeros((2, 3, 3))), ValueError, "matrices must have shape"),
    (dict(matrices=np.where(EYE == 0, np.nan, EYE)), ValueError, "matrices must be finite"),
    (dict(matrices=np.array([["a"] * 6] * 2)), TypeError, "matrices must be numeric"),
    (dict(fill_mode="grid-wrap"), ValueError, "fill_mode must be one of"),
    (dict(fill_mode=1), ValueError, "fill_mode must be one of"),
    (dict(order=3), ValueError, "order must be 0 or 1"),
    (dict(order=1.0), TypeError, "order must be an int"),
    (dict(cval=np.inf), ValueError, "cval must be finite"),
    (dict(cval="0"), TypeError, "cval must be a real number"),
    (dict(rescale=np.nan), ValueError, "rescale must be finite"),
    (dict(num_threads=-1), ValueError, "num_threads must be >= 0"),
    (dict(num_threads=2.0), TypeError, "num_threads must be an int"),
    (dict(channel_shift=[1.0]), ValueError, r"channel_shift must have shape \(2,\)"),
    (dict(channel_shift=[1.0, np.inf]), ValueError, "channel_shift must be finite or NaN"),
    (dict(brightness=["a", "b"]), TypeError, "brightness must be a number"),
    (dict(out_dtype=np.float64), TypeError, "out_dtype must be uint8 or float32"),
    (dict(output_shape=(0, 4)), ValueError, "output_shape must be"),
    (dict(output_shape=(4,)), ValueError, "output_shape must be"),
    (dict(output_shape=4), TypeError, "output_shape must be a"),
    (dict(out=np.zeros((2, 5, 6, 3), np.float64)), TypeError, "out must have dtype"),
    (dict(out=np.zeros((2, 5, 6, 4), np.float32)), ValueError, r"out must have shape \(2, 5, 6, 3\)"),
    (dict(out=np.zeros((2, 5, 6, 3), np.float32), output_shape=(4, 4)), ValueError, "out must have shape"),
    (dict(out=[0]), TypeError, "out must be a numpy.ndarray"),
]


@pytest.mark.parametrize("kwargs,exc,msg", BAD_CALLS)
def test_bad_input_raises_named_error(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        call(**kwargs)


def test_out_read_only_or_overlapping_src_is_rejected():
    out = np.zeros((2, 5, 6, 3), np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        call(out=out)
    buf = np.zeros((3, 5, 6, 3), np.float32)
    with pytest.raises(ValueError, match="out overlaps src"):
        call(src=buf, out=buf[:2])


def core_args(**kw):
    args = dict(src=SRC, indices=np.array([0, 2], np.int64), out=np.zeros((2, 5, 6, 3), np.float32),
                matrices=EYE.copy(), op_codes=np.zeros((2, 1), np.int32),
                op_args=np.zeros((2, 2), np.float32), order=1, fill_mode=1, cval=0.0,
                rescale=1.0, num_threads=0)
    args.update(kw)
    return args


def keras_step(code, values):
    """op_codes/op_args for one Keras step per image (NaN = off)."""
    values = np.asarray(values, np.float32)
    on = ~np.isnan(values)
    return dict(op_codes=np.where(on, code, 0).astype(np.int32)[:, None],
                op_args=np.stack([np.where(on, values, 0), np.zeros_like(values)], 1))


CORE_BAD = [
    (dict(src=5), TypeError, "src must be a numpy.ndarray"),
    (dict(src=[[1]]), TypeError, r"src\[0\] must be a numpy.ndarray"),
    (dict(src=SRC[0]), ValueError, "src must have shape"),
    (dict(src=SRC.astype(np.int32)), TypeError, "src must have dtype"),
    (dict(src=np.zeros((3, 5, 6, 6), np.uint8)[..., ::2]), ValueError, "src must have contiguous channels"),
    (dict(out=np.zeros((2, 5, 6, 3), np.float64)), TypeError, "out must have dtype"),
    (dict(out=np.zeros((2, 5, 6, 2), np.float32)), ValueError, "out must have as many channels"),
    (dict(out=np.zeros((2, 0, 6, 3), np.float32)), ValueError, "out images must have height"),
    (dict(out=np.zeros((2, 5, 6, 6), np.float32)[..., ::2]), ValueError, "out must have contiguous channels"),
    (dict(out=np.lib.stride_tricks.as_strided(np.zeros(200, np.float32), (2, 5, 6, 3), (0, 72, 12, 4))),
     ValueError, "out has overlapping elements"),
    (dict(indices=np.array([0, 3], np.int64)), ValueError, r"indices\[1\] = 3 is out of range"),
    (dict(indices=np.array([0, -5], np.int64)), ValueError, r"indices\[1\] = -5 is out of range"),
    (dict(indices=np.array([0, 1], np.int32)), TypeError, "indices must have dtype int64"),
    (dict(indices=np.array([0, 1, 2], np.int64)), ValueError, r"indices must have shape"),
    (dict(indices=[0, 1]), TypeError, "indices must be a numpy.ndarray"),
    (dict(matrices=np.zeros((2, 2, 3))), ValueError, "matrices must have shape"),
    (dict(matrices=EYE.astype(np.float32)), TypeError, "matrices must have dtype float64"),
    (dict(matrices=np.where(EYE == 0, np.inf, EYE)), ValueError, r"matrices\[0\] must be finite"),
    (dict(order=2), ValueError, "order must be 0 or 1"),
    (dict(fill_mode=5), ValueError, "fill_mode must be a code 0..4"),
    (dict(fill_mode=-1), ValueError, "fill_mode must be a code 0..4"),
    (dict(cval=np.nan), ValueError, "cval must be finite"),
    (dict(rescale=np.inf), ValueError, "rescale must be finite"),
    (dict(num_threads=-2), ValueError, "num_threads must be between"),
    (dict(num_threads=100000), ValueError, "num_threads must be between"),
    (dict(op_codes=np.zeros((2, 1), np.int64)), TypeError, "op_codes must have dtype int32"),
    (dict(op_codes=np.zeros((3, 1), np.int32)), ValueError, "op_codes must have shape"),
    (dict(op_codes=np.zeros((2, 17), np.int32), op_args=np.zeros((2, 34), np.float32)),
     ValueError, "at most 16 ops"),
    (dict(op_codes=np.full((2, 1), 99, np.int32)), ValueError, r"op_codes\[0, 0\] = 99 is not a colour op"),
    (dict(op_codes=np.full((2, 1), -1, np.int32)), ValueError, r"op_codes\[0, 0\] = -1 is not a colour op"),
    (dict(op_args=np.zeros((2, 2), np.float64)), TypeError, "op_args must have dtype float32"),
    (dict(op_args=np.zeros((2, 4), np.float32)), ValueError, "op_args must have shape"),
    (keras_step(2, [np.inf, 1]), ValueError, r"colour op arguments must be finite \(plan 0\)"),
    (dict(op_codes=np.array([[2, 1], [0, 0]], np.int32), op_args=np.zeros((2, 4), np.float32)),
     ValueError, "Keras ops come at most once each, channel shift first"),
    (dict(op_codes=np.array([[0, 0], [4, 1]], np.int32), op_args=np.zeros((2, 4), np.float32)),
     ValueError, r"must be all Keras ops, all float-stage ops, or all in-dtype ops \(plan 1\)"),
    (dict(src=np.zeros((3, 5, 6, 5), np.uint8), out=np.zeros((2, 5, 6, 5), np.float32),
          **keras_step(2, [np.nan, 1.0])), ValueError, "Unsupported channel number: 5"),
]


@pytest.mark.parametrize("kwargs,exc,msg", CORE_BAD)
def test_core_binding_validates_everything(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        _core.run_plans(**core_args(**kwargs))


def test_core_binding_rejects_read_only_and_overlapping_out():
    out = np.zeros((2, 5, 6, 3), np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        _core.run_plans(**core_args(out=out))
    buf = np.zeros((3, 5, 6, 3), np.uint8)
    with pytest.raises(ValueError, match="out overlaps src"):
        _core.run_plans(**core_args(src=buf, out=buf[:2]))


def test_huge_finite_matrix_does_not_crash(rng):
    src = random_image(rng, (1, 6, 7, 3), np.uint8)
    for fill_mode in FILL_MODES:
        for order in (0, 1):
            m = np.array([[1e300, -1e300, 1e300, -1e18, 3e18, 1e200]])
            got = augment_batch(src, [0], m, fill_mode=fill_mode, order=order, cval=3.0)
            assert got.shape == (1, 6, 7, 3) and np.isfinite(got).all()
