"""Hostile inputs to the file loaders, decoders, decoded cache, torch executor and the
list-of-images path: each must give a clear error naming the argument (or file), never a
crash, a huge allocation, a leaked descriptor or thread, or a change to the caller's data."""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest

from fastaug import Compose, ImageFiles, _decode
from fastaug.transforms import Resize

Image = pytest.importorskip("PIL.Image")


def _jpeg(h=16, w=16, value=90):
    out = io.BytesIO()
    Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(out, "JPEG")
    return out.getvalue()


def _claim_size(data: bytes, h: int, w: int) -> bytes:
    """The JPEG with its SOF0 header claiming h x w pixels (the scan data unchanged)."""
    i = data.find(b"\xff\xc0")
    out = bytearray(data)
    out[i + 5:i + 9] = struct.pack(">HH", h, w)
    return bytes(out)


@pytest.fixture
def files(tmp_path):
    paths = []
    for k in range(5):
        p = tmp_path / f"{k}.jpg"
        p.write_bytes(_jpeg(30 + k, 40, 20 * k))
        paths.append(str(p))
    return paths


# ---------------------------------------------------------------- decoding


def test_a_decompression_bomb_header_is_refused_before_any_allocation(tmp_path):
    pytest.importorskip("simplejpeg")
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(_claim_size(_jpeg(), 30000, 30000))  # 2.5 GiB of RGB once decoded
    # Under a 1 GiB address-space limit simplejpeg's allocation fails with a MemoryError
    # (without a limit it would allocate); the header check must refuse it first.
    code = f"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from fastaug import _decode, ImageFiles
data = open({str(bomb)!r}, "rb").read()
for attempt in (lambda: _decode.decode(data, {str(bomb)!r}),
                lambda: ImageFiles([{str(bomb)!r}], prefetch=0).batch([0])):
    try:
        attempt()
    except MemoryError as e:
        sys.exit("MemoryError: " + str(e))
    except Exception as e:
        assert "bomb.jpg" in str(e) and "pixels" in str(e), repr(e)
        assert type(e).__name__ == "DecompressionBombError", repr(e)
    else:
        sys.exit("decoded a bomb")
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("data", [
    b"", b"\xff\xd8", b"\xff\xd8" + b"\x00" * 64, _jpeg()[:200], _jpeg()[:-100],
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
], ids=["empty", "soi", "zeros", "head", "truncated", "png-garbage"])
def test_corrupt_files_raise_an_error_naming_the_file(data):
    with pytest.raises((OSError, ValueError)) as info:
        _decode.decode(data, "/data/broken.jpg")
    assert "broken.jpg" in str(info.value)


def _app1(tiff: bytes, length=None) -> bytes:
    body = b"Exif\x00\x00" + tiff
    length = len(body) + 2 if length is None else length
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", length) + body


def _tiff(entries, order="<", ifd=8, count=None):
    magic = b"II" if order == "<" else b"MM"
    out = magic + struct.pack(order + "HI", 42, ifd)
    out += struct.pack(order + "H", len(entries) if count is None else count)
    for tag, kind, value in entries:
        out += struct.pack(order + "HHIHH", tag, kind, 1, value, 0)
    return out


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("value,expected", [(6, 6), (8, 8), (0, 1), (9, 1), (255, 1),
                                            (65535, 1)])
def test_exif_orientation_values(order, value, expected):
    assert _decode._exif_orientation(_app1(_tiff([(0x0112, 3, value)], order))) == expected


@pytest.mark.parametrize("data", [
    _app1(_tiff([(0x0112, 3, 6)]), length=0),  # a length shorter than itself
    _app1(_tiff([(0x0112, 3, 6)]), length=1),
    _app1(_tiff([(0x0112, 3, 6)], ifd=0xFFFFFFF0)),  # IFD offset past the end
    _app1(_tiff([(0x0100, 3, 6)], count=65535)),  # more entries than bytes
    _app1(_tiff([(0x0112, 5, 6)])),  # orientation of the wrong type (a RATIONAL)
    _app1(b"II*\x00"),  # TIFF header cut short
    _app1(b"XX*\x00\x08\x00\x00\x00"),  # not a byte order
    b"\xff\xd8\xff", b"\xff\xd8", b"", b"\xff\xd8\xff\xe1\x00",
    b"\xff\xd8" + b"\xff\xe0\x00\x02" * 10000,  # many empty segments: still returns
])
def test_malformed_exif_segments_read_as_upright(data):
    assert _decode._exif_orientation(data) == 1


def test_exif_parser_with_a_zero_length_segment_terminates():
    # length 0 would step back two bytes onto the same marker forever without a guard
    data = b"\xff\xd8\xff\xe0\x00\x00" + b"\x00" * 8
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from fastaug import _decode; "
         f"print(_decode._exif_orientation({data!r}))"],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), capture_output=True,
        text=True, timeout=20)
    assert run.returncode == 0 and run.stdout.strip() == "1", run.stdout + run.stderr


# ---------------------------------------------------------------- files


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_a_directory_named_as_a_file_is_refused_with_its_name_and_no_leak(tmp_path):
    folder = tmp_path / "d.jpg"
    folder.mkdir()
    before = _open_fds()
    for _ in range(20):
        with pytest.raises(OSError, match="d.jpg"):
            _decode.read_file(str(folder))
    assert _open_fds() == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_and_symlink_loops_are_refused(tmp_path, files):
    fifo = tmp_path / "f.jpg"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.jpg"
    os.symlink(loop, loop)
    for bad in (fifo, loop):
        loader = ImageFiles([files[0], str(bad)], transform=Compose([Resize((8, 8))]),
                            prefetch=0, num_threads=1)
        with pytest.raises(OSError) as info:
            loader.batch([0, 1])
        assert str(bad) in str(info.value)


def test_paths_of_wrong_types_are_named(files):
    for bad in (3, None, b"/x.jpg", 2.5):
        with pytest.raises(TypeError, match=r"paths\[1\]"):
            ImageFiles([files[0], bad])


def test_labels_are_checked(files):
    with pytest.raises(TypeError, match="labels"):
        ImageFiles(files, labels=["a"] * 5)
    with pytest.raises(TypeError, match="labels"):
        ImageFiles(files, labels=[1.0] * 5)
    with pytest.raises(ValueError, match="labels"):
        ImageFiles(files, labels=[[1]] * 5)
    with pytest.raises(ValueError, match="labels"):
        ImageFiles(files, labels=[1, 2])
    # a uint64 label past int64 must not wrap to a negative one
    with pytest.raises(ValueError, match="labels"):
        ImageFiles(files, labels=np.full(5, 2 ** 63 + 5, np.uint64))
    assert ImageFiles(files, labels=np.full(5, 7, np.uint64)).labels.tolist() == [7] * 5


def test_a_bad_device_is_a_value_error_naming_device(files):
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="device"):
        ImageFiles(files, device="nope")
    with pytest.raises(ValueError, match="device"):
        ImageFiles(files, device=3.5)


# ---------------------------------------------------------------- decoded cache


def test_a_readonly_cache_is_looked_up_and_misses_are_decoded(files, tmp_path):
    from fastaug import DecodedCache

    t = Compose([Resize((8, 8))])
    fresh = np.concatenate([b for b, _ in ImageFiles(files, transform=t, shuffle=False)])
    with DecodedCache(tmp_path / "c") as writer:
        writer.store(files[0], "other", np.zeros((2, 2, 3), np.uint8))
    for cache_files in (files[:2], []):  # part of the files cached, then none
        if cache_files:
            list(ImageFiles(cache_files, transform=t, cache=tmp_path / "c"))
        reader = DecodedCache(tmp_path / "c", readonly=True)
        loader = ImageFiles(files, transform=t, shuffle=False, cache=reader)
        got = np.concatenate([b for b, _ in loader])  # no commit error at the epoch's end
        np.testing.assert_array_equal(got, fresh)
        loader.close()


def test_two_loaders_with_other_color_modes_share_a_cache(files, tmp_path):
    t = Compose([Resize((8, 8))])
    rgb = ImageFiles(files, transform=t, shuffle=False, cache=tmp_path / "c")
    gray = ImageFiles(files, transform=t, shuffle=False, cache=tmp_path / "c",
                      color_mode="grayscale")
    for _ in range(2):
        assert next(iter(rgb))[0].shape[-1] == 3
        assert next(iter(gray))[0].shape[-1] == 1


def test_a_cache_path_that_is_a_file_is_refused(files, tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="directory"):
        ImageFiles(files, cache=tmp_path / "f")


# ---------------------------------------------------------------- torch tensors


def _nonfinite_batch(seed=0):
    f = np.random.default_rng(seed).random((3, 20, 30, 3)).astype(np.float32)
    f[0, 0, 0, 0] = np.nan
    f[1, 1, 1, 1], f[1, 1, 2, 1], f[2, 5, 5, 2] = np.inf, -np.inf, -np.inf
    f[2, 10, 10, :] = np.nan
    return f


@pytest.mark.parametrize("size", [(8, 8), (13, 41)])
def test_tensor_resize_keeps_non_finite_pixels_local_as_the_native_pass(size):
    torch = pytest.importorskip("torch")
    t = Compose([Resize(size)])
    f = _nonfinite_batch()
    native = t(f).images
    got = t(torch.from_numpy(f).permute(0, 3, 1, 2)).images.permute(0, 2, 3, 1).numpy()
    # a dense product spread one NaN over its whole output row and column
    for test in (np.isnan, np.isposinf, np.isneginf):
        np.testing.assert_array_equal(test(got), test(native))
    finite = np.isfinite(native)
    np.testing.assert_allclose(got[finite], native[finite], atol=1e-5)


@pytest.mark.parametrize("channels", [2, 4, 5])
def test_tensor_colour_ops_needing_gray_or_rgb_refuse_other_channel_counts(channels):
    torch = pytest.importorskip("torch")
    from fastaug.transforms import AutoContrast, ColorJitter

    for op in (ColorJitter(0.5, 0.5, 0.5, 0.1), AutoContrast()):
        t = Compose([Resize((8, 8)), op])
        with pytest.raises(ValueError, match=f"needs 1 or 3 channels, got {channels}"):
            t(torch.zeros(2, channels, 20, 30))
    # ops defined per channel still run
    assert Compose([Resize((8, 8)), ColorJitter(0.5)])(
        torch.zeros(2, channels, 20, 30)).images.shape == (2, channels, 8, 8)


def test_tensor_masks_of_a_complex_dtype_or_another_device_are_refused():
    torch = pytest.importorskip("torch")
    from fastaug.transforms import HorizontalFlip

    t = Compose([Resize((8, 8)), HorizontalFlip()])
    x = torch.zeros(2, 3, 20, 30, dtype=torch.uint8)
    with pytest.raises(TypeError, match="masks"):
        t(x, masks=torch.zeros(2, 20, 30, dtype=torch.complex64))
    with pytest.raises(ValueError, match="masks must be on the images' device"):
        t(x, masks=torch.zeros(2, 20, 30, device="meta"))
    assert t(x, masks=torch.zeros(2, 20, 30, dtype=torch.bool)).masks.dtype == torch.bool


def test_tensor_inputs_of_bad_dtypes_shapes_are_refused_and_inputs_kept():
    torch = pytest.importorskip("torch")
    t = Compose([Resize((8, 8))])
    for bad in (torch.zeros(2, 3, 20, 30, dtype=torch.float64),
                torch.zeros(2, 3, 20, 30, dtype=torch.int16),
                torch.zeros(2, 3, 20, 30, dtype=torch.bool)):
        with pytest.raises(TypeError, match="dtype"):
            t(bad)
    for bad in (torch.zeros(2, 0, 20, 30), torch.zeros(0, 3, 20, 30), torch.zeros(3, 20, 30)):
        with pytest.raises(ValueError, match="images"):
            t(bad)
    x = torch.randint(0, 255, (2, 3, 30, 20), dtype=torch.uint8)
    view = x.transpose(2, 3)  # non-contiguous
    keep = x.clone()
    assert t(view).images.shape == (2, 3, 8, 8)
    assert torch.equal(x, keep)


def _jpeg_with_orientation(kind, count, value: bytes):
    tiff = (b"II" + struct.pack("<HI", 42, 8) + struct.pack("<H", 1)
            + struct.pack("<HHI", 0x0112, kind, count) + value + b"\0\0\0\0")
    out = io.BytesIO()
    Image.fromarray(np.zeros((8, 12, 3), np.uint8)).save(out, "JPEG",
                                                         exif=b"Exif\x00\x00" + tiff)
    return out.getvalue()


@pytest.mark.parametrize("kind,count,value,expected", [
    (3, 1, struct.pack("<HH", 6, 0), 6),  # SHORT, the standard form
    (4, 1, struct.pack("<I", 6), 6),  # LONG: Pillow reads it, so must the JPEG parser
    (2, 4, b"6\0\0\0", 1),  # ASCII: Pillow's int() of it refused the whole file
    (3, 1, struct.pack("<HH", 9, 0), 1),
])
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_both_decoders_agree_on_odd_orientation_tags(monkeypatch, kind, count, value, expected):
    data = _jpeg_with_orientation(kind, count, value)
    seen = []
    for fast in (None, False):  # simplejpeg (when installed) with the hand parser, Pillow
        if fast is None:
            pytest.importorskip("simplejpeg")
        monkeypatch.setattr(_decode, "_simplejpeg", fast)
        header = _decode.read_header(data, "odd.jpg", True)
        seen.append(header.orientation)
        assert _decode.decode(data, "odd.jpg", header=header).shape[:2] == header.shape
    assert seen == [expected, expected]


# ---------------------------------------------------------------- loader iteration


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "fastaug-prefetch" and t.is_alive()]


@pytest.mark.parametrize("prefetch", [0, 1, 3])
def test_a_failure_mid_epoch_propagates_and_leaves_no_thread(files, tmp_path, prefetch):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(_jpeg()[:120])
    paths = files * 3 + [str(broken)] + files * 3
    loader = ImageFiles(paths, transform=Compose([Resize((8, 8))]), batch_size=2,
                        shuffle=False, prefetch=prefetch)
    got = 0
    with pytest.raises(OSError, match="broken.jpg"):
        for images, _ in loader:
            got += len(images)
    assert got < len(paths)
    assert loader.epoch == 0  # the failed epoch is not counted
    for _ in range(100):
        if not _prefetch_threads():
            break
        threading.Event().wait(0.02)
    assert not _prefetch_threads()


def test_breaking_early_then_iterating_again_gives_the_whole_epoch(files):
    t = Compose([Resize((8, 8))])
    fresh = [b for b, _ in ImageFiles(files, transform=t, batch_size=2)]
    loader = ImageFiles(files, transform=t, batch_size=2)
    for _ in loader:
        break
    again = [b for b, _ in loader]
    assert len(again) == len(fresh) == 3
    for a, b in zip(again, fresh):
        np.testing.assert_array_equal(a, b)


def test_batch_size_larger_than_the_dataset(files):
    t = Compose([Resize((8, 8))])
    batches = list(ImageFiles(files, transform=t, batch_size=1000, labels=range(5)))
    assert len(batches) == 1 and batches[0][0].shape == (5, 8, 8, 3)
    dropped = ImageFiles(files, transform=t, batch_size=1000, drop_last=True)
    assert len(dropped) == 0 and list(dropped) == []


def test_two_threads_iterating_one_loader_both_finish(files):
    loader = ImageFiles(files * 8, transform=Compose([Resize((8, 8))]), batch_size=3)
    counts, errors = [], []

    def run():
        try:
            counts.append(sum(len(b) for b, _ in loader))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads) and not errors
    assert counts == [40, 40]


def test_device_batches_never_wrap_read_only_pixels(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    paths = []
    for k, ext in enumerate(["png", "jpg"]):
        paths.append(str(tmp_path / f"g{k}.{ext}"))
        Image.fromarray(np.full((20, 25), 40 * k, np.uint8)).save(paths[-1])
    # torch warns once per process about a read-only array (and a CPU tensor shares it),
    # so the arrays handed to from_numpy are checked directly
    wrapped = []
    real = torch.from_numpy
    monkeypatch.setattr(torch, "from_numpy", lambda a: wrapped.append(a.flags.writeable) or real(a))
    loader = ImageFiles(paths, transform=Compose([Resize((8, 8))]), device="cpu",
                        color_mode="grayscale", shuffle=False)
    images, _ = next(iter(loader))
    assert tuple(images.shape) == (2, 1, 8, 8)
    assert wrapped and all(wrapped)


# ---------------------------------------------------------------- lists of images


def _list_images(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (20 + k % 7, 18 + (3 * k) % 5, 3)).astype(np.uint8)
            for k in range(n)]


@pytest.mark.parametrize("bad,error,match", [
    ([], ValueError, "at least one image"),
    ([np.zeros((0, 5, 3), np.uint8)], ValueError, r"images\[0\] must be non-empty"),
    ([np.zeros((4, 5, 0), np.uint8)], ValueError, r"images\[0\] must be non-empty"),
    ([np.zeros((1, 1, 4, 5, 3), np.uint8)], ValueError, r"images\[0\] must have shape"),
    ([np.zeros(5, np.uint8)], ValueError, r"images\[0\] must have shape"),
    ([np.zeros((4, 5, 3), np.uint8), np.zeros((6, 5, 3), np.float32)], ValueError,
     r"images\[1\] has dtype float32"),
    ([np.zeros((4, 5, 3), np.uint8), np.zeros((6, 5, 1), np.uint8)], ValueError,
     r"images\[1\]"),
    ([np.zeros((4, 5, 3), np.float64)], TypeError, r"images\[0\] must have dtype"),
    ([np.zeros((4, 5, 3), ">f4")], TypeError, r"images\[0\] must have dtype"),
    ([np.zeros((4, 5, 3), np.uint8), None], TypeError, r"images\[1\]"),
    ([[[0, 0, 0]]], TypeError, r"images\[0\]"),
])
def test_bad_lists_of_images_name_the_image(bad, error, match):
    with pytest.raises(error, match=match):
        Compose([Resize((8, 8))])(bad)


def test_read_only_and_negative_stride_images_in_a_list_are_read_not_written():
    from fastaug.transforms import ColorJitter, RandomErasing

    t = Compose([Resize((8, 8)), ColorJitter(0.5, 0.5, 0.5, 0.1), RandomErasing(p=1.0)], seed=3)
    images = _list_images()
    base = [im.copy() for im in images]
    views = []
    for k, im in enumerate(images):
        if k % 3 == 0:
            im.setflags(write=False)
            views.append(im)
        elif k % 3 == 1:
            views.append(im[::-1, ::-2])  # negative strides
        else:
            views.append(np.asfortranarray(im))
    masks = [np.ascontiguousarray(v[..., 0] > 128) for v in views]
    for m in masks:
        m.setflags(write=False)
    kept = [m.copy() for m in masks]
    got = t(views, masks=masks)
    want = t([np.ascontiguousarray(v) for v in views], masks=[m.copy() for m in masks])
    np.testing.assert_array_equal(got.images, want.images)
    np.testing.assert_array_equal(got.masks, want.masks)
    for im, b in zip(images, base):
        np.testing.assert_array_equal(im, b)
    for m, k in zip(masks, kept):
        np.testing.assert_array_equal(m, k)


def test_many_sizes_with_region_ops_match_each_image_alone():
    from fastaug.transforms import ColorJitter, Invert, RandomErasing, RandomResizedCrop, SomeOf

    t = Compose([RandomResizedCrop((10, 10)),
                 SomeOf([RandomErasing(p=1.0, value=7), RandomErasing(p=1.0, value=200),
                         ColorJitter(0.4, 0.4, 0.4, 0.1), Invert()], n=3)], seed=5)
    images = _list_images(60, seed=1)
    out = t(images).images
    for k, im in enumerate(images):
        np.testing.assert_array_equal(out[k], t(im[None], indices=[k]).images[0])


def test_list_masks_are_checked():
    t = Compose([Resize((8, 8))])
    a, b = _list_images(2)
    with pytest.raises(TypeError, match="one mask per image"):
        t([a, b], masks=[np.zeros(a.shape[:2])])
    with pytest.raises(TypeError, match=r"masks\[0\]"):
        t([a, b], masks=[np.zeros(a.shape[:2], complex), np.zeros(b.shape[:2], complex)])
    with pytest.raises(ValueError, match=r"masks\[1\]"):
        t([a, b], masks=[np.zeros(a.shape[:2]), np.zeros((b.shape[0], b.shape[1] + 1))])
    with pytest.raises(ValueError, match=r"masks\[1\]"):
        t([a, b], masks=[np.zeros(a.shape[:2]), np.zeros(b.shape[:2], np.uint8)])


@pytest.mark.parametrize("name", ["ColorJitter", "Invert", "Solarize", "HorizontalFlip"])
def test_tensor_colour_ops_without_a_warp_leave_the_callers_tensor_alone(name):
    torch = pytest.importorskip("torch")
    from fastaug import transforms

    op = {"ColorJitter": lambda: transforms.ColorJitter(0.5, 0.5, 0.5, 0.1),
          "Invert": transforms.Invert, "Solarize": lambda: transforms.Solarize(0.5),
          "HorizontalFlip": lambda: transforms.HorizontalFlip(p=0.0)}[name]()
    t = Compose([op], seed=1)
    for x in (torch.rand(2, 3, 10, 12), torch.randint(0, 255, (2, 3, 10, 12), dtype=torch.uint8)):
        keep = x.clone()
        out = t(x).images
        assert torch.equal(x, keep)  # float32 input was written in place
        assert out.data_ptr() != x.data_ptr()  # nor aliased by the result
        native = t(np.ascontiguousarray(x.permute(0, 2, 3, 1).numpy())).images
        np.testing.assert_allclose(out.permute(0, 2, 3, 1).numpy().astype(np.float64),
                                   native.astype(np.float64), atol=1.0 if native.dtype == np.uint8
                                   else 1e-5)  # the executor's documented agreement


@pytest.mark.parametrize("make", [
    lambda T: T.Affine(translate_px=(3, 3)), lambda T: T.VerticalFlip(p=1.0),
    lambda T: T.HorizontalFlip(p=1.0), lambda T: T.Pad(3),
], ids=["shift", "vflip", "hflip", "pad"])
def test_tensor_whole_pixel_warps_keep_non_finite_pixels_where_they_go(make):
    torch = pytest.importorskip("torch")
    from fastaug import transforms

    t = Compose([make(transforms)], seed=2)
    f = _nonfinite_batch()
    native = t(f).images
    got = t(torch.from_numpy(f).permute(0, 3, 1, 2)).images.permute(0, 2, 3, 1).numpy()
    # bilinear weights of 1 and 0 made inf * 0 = NaN next to each non-finite pixel
    for test in (np.isnan, np.isposinf, np.isneginf):
        np.testing.assert_array_equal(test(got), test(native))
    finite = np.isfinite(native)
    np.testing.assert_allclose(got[finite], native[finite], atol=1e-5)


def test_closing_a_cached_loader_twice_and_exiting_raise_nothing(files, tmp_path):
    code = f"""
from fastaug import Compose, ImageFiles, DecodedCache
from fastaug.transforms import Resize
t = Compose([Resize((4, 4))])
closed = ImageFiles({files!r}, transform=t, cache={str(tmp_path / "a")!r})
list(closed)
closed.close()
closed.close()  # raised: the cache was closed
interrupted = ImageFiles({files!r}, transform=t, cache={str(tmp_path / "b")!r}, batch_size=2,
                         prefetch=0)
next(iter(interrupted))  # stored, not committed: committed at exit
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    from fastaug import DecodedCache

    assert len(DecodedCache(tmp_path / "b")) == 2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow itself
def test_an_overflowing_transform_matrix_is_a_value_error_everywhere(files):
    from fastaug.transforms import Affine

    t = Compose([Affine(scale=(1e-300, 1e-300)), Affine(scale=(1e-300, 1e-300)),
                 Resize((8, 8))])
    with pytest.raises(ValueError, match="finite"):  # was LinAlgError from the svd
        ImageFiles(files, transform=t, prefetch=0).batch([0, 1])
    with pytest.raises(ValueError, match="finite"):
        t([np.zeros((20, 20, 3), np.uint8), np.zeros((21, 20, 3), np.uint8)])
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="finite"):  # was run on inf coordinates
        t(torch.zeros(2, 3, 20, 20))


def test_fill_bytes_before_the_exif_marker_are_skipped(monkeypatch):
    data = _jpeg_with_orientation(3, 1, struct.pack("<HH", 6, 0))
    i = data.find(b"\xff\xe1")
    padded = data[:i] + b"\xff\xff\xff" + data[i:]  # fill bytes, which Pillow skips
    assert _decode._exif_orientation(padded) == 6
    assert _decode._exif_orientation(b"\xff\xd8" + b"\xff" * 5000) == 1  # and it still ends
    monkeypatch.setattr(_decode, "_simplejpeg", False)
    assert _decode.read_header(padded, "padded.jpg", True).orientation == 6


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torchvision.io's notice
def test_files_nvjpeg_refuses_go_to_the_cpu_decoders_not_fail_the_batch():
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    from fastaug import _loader

    good = _jpeg(8, 12, 100)
    broken = good[:len(good) // 3]
    # torchvision's batched decode raises for the whole list when one file is refused (on
    # CUDA: CMYK and some progressive JPEGs); the CPU device runs the same code path
    out = _loader._device_jpegs([good, broken, good], torch.device("cpu"))
    assert [None if t is None else tuple(t.shape) for t in out] == [(3, 8, 12), None, (3, 8, 12)]
    assert _loader._device_jpegs([], torch.device("cpu")) == []


def test_device_batches_use_the_cache(files, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    t = Compose([Resize((8, 8))])
    loader = ImageFiles(files, transform=t, shuffle=False, device="cpu", cache=tmp_path / "c")
    first = torch.cat([b for b, _ in loader])
    assert len(loader.cache) == len(files)  # was ignored with a device
    monkeypatch.setattr(_decode, "decode", lambda *a, **k: pytest.fail("decoded again"))
    loader.set_epoch(0)
    again = torch.cat([b for b, _ in loader])
    assert torch.equal(first, again)
    monkeypatch.undo()
    numpy = np.concatenate([b for b, _ in ImageFiles(files, transform=t, shuffle=False)])
    np.testing.assert_array_equal(first.permute(0, 2, 3, 1).numpy(), numpy)


@pytest.mark.parametrize("channels", [1, 2, 4, 5])
def test_tensor_region_fills_with_the_wrong_number_of_values_are_refused(channels):
    torch = pytest.importorskip("torch")
    from fastaug.transforms import RandomErasing

    t = Compose([RandomErasing(p=1.0, value=(10, 20, 30))], seed=1)
    x = torch.zeros(2, channels, 12, 14, dtype=torch.uint8)
    with pytest.raises(ValueError, match="its fill has 3 values"):  # as numpy input
        t(x)
    assert Compose([RandomErasing(p=1.0, value=5)], seed=1)(x).images.shape == x.shape


def test_odd_characters_in_paths_load_and_cache(tmp_path):
    t = Compose([Resize((4, 4))])
    root = os.fsencode(tmp_path)
    paths = []
    for k, name in enumerate([b"a\xff\xfe.jpg", "é 漢 \n\t.jpg".encode(), b"-rf .jpg",
                              "x\u202e.jpg".encode()]):
        raw = os.path.join(root, name)
        with open(raw, "wb") as f:
            f.write(_jpeg(9, 9, 30 * k))
        paths.append(os.fsdecode(raw))  # undecodable bytes become surrogates
    fresh = np.concatenate([b for b, _ in ImageFiles(paths, transform=t, shuffle=False)])
    for _ in range(2):  # stored, then read back from a reopened cache
        loader = ImageFiles(paths, transform=t, shuffle=False, cache=tmp_path / "cache")
        np.testing.assert_array_equal(np.concatenate([b for b, _ in loader]), fresh)
        loader.close()
    assert len(loader.cache) == len(paths)


@pytest.mark.parametrize("num_threads", [0, 1, 1024])
def test_thread_count_extremes_give_the_same_batches(files, num_threads):
    t = Compose([Resize((8, 8))])
    want = np.concatenate([b for b, _ in ImageFiles(files, transform=t, shuffle=False,
                                                    num_threads=2)])
    got = ImageFiles(files, transform=t, shuffle=False, num_threads=num_threads)
    np.testing.assert_array_equal(np.concatenate([b for b, _ in got]), want)
    got.close()
    for bad in (-1, 1025, 1.5, "4", True):
        with pytest.raises((TypeError, ValueError), match="num_threads"):
            ImageFiles(files, num_threads=bad)


def test_cache_membership_with_a_malformed_key_names_the_key(files, tmp_path):
    from fastaug import DecodedCache

    with DecodedCache(tmp_path / "c") as cache:
        cache.store(files[0], "v", np.zeros((2, 2), np.uint8))
        assert (files[0], "v") in cache and (files[0], "w") not in cache
        for bad in ("x", (files[0],), (files[0], "v", 1), [files[0], "v"]):
            with pytest.raises(TypeError, match="key must be a"):
                bad in cache  # noqa: B015 - the membership test is what raises


@pytest.mark.parametrize("cached", [False, True])
@pytest.mark.parametrize("color_mode", ["rgb", "grayscale"])
def test_a_channels_first_compose_reads_the_decoded_files_right(files, tmp_path, cached,
                                                               color_mode):
    # layout="NCHW" made the loader's (H, W, C) pixels read as (C, H, W): an error, or
    # garbage where the files share one size
    same = []
    for k in range(3):
        same.append(str(tmp_path / f"s{k}.jpg"))
        with open(same[-1], "wb") as f:
            f.write(_jpeg(30, 40, 50 * k))
    for paths in (files, same):
        kwargs = dict(shuffle=False, color_mode=color_mode, prefetch=0,
                      cache=tmp_path / "c" if cached else None)
        want = np.concatenate([b for b, _ in ImageFiles(paths, transform=Compose(
            [Resize((8, 8))]), **kwargs)])
        got = np.concatenate([b for b, _ in ImageFiles(paths, transform=Compose(
            [Resize((8, 8))], layout="NCHW", out_layout="NHWC"), **kwargs)])
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_meta_tensors_give_shapes_or_a_value_error(dtype):
    torch = pytest.importorskip("torch")
    from fastaug.transforms import Affine, ColorJitter, RandomErasing

    x = torch.empty(2, 3, 20, 30, device="meta", dtype=getattr(torch, dtype))
    for op, shape in ((Resize((8, 8)), (2, 3, 8, 8)), (Affine(rotate=(10, 10)), (2, 3, 20, 30)),
                      (RandomErasing(p=1.0), (2, 3, 20, 30))):
        out = Compose([op])(x).images  # the non-finite check must not read meta values
        assert out.device.type == "meta" and tuple(out.shape) == shape
    with pytest.raises(ValueError, match="meta"):  # was NotImplementedError (torch.nonzero)
        Compose([ColorJitter(0.3, 0.3, 0.3, 0.1)])(x)
