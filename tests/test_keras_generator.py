"""fastaug.ImageDataGenerator's API: argument checks, errors and warnings as keras-preprocessing
1.1.2 raises them, iterator mechanics, no copies or writes of the caller's data, saving."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import fastaug
from fastaug import ImageDataGenerator, NumpyArrayIterator

keras_image = pytest.importorskip("keras_preprocessing.image")
KerasIDG = keras_image.ImageDataGenerator

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _x(n=5, shape=(8, 9, 3), dtype=np.uint8):
    return np.random.RandomState(0).randint(0, 256, (n,) + shape).astype(dtype)


def _outcome(fn):
    """(exception type, str(exception)) or None, plus the UserWarning messages."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            fn()
            error = None
        except Exception as exc:  # noqa: BLE001 - comparing whatever Keras raises
            error = (type(exc), str(exc))
    messages = sorted(str(w.message) for w in record
                      if issubclass(w.category, UserWarning) and "fastaug" not in str(w.message))
    return error, messages


BAD_CONSTRUCTOR_ARGS = [
    dict(data_format="channels_middle"),
    dict(data_format=None),
    dict(validation_split=1),
    dict(validation_split=1.5),
    dict(validation_split=-0.1),
    dict(zoom_range=(0.5, 1.0, 2.0)),
    dict(zoom_range=np.float32(0.2)),
    dict(zoom_range=None),
    dict(zoom_range=np.array([0.5, 1.5], dtype=np.float32)),
    dict(zoom_range="ab"),
    dict(zoom_range=[np.float64(0.9), 1.1]),
    dict(zoom_range=(1.2, 0.8)),
    dict(brightness_range=0.5),
    dict(brightness_range=np.array([0.5, 1.5])),
    dict(brightness_range=(0.5, 1.0, 1.5)),
    dict(zca_whitening=True),
    dict(zca_whitening=True, featurewise_std_normalization=True),
    dict(featurewise_std_normalization=True),
    dict(samplewise_std_normalization=True),
    dict(rotation_range="ab"),  # accepted at construction, fails at draw time
    dict(fill_mode="bogus"),
]


@pytest.mark.parametrize("kwargs", BAD_CONSTRUCTOR_ARGS, ids=repr)
def test_constructor_errors_and_warnings_match_keras(kwargs):
    assert _outcome(lambda: ImageDataGenerator(**kwargs)) == _outcome(lambda: KerasIDG(**kwargs))


def _flow_cases():
    x = _x(6)
    return [
        ("rank3", dict(x=x[0])),
        ("y_length", dict(x=x, y=np.arange(5))),
        ("weight_length", dict(x=x, y=np.arange(6), sample_weight=np.ones(4))),
        ("misc_length", dict(x=(x, np.arange(4)))),
        ("misc_list_length", dict(x=[x, [np.arange(6), np.arange(3)]])),
        ("bad_subset", dict(x=x, subset="test")),
        ("class_split", dict(x=x, y=np.array([0, 0, 1, 1, 1, 1]), subset="training")),
        ("two_channels", dict(x=_x(4, (5, 6, 2)))),
        ("strings", dict(x=np.full((2, 3, 3, 3), "a"))),
    ]


@pytest.mark.parametrize("name,kwargs", _flow_cases(), ids=[c[0] for c in _flow_cases()])
def test_flow_errors_and_warnings_match_keras(name, kwargs):
    cfg = dict(validation_split=0.5) if name == "class_split" else {}
    want = _outcome(lambda: KerasIDG(**cfg).flow(**kwargs))
    got = _outcome(lambda: ImageDataGenerator(**cfg).flow(**kwargs))
    assert got[0] == want[0] if name != "strings" else got[0][0] == want[0][0]
    assert got[1] == want[1]


@pytest.mark.parametrize("call", ["rank", "channels"])
def test_fit_errors_and_warnings_match_keras(call):
    x = _x(3)[0] if call == "rank" else _x(3, (4, 5, 2))
    assert _outcome(lambda: ImageDataGenerator().fit(x)) == _outcome(lambda: KerasIDG().fit(x))


def test_unfitted_featurewise_warns_like_keras():
    x = _x(2)
    cfg = dict(featurewise_center=True, featurewise_std_normalization=True, zca_whitening=False)
    want = _outcome(lambda: next(KerasIDG(**cfg).flow(x, batch_size=1)))[1]
    got = _outcome(lambda: next(ImageDataGenerator(**cfg).flow(x, batch_size=1)))[1]
    assert set(got) == set(want) and len(set(got)) == 2


def test_getitem_out_of_range():
    it_keras = KerasIDG().flow(_x(5), batch_size=2)
    it = ImageDataGenerator().flow(_x(5), batch_size=2)
    assert _outcome(lambda: it[3]) == _outcome(lambda: it_keras[3])


def test_invalid_fill_mode_fails_only_when_an_affine_runs():
    x = _x(4)
    flips_only = ImageDataGenerator(fill_mode="bogus", horizontal_flip=True, vertical_flip=True)
    assert next(flips_only.flow(x, batch_size=4, seed=1)).shape == x.shape
    with pytest.raises(RuntimeError, match="boundary mode not supported"):
        next(ImageDataGenerator(fill_mode="bogus", rotation_range=10).flow(x, seed=1))
    with pytest.raises(RuntimeError, match="boundary mode not supported"):
        ImageDataGenerator(fill_mode="bogus").apply_transform(x[0].astype(np.float32),
                                                              {"theta": 5})
    with pytest.raises(RuntimeError):
        KerasIDG(fill_mode="bogus").apply_transform(x[0].astype(np.float32), {"theta": 5})


@pytest.mark.parametrize("data_format,shape", [("channels_last", (6, 7, 2)),
                                               ("channels_first", (3, 6, 17))])
def test_brightness_unsupported_channels_match_keras(data_format, shape):
    x = _x(2, shape)
    cfg = dict(brightness_range=(0.5, 1.0), data_format=data_format)
    want = _outcome(lambda: next(KerasIDG(**cfg).flow(x, seed=0)))
    got = _outcome(lambda: next(ImageDataGenerator(**cfg).flow(x, seed=0)))
    assert got[0] == want[0]


@pytest.mark.parametrize("value,error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                         ("2", TypeError), (True, TypeError)])
def test_num_threads_checked(value, error):
    with pytest.raises(error, match="num_threads"):
        ImageDataGenerator(num_threads=value)


@pytest.mark.parametrize("threads", [1, 2, None])
def test_num_threads_gives_the_same_batches(threads):
    x = _x(6)
    cfg = dict(rotation_range=30, zoom_range=0.2, brightness_range=(0.5, 1.5))
    reference = next(ImageDataGenerator(num_threads=1, **cfg).flow(x, seed=3))
    got = next(ImageDataGenerator(num_threads=threads, **cfg).flow(x, seed=3))
    np.testing.assert_array_equal(got, reference)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flow_keeps_the_callers_array_and_never_writes_it(data_format):
    x = _x(6)
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    x.setflags(write=False)
    before = x.copy()
    gen = ImageDataGenerator(rotation_range=20, channel_shift_range=10, horizontal_flip=True,
                             rescale=0.5, samplewise_center=True, data_format=data_format)
    it = gen.flow(x, batch_size=4)
    assert it.x is x  # no float32 copy of the dataset
    for _ in range(3):
        batch = next(it)
        assert batch.dtype == np.float32 and batch.flags.c_contiguous
        assert not np.shares_memory(batch, x)
    np.testing.assert_array_equal(x, before)


def test_batch_shape_dtype_and_output_forms():
    x = _x(5)
    gen = ImageDataGenerator(dtype="float64")
    out = next(gen.flow(x, batch_size=2, shuffle=False))
    assert out.dtype == np.float64 and out.shape == (2, 8, 9, 3)
    np.testing.assert_array_equal(out, x[:2])
    # sample_weight without y is dropped, as in Keras
    assert isinstance(next(gen.flow(x, sample_weight=np.ones(5))), np.ndarray)
    xs, y = next(gen.flow((x, np.arange(5)), y=np.arange(5) + 1, shuffle=False, batch_size=5))
    np.testing.assert_array_equal(xs[1], np.arange(5))
    np.testing.assert_array_equal(y, np.arange(5) + 1)


def test_empty_dataset():
    gen = ImageDataGenerator(rotation_range=5)
    it = gen.flow(np.zeros((0, 4, 5, 3), np.uint8), batch_size=2)
    assert len(it) == 0
    assert next(it).shape == (0, 4, 5, 3)


def test_save_to_dir(tmp_path):
    pytest.importorskip("PIL")
    x = _x(5)
    keras_dir, ours_dir = tmp_path / "keras", tmp_path / "ours"
    keras_dir.mkdir()
    ours_dir.mkdir()
    cfg = dict(rotation_range=15)
    keras_it = KerasIDG(**cfg).flow(x, batch_size=3, seed=8, save_to_dir=str(keras_dir),
                                    save_prefix="aug", save_format="png")
    ours_it = ImageDataGenerator(**cfg).flow(x, batch_size=3, seed=8, save_to_dir=str(ours_dir),
                                             save_prefix="aug", save_format="png")
    for _ in range(2):
        next(keras_it)
        next(ours_it)
    # Same file names: same indices and the same hash draws from the global RNG.
    assert sorted(os.listdir(ours_dir)) == sorted(os.listdir(keras_dir))
    assert len(os.listdir(ours_dir)) == 5


def test_save_prefix_cannot_escape_the_directory(tmp_path):
    with pytest.raises(ValueError, match="save_prefix"):
        ImageDataGenerator().flow(_x(2), save_to_dir=str(tmp_path), save_prefix="../x")


def test_exports():
    for name in ("ImageDataGenerator", "Iterator", "NumpyArrayIterator"):
        assert name in fastaug.__all__
    assert issubclass(NumpyArrayIterator, fastaug.Iterator)
    it = ImageDataGenerator().flow(_x(3), batch_size=2)
    assert iter(it) is it and len(it) == 2


def test_flow_from_directory_matches_keras(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rs = np.random.RandomState(3)
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.fromarray(rs.randint(0, 256, (10, 14, 3)).astype(np.uint8)).save(
                tmp_path / cls / ("%d.png" % i))
    cfg = dict(rotation_range=20, horizontal_flip=True, rescale=1 / 255.0)
    kwargs = dict(target_size=(10, 14), batch_size=4, seed=5)
    keras_it = KerasIDG(**cfg).flow_from_directory(str(tmp_path), **kwargs)
    ours_it = ImageDataGenerator(**cfg).flow_from_directory(str(tmp_path), **kwargs)
    for _ in range(3):
        (kx, ky), (ox, oy) = next(keras_it), next(ours_it)
        np.testing.assert_allclose(ox, kx, rtol=0, atol=1e-3)
        np.testing.assert_array_equal(oy, ky)


def test_flow_from_dataframe_deprecations_match_keras(tmp_path):
    pd = pytest.importorskip("pandas")
    Image = pytest.importorskip("PIL.Image")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.ones((4, 4, 3), np.uint8)).save(tmp_path / "b.png")
    df = pd.DataFrame({"filename": ["a.png", "b.png"], "class": [1.0, 2.0]})
    kwargs = dict(directory=str(tmp_path), class_mode="other", target_size=(4, 4), sort=False,
                  has_ext=True, drop_duplicates=False)

    def categories(fn):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            it = fn()
        return sorted(str(w.message) for w in record if w.category is DeprecationWarning), it

    want, keras_it = categories(lambda: KerasIDG().flow_from_dataframe(df, **kwargs))
    got, ours_it = categories(lambda: ImageDataGenerator().flow_from_dataframe(df, **kwargs))
    assert got == want and len(got) == 4
    assert ours_it.class_mode == keras_it.class_mode == "raw"


@pytest.mark.parametrize("layout", ["uint8", "float32", "channels_first_1ch", "float64",
                                    "bgr_view", "channels_first_3ch"])
def test_native_call_reads_the_dataset_in_place_or_only_the_batch(layout, monkeypatch):
    from fastaug import _pipeline

    x = _x(10)
    data_format = "channels_last"
    if layout == "float32":
        x = x.astype(np.float32)
    elif layout == "float64":
        x = x.astype(np.float64)
    elif layout == "bgr_view":
        x = x[..., ::-1]
    elif layout.startswith("channels_first"):
        data_format = "channels_first"
        x = np.ascontiguousarray(x[..., :1] if layout.endswith("1ch") else x).transpose(0, 3, 1, 2)
        x = np.ascontiguousarray(x)
    seen = []
    real = _pipeline.run_plans

    def spy(src, indices, *args, **kwargs):
        seen.append((src, np.asarray(indices)))
        return real(src, indices, *args, **kwargs)

    monkeypatch.setattr(_pipeline, "run_plans", spy)
    it = ImageDataGenerator(rotation_range=10, data_format=data_format).flow(x, batch_size=4,
                                                                            seed=0)
    next(it)
    src, indices = seen[0]
    if layout in ("uint8", "float32", "channels_first_1ch"):
        assert src.shape[0] == 10 and np.shares_memory(src, x)  # the caller's array itself
        np.testing.assert_array_equal(indices, it.index_array[:4])
    else:
        assert src.shape[0] == 4  # just this batch, gathered
        np.testing.assert_array_equal(indices, np.arange(4))
