"""ImageFiles and ImageFolder: files to batches, each image exactly what Compose gives the
decoded file alone (same keyed draws), JPEGs decoded at a reduced DCT scale when the plan
needs no more, EXIF orientation applied, epochs, prefetch and errors."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import fastaug
from fastaug import Compose, ImageFiles, ImageFolder, _decode
from fastaug.transforms import (CenterCrop, HorizontalFlip, Normalize, RandomResizedCrop,
                                Resize)

Image = pytest.importorskip("PIL.Image")
ImageOps = pytest.importorskip("PIL.ImageOps")


def _photo(h, w, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    smooth = np.stack([xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1),
                       (xx // 3 + yy // 2) % 256], -1)
    return np.clip(smooth + rng.integers(-20, 20, (h, w, 3)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("folder")
    shapes = [(60, 80), (80, 60), (75, 50), (64, 64), (90, 120)]
    for c, name in enumerate(["zebra", "ant", "bee"]):
        (root / name / "sub").mkdir(parents=True)
        for k, (h, w) in enumerate(shapes[c:] + shapes[:c]):
            ext = "png" if k == 1 else "jpg"
            where = root / name / ("sub" if k == 2 else "") / f"{k}.{ext}"
            Image.fromarray(_photo(h, w, seed=10 * c + k)).save(where)
        (root / name / "notes.txt").write_text("not an image")
    return root


@pytest.fixture(params=["simplejpeg", "Pillow"])
def decoder(request, monkeypatch):
    if request.param == "simplejpeg":
        pytest.importorskip("simplejpeg")
    else:
        monkeypatch.setattr(_decode, "_simplejpeg", False)
    return request.param


def _pillow_pixels(path, mode="RGB"):
    """The pixels as stored (no EXIF orientation)."""
    with Image.open(path) as img:
        return np.asarray(img.convert(mode))


def test_folders_list_classes_and_files_as_keras_does(folder):
    loader = ImageFolder(folder, batch_size=4)
    assert loader.classes == ["ant", "bee", "zebra"]
    assert loader.class_to_idx == {"ant": 0, "bee": 1, "zebra": 2}
    keras = fastaug.ImageDataGenerator().flow_from_directory(str(folder), batch_size=4)
    assert loader.paths == keras.filepaths
    np.testing.assert_array_equal(loader.labels, keras.classes)
    assert len(loader) == 4 and len(ImageFolder(folder, batch_size=4, drop_last=True)) == 3


@pytest.mark.parametrize("prefetch", [0, 2])
def test_each_image_is_what_compose_gives_the_decoded_file(folder, decoder, prefetch):
    compose = Compose([RandomResizedCrop(32), HorizontalFlip(),
                       Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))], seed=5, out_layout="NCHW")
    loader = ImageFolder(folder, transform=compose, batch_size=4, seed=9, prefetch=prefetch,
                         reduced_decode=False)
    loader.set_epoch(3)
    order = loader.order()
    seen = 0
    for images, labels in loader:
        files = order[seen:seen + len(images)]
        assert images.shape == (len(files), 3, 32, 32) and images.dtype == np.float32
        np.testing.assert_array_equal(labels, loader.labels[files])
        for image, k in zip(images, files):
            alone = compose(_decoded(loader.paths[k], decoder), indices=int(k), epoch=3).images
            np.testing.assert_array_equal(image, alone, err_msg=loader.paths[k])
        seen += len(images)
    assert seen == len(loader.paths) and loader.epoch == 4


def _decoded(path, decoder):
    if decoder == "Pillow" or not str(path).endswith(".jpg"):
        return _pillow_pixels(path)
    import simplejpeg

    with open(path, "rb") as f:
        return simplejpeg.decode_jpeg(f.read(), colorspace="RGB")


def test_epochs_shuffle_and_repeat(folder):
    loader = ImageFolder(folder, transform=Compose([Resize((16, 16))]), batch_size=5, seed=1)
    first = [(x.copy(), y.copy()) for x, y in loader]
    second = [(x, y) for x, y in loader]
    assert loader.epoch == 2
    assert sorted(loader.order(0).tolist()) == list(range(15))
    assert loader.order(0).tolist() != loader.order(1).tolist()
    loader.set_epoch(0)
    again = list(loader)
    for (x, y), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(first, second))
    ordered = ImageFolder(folder, transform=Compose([Resize((16, 16))]), shuffle=False,
                          batch_size=15)
    (_, labels), = list(ordered)
    np.testing.assert_array_equal(labels, ordered.labels)


def test_thread_counts_do_not_change_batches(folder):
    compose = Compose([RandomResizedCrop(24), HorizontalFlip()], seed=2)
    one = [x for x, _ in ImageFolder(folder, transform=compose, num_threads=1, batch_size=6)]
    two = [x for x, _ in ImageFolder(folder, transform=compose, num_threads=2, batch_size=6)]
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_large_jpegs_are_decoded_at_a_reduced_scale(tmp_path, decoder, monkeypatch):
    paths = []
    for k, (h, w) in enumerate([(480, 640), (640, 480), (300, 400)]):
        paths.append(str(tmp_path / f"{k}.jpg"))
        Image.fromarray(_photo(h, w, seed=k)).save(paths[-1], quality=92)
    paths.append(str(tmp_path / "big.png"))
    Image.fromarray(_photo(480, 640, seed=7)).save(paths[-1])
    used = []
    decode = _decode.decode

    def recording(data, path, color_mode="rgb", header=None, reduction=1, exif=True):
        out = decode(data, path, color_mode, header, reduction, exif)
        used.append((os.path.basename(path), reduction, out.shape[:2]))
        return out
    monkeypatch.setattr(_decode, "decode", recording)
    compose = Compose([Resize((60, 80)), CenterCrop(56)])
    reduced = ImageFiles(paths, transform=compose, batch_size=4, shuffle=False, prefetch=0)
    (fast, _), = list(reduced)
    # 1.jpg is portrait: its plan steps 640 / 60 rows but only 480 / 80 columns a pixel.
    assert sorted(used) == [("0.jpg", 8, (60, 80)), ("1.jpg", 4, (160, 120)),
                            ("2.jpg", 4, (75, 100)), ("big.png", 1, (480, 640))]
    full = ImageFiles(paths, transform=compose, batch_size=4, shuffle=False, prefetch=0,
                      reduced_decode=False)
    (exact, _), = list(full)
    np.testing.assert_array_equal(fast[3], exact[3])  # not a JPEG: decoded in full
    difference = np.abs(fast[:3].astype(int) - exact[:3])
    assert difference.mean() < 2.0 and np.percentile(difference, 99) <= 12


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_comes_out_upright(tmp_path, decoder, orientation):
    path = str(tmp_path / f"o{orientation}.jpg")
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(_photo(30, 44, seed=orientation)).save(path, exif=exif, quality=95)
    upright = ImageFiles([path], batch_size=1, shuffle=False)
    (x, _), = list(upright)
    np.testing.assert_array_equal(x[0], _oriented(_decoded(path, decoder), orientation))
    assert x[0].shape[:2] == ((44, 30) if orientation >= 5 else (30, 44))
    (stored, _), = list(ImageFiles([path], batch_size=1, exif=False))
    np.testing.assert_array_equal(stored[0], _decoded(path, decoder))


def _oriented(pixels, orientation):
    """Pillow's exif_transpose applied to already decoded pixels."""
    img = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.info["exif"] = exif.tobytes()
    return np.asarray(ImageOps.exif_transpose(img))


def test_color_modes(folder):
    compose = Compose([Resize((20, 20))])
    (gray, _), = list(ImageFolder(folder, transform=compose, color_mode="grayscale",
                                  batch_size=15))
    assert gray.shape == (15, 20, 20, 1)  # the channel axis kept, as Keras keeps it
    (rgba, _), = list(ImageFolder(folder, transform=compose, color_mode="rgba", batch_size=15))
    assert rgba.shape == (15, 20, 20, 4) and (rgba[..., 3] == 255).all()


def test_breaking_early_stops_the_prefetch_thread(folder):
    loader = ImageFolder(folder, transform=Compose([Resize((16, 16))]), batch_size=1,
                         prefetch=2)
    before = threading.active_count()
    for _ in loader:
        break
    assert not any(t.name == "fastaug-prefetch" for t in threading.enumerate())
    assert threading.active_count() <= before + 1  # the decode pool's threads may stay
    assert loader.epoch == 0  # an interrupted pass does not advance the epoch


def test_files_and_arguments_are_checked(folder, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 this is not a jpeg")
    good = str(next((folder / "ant").glob("*.jpg")))
    loader = ImageFiles([good, str(bad)], transform=Compose([Resize((8, 8))]), batch_size=2)
    with pytest.raises(OSError, match="bad.jpg"):
        list(loader)
    with pytest.raises(FileNotFoundError):
        list(ImageFiles([str(tmp_path / "missing.png")], batch_size=1))
    with pytest.raises(ValueError, match="come out at one size"):
        list(ImageFolder(folder, batch_size=15))
    with pytest.raises(TypeError, match="paths must be a sequence"):
        ImageFiles(good)
    with pytest.raises(ValueError, match="labels must have one entry per file"):
        ImageFiles([good], labels=[0, 1])
    with pytest.raises(TypeError, match="labels must be integers"):
        ImageFiles([good], labels=[0.5])
    with pytest.raises(TypeError, match="transform must be a fastaug.Compose"):
        ImageFiles([good], transform=HorizontalFlip())
    with pytest.raises(ValueError, match="batch_size"):
        ImageFiles([good], batch_size=0)
    with pytest.raises(ValueError, match="color_mode"):
        ImageFiles([good], color_mode="cmyk")
    with pytest.raises(ValueError, match="root must be a directory"):
        ImageFolder(good)
    (tmp_path / "empty" / "class").mkdir(parents=True)
    with pytest.raises(ValueError, match="no image files"):
        ImageFolder(tmp_path / "empty")
    with pytest.raises(ValueError, match="out of range"):
        ImageFiles([good], transform=Compose([Resize((8, 8))])).batch([3])
    unlabelled = ImageFiles([good, good], transform=Compose([Resize((8, 8))]), batch_size=2)
    (x, labels), = list(unlabelled)
    assert labels is None and x.shape == (2, 8, 8, 3)


def test_decoder_info_names_the_decoders(decoder):
    info = fastaug.decoder_info()
    assert set(info) == {"jpeg", "other", "simplejpeg", "pillow"}
    assert info["jpeg"].startswith(decoder)
    assert info["other"].startswith("Pillow")


@pytest.mark.parametrize("num_threads", [1, 2])
def test_the_keras_iterators_decode_in_num_threads(folder, monkeypatch, num_threads):
    from fastaug._keras import directory

    threads = set()
    load = directory.load_img

    def recording(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return load(*args, **kwargs)
    monkeypatch.setattr(directory, "load_img", recording)
    generator = fastaug.ImageDataGenerator(num_threads=num_threads)
    batches = generator.flow_from_directory(str(folder), target_size=(16, 16), batch_size=15,
                                            shuffle=False)
    reference = fastaug.ImageDataGenerator().flow_from_directory(
        str(folder), target_size=(16, 16), batch_size=15, shuffle=False)
    expected = reference[0][0]
    threads.clear()
    np.testing.assert_array_equal(batches[0][0], expected)
    if num_threads == 1:
        assert threads == {threading.current_thread().name}
    else:
        assert len(threads) == 2 and all(t.startswith("fastaug-load") for t in threads)


def test_device_batches_are_tensors_from_the_torch_executor(folder, decoder):
    torch = pytest.importorskip("torch")
    compose = Compose([RandomResizedCrop(32), HorizontalFlip(), Normalize(0.5, 0.25)], seed=5)
    on_device = ImageFolder(folder, transform=compose, batch_size=8, seed=2, device="cpu")
    native = ImageFolder(folder, transform=compose, batch_size=8, seed=2, reduced_decode=False)
    for (x, y), (xn, yn) in zip(on_device, native):
        assert isinstance(x, torch.Tensor) and x.shape == (len(yn), 3, 32, 32)
        assert isinstance(y, torch.Tensor) and y.dtype == torch.int64
        np.testing.assert_array_equal(y.numpy(), yn)
        levels = np.abs(x.permute(0, 2, 3, 1).numpy() - xn) * 255 * 0.25
        assert np.mean(levels <= 1 + 1e-3) >= 0.999


def test_tensor_orientation_matches_the_numpy_one():
    torch = pytest.importorskip("torch")
    from fastaug._loader import _orient_tensor

    pixels = _photo(5, 7)
    for orientation in range(1, 9):
        expected = _decode._orient(pixels, orientation)
        got = _orient_tensor(torch.from_numpy(pixels.transpose(2, 0, 1).copy()), orientation)
        np.testing.assert_array_equal(got.permute(1, 2, 0).numpy(), expected)


def test_cached_epochs_read_pixels_instead_of_decoding(folder, tmp_path, monkeypatch):
    compose = Compose([RandomResizedCrop(24), HorizontalFlip()], seed=1)
    cache = tmp_path / "cache"
    first = ImageFolder(folder, transform=compose, batch_size=5, seed=4, cache=cache)
    epoch0 = [x.copy() for x, _ in first]
    assert first.cache is not None and len(first.cache) == 15

    def no_decoding(*args, **kwargs):
        raise AssertionError("a cached file was decoded again")
    monkeypatch.setattr(_decode, "decode", no_decoding)
    again = ImageFolder(folder, transform=compose, batch_size=5, seed=4, cache=cache)
    for x, y in zip(epoch0, (x for x, _ in again)):
        np.testing.assert_array_equal(x, y)
    monkeypatch.undo()
    # A changed file is decoded again, the others still read from the cache.
    changed = again.paths[0]
    Image.fromarray(_photo(33, 44, seed=99)).save(changed, format="PNG" if changed.endswith(
        "png") else "JPEG")
    os.utime(changed, ns=(os.stat(changed).st_atime_ns, os.stat(changed).st_mtime_ns + 10**9))
    decoded = []
    decode = _decode.decode

    def counting(data, path, *args, **kwargs):
        decoded.append(path)
        return decode(data, path, *args, **kwargs)
    monkeypatch.setattr(_decode, "decode", counting)
    list(ImageFolder(folder, transform=compose, batch_size=5, seed=4, cache=cache))
    assert decoded == [changed]


def test_flow_from_directory_cache_gives_bit_identical_batches(folder, tmp_path, monkeypatch):
    from fastaug._keras import directory

    generator = fastaug.ImageDataGenerator(horizontal_flip=True)
    cache = tmp_path / "keras-cache"
    first = generator.flow_from_directory(str(folder), target_size=(20, 24), batch_size=15,
                                          shuffle=False, cache=cache)
    first[0]  # decodes and stores every file
    first.on_epoch_end()  # commits
    monkeypatch.setattr(directory, "load_img", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("decoded a cached file")))
    second = generator.flow_from_directory(str(folder), target_size=(20, 24), batch_size=15,
                                           shuffle=False, cache=cache)
    np.random.seed(0)
    got = second[0][0]
    np.random.seed(0)
    plain = fastaug.ImageDataGenerator(horizontal_flip=True)
    monkeypatch.undo()
    uncached = plain.flow_from_directory(str(folder), target_size=(20, 24), batch_size=15,
                                         shuffle=False)
    np.random.seed(0)
    np.testing.assert_array_equal(got, uncached[0][0])


def test_a_directory_is_refused_by_name_and_leaks_no_descriptor(tmp_path):
    from fastaug._keras.directory import load_img

    where = tmp_path / "not-an-image.png"
    where.mkdir()
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(20):
        with pytest.raises(OSError, match="not-an-image.png"):
            load_img(where)
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) <= before
