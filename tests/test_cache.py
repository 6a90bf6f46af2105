"""DecodedCache (fastaug._cache): round trips, staleness, atomicity under crashes, sharing
between processes, a full disk, corrupted files, growth and compaction, bad input."""
from __future__ import annotations

import errno
import io
import json
import multiprocessing
import os
import tempfile
import threading
import time
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastaug import _cache
from fastaug._cache import DecodedCache

SPAWN = multiprocessing.get_context("spawn")


def make_source(folder, name="img.jpg", content=b"\xff\xd8 not really a jpeg"):
    path = os.path.join(str(folder), name)
    with open(path, "wb") as f:
        f.write(content)
    return path


def pattern(index, generation, shape=(32, 32, 3)):
    """Pixels that say which (source, generation) they are: a torn or misplaced write fails
    `check_pattern`."""
    rng = np.random.default_rng(index * 1000 + generation)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    pixels.flat[0] = generation % 256
    pixels.flat[1] = index % 256
    return pixels


def check_pattern(index, pixels):
    generation = int(pixels.flat[0])
    assert int(pixels.flat[1]) == index % 256
    np.testing.assert_array_equal(pixels, pattern(index, generation, pixels.shape))


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def past_auto_refresh_interval(cache):
    """Wait out the time after a read of the index in which a miss does not re-read it."""
    time.sleep(max(0.0, cache._next_auto_load - time.monotonic()))


def data_file(cache_dir):
    names = [n for n in os.listdir(cache_dir) if n.startswith("data-")]
    assert len(names) == 1, names
    return os.path.join(cache_dir, names[0])


def rewrite_index(cache_dir, edit_body=None, version=None, nonce=None):
    """Rewrite the index with a valid checksum after changing its body, version or nonce."""
    path = os.path.join(cache_dir, _cache.INDEX_NAME)
    raw = read_bytes(path)
    magic, old_version, _ = _cache._INDEX_HEAD.unpack_from(raw)
    body_len, old_nonce, data_id, data_size = _cache._INDEX_REST.unpack_from(raw, _cache._INDEX_HEAD.size)
    nonce = old_nonce if nonce is None else nonce
    body = json.loads(raw[_cache._INDEX_HEADER_SIZE:])
    if edit_body is not None:
        edit_body(body)
    body = json.dumps(body).encode()
    rest = _cache._INDEX_REST.pack(len(body), nonce, data_id, data_size)
    crc = zlib.crc32(body, zlib.crc32(rest))
    head = _cache._INDEX_HEAD.pack(magic, old_version if version is None else version, crc)
    with open(path, "wb") as f:
        f.write(head + rest + body)


@pytest.fixture
def src(tmp_path):
    return make_source(tmp_path)


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "cache")


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("shape", [(7, 5), (6, 9, 1), (16, 12, 3), (4, 4, 4)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_round_trip_is_a_read_only_view(cache_dir, src, shape, dtype):
    rng = np.random.default_rng(0)
    pixels = (rng.random(shape) * 255).astype(dtype)
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "rgb|full", pixels)
        for view in (cache.lookup(src, "rgb|full"), None):
            if view is None:
                cache.commit()
                view = DecodedCache(cache_dir, readonly=True).lookup(src, "rgb|full")
            assert view.dtype == dtype and view.shape == shape
            np.testing.assert_array_equal(view, pixels)
            assert not view.flags.writeable and not view.flags.owndata  # a view of the map
            assert view.ctypes.data % 64 == 0
            with pytest.raises(ValueError):
                view[0, 0] = 1


def test_reopen_gives_the_same_bits(cache_dir, tmp_path):
    rng = np.random.default_rng(1)
    floats = rng.standard_normal((9, 11, 3)).astype(np.float32)
    floats.flat[:4] = [np.nan, -0.0, np.inf, np.float32(1e-45)]  # NaN, signed zero, denormal
    floats.view(np.uint32).flat[4] = 0x7FC00123  # a NaN with a payload
    images = {make_source(tmp_path, f"{i}.png"): rng.integers(0, 256, (5 + i, 8, 3), dtype=np.uint8)
              for i in range(5)}
    fsrc = make_source(tmp_path, "f.png")
    with DecodedCache(cache_dir) as cache:
        for path, pixels in images.items():
            cache.store(path, "v", pixels)
        cache.store(fsrc, "v", floats)
    for readonly in (True, False):
        with DecodedCache(cache_dir, readonly=readonly) as again:
            assert len(again) == 6
            for path, pixels in images.items():
                assert again.lookup(path, "v").tobytes() == pixels.tobytes()
            assert again.lookup(fsrc, "v").tobytes() == floats.tobytes()


def test_input_is_copied_whatever_its_layout(cache_dir, src):
    base = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    strided = base[::2, ::3]
    big_endian = np.linspace(-1, 1, 24, dtype=">f4").reshape(4, 6)
    fortran = np.asfortranarray(np.arange(35, dtype=np.float32).reshape(5, 7))
    with DecodedCache(cache_dir) as cache:
        for variant, pixels in (("strided", strided), ("be", big_endian), ("f", fortran)):
            cache.store(src, variant, pixels)
            base[...] = 0  # the cache holds its own copy
            got = cache.lookup(src, variant)
            assert got.dtype in (np.uint8, np.float32) and got.flags.c_contiguous
        np.testing.assert_array_equal(cache.lookup(src, "be"), np.linspace(-1, 1, 24).reshape(4, 6).astype(np.float32))
        np.testing.assert_array_equal(cache.lookup(src, "f"), np.arange(35, dtype=np.float32).reshape(5, 7))
        expected = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)[::2, ::3]
        np.testing.assert_array_equal(cache.lookup(src, "strided"), expected)


def test_variants_are_separate_and_replacing_an_entry_wins(cache_dir, src, tmp_path):
    other = make_source(tmp_path, "other.jpg")
    a, b, c = (np.full((4, 4, 3), v, np.uint8) for v in (1, 2, 3))
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "rgb|target=4x4|nearest", a)
        cache.store(src, "rgb|full", b)
        assert cache.lookup(src, "rgb|target=4x4|bilinear") is None
        assert cache.lookup(other, "rgb|full") is None
        cache.commit()
        cache.store(src, "rgb|full", c)  # replaced before and after a commit
        assert len(cache) == 2
        np.testing.assert_array_equal(cache.lookup(src, "rgb|full"), c)
    with DecodedCache(cache_dir, readonly=True) as again:
        assert len(again) == 2 and sorted(v for _, v in again.keys()) == ["rgb|full", "rgb|target=4x4|nearest"]
        np.testing.assert_array_equal(again.lookup(src, "rgb|full"), c)
        np.testing.assert_array_equal(again.lookup(src, "rgb|target=4x4|nearest"), a)


def test_a_source_is_keyed_by_its_absolute_path(cache_dir, tmp_path, monkeypatch):
    path = make_source(tmp_path, "rel.jpg")
    monkeypatch.chdir(tmp_path)
    pixels = np.ones((3, 3), np.uint8)
    with DecodedCache(cache_dir) as cache:
        cache.store("rel.jpg", "v", pixels)
        np.testing.assert_array_equal(cache.lookup(path, "v"), pixels)
        np.testing.assert_array_equal(cache.lookup(os.path.join(str(tmp_path), ".", "rel.jpg"), "v"), pixels)
        from pathlib import Path
        np.testing.assert_array_equal(cache.lookup(Path(path), "v"), pixels)
        np.testing.assert_array_equal(cache.lookup(os.fsencode(path), "v"), pixels)


@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(1, 19), st.integers(1, 19)) | st.tuples(st.integers(1, 19), st.integers(1, 19), st.integers(1, 5)),
       dtype=st.sampled_from([np.uint8, np.float32]), seed=st.integers(0, 2**32 - 1))
def test_random_shapes_and_dtypes_round_trip(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, shape).astype(dtype) if dtype == np.uint8 else \
        rng.standard_normal(shape).astype(dtype)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_source(tmp)
        with DecodedCache(os.path.join(tmp, "c")) as cache:
            cache.store(path, "v", pixels)
            cache.store(path, "w", pixels[::-1])
        with DecodedCache(os.path.join(tmp, "c"), readonly=True) as again:
            assert again.lookup(path, "v").tobytes() == pixels.tobytes()
            assert again.lookup(path, "v").shape == pixels.shape
            assert again.lookup(path, "w").tobytes() == pixels[::-1].tobytes()


# ---------------------------------------------------------------------- staleness
def test_a_changed_mtime_makes_an_entry_stale(cache_dir, src):
    st0 = os.stat(src)
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.zeros((2, 2), np.uint8))
        assert cache.lookup(src, "v") is not None
        os.utime(src, ns=(st0.st_atime_ns, st0.st_mtime_ns + 1))  # 1 ns later, same size
        assert cache.lookup(src, "v") is None
        os.utime(src, ns=(st0.st_atime_ns, st0.st_mtime_ns))
        assert cache.lookup(src, "v") is not None  # exactly the stored state again


def test_a_changed_size_makes_an_entry_stale(cache_dir, src):
    st0 = os.stat(src)
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.zeros((2, 2), np.uint8))
        with open(src, "ab") as f:
            f.write(b"more")
        os.utime(src, ns=(st0.st_atime_ns, st0.st_mtime_ns))  # same mtime, other size
        assert cache.lookup(src, "v") is None


def test_a_missing_source_is_stale(cache_dir, src):
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.zeros((2, 2), np.uint8))
    os.unlink(src)
    with DecodedCache(cache_dir, readonly=True) as again:
        assert len(again) == 1
        assert again.lookup(src, "v") is None


def test_the_stat_taken_before_decoding_is_what_counts(cache_dir, src):
    before = os.stat(src)
    with open(src, "ab") as f:  # the file changes while it is being decoded
        f.write(b"rewritten")
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.zeros((2, 2), np.uint8), stat=before)
        assert cache.lookup(src, "v") is None
        cache.store(src, "v", np.zeros((2, 2), np.uint8))  # stat now: current
        assert cache.lookup(src, "v") is not None


# ---------------------------------------------------------------------- bad input
def test_bad_arguments_name_what_was_expected(cache_dir, src, tmp_path):
    with DecodedCache(cache_dir) as cache:
        with pytest.raises(TypeError, match="pixels must be uint8 or float32, got int16"):
            cache.store(src, "v", np.zeros((2, 2), np.int16))
        with pytest.raises(TypeError, match="pixels must be uint8 or float32, got float64"):
            cache.store(src, "v", np.zeros((2, 2)))
        with pytest.raises(TypeError, match="pixels must be a numpy array, got list"):
            cache.store(src, "v", [[1, 2]])
        for shape in ((4,), (2, 2, 2, 2), ()):
            with pytest.raises(ValueError, match=r"pixels must be 2-D \(H, W\) or 3-D"):
                cache.store(src, "v", np.zeros(shape, np.uint8))
        with pytest.raises(ValueError, match="pixels must not be empty"):
            cache.store(src, "v", np.zeros((0, 3, 3), np.uint8))
        for bad in (3, b"v", None):
            with pytest.raises(TypeError, match="variant must be a str"):
                cache.store(src, bad, np.zeros((2, 2), np.uint8))
            with pytest.raises(TypeError, match="variant must be a str"):
                cache.lookup(src, bad)
        with pytest.raises(TypeError, match="source must be a path"):
            cache.lookup(7, "v")
        with pytest.raises(TypeError, match="stat must be an os.stat_result"):
            cache.store(src, "v", np.zeros((2, 2), np.uint8), stat=(1, 2))
        with pytest.raises(FileNotFoundError):
            cache.store(str(tmp_path / "absent.jpg"), "v", np.zeros((2, 2), np.uint8))
        inside = make_source(cache_dir, "inside.jpg")
        with pytest.raises(ValueError, match="source must be outside the cache directory"):
            cache.store(inside, "v", np.zeros((2, 2), np.uint8))
        assert len(cache) == 0
    with pytest.raises(ValueError, match="path must be a directory.*which is a file"):
        DecodedCache(src)
    with pytest.raises(TypeError, match="path must be a path"):
        DecodedCache(3)
    with pytest.raises(TypeError, match="readonly must be a bool"):
        DecodedCache(cache_dir, readonly=1)
    with pytest.raises(FileNotFoundError, match="readonly=True creates nothing"):
        DecodedCache(str(tmp_path / "never"), readonly=True)
    assert not (tmp_path / "never").exists()


def test_a_readonly_instance_refuses_to_write_and_writes_nothing(cache_dir, src):
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.zeros((2, 2), np.uint8))
    before = sorted(os.listdir(cache_dir))
    os.unlink(os.path.join(cache_dir, _cache.LOCK_NAME))
    with DecodedCache(cache_dir, readonly=True) as reader:
        with pytest.raises(io.UnsupportedOperation, match="readonly=True"):
            reader.store(src, "w", np.zeros((2, 2), np.uint8))
        for method in (reader.commit, reader.compact):
            with pytest.raises(io.UnsupportedOperation):
                method()
        assert reader.lookup(src, "v") is not None
    assert sorted(os.listdir(cache_dir)) == [n for n in before if n != _cache.LOCK_NAME]


def test_a_closed_cache_says_so(cache_dir, src):
    cache = DecodedCache(cache_dir)
    cache.store(src, "v", np.zeros((2, 2), np.uint8))
    view = cache.lookup(src, "v")
    cache.close()  # commits
    cache.close()
    with pytest.raises(ValueError, match="is closed"):
        cache.lookup(src, "v")
    with pytest.raises(ValueError, match="is closed"):
        cache.store(src, "v", np.zeros((2, 2), np.uint8))
    assert view.sum() == 0  # views outlive the instance
    assert DecodedCache(cache_dir, readonly=True).lookup(src, "v") is not None


# ---------------------------------------------------------------------- path safety
def test_only_the_cache_directory_is_written(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    sources = [make_source(images, f"{i}.jpg", bytes([i]) * 50) for i in range(3)]
    before = {p: (read_bytes(p), os.stat(p).st_mtime_ns) for p in sources}
    cache_dir = str(tmp_path / "cache")
    with DecodedCache(cache_dir) as cache:
        for p in sources:
            cache.store(p, "../../escape", np.zeros((3, 3), np.uint8))  # a variant is no path
        cache.compact()
    assert sorted(os.listdir(tmp_path)) == ["cache", "images"]
    assert sorted(os.listdir(images)) == ["0.jpg", "1.jpg", "2.jpg"]
    assert {p: (read_bytes(p), os.stat(p).st_mtime_ns) for p in sources} == before
    assert all(n == "index" or n == "lock" or n.startswith("data-") for n in os.listdir(cache_dir))


# ---------------------------------------------------------------------- atomicity
def test_a_crash_between_pixels_and_index_publishes_nothing(cache_dir, src, tmp_path, monkeypatch):
    second = make_source(tmp_path, "second.jpg")
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.full((4, 4), 7, np.uint8))
    index_before = read_bytes(os.path.join(cache_dir, "index"))
    writer = DecodedCache(cache_dir)
    writer.store(second, "v", np.full((4, 4), 9, np.uint8))
    writer.store(src, "v", np.full((4, 4), 8, np.uint8))

    def crash(*args):
        raise KeyboardInterrupt("killed between the pixels and the index")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        writer.commit()
    monkeypatch.undo()
    assert read_bytes(os.path.join(cache_dir, "index")) == index_before
    assert not [n for n in os.listdir(cache_dir) if n.startswith("index.tmp-")]
    with DecodedCache(cache_dir, readonly=True) as other:
        assert len(other) == 1 and other.lookup(second, "v") is None
        np.testing.assert_array_equal(other.lookup(src, "v"), np.full((4, 4), 7, np.uint8))
    writer.commit()  # nothing was lost on the writer's side either
    with DecodedCache(cache_dir, readonly=True) as other:
        np.testing.assert_array_equal(other.lookup(src, "v"), np.full((4, 4), 8, np.uint8))
        np.testing.assert_array_equal(other.lookup(second, "v"), np.full((4, 4), 9, np.uint8))
    writer.close()


def test_leftovers_of_a_crash_are_ignored_then_cleaned(cache_dir, src):
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.full((4, 4), 7, np.uint8))
    leftover = os.path.join(cache_dir, "index.tmp-999-dead")
    with open(leftover, "wb") as f:
        f.write(b"half an index")
    with open(data_file(cache_dir), "ab") as f:
        f.write(b"\x01" * 1000)  # pixels of an entry never committed
    with DecodedCache(cache_dir) as cache:
        np.testing.assert_array_equal(cache.lookup(src, "v"), np.full((4, 4), 7, np.uint8))
        cache.store(src, "w", np.full((4, 4), 5, np.uint8))
        cache.commit()
        assert not os.path.exists(leftover)
        assert cache.compact() >= 1000 - _cache._ALIGN  # the junk, less the padding it filled
        assert cache.verify() == []


def writer_until_killed(cache_dir, sources, ready):
    """Stores and commits forever, replacing entries with newer generations."""
    with DecodedCache(cache_dir) as cache:
        generation = 0
        while True:
            generation += 1
            for i, path in enumerate(sources):
                cache.store(path, "v", pattern(i, generation, (48, 48, 3)))
                if i % 7 == 6:
                    cache.commit()
            if generation == 2:
                ready.set()


def test_killing_a_writer_mid_build_leaves_only_whole_entries(tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg", b"%d" % i) for i in range(40)]
    cache_dir = str(tmp_path / "cache")
    ready = SPAWN.Event()
    proc = SPAWN.Process(target=writer_until_killed, args=(cache_dir, sources, ready))
    proc.start()
    try:
        assert ready.wait(60), "the writer did not start"
        time.sleep(0.05)
    finally:
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.join(10)
    with DecodedCache(cache_dir, check_pixels=True) as cache:
        assert len(cache) == len(sources)
        for i, path in enumerate(sources):
            check_pattern(i, cache.lookup(path, "v"))
        assert cache.verify() == []
        cache.store(sources[0], "v", pattern(0, 200, (48, 48, 3)))  # the cache still takes writes
    with DecodedCache(cache_dir, readonly=True) as again:
        check_pattern(0, again.lookup(sources[0], "v"))
        assert int(again.lookup(sources[0], "v").flat[0]) == 200


def crash_at(cache_dir, sources, point):
    """Commit sources[0], store sources[1] (and replace sources[0]), then die at `point`."""
    cache = DecodedCache(cache_dir)
    cache.store(sources[0], "v", pattern(0, 1))
    cache.commit()
    if point == "mid-pixels":
        real = os.pwrite

        def torn(fd, data, offset):  # half of the pixels reach the file, then the process dies
            real(fd, memoryview(data)[: len(memoryview(data)) // 2], offset)
            os._exit(3)
        os.pwrite = torn
    cache.store(sources[1], "v", pattern(1, 2))
    cache.store(sources[0], "v", pattern(0, 2))
    if point == "before-replace":  # the new index is written and fsynced, not yet in place
        os.replace = lambda *args: os._exit(3)
    if point == "after-replace":  # in place, the directory not yet fsynced
        _cache._fsync_dir = lambda path: os._exit(3)
    cache.commit()
    os._exit(0)


@pytest.mark.parametrize("point", ["mid-pixels", "before-replace", "after-replace"])
def test_a_writer_dying_at_each_step_leaves_a_consistent_cache(tmp_path, point):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(2)]
    cache_dir = str(tmp_path / "cache")
    proc = SPAWN.Process(target=crash_at, args=(cache_dir, sources, point))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 3
    published = point == "after-replace"
    with DecodedCache(cache_dir, check_pixels=True) as cache:
        assert len(cache) == (2 if published else 1)
        assert int(cache.lookup(sources[0], "v").flat[0]) == (2 if published else 1)
        check_pattern(0, cache.lookup(sources[0], "v"))
        if published:
            check_pattern(1, cache.lookup(sources[1], "v"))
        else:
            assert cache.lookup(sources[1], "v") is None
        assert cache.verify() == []
        cache.store(sources[1], "v", pattern(1, 5))  # and it goes on working
    with DecodedCache(cache_dir, readonly=True) as again:
        assert int(again.lookup(sources[1], "v").flat[0]) == 5 and again.verify() == []


# ---------------------------------------------------------------------- sharing
def writer_process(cache_dir, sources, first, count, go):
    go.wait(30)
    with DecodedCache(cache_dir) as cache:
        for i in range(first, first + count):
            cache.store(sources[i], "v", pattern(i, 1))
            if i % 5 == 0:
                cache.commit()
        cache.commit()


def test_a_reader_sees_what_another_process_commits(tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(10)]
    cache_dir = str(tmp_path / "cache")
    DecodedCache(cache_dir).close()
    reader = DecodedCache(cache_dir, readonly=True)
    plain = DecodedCache(cache_dir)  # an instance that only looks up
    assert reader.lookup(sources[0], "v") is None
    go = SPAWN.Event()
    proc = SPAWN.Process(target=writer_process, args=(cache_dir, sources, 0, 10, go))
    proc.start()
    go.set()
    proc.join(60)
    assert proc.exitcode == 0
    assert len(reader) == 0  # nothing re-read yet ...
    for i, path in enumerate(sources):  # ... until a miss
        check_pattern(i, reader.lookup(path, "v"))
        check_pattern(i, plain.lookup(path, "v"))
    assert len(reader) == 10
    assert reader.refresh() is False
    reader.close()
    plain.close()


def test_automatic_re_reads_are_rate_limited_explicit_ones_are_not(cache_dir, tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(2)]
    reader = DecodedCache(cache_dir)
    with DecodedCache(cache_dir) as writer:
        writer.store(sources[0], "v", pattern(0, 1))
    reader._next_auto_load = time.monotonic() + 3600  # as if the last read had been slow
    assert reader.lookup(sources[0], "v") is None  # a miss, not re-read yet
    assert reader.refresh() is True
    check_pattern(0, reader.lookup(sources[0], "v"))
    assert reader._next_auto_load < time.monotonic() + 1  # 9x a fast read: soon again
    with DecodedCache(cache_dir) as writer:
        writer.store(sources[1], "v", pattern(1, 1))
    past_auto_refresh_interval(reader)
    check_pattern(1, reader.lookup(sources[1], "v"))
    reader.close()


def test_writers_in_several_processes_lose_nothing(tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(30)]
    cache_dir = str(tmp_path / "cache")
    go = SPAWN.Event()
    procs = [SPAWN.Process(target=writer_process, args=(cache_dir, sources, 10 * k, 10, go)) for k in range(3)]
    for proc in procs:
        proc.start()
    go.set()  # all at once on a cache that does not exist yet
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    with DecodedCache(cache_dir, readonly=True, check_pixels=True) as cache:
        assert len(cache) == 30
        for i, path in enumerate(sources):
            check_pattern(i, cache.lookup(path, "v"))


def churn(cache_dir, sources, stop):
    """Replace, commit and compact until told to stop."""
    with DecodedCache(cache_dir) as cache:
        generation = 0
        while not stop.is_set() and generation < 200:
            generation += 1
            for i, path in enumerate(sources):
                cache.store(path, "v", pattern(i, generation))
                if i % 5 == 4:
                    cache.commit()
            if generation % 3 == 0:
                cache.compact()


def test_a_reader_never_sees_torn_pixels_while_a_writer_commits_and_compacts(tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(20)]
    cache_dir = str(tmp_path / "cache")
    DecodedCache(cache_dir).close()
    reader = DecodedCache(cache_dir, readonly=True)
    stop = SPAWN.Event()
    proc = SPAWN.Process(target=churn, args=(cache_dir, sources, stop))
    proc.start()
    hits, generations, views = 0, set(), []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (len(generations) < 6 or hits < 300):
            reader.refresh()  # a hit serves what this instance has: replacements need a refresh
            for i, path in enumerate(sources):
                view = reader.lookup(path, "v")
                if view is not None:
                    check_pattern(i, view)
                    hits += 1
                    generations.add(int(view.flat[0]))
                    if hits % 50 == 0:
                        views.append((i, view))  # kept across later compactions
    finally:
        stop.set()
        proc.join(60)
    assert proc.exitcode == 0
    assert len(generations) >= 6, generations  # the reader followed the writer
    for i, view in views:
        check_pattern(i, view)
    reader.close()


def test_threads_can_share_one_instance(cache_dir, tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(40)]
    cache = DecodedCache(cache_dir)
    errors = []

    def work(k):
        try:
            for i in range(k, 40, 4):
                cache.store(sources[i], "v", pattern(i, 3))
                check_pattern(i, cache.lookup(sources[i], "v"))
                if i % 3 == 0:
                    cache.commit()
        except Exception as exc:  # reported below; a thread's exception would vanish
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    cache.close()
    with DecodedCache(cache_dir, readonly=True) as again:
        assert len(again) == 40 and again.verify() == []


# ---------------------------------------------------------------------- full disk
def half_then_full(real):
    def pwrite(fd, data, offset):
        view = memoryview(data)
        real(fd, view[: len(view) // 2], offset)  # part of it lands, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return pwrite


def test_a_full_disk_while_storing_is_a_clear_error_that_loses_nothing(cache_dir, src, tmp_path, monkeypatch):
    second = make_source(tmp_path, "second.jpg")
    source_bytes = read_bytes(src)
    committed = np.full((8, 8, 3), 3, np.uint8)
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", committed)
    size_before = os.path.getsize(data_file(cache_dir))
    cache = DecodedCache(cache_dir)
    monkeypatch.setattr(os, "pwrite", half_then_full(os.pwrite))
    with pytest.raises(OSError) as info:
        cache.store(second, "v", np.zeros((64, 64, 3), np.uint8))
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    message = str(info.value)
    assert cache_dir in message and "disk is full" in message and str(64 * 64 * 3) in message
    assert os.path.getsize(data_file(cache_dir)) == size_before  # the partial write is given back
    assert cache.lookup(second, "v") is None and len(cache) == 1
    cache.close()
    with DecodedCache(cache_dir, readonly=True) as again:
        np.testing.assert_array_equal(again.lookup(src, "v"), committed)
    assert read_bytes(src) == source_bytes


def test_a_full_disk_while_committing_keeps_the_old_index_and_the_entries(cache_dir, src, tmp_path, monkeypatch):
    second = make_source(tmp_path, "second.jpg")
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.full((8, 8), 1, np.uint8))
    cache = DecodedCache(cache_dir)
    cache.store(second, "v", np.full((8, 8), 2, np.uint8))
    monkeypatch.setattr(os, "pwrite", half_then_full(os.pwrite))  # only the index is written now
    with pytest.raises(OSError, match="disk is full.*writing the index needed [0-9]+ bytes") as info:
        cache.commit()
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC and cache_dir in str(info.value)
    assert not [n for n in os.listdir(cache_dir) if n.startswith("index.tmp-")]
    with DecodedCache(cache_dir, readonly=True) as again:
        assert len(again) == 1 and again.lookup(second, "v") is None
        np.testing.assert_array_equal(again.lookup(src, "v"), np.full((8, 8), 1, np.uint8))
    cache.commit()  # space is back: the same entries commit
    cache.close()
    with DecodedCache(cache_dir, readonly=True) as again:
        np.testing.assert_array_equal(again.lookup(second, "v"), np.full((8, 8), 2, np.uint8))


# ---------------------------------------------------------------------- corruption
@pytest.fixture
def built(cache_dir, src):
    with DecodedCache(cache_dir) as cache:
        cache.store(src, "v", np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
        cache.store(src, "w", np.ones((16, 16), np.float32))
    return cache_dir


def cut(path, keep):
    with open(path, "r+b") as f:
        f.truncate(keep)


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x5A]))


def index_of(cache_dir):
    return os.path.join(cache_dir, _cache.INDEX_NAME)


CORRUPTIONS = {
    "index cut short": (lambda d: cut(index_of(d), os.path.getsize(index_of(d)) - 10), "index", "truncated"),
    "index header cut": (lambda d: cut(index_of(d), 20), "index", "truncated"),
    "index emptied": (lambda d: cut(index_of(d), 0), "index", "truncated"),
    "index garbage byte": (lambda d: flip(index_of(d), os.path.getsize(index_of(d)) - 30), "index", "checksum"),
    "index header garbage": (lambda d: flip(index_of(d), 70), "index", "checksum"),
    "index bad magic": (lambda d: flip(index_of(d), 0), "index", "not a fastaug"),
    "index wrong version": (lambda d: rewrite_index(d, version=2), "index", "format version 2"),
    "index past the data": (lambda d: rewrite_index(d, lambda b: b["entries"][0].__setitem__(4, 1 << 20)), "index", "outside the data"),
    "index negative offset": (lambda d: rewrite_index(d, lambda b: b["entries"][0].__setitem__(4, -64)), "index", "outside the data"),
    "index huge shape": (lambda d: rewrite_index(d, lambda b: b["entries"][0].__setitem__(6, [2**32, 2**32])), "index", "outside the data"),
    "index bad shape": (lambda d: rewrite_index(d, lambda b: b["entries"][0].__setitem__(6, [0, 4])), "index", "malformed"),
    "index bad dtype": (lambda d: rewrite_index(d, lambda b: b["entries"][0].__setitem__(5, "int16")), "index", "malformed"),
    "index not json": (lambda d: rewrite_index(d, lambda b: b.clear()), "index", "expected JSON"),
    "data cut short": (lambda d: cut(data_file(d), os.path.getsize(data_file(d)) - 1), "data-", "truncated"),
    "data cut to nothing": (lambda d: cut(data_file(d), 0), "data-", "truncated"),
    "data bad magic": (lambda d: flip(data_file(d), 1), "data-", "not a fastaug"),
    "data other id": (lambda d: flip(data_file(d), 20), "data-", "does not belong"),
    "data missing": (lambda d: os.unlink(data_file(d)), "data-", "missing"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
@pytest.mark.parametrize("readonly", [True, False])
def test_corrupted_files_raise_a_value_error_naming_the_file(built, case, readonly):
    damage, file_name, reason = CORRUPTIONS[case]
    damage(built)
    with pytest.raises(ValueError, match=reason) as info:
        DecodedCache(built, readonly=readonly)
    assert os.path.join(built, file_name) in str(info.value)
    assert "safe fix" in str(info.value)


def test_corruption_after_opening_is_caught_at_the_next_read(built, src):
    reader = DecodedCache(built, readonly=True)
    assert reader.lookup(src, "v") is not None
    rewrite_index(built, version=9, nonce=b"n" * 16)  # as if rewritten by another version
    past_auto_refresh_interval(reader)
    with pytest.raises(ValueError, match="format version 9"):
        reader.lookup(src, "absent variant")  # a miss re-reads the changed index
    with pytest.raises(ValueError, match="format version 9"):
        reader.refresh()
    np.testing.assert_array_equal(reader.lookup(src, "v"), np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    reader.close()


def test_corrupted_pixels_are_caught_by_check_pixels_and_verify(built, src):
    flip(data_file(built), _cache._DATA_START + 5)  # inside the first entry's pixels
    with DecodedCache(built, readonly=True) as plain:  # by default, lookups do not hash
        assert plain.verify() == [(os.path.abspath(src), "v")]
    with DecodedCache(built, readonly=True, check_pixels=True) as checked:
        with pytest.raises(ValueError, match="corrupted pixels.*CRC-32"):
            checked.lookup(src, "v")
        np.testing.assert_array_equal(checked.lookup(src, "w"), np.ones((16, 16), np.float32))


# ---------------------------------------------------------------------- growth and compaction
def test_the_data_grows_and_readers_remap(tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(30)]
    cache_dir = str(tmp_path / "cache")
    writer = DecodedCache(cache_dir)
    writer.store(sources[0], "v", pattern(0, 1, (64, 64, 3)))
    writer.commit()
    reader = DecodedCache(cache_dir, readonly=True)
    first = reader.lookup(sources[0], "v")
    size = os.path.getsize(data_file(cache_dir))
    for i in range(1, 30):
        writer.store(sources[i], "v", pattern(i, 1, (64, 64, 3)))
        check_pattern(i, writer.lookup(sources[i], "v"))  # its own, past its first map
        if i % 10 == 0:
            writer.commit()
    writer.commit()
    assert os.path.getsize(data_file(cache_dir)) > size + 28 * 64 * 64 * 3
    for i in range(30):
        check_pattern(i, reader.lookup(sources[i], "v"))
    check_pattern(0, first)  # an old view is untouched by the growth
    reader.close()
    writer.close()


def test_compact_reclaims_replaced_and_stale_entries(tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(6)]
    cache_dir = str(tmp_path / "cache")
    with DecodedCache(cache_dir) as cache:
        for generation in (1, 2, 3):  # two dead copies of each entry
            for i, path in enumerate(sources):
                cache.store(path, "v", pattern(i, generation))
        cache.commit()
    os.unlink(sources[5])  # a stale entry
    reader = DecodedCache(cache_dir, readonly=True)
    old_view = reader.lookup(sources[0], "v")
    old_file = data_file(cache_dir)
    size = os.path.getsize(old_file)
    with DecodedCache(cache_dir) as cache:
        reclaimed = cache.compact()
        assert len(cache) == 5
        assert reclaimed == size - os.path.getsize(data_file(cache_dir))
        assert reclaimed >= 13 * 32 * 32 * 3
        assert data_file(cache_dir) != old_file and not os.path.exists(old_file)
        for i in range(5):
            assert cache.lookup(sources[i], "v").flat[0] == 3
            check_pattern(i, cache.lookup(sources[i], "v"))
        assert cache.compact() == 0
    check_pattern(0, old_view)  # a view of the old, now unlinked, file still reads right
    for i in range(5):  # the reader still serves the old file it has mapped ...
        check_pattern(i, reader.lookup(sources[i], "v"))
    assert reader.refresh() is True and len(reader) == 5  # ... until it re-reads the index
    for i in range(5):
        check_pattern(i, reader.lookup(sources[i], "v"))
    reader.close()


def test_a_writer_whose_file_was_compacted_away_drops_only_its_uncommitted_entries(tmp_path):
    sources = [make_source(tmp_path, f"{i}.jpg") for i in range(3)]
    cache_dir = str(tmp_path / "cache")
    with DecodedCache(cache_dir) as cache:
        cache.store(sources[0], "v", pattern(0, 1))
    slow = DecodedCache(cache_dir)
    slow.store(sources[1], "v", pattern(1, 1))
    with DecodedCache(cache_dir) as other:
        other.compact()
    with pytest.warns(RuntimeWarning, match="compacted.*1 uncommitted entries are dropped"):
        slow.store(sources[2], "v", pattern(2, 1))
    slow.commit()
    slow.close()
    with DecodedCache(cache_dir, readonly=True) as again:
        assert again.lookup(sources[1], "v") is None  # dropped: it will be decoded again
        check_pattern(0, again.lookup(sources[0], "v"))
        check_pattern(2, again.lookup(sources[2], "v"))
        assert again.verify() == []


def test_len_counts_distinct_entries_committed_or_not(cache_dir, src, tmp_path):
    other = make_source(tmp_path, "o.jpg")
    with DecodedCache(cache_dir) as cache:
        assert len(cache) == 0
        cache.store(src, "v", np.zeros((2, 2), np.uint8))
        cache.store(src, "v", np.zeros((2, 2), np.uint8))
        assert len(cache) == 1
        cache.commit()
        cache.store(src, "v", np.zeros((2, 2), np.uint8))
        cache.store(other, "v", np.zeros((2, 2), np.uint8))
        assert len(cache) == 2
        assert (src, "v") in cache and (other, "w") not in cache


def store_in_forked_child(cache, source):
    cache.store(source, "child", pattern(1, 7))
    cache.commit()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")
def test_a_forked_child_writes_with_its_own_descriptors(cache_dir, tmp_path):
    parent_src, child_src = make_source(tmp_path, "p.jpg"), make_source(tmp_path, "c.jpg")
    cache = DecodedCache(cache_dir)
    cache.store(parent_src, "parent", pattern(0, 7))  # uncommitted when the child forks
    proc = multiprocessing.get_context("fork").Process(target=store_in_forked_child, args=(cache, child_src))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    with DecodedCache(cache_dir, readonly=True) as other:
        check_pattern(1, other.lookup(child_src, "child"))
        assert other.lookup(parent_src, "parent") is None  # the child did not commit the parent's
    check_pattern(0, cache.lookup(parent_src, "parent"))
    check_pattern(1, cache.lookup(child_src, "child"))  # a miss: re-reads the index
    cache.close()
    with DecodedCache(cache_dir, readonly=True) as other:
        assert len(other) == 2 and other.verify() == []


@pytest.mark.skipif(os.name != "posix", reason="file names are bytes only on POSIX")
def test_file_names_that_are_not_utf8_and_odd_variants_survive_a_reopen(cache_dir, tmp_path):
    path = os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9 \xff.jpg")  # Latin-1 bytes
    with open(path, "wb") as f:
        f.write(b"x")
    variant = "rgb|\u00e9|\udcff|\"quoted\"\n"
    with DecodedCache(cache_dir) as cache:
        cache.store(path, variant, np.full((2, 3), 4, np.uint8))
    with DecodedCache(cache_dir, readonly=True) as again:
        np.testing.assert_array_equal(again.lookup(path, variant), np.full((2, 3), 4, np.uint8))
        np.testing.assert_array_equal(again.lookup(os.fsdecode(path), variant), np.full((2, 3), 4, np.uint8))
