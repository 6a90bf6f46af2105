"""The module-level functions of keras.preprocessing.image, against keras-preprocessing 1.1.2.

fastaug exports them from ``fastaug`` and from ``fastaug.keras.image`` (Keras's layout); each
is compared here with the real package on the same inputs and the same random stream.
"""
import inspect

import numpy as np
import pytest

import keras_preprocessing.image as kimage
import keras_preprocessing.image.affine_transformations as kat

import fastaug
from fastaug.keras import image as fimage
from fastaug.keras.image import affine_transformations as fat

pytestmark = pytest.mark.filterwarnings("ignore:Please import:DeprecationWarning")

KERAS_NAMES = [
    "load_img", "img_to_array", "array_to_img", "save_img", "list_pictures",
    "validate_filename", "Iterator", "NumpyArrayIterator", "DirectoryIterator",
    "DataFrameIterator", "ImageDataGenerator", "apply_affine_transform", "random_rotation",
    "random_shift", "random_shear", "random_zoom", "random_channel_shift",
    "apply_channel_shift", "random_brightness", "apply_brightness_shift",
    "transform_matrix_offset_center", "flip_axis",
]
SUBMODULE_NAMES = {
    "affine_transformations": ["apply_affine_transform", "random_rotation", "random_shift",
                               "random_shear", "random_zoom", "random_channel_shift",
                               "apply_channel_shift", "random_brightness",
                               "apply_brightness_shift", "transform_matrix_offset_center",
                               "flip_axis"],
    "utils": ["load_img", "img_to_array", "array_to_img", "save_img", "list_pictures",
              "validate_filename"],
    "iterator": ["Iterator"],
    "numpy_array_iterator": ["NumpyArrayIterator"],
    "directory_iterator": ["DirectoryIterator"],
    "dataframe_iterator": ["DataFrameIterator"],
    "image_data_generator": ["ImageDataGenerator"],
}


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_name_is_exported_from_fastaug_and_fastaug_keras_image(name):
    assert name in fastaug.__all__ and name in fimage.__all__
    assert getattr(fastaug, name) is getattr(fimage, name)
    assert hasattr(kimage, name)


def test_fastaug_keras_image_exports_exactly_the_keras_names():
    assert sorted(fimage.__all__) == sorted(KERAS_NAMES)


@pytest.mark.parametrize("module", sorted(SUBMODULE_NAMES))
def test_submodules_mirror_keras_layout(module):
    import importlib

    ours = importlib.import_module("fastaug.keras.image." + module)
    theirs = importlib.import_module("keras_preprocessing.image." + module)
    for name in SUBMODULE_NAMES[module]:
        assert getattr(ours, name) is getattr(fimage, name)
        assert hasattr(theirs, name)
    assert set(SUBMODULE_NAMES[module]) <= set(ours.__all__)


def _parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    return [(p.name, p.kind, p.default) for p in inspect.signature(target).parameters.values()]


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_signatures_match_keras(name):
    """Keras's parameters, in Keras's order with Keras's defaults; fastaug extensions (such as
    ``num_threads``) may only come after them or be keyword-only."""
    ours, theirs = _parameters(getattr(fastaug, name)), _parameters(getattr(kimage, name))
    if name in ("NumpyArrayIterator", "DirectoryIterator", "DataFrameIterator",
                "ImageDataGenerator", "load_img"):
        theirs = [p for p in theirs if p[1] != inspect.Parameter.VAR_KEYWORD]
        assert ours[:len(theirs)] == theirs
    else:
        assert ours == theirs


def _allclose_to_range(a, b, rel=1e-4):
    span = float(np.max(b) - np.min(b)) or 1.0
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=0, atol=rel * span)


def _image(shape, dtype, seed=0):
    rng = np.random.RandomState(seed)
    if dtype == np.uint8:
        return rng.randint(0, 256, shape).astype(np.uint8)
    return (rng.random_sample(shape) * 255).astype(dtype)


AFFINES = [
    dict(theta=20),
    dict(tx=2.5, ty=-3),
    dict(shear=12),
    dict(zx=0.8, zy=1.3),
    dict(theta=-35, tx=1, ty=4, shear=5, zx=1.1, zy=0.9),
]


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("channel_axis", [0, 2, -1])
@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap", "mirror"])
@pytest.mark.parametrize("params", AFFINES)
def test_apply_affine_transform_matches_keras(dtype, channel_axis, fill_mode, params):
    x = _image((3, 17, 23) if channel_axis == 0 else (17, 23, 3), dtype)
    before = x.copy()
    for order in (0, 1):
        ours = fastaug.apply_affine_transform(x, channel_axis=channel_axis, fill_mode=fill_mode,
                                              cval=7.0, order=order, **params)
        theirs = kat.apply_affine_transform(x, channel_axis=channel_axis, fill_mode=fill_mode,
                                            cval=7.0, order=order, **params)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        if dtype == np.uint8:
            assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= (0 if order == 0
                                                                         else 1)
        else:
            _allclose_to_range(ours, theirs, 1e-6 if order == 0 else 1e-4)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.float32])
@pytest.mark.parametrize("fill_mode,order", [("grid-constant", 1), ("grid-wrap", 0),
                                             ("nearest", 2), ("reflect", 3)])
def test_apply_affine_transform_outside_the_kernels_is_scipy_as_in_keras(dtype, fill_mode, order):
    x = _image((9, 11, 2), dtype)
    ours = fastaug.apply_affine_transform(x, theta=30, zx=0.7, fill_mode=fill_mode, order=order)
    theirs = kat.apply_affine_transform(x, theta=30, zx=0.7, fill_mode=fill_mode, order=order)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_apply_affine_transform_identity_returns_the_input_itself():
    x = _image((5, 6, 3), np.float32)
    assert fastaug.apply_affine_transform(x) is x
    assert fastaug.apply_affine_transform(x, zx=1, zy=1, theta=0) is x


def test_apply_affine_transform_unknown_fill_mode_is_scipys_error():
    x = _image((5, 6, 3), np.float32)
    with pytest.raises(RuntimeError) as ours:
        fastaug.apply_affine_transform(x, theta=10, fill_mode="bogus")
    with pytest.raises(RuntimeError) as theirs:
        kat.apply_affine_transform(x, theta=10, fill_mode="bogus")
    assert str(ours.value) == str(theirs.value)


def test_transform_matrix_offset_center_is_bit_for_bit_keras():
    rng = np.random.RandomState(3)
    for _ in range(20):
        m = np.vstack([rng.normal(size=(2, 3)), [0, 0, 1]])
        h, w = rng.randint(1, 500, 2)
        np.testing.assert_array_equal(fastaug.transform_matrix_offset_center(m, h, w),
                                      kat.transform_matrix_offset_center(m, h, w))


@pytest.mark.parametrize("call", [
    lambda m, x: m.random_rotation(x, 40, row_axis=0, col_axis=1, channel_axis=2),
    lambda m, x: m.random_rotation(x, 25),  # the (C, H, W) defaults, Keras's centring quirk
    lambda m, x: m.random_shift(x, 0.2, 0.3, row_axis=0, col_axis=1, channel_axis=2,
                                fill_mode="wrap"),
    lambda m, x: m.random_shift(x, 0.1, 0.25),
    lambda m, x: m.random_shear(x, 30, row_axis=0, col_axis=1, channel_axis=2,
                                fill_mode="constant", cval=3.0),
    lambda m, x: m.random_zoom(x, (0.6, 1.4), row_axis=0, col_axis=1, channel_axis=2,
                               fill_mode="reflect", interpolation_order=0),
    lambda m, x: m.random_zoom(x, [1, 1]),
    lambda m, x: m.random_channel_shift(x, 40.0, channel_axis=2),
    lambda m, x: m.random_brightness(x, (0.3, 1.7)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_functions_draw_and_transform_as_keras(call, dtype):
    x = _image((16, 16, 3), dtype, seed=5)
    for seed in range(4):
        np.random.seed(seed)
        ours = call(fat, x)
        after_ours = np.random.random_sample()
        np.random.seed(seed)
        theirs = call(kat, x)
        after_theirs = np.random.random_sample()
        assert after_ours == after_theirs  # the same number of draws
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        _allclose_to_range(ours, theirs)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("channel_axis", [0, 1, 2, -1])
@pytest.mark.parametrize("intensity", [-30.0, 12.5, 300.0, np.float64(7.25), 3])
def test_apply_channel_shift_matches_keras(dtype, channel_axis, intensity):
    x = _image((6, 7, 3), dtype, seed=2)
    before = x.copy()
    ours = fastaug.apply_channel_shift(x, intensity, channel_axis=channel_axis)
    theirs = kat.apply_channel_shift(x, intensity, channel_axis=channel_axis)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("brightness", [0.0, 0.3, 0.7, 1.0, 1.25, 1.9, 3.0, -0.5])
def test_apply_brightness_shift_matches_keras(channels, dtype, brightness):
    x = _image((9, 10, channels), dtype, seed=channels)
    if dtype != np.uint8:
        x = x / 3.0 - 20  # not in [0, 255]: the stretch matters
    before = x.copy()
    ours = fastaug.apply_brightness_shift(x, brightness)
    theirs = kat.apply_brightness_shift(x, brightness)
    assert ours.dtype == theirs.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("x", [np.zeros((4, 5)), np.zeros((4, 5, 2)), np.zeros((2, 3, 4, 3))])
def test_apply_brightness_shift_errors_match_keras(x):
    with pytest.raises(ValueError) as ours:
        fastaug.apply_brightness_shift(x, 0.5)
    with pytest.raises(ValueError) as theirs:
        kat.apply_brightness_shift(x, 0.5)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("call", [
    lambda m: m.random_zoom(np.zeros((3, 3, 3)), [0.5]),
    lambda m: m.random_zoom(np.zeros((3, 3, 3)), (0.5, 1, 2)),
    lambda m: m.random_brightness(np.zeros((3, 3, 3)), [0.5]),
])
def test_range_errors_match_keras(call):
    with pytest.raises(ValueError) as ours:
        call(fat)
    with pytest.raises(ValueError) as theirs:
        call(kat)
    assert str(ours.value) == str(theirs.value)


def test_missing_optional_dependencies_raise_import_error_as_in_keras(monkeypatch):
    x = np.zeros((3, 3, 3), np.float32)
    monkeypatch.setattr(fat, "scipy", None)
    with pytest.raises(ImportError, match="SciPy"):
        fat.apply_affine_transform(x, theta=10)
    monkeypatch.setattr(fat, "ImageEnhance", None)
    with pytest.raises(ImportError, match="Pillow"):
        fat.apply_brightness_shift(x, 0.5)


def test_flip_axis_matches_keras():
    x = _image((4, 5, 3), np.float32)
    for axis in (0, 1, 2, -1):
        np.testing.assert_array_equal(fastaug.flip_axis(x, axis), kat.flip_axis(x, axis))


def test_list_pictures_and_validate_filename_match_keras(tmp_path):
    names = ["a.png", "b.JPG", "c.jpeg", "d.bmp", "e.ppm", "f.tif", "g.TIFF", "h.gif",
             "i.txt", "jpng", "k.png.bak"]
    for sub in ("", "one", "one/two"):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
        for name in names:
            (tmp_path / sub / name).write_bytes(b"")
    (tmp_path / "dir.png").mkdir()
    for ext in [None, "png", ("png", "gif"), ["jpg"]]:
        args = () if ext is None else (ext,)
        assert (sorted(fastaug.list_pictures(str(tmp_path), *args))
                == sorted(kimage.list_pictures(str(tmp_path), *args)))
    formats = ("png", "jpg")
    for path in [tmp_path / n for n in names] + [tmp_path / "dir.png", tmp_path / "no.png"]:
        assert (fastaug.validate_filename(str(path), formats)
                == kimage.validate_filename(str(path), formats))


def test_dir_lists_the_public_api_only():
    listed = dir(fastaug)
    assert listed == sorted(fastaug.__all__)
    assert not [name for name in listed if name.startswith("_") and name != "__version__"]
    for name in fastaug.__all__:
        assert hasattr(fastaug, name)
