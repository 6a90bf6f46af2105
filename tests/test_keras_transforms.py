"""Parameter drawing and matrix building of fastaug's ImageDataGenerator against the real
keras-preprocessing 1.1.2: same random values, same RNG consumption, same float64 matrices."""
from __future__ import annotations

import numpy as np
import pytest

from fastaug import ImageDataGenerator
from fastaug._keras import transforms

keras_image = pytest.importorskip("keras_preprocessing.image")
KerasIDG = keras_image.ImageDataGenerator
keras_affine = pytest.importorskip("keras_preprocessing.image.affine_transformations")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DRAW_CONFIGS = [
    {},
    dict(rotation_range=40),
    dict(rotation_range=7, width_shift_range=0.2, height_shift_range=0.1),
    dict(width_shift_range=2.0, height_shift_range=1.0),  # integral floats: uniform, pixels
    dict(width_shift_range=np.float32(0.3)),
    dict(shear_range=25, zoom_range=0.3),
    dict(zoom_range=[1.3, 0.7]),  # reversed bounds are drawn as given
    dict(zoom_range=(1, 1.0)),  # both exactly 1: nothing drawn
    dict(horizontal_flip=True),
    dict(vertical_flip=True, horizontal_flip=True),
    dict(channel_shift_range=30.0),
    dict(brightness_range=(0.2, 1.7)),
    dict(rotation_range=10, width_shift_range=0.1, height_shift_range=0.2, shear_range=5,
         zoom_range=[0.8, 1.1], horizontal_flip=True, vertical_flip=True,
         channel_shift_range=12, brightness_range=[0.5, 1.5]),
    # choice-based shifts: the per-image path
    dict(width_shift_range=3, height_shift_range=1, rotation_range=5),
    dict(height_shift_range=[0.5, 2], width_shift_range=(0.1, 0.2), zoom_range=0.1),
    dict(width_shift_range=-3),  # a negative int: choice fails, uniform(3, -3) scaled by W
    dict(rotation_range=True, horizontal_flip=True),
]


def _same_value(a, b):
    if a is None or b is None:
        return a is b
    return float(a) == float(b)


def _state_equal(s1, s2):
    return s1[0] == s2[0] and np.array_equal(s1[1], s2[1]) and s1[2:] == s2[2:]


@pytest.mark.parametrize("cfg", DRAW_CONFIGS, ids=lambda c: ",".join(sorted(c)) or "none")
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_batch_draws_match_keras_per_image_calls(cfg, data_format):
    shape = (12, 17, 3) if data_format == "channels_last" else (3, 12, 17)
    count = 9
    np.random.seed(1234)
    keras_gen = KerasIDG(data_format=data_format, **cfg)
    expected = [keras_gen.get_random_transform(shape) for _ in range(count)]
    keras_state = np.random.get_state()

    np.random.seed(1234)
    gen = ImageDataGenerator(data_format=data_format, **cfg)
    tb = transforms.draw_transforms(gen, shape, count)
    assert _state_equal(np.random.get_state(), keras_state), "RNG consumption differs"
    for i, want in enumerate(expected):
        got = transforms.transform_dict(gen, tb, i)
        assert set(got) == set(want)
        for key in want:
            assert _same_value(got[key], want[key]), (i, key, got[key], want[key])


@pytest.mark.parametrize("cfg", DRAW_CONFIGS[:13:3], ids=lambda c: ",".join(sorted(c)) or "none")
def test_get_random_transform_with_seed_matches_keras(cfg):
    keras_gen = KerasIDG(**cfg)
    gen = ImageDataGenerator(**cfg)
    for seed in (0, 7, 123456):
        want = keras_gen.get_random_transform((10, 11, 1), seed=seed)
        after_keras = np.random.random()
        got = gen.get_random_transform((10, 11, 1), seed=seed)
        after_ours = np.random.random()
        assert after_ours == after_keras
        assert set(got) == set(want)
        for key in want:
            assert _same_value(got[key], want[key]), (key, got[key], want[key])


def test_vectorised_plan_only_for_uniform_draws():
    assert transforms._plan(ImageDataGenerator(width_shift_range=0.2)) is not None
    assert transforms._plan(ImageDataGenerator(width_shift_range=2.0)) is not None
    assert transforms._plan(ImageDataGenerator(width_shift_range=-2)) is not None
    assert transforms._plan(ImageDataGenerator(width_shift_range=2)) is None
    assert transforms._plan(ImageDataGenerator(height_shift_range=[0.1, 0.2])) is None


def test_bad_range_types_fail_like_keras_at_draw_time():
    for cfg in (dict(rotation_range="ab"), dict(shear_range=[3]),
                dict(width_shift_range=np.array([0.1, 0.2])),
                dict(height_shift_range=[[1, 2], [3, 4]]),
                dict(brightness_range=("a", "b"))):
        with pytest.raises(Exception) as keras_err:
            KerasIDG(**cfg).get_random_transform((5, 6, 3))
        with pytest.raises(type(keras_err.value)):
            ImageDataGenerator(**cfg).get_random_transform((5, 6, 3))


class _CapturingNdimage:
    """Stands in for scipy.ndimage inside keras_preprocessing to record the matrix and offset
    Keras hands to affine_transform."""

    def __init__(self):
        self.calls = []
        self.interpolation = self

    def affine_transform(self, channel, matrix, offset, **kwargs):
        self.calls.append((np.array(matrix), np.array(offset)))
        return channel


@pytest.mark.parametrize("shape", [(12, 17), (16, 16), (5, 9), (224, 224)])
@pytest.mark.parametrize("rotate_and_shear", [True, False], ids=["all factors", "shift, zoom"])
def test_matrices_equal_keras_float64_bit_for_bit(shape, rotate_and_shear, monkeypatch):
    """Batches without rotation and shear take a shorter path (no products by 0 and 1)."""
    capture = _CapturingNdimage()
    monkeypatch.setattr(keras_affine, "ndimage", capture)
    rng = np.random.RandomState(5)
    params = []
    shift = 0.2 * max(shape)
    for i in range(200):
        # Mix present and absent factors per image, as a real batch does.
        params.append(dict(
            theta=rng.uniform(-180, 180) if i % 2 and rotate_and_shear else 0,
            tx=rng.uniform(-shift, shift) if i % 3 else 0,
            ty=rng.uniform(-shift, shift) if i % 5 else 0,
            shear=rng.uniform(-30, 30) if i % 4 and rotate_and_shear else 0,
            zx=rng.uniform(0.5, 1.5) if i % 7 else 1,
            zy=rng.uniform(0.5, 1.5) if i % 6 else 1,
        ))
    h, w = shape
    tb = transforms.TransformBatch.from_dicts(params)
    ours = transforms.affine_matrices(tb, h, w)
    has_affine = tb.has_affine()
    for i, p in enumerate(params):
        capture.calls.clear()
        keras_affine.apply_affine_transform(np.zeros((h, w, 1)), row_axis=0, col_axis=1,
                                            channel_axis=2, **p)
        if not has_affine[i]:
            assert capture.calls == []
            np.testing.assert_array_equal(ours[i], np.eye(3))
            continue
        matrix, offset = capture.calls[0]
        np.testing.assert_array_equal(ours[i][:2, :2], matrix)
        np.testing.assert_array_equal(ours[i][:2, 2], offset)


def test_identity_when_no_image_has_an_affine():
    tb = transforms.TransformBatch(3)
    np.testing.assert_array_equal(transforms.affine_matrices(tb, 4, 5),
                                  np.tile(np.eye(3), (3, 1, 1)))


@pytest.mark.parametrize("size", [1, 5])
@pytest.mark.parametrize("flip_h,flip_v", [(True, False), (False, True), (True, True)])
def test_folded_flips_read_where_flipping_after_the_affine_reads(flip_h, flip_v, size):
    rng = np.random.RandomState(1)
    h, w = 7, 11
    matrices = np.tile(np.eye(3), (size, 1, 1))
    matrices[:, :2, :] = rng.uniform(-2, 2, (size, 2, 3))
    given = matrices.copy()
    # Every other image flips (image 0 always), as a real batch mixes them.
    chosen = np.arange(size) % 2 == 0
    flips_h = chosen & flip_h
    flips_v = chosen & flip_v
    folded = transforms.pull_rows(matrices, flips_h, flips_v, h, w)
    plain = transforms.pull_rows(matrices, np.zeros(size, bool), np.zeros(size, bool), h, w)
    np.testing.assert_array_equal(matrices, given)  # the input is not written
    r, c = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    for m, p, fh, fv in zip(folded, plain, flips_h, flips_v):
        # Flipping the affine's output: output (r, c) is the affine's output at (r', c').
        r_src = h - 1 - r if fv else r
        c_src = w - 1 - c if fh else c
        np.testing.assert_allclose(m[0] * r + m[1] * c + m[2], p[0] * r_src + p[1] * c_src + p[2],
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(m[3] * r + m[4] * c + m[5], p[3] * r_src + p[4] * c_src + p[5],
                                   rtol=0, atol=1e-12)


def test_from_dicts_uses_apply_transform_defaults():
    tb = transforms.TransformBatch.from_dicts([{}, {"theta": 3, "flip_vertical": 1,
                                                    "brightness": 0.5}])
    assert list(tb.has_affine()) == [False, True]
    assert list(tb.flip_v) == [False, True]
    assert np.isnan(tb.brightness[0]) and tb.brightness[1] == 0.5
    assert np.isnan(tb.channel_shift).all()
