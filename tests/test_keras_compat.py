"""ImageDataGenerator's ``compat`` argument without Keras installed: the argument's checks, and
the tf.keras 2.9+ behaviours docs/keras-semantics.md ("Versions") states as facts: axis swap,
centre, rotation sense, brightness without stretch, ZCA by SVD, the 2.9-only arguments.
tests/test_keras_compat29.py compares with Keras 3 itself."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fastaug import ImageDataGenerator
from fastaug._keras import load_img


def _gen(**kwargs):
    return ImageDataGenerator(compat="2.9", **kwargs)


@pytest.mark.parametrize("bad", ["2.8", "3", 2.9, None, "", ["2.9"]])
def test_compat_must_be_a_known_version(bad):
    with pytest.raises(ValueError, match="compat"):
        ImageDataGenerator(compat=bad)


def test_default_is_112():
    assert ImageDataGenerator().compat == "1.1.2"
    assert ImageDataGenerator().principal_components is None
    assert _gen().zca_whitening_matrix is None
    assert not hasattr(_gen(), "principal_components")


def _dot(h, w, r, c, channels=1):
    img = np.zeros((h, w, channels), np.float32)
    img[r, c] = 100.0
    return img


def _where(img):
    return tuple(int(v) for v in np.argwhere(img[..., 0] > 50)[0])


def test_rotation_is_counter_clockwise_about_the_true_centre():
    # 9x9, dot at (2, 4), +90 degrees -> (4, 2) in 2.9+, (4, 8) in 1.1.2.
    params = dict(theta=90.0)
    cfg = dict(fill_mode="constant", interpolation_order=0)
    assert _where(_gen(**cfg).apply_transform(_dot(9, 9, 2, 4), params)) == (4, 2)
    assert _where(ImageDataGenerator(**cfg).apply_transform(_dot(9, 9, 2, 4), params)) == (4, 8)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_tx_moves_columns_and_ty_moves_rows(data_format):
    gen = _gen(fill_mode="constant", data_format=data_format)
    img = _dot(9, 11, 4, 5)
    if data_format == "channels_first":
        img = np.ascontiguousarray(img.transpose(2, 0, 1))

    def where(out):
        return _where(out if data_format == "channels_last" else out.transpose(1, 2, 0))

    assert where(gen.apply_transform(img, dict(tx=2.0))) == (4, 3)  # left
    assert where(gen.apply_transform(img, dict(ty=2.0))) == (2, 5)  # up


def test_height_shift_range_shifts_horizontally():
    # keras#17398: tx is drawn from height_shift_range, and tx moves columns in 2.9+.
    img = np.tile(np.arange(12, dtype=np.float32)[None, :, None], (8, 1, 1))
    batch = next(_gen(height_shift_range=[3]).flow(img[None], batch_size=1, seed=0))[0]
    shift = batch[0, 6, 0] - img[0, 6, 0]
    assert abs(shift) == 3
    np.testing.assert_array_equal(batch[:, 6, 0], np.full(8, img[0, 6, 0] + shift))


def test_non_square_zoom_is_anchored_on_the_swapped_centre():
    # A 5x7 image zoomed with zx=0.5 is anchored at column 2.0 (= 5/2 - 0.5).
    img = np.tile(np.arange(7, dtype=np.float32)[None, :, None], (5, 1, 1))
    out = _gen().apply_transform(img, dict(zx=0.5))
    np.testing.assert_allclose(out[2, :, 0], 0.5 * (np.arange(7) - 2.0) + 2.0, atol=1e-5)


def test_brightness_keeps_0_255_images_unstretched():
    img = np.full((4, 5, 3), 50.0, np.float32)
    img[0, 0] = 200.0
    out = _gen().apply_transform(img, dict(brightness=0.5))
    np.testing.assert_array_equal(np.unique(out), [25.0, 100.0])
    old = ImageDataGenerator().apply_transform(img, dict(brightness=0.5))
    np.testing.assert_array_equal(np.unique(old), [0.0, 127.0])  # 1.1.2 stretches first


def test_brightness_turns_unit_range_images_black():
    img = np.random.RandomState(1).rand(6, 7, 3).astype(np.float32) * 0.99
    batch = next(_gen(brightness_range=(0.5, 1.5)).flow(img[None], batch_size=1, seed=2))
    assert batch.dtype == np.float32 and not batch.any()


def test_brightness_outside_0_255_stays_in_the_image_range():
    img = np.linspace(-50, 300, 6 * 7 * 3, dtype=np.float32).reshape(6, 7, 3)
    out = _gen().apply_transform(img, dict(brightness=1.0))
    # b = 1: stretch, truncate to 0..255, map back: every value moves down by less than a level.
    assert out.min() == -50 and out.max() == 300
    assert np.all(out <= img + 1e-3) and np.all(img - out < 350 / 255 + 1e-3)
    dark = _gen().apply_transform(img, dict(brightness=0.0))
    np.testing.assert_array_equal(dark, -50)  # darkened toward the image's minimum


def test_brightness_alpha_channel_kept():
    img = np.random.RandomState(3).randint(20, 220, (5, 6, 4)).astype(np.float32)
    out = _gen().apply_transform(img, dict(brightness=0.3))
    np.testing.assert_array_equal(out[..., 3], img[..., 3])
    np.testing.assert_array_equal(out[..., :3], np.floor(np.float32(0.3) * img[..., :3]))


def test_brightness_batch_matches_single_images():
    x = np.random.RandomState(4).randint(0, 256, (6, 8, 9, 3)).astype(np.float32)
    x[1] = x[1] * 3 - 100
    x[2] /= 255
    gen = _gen(brightness_range=(0.2, 1.8), rotation_range=15)
    batch = next(gen.flow(x, batch_size=6, shuffle=False, seed=5))
    np.random.seed(5)
    for i in range(6):
        single = gen.apply_transform(x[i], gen.get_random_transform(x[i].shape))
        np.testing.assert_allclose(batch[i], single, atol=1e-3 * max(1.0, np.ptp(x[i]) / 255))


@pytest.mark.filterwarnings("ignore:NumpyArrayIterator is set to use")
def test_brightness_rejects_two_channels():
    with pytest.raises(ValueError, match="channel"):
        next(_gen(brightness_range=(0.5, 1.5)).flow(np.zeros((2, 4, 4, 2)), batch_size=2))


def test_zca_whitening_by_svd_whitens_the_fit_data():
    # With n < D (and the per-channel centring keeping rank n) the 2.9+ matrix maps the n
    # samples to orthogonal vectors of norm sqrt(n): Gram / n = I. (1.1.2's would amplify
    # the null space by 1/sqrt(eps) instead.)
    x = np.random.RandomState(6).rand(12, 4, 5, 1).astype(np.float32)
    with pytest.warns(UserWarning):
        gen = _gen(zca_whitening=True)
    gen.fit(x)
    assert gen.zca_whitening_matrix.shape == (20, 20)
    white = np.stack([gen.standardize(img.copy()) for img in x]).reshape(12, -1)
    gram = white @ white.T / 12
    np.testing.assert_allclose(gram, np.eye(12), atol=1e-3)
    # Outside the samples' span the matrix is zero (a projection, not a 1/sqrt(eps) blow-up).
    span = (x.reshape(12, -1) - gen.mean.reshape(1, -1)).T
    q, _ = np.linalg.qr(span)
    outside = np.random.RandomState(8).rand(20)
    outside -= q @ (q.T @ outside)
    assert np.linalg.norm(outside @ gen.zca_whitening_matrix) < 1e-3 * np.linalg.norm(outside)


def test_default_data_format_and_dtype_are_keras_defaults():
    gen = _gen(data_format=None, dtype=None)
    assert (gen.data_format, gen.dtype) == ("channels_last", "float32")
    with pytest.raises(ValueError, match="data_format"):
        ImageDataGenerator(data_format=None)  # 1.1.2 has no backend to ask


def test_apply_transform_needs_a_3d_image():
    with pytest.raises(ValueError, match="multi-channel 2D"):
        _gen().apply_transform(np.zeros((4, 5), np.float32), {})


def test_ignore_class_split():
    x = np.zeros((10, 4, 4, 3), np.uint8)
    y = np.array([0] * 3 + [1] * 7)
    gen = _gen(validation_split=0.3)
    with pytest.raises(ValueError, match="different number of classes"):
        gen.flow(x, y, subset="validation")
    it = gen.flow(x, y, subset="validation", ignore_class_split=True, batch_size=5)
    assert next(it)[1].tolist() == [0, 0, 0]
    with pytest.raises(TypeError, match="ignore_class_split"):
        ImageDataGenerator(validation_split=0.3).flow(x, y, subset="validation",
                                                      ignore_class_split=True)


@pytest.fixture
def wide_image(tmp_path):
    pixels = np.random.RandomState(7).randint(0, 256, (10, 40, 3)).astype(np.uint8)
    (tmp_path / "c").mkdir()
    Image.fromarray(pixels).save(tmp_path / "c" / "wide.png")
    return tmp_path, pixels


def test_keep_aspect_ratio_crops_the_centre(wide_image):
    root, pixels = wide_image
    img = load_img(root / "c" / "wide.png", target_size=(10, 10), keep_aspect_ratio=True)
    np.testing.assert_array_equal(np.asarray(img), pixels[:, 15:25])
    batch = next(_gen().flow_from_directory(str(root), target_size=(5, 5), batch_size=1,
                                            class_mode=None, keep_aspect_ratio=True,
                                            interpolation="box"))
    expected = pixels[:, 15:25].reshape(5, 2, 5, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(batch[0], expected, atol=1.0)  # Pillow's fixed-point rounding


def test_keep_aspect_ratio_needs_compat_29(wide_image):
    root, pixels = wide_image
    gen = ImageDataGenerator()
    with pytest.raises(TypeError, match="keep_aspect_ratio"):
        gen.flow_from_directory(str(root), keep_aspect_ratio=True)
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"filename": ["c/wide.png"], "class": ["c"]})
    with pytest.raises(TypeError, match="keep_aspect_ratio"):
        gen.flow_from_dataframe(df, str(root), keep_aspect_ratio=True)
    it = _gen().flow_from_dataframe(df, str(root), target_size=(10, 10), class_mode=None,
                                    keep_aspect_ratio=True, batch_size=1)
    np.testing.assert_array_equal(next(it)[0], pixels[:, 15:25])
