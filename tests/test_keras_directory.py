"""File loading and the directory / dataframe iterators against keras-preprocessing 1.1.2."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import keras_preprocessing.image as kimage
from keras_preprocessing.image import ImageDataGenerator as KerasGenerator

import fastaug
from fastaug._keras import directory as fdir

TARGET = (12, 10)

# Keras 1.1.2 calls scipy through a deprecated namespace; that notice is not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Please import `affine_transform`:DeprecationWarning")


def _pixels(rng, h, w, c):
    return rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)


def _save(path, array, mode=None, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(array[..., 0] if array.ndim == 3 and array.shape[2] == 1 else array,
                          mode) if mode else Image.fromarray(array)
    img.save(path, **kwargs)


@pytest.fixture
def tree(tmp_path):
    """Class folders with every format, mode and size the loader meets, plus decoys."""
    rng = np.random.default_rng(7)
    root = tmp_path / "data"
    _save(root / "cats" / "c0.png", _pixels(rng, 16, 14, 3))
    _save(root / "cats" / "c1.jpg", _pixels(rng, 9, 11, 3), quality=90)
    _save(root / "cats" / "B2.bmp", _pixels(rng, 12, 10, 3))  # already target size
    _save(root / "cats" / "sub" / "deep.png", _pixels(rng, 20, 7, 4))
    _save(root / "cats" / "sub-2" / "a.PNG", _pixels(rng, 5, 5, 3))
    (root / "cats" / "weirdpng").write_bytes((root / "cats" / "c0.png").read_bytes())
    (root / "cats" / "notes.txt").write_text("not an image")
    _save(root / "dogs" / "d0.png", _pixels(rng, 13, 17, 4))
    _save(root / "dogs" / "d1.png", _pixels(rng, 8, 30, 1)[..., 0])  # mode L
    wide = rng.integers(0, 65536, size=(14, 11), dtype=np.uint16)
    _save(root / "dogs" / "d2.png", wide)  # 16-bit grayscale: mode I;16
    _save(root / "dogs" / "d3.tif", _pixels(rng, 12, 10, 3))
    for i in range(5):
        _save(root / "dogs" / f"many{i}.png", _pixels(rng, 6 + i, 15 - i, 3))
    (root / "empty").mkdir()
    _save(root / "loose.png", _pixels(rng, 4, 4, 3))  # not inside a class folder
    return root


def _keras_iter(root, method="flow_from_directory", generator_kwargs=None, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(KerasGenerator(**(generator_kwargs or {})), method)(root, **kwargs)


def _batches(iterator, count):
    return [next(iterator) for _ in range(count)]


def _assert_batches_equal(ours, theirs, atol=0.0):
    assert len(ours) == len(theirs)
    for got, want in zip(ours, theirs):
        got = got if isinstance(got, tuple) else (got,)
        want = want if isinstance(want, tuple) else (want,)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            if isinstance(w, list):
                assert len(g) == len(w)
                for gi, wi in zip(g, w):
                    np.testing.assert_array_equal(np.asarray(gi), np.asarray(wi))
                continue
            g = np.asarray(g)
            w = np.asarray(w)
            assert g.shape == w.shape and g.dtype == w.dtype
            if g.dtype.kind == "f":
                np.testing.assert_allclose(g, w, rtol=0, atol=atol)
            else:
                np.testing.assert_array_equal(g, w)


# -- listing, labels and pixels (no augmentation: the iterator's own loader) ------------------


@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", "input", None])
def test_directory_listing_labels_and_pixels_match_keras(tree, capsys, class_mode):
    keras_it = _keras_iter(str(tree), target_size=TARGET, class_mode=class_mode, batch_size=4,
                           shuffle=False)
    keras_out = capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = fdir.DirectoryIterator(str(tree), None, target_size=TARGET, class_mode=class_mode,
                                      batch_size=4, shuffle=False)
    assert capsys.readouterr().out == keras_out == "Found 15 images belonging to 3 classes.\n"
    assert ours.filenames == keras_it.filenames
    assert ours.filepaths == keras_it.filepaths
    assert ours.class_indices == keras_it.class_indices == {"cats": 0, "dogs": 1, "empty": 2}
    assert ours.classes.dtype == np.int32
    np.testing.assert_array_equal(ours.classes, keras_it.classes)
    assert (ours.samples, ours.num_classes, len(ours)) == (15, 3, 4)
    assert "cats/weirdpng" in ours.filenames and "cats/sub/deep.png" in ours.filenames
    _assert_batches_equal(_batches(ours, 5), _batches(keras_it, 5))


@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic", "hamming", "box",
                                           "lanczos"])
def test_color_modes_and_resize_filters_match_keras(tree, color_mode, interpolation):
    kwargs = dict(target_size=(9, 13), color_mode=color_mode, interpolation=interpolation,
                  batch_size=20, shuffle=False, class_mode="sparse")
    want_x, want_y = next(_keras_iter(str(tree), **kwargs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got_x, got_y = next(fdir.DirectoryIterator(str(tree), None, **kwargs))
    assert got_x.shape == (15, 9, 13, {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode])
    _assert_batches_equal([(got_x, got_y)], [(want_x, want_y)])
    if color_mode == "grayscale":  # the 16-bit file keeps its range
        assert got_x.max() > 255


def test_channels_first_layout(tree):
    kwargs = dict(target_size=TARGET, color_mode="rgba", batch_size=6, shuffle=False)
    want = next(_keras_iter(str(tree), generator_kwargs={"data_format": "channels_first"},
                            **kwargs))
    got = next(fdir.DirectoryIterator(str(tree), None, data_format="channels_first", **kwargs))
    assert got[0].shape == (6, 4) + TARGET
    _assert_batches_equal([got], [want])


def test_shuffled_epochs_follow_the_seed_like_keras(tree):
    kwargs = dict(target_size=TARGET, batch_size=5, shuffle=True, seed=3, class_mode="sparse")
    want = _batches(_keras_iter(str(tree), **kwargs), 4)  # crosses into the second epoch
    got = _batches(fdir.DirectoryIterator(str(tree), None, **kwargs), 4)
    _assert_batches_equal(got, want)


def test_explicit_classes_keep_their_order(tree):
    kwargs = dict(target_size=TARGET, classes=["dogs", "cats"], shuffle=False, batch_size=20)
    keras_it = _keras_iter(str(tree), **kwargs)
    ours = fdir.DirectoryIterator(str(tree), None, **kwargs)
    assert ours.class_indices == keras_it.class_indices == {"dogs": 0, "cats": 1}
    assert ours.filenames == keras_it.filenames
    _assert_batches_equal([next(ours)], [next(keras_it)])


def test_tiff_files_warn(tmp_path):
    _save(tmp_path / "a" / "x.tiff", np.zeros((3, 3, 3), np.uint8))
    with pytest.warns(UserWarning, match="tiff"):
        it = fdir.DirectoryIterator(str(tmp_path), None, target_size=(3, 3))
    assert it.filenames == [os.path.join("a", "x.tiff")]


AUGMENT = dict(rotation_range=25, width_shift_range=0.15, height_shift_range=2, shear_range=8,
               zoom_range=0.2, channel_shift_range=12.0, horizontal_flip=True,
               vertical_flip=True, brightness_range=(0.6, 1.3), rescale=1 / 255.0)


def test_keras_own_generator_through_our_iterator_is_exact(tree, tmp_path):
    """Index sequence, loading order and RNG use are Keras's: with Keras's own per-image
    generator plugged in, batches and save_to_dir file names are identical."""
    kwargs = dict(target_size=TARGET, batch_size=4, seed=11, class_mode="sparse")
    (tmp_path / "k").mkdir()
    (tmp_path / "f").mkdir()
    want = _batches(_keras_iter(str(tree), generator_kwargs=AUGMENT,
                                save_to_dir=str(tmp_path / "k"), save_prefix="aug", **kwargs), 5)
    ours = fdir.DirectoryIterator(str(tree), KerasGenerator(**AUGMENT),
                                  save_to_dir=str(tmp_path / "f"), save_prefix="aug", **kwargs)
    got = _batches(ours, 5)
    _assert_batches_equal(got, want)
    names = sorted(os.listdir(tmp_path / "k"))
    assert len(names) == 4 * 5 - 1 and sorted(os.listdir(tmp_path / "f")) == names
    for name in names[:3]:
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "f" / name)),
                                      np.asarray(Image.open(tmp_path / "k" / name)))


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_directory_subset_splits_each_class_folder(tree, subset):
    kwargs = dict(target_size=TARGET, subset=subset, shuffle=False, batch_size=32)
    keras_it = _keras_iter(str(tree), generator_kwargs={"validation_split": 0.3}, **kwargs)
    ours = fdir.DirectoryIterator(str(tree), KerasGenerator(validation_split=0.3), **kwargs)
    assert ours.filenames == keras_it.filenames
    np.testing.assert_array_equal(ours.classes, keras_it.classes)
    assert len(ours.filenames) == {"validation": 1 + 2, "training": 5 + 7}[subset]
    _assert_batches_equal([next(ours)], [next(keras_it)])
    with pytest.raises(ValueError, match="Invalid subset name: test"):
        fdir.DirectoryIterator(str(tree), KerasGenerator(validation_split=0.3), subset="test")


# -- links ----------------------------------------------------------------------------------


def test_follow_links_matches_keras(tree, tmp_path):
    outside = tmp_path / "outside"
    _save(outside / "o.png", np.full((4, 4, 3), 9, np.uint8))
    os.symlink(outside, tree / "cats" / "linked")
    for follow in (False, True):
        keras_it = _keras_iter(str(tree), target_size=TARGET, follow_links=follow)
        ours = fdir.DirectoryIterator(str(tree), None, target_size=TARGET, follow_links=follow)
        assert ours.filenames == keras_it.filenames
        assert (os.path.join("cats", "linked", "o.png") in ours.filenames) == follow


def test_symlink_loop_is_walked_once(tmp_path):
    _save(tmp_path / "a" / "x.png", np.zeros((3, 3, 3), np.uint8))
    _save(tmp_path / "a" / "inner" / "y.png", np.zeros((3, 3, 3), np.uint8))
    os.symlink(tmp_path / "a", tmp_path / "a" / "inner" / "back")  # a/inner/back -> a
    it = fdir.DirectoryIterator(str(tmp_path), None, target_size=(3, 3), follow_links=True)
    assert it.filenames == [os.path.join("a", "x.png"), os.path.join("a", "inner", "y.png")]


# -- argument errors --------------------------------------------------------------------------


def test_bad_arguments_raise_like_keras(tree):
    d = str(tree)
    with pytest.raises(ValueError, match="Invalid class_mode: raw"):
        fdir.DirectoryIterator(d, None, class_mode="raw")
    with pytest.raises(ValueError, match="Invalid color mode"):
        fdir.DirectoryIterator(d, None, color_mode="hsv")
    with pytest.raises(FileNotFoundError):
        fdir.DirectoryIterator(str(tree / "missing"), None)
    with pytest.raises(TypeError, match="keep_aspect_ratio"):
        fdir.DirectoryIterator(d, None, keep_aspect_ratio=True)
    for size in [(0, 4), (4,), (4, 5, 6), (-1, 3), (2.5, 3)]:
        with pytest.raises(ValueError, match="target_size"):
            fdir.DirectoryIterator(d, None, target_size=size)
    for name in ("save_prefix", "save_format"):
        with pytest.raises(ValueError, match=name):
            fdir.DirectoryIterator(d, None, save_to_dir=str(tree), **{name: "../x"})


def test_interpolation_name_checked_only_when_resizing(tree):
    with pytest.raises(ValueError, match="Invalid interpolation method cubic"):
        fdir.load_img(tree / "cats" / "c0.png", target_size=(3, 3), interpolation="cubic")
    img = fdir.load_img(tree / "cats" / "B2.bmp", target_size=TARGET, interpolation="cubic")
    assert img.size == (TARGET[1], TARGET[0])


# -- bad files ------------------------------------------------------------------------------


def _corrupt_files(folder):
    rng = np.random.default_rng(1)
    _save(folder / "good.png", _pixels(rng, 32, 32, 3))
    _save(folder / "good.jpg", _pixels(rng, 32, 32, 3))
    png = (folder / "good.png").read_bytes()
    jpg = (folder / "good.jpg").read_bytes()
    return {
        "truncated.png": png[: len(png) // 2],
        "truncated.jpg": jpg[: len(jpg) // 3],
        "zero.png": b"",
        "text.png": b"just some words, no pixels here",
        "garbage.bmp": b"BM" + bytes(range(256)) * 4,
    }


@pytest.mark.parametrize("name", ["truncated.png", "truncated.jpg", "zero.png", "text.png",
                                  "garbage.bmp"])
def test_bad_file_errors_name_the_file(tmp_path, name):
    folder = tmp_path / "cls"
    bad = _corrupt_files(folder)
    path = folder / name
    path.write_bytes(bad[name])
    with pytest.raises((OSError, ValueError), match=re.escape(str(path))) as caught:
        fdir.load_img(path, target_size=(8, 8))
    assert "BytesIO" not in str(caught.value)
    it = fdir.DirectoryIterator(str(tmp_path), None, target_size=(8, 8), batch_size=8,
                                shuffle=False)
    assert len(it.filenames) == 3
    with pytest.raises((OSError, ValueError), match=re.escape(str(path))):
        next(it)


def test_missing_file_and_decompression_bomb(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError):
        fdir.load_img(tmp_path / "nope.png")
    _save(tmp_path / "big.png", np.zeros((64, 64, 3), np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(Image.DecompressionBombError, match="big.png"):
        fdir.load_img(tmp_path / "big.png")


# -- the array / image helpers ----------------------------------------------------------------


def test_image_helpers_match_keras(tree, tmp_path):
    rng = np.random.default_rng(3)
    for path, mode in [(tree / "dogs" / "d2.png", "grayscale"), (tree / "dogs" / "d0.png", "rgb"),
                       (tree / "cats" / "c1.jpg", "rgba"), (tree / "dogs" / "d1.png", "rgb")]:
        for size in (None, (5, 9)):
            ours = fdir.load_img(path, color_mode=mode, target_size=size, interpolation="bilinear")
            theirs = kimage.load_img(path, color_mode=mode, target_size=size,
                                     interpolation="bilinear")
            assert ours.mode == theirs.mode and ours.size == theirs.size
            for fmt in ("channels_last", "channels_first"):
                a = fdir.img_to_array(ours, fmt)
                np.testing.assert_array_equal(a, kimage.img_to_array(theirs, fmt))
                assert a.dtype == np.float32
    for shape in [(6, 5, 3), (6, 5, 4), (6, 5, 1)]:
        x = rng.normal(size=shape).astype(np.float32) * 300
        for scale in (True, False):
            ours = fdir.array_to_img(x, scale=scale)
            theirs = kimage.array_to_img(x, scale=scale)
            assert ours.mode == theirs.mode
            np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    x = rng.uniform(0, 255, size=(3, 7, 6)).astype(np.float32)
    fdir.save_img(tmp_path / "ours.png", x, data_format="channels_first")
    kimage.save_img(tmp_path / "theirs.png", x, data_format="channels_first")
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "ours.png")),
                                  np.asarray(Image.open(tmp_path / "theirs.png")))
    with pytest.raises(ValueError, match="rank 3"):
        fdir.array_to_img(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        fdir.array_to_img(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="color_mode"):
        fdir.load_img(tree / "cats" / "c0.png", color_mode="cmyk")


def test_import_without_pillow_fails_only_at_the_call(tmp_path):
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "import fastaug\n"
        "from fastaug._keras import directory\n"
        "try:\n"
        "    directory.load_img('x.png')\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout
    assert out.startswith("ImportError:") and "Pillow" in out


# -- dataframes -------------------------------------------------------------------------------


@pytest.fixture
def frame(tree):
    rows = [
        ("cats/c0.png", "cat", ["cat", "pet"], 0.5, 1.0, 2),
        ("dogs/d0.png", "dog", ["dog"], 1.5, 2.0, 3),
        ("cats/c1.jpg", "cat", ("cat",), 2.0, 3.0, 4),
        ("missing.png", "dog", ["dog", "pet"], 1.0, 4.0, 5),   # dropped: no such file
        ("cats/notes.txt", "cat", ["cat"], 1.0, 5.0, 6),        # dropped: extension
        ("dogs/d1.png", "dog", ["pet"], 3.0, 6.0, 7),
        ("dogs/d2.png", "cat", ["dog", "cat"], 0.25, 7.0, 8),
        ("cats/sub/deep.png", "dog", [], 1.0, 8.0, 9),
    ]
    return pd.DataFrame(rows, columns=["filename", "class", "tags", "w", "r1", "r2"])


DF_CASES = [
    dict(class_mode="categorical"),
    dict(class_mode="categorical", y_col="tags"),
    dict(class_mode="categorical", y_col="tags", classes=["pet", "cat"]),
    dict(class_mode="binary", weight_col="w"),
    dict(class_mode="sparse", classes=["dog"]),
    dict(class_mode="raw", y_col="r1"),
    dict(class_mode="raw", y_col=["r1", "r2"]),
    dict(class_mode="multi_output", y_col=["r1", "class"]),
    dict(class_mode="input"),
    dict(class_mode=None, weight_col="w"),
    dict(class_mode="categorical", validate_filenames=False, x_col="filename"),
]


@pytest.mark.parametrize("case", DF_CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_dataframe_matches_keras(tree, frame, capsys, case):
    case = dict(case)
    if not case.get("validate_filenames", True):
        frame = frame[frame["filename"].map(lambda f: (tree / f).is_file() and "txt" not in f)]
    kwargs = dict(directory=str(tree), target_size=TARGET, batch_size=3, shuffle=False, **case)
    keras_it = _keras_iter(frame, "flow_from_dataframe", **kwargs)
    keras_out = capsys.readouterr().out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = fdir.DataFrameIterator(frame, image_data_generator=None, **kwargs)
    assert capsys.readouterr().out == keras_out
    assert keras_out.startswith("Found ")
    if case.get("validate_filenames", True):
        assert any('Found 2 invalid image filename(s) in x_col="filename"' in str(w.message)
                   for w in caught)
    assert ours.filenames == keras_it.filenames
    assert ours.filepaths == keras_it.filepaths
    if case["class_mode"] in ("categorical", "binary", "sparse"):
        assert ours.class_indices == keras_it.class_indices
        assert ours.classes == keras_it.classes
    _assert_batches_equal(_batches(ours, 3), _batches(keras_it, 3))


def test_dataframe_with_absolute_paths_and_no_directory(tree, frame, capsys):
    frame = frame.assign(filename=[str(tree / f) for f in frame["filename"]])
    kwargs = dict(target_size=TARGET, shuffle=False, batch_size=8, class_mode="sparse")
    keras_it = _keras_iter(frame, "flow_from_dataframe", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = fdir.DataFrameIterator(frame, None, None, **kwargs)
    assert ours.filepaths == keras_it.filepaths == ours.filenames
    assert len(ours.filenames) == 6
    _assert_batches_equal([next(ours)], [next(keras_it)])


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_dataframe_subset_splits_the_frame_in_row_order(tree, frame, subset):
    class Split:  # only what the iterator reads from its generator for a subset
        _validation_split = 0.4

    kwargs = dict(directory=str(tree), target_size=TARGET, shuffle=False, subset=subset)
    keras_it = _keras_iter(frame, "flow_from_dataframe", {"validation_split": 0.4}, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = fdir.DataFrameIterator(frame, image_data_generator=Split(), **kwargs)
    assert ours.filenames == keras_it.filenames and ours.classes == keras_it.classes
    assert len(ours.filenames) == (2 if subset == "validation" else 4)


@pytest.mark.filterwarnings("ignore:Found 2 invalid image filename")
def test_dataframe_parameter_checks_match_keras(tree, frame):
    cases = [
        (dict(class_mode="multi_output", y_col="r1"), TypeError, "y_col must be a list"),
        (dict(class_mode="binary", classes=["cat", "dog", "pet"]), ValueError, "3 class/es"),
        (dict(class_mode="binary", y_col="tags"), TypeError, "must be strings"),
        (dict(class_mode="sparse", y_col="r1"), TypeError, "must be strings"),
        (dict(class_mode="categorical", y_col="r1"), TypeError, "string, list or tuple"),
        (dict(class_mode="raw", weight_col="class"), TypeError, "must be numeric"),
        (dict(class_mode="bogus"), ValueError, "Invalid class_mode"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=re.escape(message)):
            _keras_iter(frame, "flow_from_dataframe", directory=str(tree), **kwargs)
        with pytest.raises(error, match=re.escape(message)):
            fdir.DataFrameIterator(frame, str(tree), None, **kwargs)
    with pytest.raises(ValueError, match="Found 3 classes"):
        fdir.DataFrameIterator(frame.assign(c3=["a", "b", "c"] * 2 + ["a", "b"]), str(tree),
                               None, y_col="c3", class_mode="binary")
    with pytest.raises(TypeError, match="x_col=filename must be strings"):
        fdir.DataFrameIterator(frame.assign(filename=range(len(frame))), str(tree), None)
    with pytest.warns(UserWarning, match="`classes` will be ignored"):
        fdir.DataFrameIterator(frame, str(tree), None, class_mode="raw", y_col="r1",
                               classes=["cat"])


# -- through fastaug.ImageDataGenerator (native augmentation) -------------------------------


def _both(source, method="flow_from_directory", generator_kwargs=None, **kwargs):
    generator_kwargs = generator_kwargs or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(fastaug.ImageDataGenerator(**generator_kwargs), method)(source, **kwargs)
    return ours, _keras_iter(source, method, generator_kwargs, **kwargs)


GEOMETRY = dict(rotation_range=25, width_shift_range=0.15, height_shift_range=2, shear_range=8,
                zoom_range=0.2, channel_shift_range=12.0, horizontal_flip=True,
                vertical_flip=True, fill_mode="reflect")


@pytest.mark.parametrize("generator_kwargs", [{}, GEOMETRY, dict(GEOMETRY, rescale=1 / 255.0)],
                         ids=["plain", "geometry", "geometry-rescale"])
@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
def test_fastaug_generator_from_directory_matches_keras(tree, generator_kwargs, color_mode):
    kwargs = dict(target_size=TARGET, color_mode=color_mode, batch_size=6, seed=4,
                  class_mode="categorical", interpolation="bilinear")
    ours, keras_it = _both(str(tree), generator_kwargs=generator_kwargs, **kwargs)
    got, want = _batches(ours, 4), _batches(keras_it, 4)
    scale = generator_kwargs.get("rescale", 1.0)
    if color_mode == "grayscale":
        scale *= 256  # the tree's 16-bit file: values to 65535, the same relative error
    _assert_batches_equal(got, want, atol=1e-3 * scale)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_fastaug_generator_channels_first_and_16bit(tree, data_format):
    kwargs = dict(target_size=TARGET, color_mode="grayscale", batch_size=15, seed=2,
                  shuffle=False)
    ours, keras_it = _both(str(tree), generator_kwargs=dict(GEOMETRY, data_format=data_format),
                           **kwargs)
    got, want = next(ours), next(keras_it)
    assert got[0].max() > 255  # the 16-bit file went through as float32
    _assert_batches_equal([got], [want], atol=1e-3 * 256)  # 16-bit values: same relative error


def test_fastaug_generator_brightness_matches_keras(tree):
    kwargs = dict(target_size=(24, 20), batch_size=15, seed=9, class_mode=None)
    ours, keras_it = _both(str(tree), generator_kwargs=dict(GEOMETRY, brightness_range=(0.4, 1.6)),
                           **kwargs)
    got, want = np.concatenate(_batches(ours, 3)), np.concatenate(_batches(keras_it, 3))
    assert got.shape == want.shape and got.dtype == want.dtype
    diff = np.abs(got - want)
    assert diff.max() <= 1.0
    assert np.mean(diff == 0) >= 0.999


def test_fastaug_generator_save_to_dir_names_match_keras(tree, tmp_path):
    names = {}
    for side in ("ours", "keras"):
        (tmp_path / side).mkdir()
        kwargs = dict(target_size=TARGET, batch_size=4, seed=21, save_to_dir=str(tmp_path / side),
                      save_prefix="p", save_format="jpeg")
        ours, keras_it = _both(str(tree), generator_kwargs=GEOMETRY, **kwargs)
        _batches(ours if side == "ours" else keras_it, 3)
        names[side] = sorted(os.listdir(tmp_path / side))
    assert len(names["ours"]) == 12 and names["ours"] == names["keras"]
    assert not [p for p in tree.rglob("*") if p.name.startswith("p_")]


@pytest.mark.parametrize("case", DF_CASES[:8], ids=lambda c: "-".join(map(str, c.values())))
def test_fastaug_generator_from_dataframe_matches_keras(tree, frame, case):
    kwargs = dict(directory=str(tree), target_size=TARGET, batch_size=3, seed=5, **case)
    ours, keras_it = _both(frame, "flow_from_dataframe", GEOMETRY, **kwargs)
    assert ours.filenames == keras_it.filenames
    _assert_batches_equal(_batches(ours, 3), _batches(keras_it, 3), atol=1e-3)


@pytest.mark.filterwarnings("ignore:Found 2 invalid image filename")
def test_fastaug_generator_dataframe_extras(tree, frame):
    with pytest.warns(DeprecationWarning, match='"other" is deprecated'):
        it = fastaug.ImageDataGenerator().flow_from_dataframe(
            frame, str(tree), y_col="r1", class_mode="other", target_size=TARGET)
    assert it.class_mode == "raw"
    for subset in ("training", "validation"):
        ours, keras_it = _both(frame, "flow_from_dataframe", {"validation_split": 0.4},
                               directory=str(tree), subset=subset, target_size=TARGET)
        assert ours.filenames == keras_it.filenames and ours.classes == keras_it.classes
    with pytest.raises(TypeError, match="keep_aspect_ratio"):
        fastaug.ImageDataGenerator().flow_from_directory(str(tree), keep_aspect_ratio=True)
    with pytest.raises(TypeError, match="keep_aspect_ratio"):
        KerasGenerator().flow_from_directory(str(tree), keep_aspect_ratio=True)
