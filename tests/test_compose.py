"""fastaug.Compose and its transforms: keyed draws per transform slot, the plan's geometry
against an independent construction of torchvision's affine, colour ops as functions of the
warped image, targets following the image, layouts, serialisation and bad arguments."""
import json

import numpy as np
import pytest
from scipy import ndimage

import fastaug
from fastaug import (Affine, ChannelShift, ColorJitter, Compose, HorizontalFlip, Solarize,
                     VerticalFlip)

H, W = 24, 30
RECIPE = [Affine(rotate=20, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=8),
          HorizontalFlip(), ColorJitter(brightness=0.5)]


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(3).integers(0, 256, (16, H, W, 3), dtype=np.uint8)


# ---------------------------------------------------------------- keyed draws

def test_a_transform_draws_the_same_whatever_else_is_in_the_pipeline():
    affine = Affine(rotate=30, translate=(0.2, 0.1), scale=(0.5, 2), shear=(-5, 5, -3, 3))
    alone = Compose([affine], seed=11).sample(np.arange(50), epoch=2, image_shape=(H, W))
    crowded = Compose([ColorJitter(0.3), HorizontalFlip(), affine, ChannelShift(9),
                       VerticalFlip()], seed=11).sample(np.arange(50), epoch=2,
                                                        image_shape=(H, W))
    for key, values in alone.transforms[0].items():
        np.testing.assert_array_equal(values, crowded.transforms[2][key])


def test_two_transforms_of_one_class_draw_independently():
    params = Compose([HorizontalFlip(), HorizontalFlip()]).sample(np.arange(4000),
                                                                    image_shape=(H, W))
    a, b = params.transforms[0]["applied"], params.transforms[1]["applied"]
    assert 0.47 < a.mean() < 0.53 and 0.47 < b.mean() < 0.53
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.05


def test_draws_are_a_pure_function_of_seed_epoch_index(images):
    compose = Compose(RECIPE, seed=5)
    idx = np.array([7, 3, 2 ** 40 + 1, 0])
    batch = compose(images[:4], indices=idx, epoch=1).images
    for k, i in enumerate(idx):
        np.testing.assert_array_equal(compose(images[k], indices=int(i), epoch=1).images, batch[k])
    other_epoch = compose(images[:4], indices=idx, epoch=2).images
    other_seed = Compose(RECIPE, seed=6)(images[:4], indices=idx, epoch=1).images
    for other in (other_epoch, other_seed):
        assert all((other[k] != batch[k]).any() for k in range(4))


def test_thread_counts_and_order_do_not_change_results(images):
    one = Compose(RECIPE, seed=1, num_threads=1)(images, indices=np.arange(16)).images
    two = Compose(RECIPE, seed=1, num_threads=2)(images, indices=np.arange(16)).images
    np.testing.assert_array_equal(one, two)
    perm = np.random.default_rng(0).permutation(16)
    shuffled = Compose(RECIPE, seed=1)(images[perm], indices=perm).images
    np.testing.assert_array_equal(shuffled, one[perm])


def test_probabilities_are_honoured():
    params = Compose([Affine(rotate=10, p=0.3), ColorJitter(0.5, p=0.0),
                      ChannelShift(5, p=1.0)]).sample(np.arange(20000), image_shape=(H, W))
    applied = params.transforms[0]["applied"]
    assert 0.29 < applied.mean() < 0.31
    assert (params.transforms[0]["angle"][~applied] == 0).all()
    assert not params.transforms[1]["applied"].any()
    assert params.transforms[2]["applied"].all()
    lo, hi = params.transforms[2]["shift"].min(), params.transforms[2]["shift"].max()
    assert -5 <= lo < -4.9 and 4.9 < hi <= 5


# ---------------------------------------------------------------- geometry

def torchvision_forward(angle, tx, ty, scale, shear_x, shear_y, size):
    """torchvision's documented affine, composed from its factors: T(c + t) R(a) S(s) SHy SHx
    T(-c), R(a) = [[cos, -sin], [sin, cos]], SHx = [[1, -tan sx], [0, 1]],
    SHy = [[1, 0], [-tan sy, 1]], about the image centre in pixel-centre coordinates."""
    h, w = size
    a, sx, sy = np.deg2rad([angle, shear_x, shear_y])
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    shx = np.array([[1, -np.tan(sx), 0], [0, 1, 0], [0, 0, 1]])
    shy = np.array([[1, 0, 0], [-np.tan(sy), 1, 0], [0, 0, 1]])
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    to_c, from_c = np.eye(3), np.eye(3)
    to_c[:2, 2], from_c[:2, 2] = c + [tx, ty], -c
    return to_c @ rot @ np.diag([scale, scale, 1]) @ shy @ shx @ from_c


def test_affine_matches_torchvision_geometry_built_independently():
    img = np.random.default_rng(4).random((H, W, 3), dtype=np.float32)
    compose = Compose([Affine(rotate=30, translate=(0.2, 0.2), scale=(0.7, 1.3),
                              shear=(-10, 10, -5, 5), fill_mode="nearest")], seed=2)
    for index in range(6):
        got = compose(img, indices=index).images
        p = compose.sample(index, image_shape=(H, W)).transforms[0]
        forward = torchvision_forward(p["angle"][0], p["tx"][0], p["ty"][0], p["scale"][0],
                                      p["shear_x"][0], p["shear_y"][0], (H, W))
        assert float(p["tx"][0]).is_integer() and float(p["ty"][0]).is_integer()
        pull = np.linalg.inv(forward)
        # (x, y) pull to scipy's (row, col): swap both axes.
        m = pull[[1, 0]][:, [1, 0, 2]]
        want = np.stack([ndimage.affine_transform(img[..., k], m[:, :2], m[:, 2], order=1,
                                                  mode="nearest") for k in range(3)], -1)
        np.testing.assert_allclose(got, want, atol=2e-4)


def test_positive_rotation_turns_content_clockwise():
    img = np.zeros((31, 31), np.uint8)
    img[15, 25] = 255  # right of the centre
    out = Compose([Affine(rotate=(90, 90), interpolation="nearest")])(img, indices=0).images
    assert out[25, 15] == 255 and out.sum() == 255  # now below it: clockwise on screen


def test_scale_above_one_enlarges():
    img = np.zeros((41, 41), np.uint8)
    img[20, 30] = 255
    out = Compose([Affine(scale=(2.0, 2.0), interpolation="nearest")])(img, indices=0).images
    assert out[20, 40] == 255


def test_flips_copy_pixels_exactly(images):
    h = Compose([HorizontalFlip(p=1.0)])(images).images
    v = Compose([VerticalFlip(p=1.0)])(images).images
    np.testing.assert_array_equal(h, images[:, :, ::-1])
    np.testing.assert_array_equal(v, images[:, ::-1])
    floats = np.random.default_rng(1).normal(size=(4, H, W, 2)).astype(np.float32)
    np.testing.assert_array_equal(Compose([HorizontalFlip(p=1.0)])(floats).images,
                                  floats[:, :, ::-1])


def test_p_zero_is_the_identity(images):
    out = Compose([Affine(rotate=40, p=0.0), ColorJitter(0.9, p=0.0), HorizontalFlip(p=0.0)])(
        images).images
    np.testing.assert_array_equal(out, images)


def test_one_warp_equals_two_in_a_row_for_exact_maps(images):
    # Flip then flip back: the plan composes them into the identity.
    out = Compose([HorizontalFlip(p=1.0), HorizontalFlip(p=1.0), VerticalFlip(p=1.0)])(
        images).images
    np.testing.assert_array_equal(out, images[:, ::-1])


# ---------------------------------------------------------------- colour

def test_brightness_is_torchvisions_uint8_formula_on_the_warped_image(images, simd_level):
    geometry = [Affine(rotate=15, fill_mode="reflect")]
    compose = Compose(geometry + [ColorJitter(brightness=(0.3, 1.7))], seed=8)
    got = compose(images).images
    warped = Compose(geometry, seed=8)(images).images
    factors = compose.sample(np.arange(16), image_shape=(H, W)).transforms[1]["brightness"]
    want = np.clip(np.floor(warped.astype(np.float32)
                            * factors.astype(np.float32)[:, None, None, None]), 0, 255)
    np.testing.assert_array_equal(got, want.astype(np.uint8))


def test_float32_brightness_clamps_to_the_unit_range_and_shift_is_not_clipped():
    img = np.full((2, 4, 5, 3), 0.3, np.float32)
    img[:, :, :2] = 0.7
    compose = Compose([ColorJitter(brightness=(2.0, 2.0)), ChannelShift(10)], seed=3)
    shift = compose.sample(np.arange(2), image_shape=(4, 5)).transforms[1]["shift"]
    got = compose(img).images
    bright = np.minimum(img * np.float32(2.0), np.float32(1.0))  # torchvision's float model
    np.testing.assert_array_equal(got, bright + shift.astype(np.float32)[:, None, None, None])


def test_channel_shift_rounds_half_to_even_and_saturates(simd_level):
    img = np.array([[[0, 100, 250]]], np.uint8).repeat(2, 0)
    compose = Compose([ChannelShift(30)], seed=4)
    shifts = compose.sample(np.arange(2), image_shape=(1, 3)).transforms[0]["shift"]
    got = compose(img[:, :, :, None], indices=np.arange(2)).images[..., 0]
    want = np.clip(np.rint(img.astype(np.float32) + shifts.astype(np.float32)[:, None, None]),
                   0, 255)
    np.testing.assert_array_equal(got, want)


def test_float32_output_from_uint8_keeps_the_uint8_pipeline(images):
    recipe = [Affine(rotate=10), ColorJitter(0.4)]
    as_u8 = Compose(recipe, seed=2)(images).images
    as_f32 = Compose(recipe, seed=2, out_dtype=np.float32)(images).images
    assert as_f32.dtype == np.float32
    np.testing.assert_array_equal(as_f32, as_u8.astype(np.float32))


@pytest.mark.parametrize("threshold", [0, 100.5, 128, 255, 300])
def test_solarize_inverts_at_and_above_the_threshold(images, threshold):
    got = Compose([Solarize(threshold, p=1.0)])(images).images
    want = np.where(images >= threshold, 255 - images, images)
    np.testing.assert_array_equal(got, want)
    floats = images.astype(np.float32) / 255
    got = Compose([Solarize(threshold / 255, p=1.0)])(floats).images
    np.testing.assert_array_equal(got, np.where(floats >= np.float32(threshold / 255),
                                                np.float32(1) - floats, floats))


def test_solarize_after_brightness_sees_the_brightened_uint8_image(images):
    recipe = [ColorJitter(brightness=(0.5, 1.5)), Solarize(100, p=0.5)]
    compose = Compose(recipe, seed=4)
    params = compose.sample(np.arange(16), image_shape=(H, W))
    bright = Compose(recipe[:1], seed=4)(images).images
    on = params.transforms[1]["applied"][:, None, None, None]
    want = np.where(on & (bright >= 100), 255 - bright, bright)
    np.testing.assert_array_equal(compose(images).images, want)


# ---------------------------------------------------------------- targets

def test_masks_and_keypoints_follow_the_image():
    img = np.zeros((8, 40, 40), np.uint8)
    img[:, 12, 27] = 255
    masks = (img > 0).astype(np.uint8)
    points = np.tile([[27.0, 12.0]], (8, 1, 1))
    compose = Compose([Affine(rotate=25, translate=(0.1, 0.1), scale=(0.9, 1.1),
                              interpolation="nearest"), HorizontalFlip()], seed=3)
    result = compose(img, masks=masks, keypoints=points)
    assert result.keypoints_visible.sum() >= 6
    for k in np.flatnonzero(result.keypoints_visible[:, 0]):
        x, y = result.keypoints[k, 0]
        rows, cols = np.nonzero(result.images[k])
        assert rows.size and np.hypot(cols - x, rows - y).max() < 1.0  # nearest sampling
        np.testing.assert_array_equal(result.masks[k] * 255, result.images[k])


def test_boxes_follow_the_flip():
    compose = Compose([HorizontalFlip(p=1.0)])
    out = compose(np.zeros((H, W), np.uint8), indices=0, boxes=np.array([[2.0, 3, 10, 8]]))
    np.testing.assert_allclose(out.boxes, [[W - 10, 3, W - 2, 8]])


# ---------------------------------------------------------------- layouts

def test_nchw_layout_in_and_out(images):
    nhwc = Compose(RECIPE, seed=9)(images).images
    nchw = Compose(RECIPE, seed=9, layout="NCHW")(np.ascontiguousarray(
        images.transpose(0, 3, 1, 2))).images
    assert nchw.flags.c_contiguous
    np.testing.assert_array_equal(nchw, nhwc.transpose(0, 3, 1, 2))


def test_channels_first_batches_are_refused_without_layout():
    batch = np.zeros((4, 3, 32, 32), np.uint8)
    with pytest.raises(ValueError, match="layout='NCHW'"):
        Compose([HorizontalFlip()])(batch)


# ---------------------------------------------------------------- serialisation

def test_to_dict_round_trips_through_json_and_toml(images):
    compose = Compose(RECIPE + [ChannelShift(12, p=0.5), VerticalFlip(p=0.2)], seed=77,
                      num_threads=1, out_dtype=np.float32)
    for text, load in ((compose.to_json(), Compose.from_json),
                       (compose.to_toml(), Compose.from_toml)):
        again = load(text)
        assert again.to_dict() == compose.to_dict()
        assert again.transforms == compose.transforms
        np.testing.assert_array_equal(again(images).images, compose(images).images)
    assert json.loads(compose.to_json())["transforms"][0]["type"] == "Affine"


def test_from_dict_names_what_is_wrong():
    with pytest.raises(ValueError, match="unknown transform 'Blur'"):
        Compose.from_dict({"transforms": [{"type": "Blur"}]})
    with pytest.raises(TypeError, match=r"transforms\[0\] \(Affine\)"):
        Compose.from_dict({"transforms": [{"type": "Affine", "angle": 3}]})
    with pytest.raises(ValueError, match="unknown Compose settings"):
        Compose.from_dict({"sead": 1})


# ---------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("make,exc,msg", [
    (lambda: Compose(HorizontalFlip()), TypeError, "transforms must be a list"),
    (lambda: Compose([np.flip]), TypeError, r"transforms\[0\] must be a fastaug transform"),
    (lambda: Compose([], num_threads=5000), ValueError, "num_threads"),
    (lambda: Compose([], layout="CHW"), ValueError, "layout"),
    (lambda: Compose([], seed=-1), ValueError, "seed"),
    (lambda: Compose([Affine(fill_mode="reflect"), Affine()]), ValueError, "must agree"),
    (lambda: HorizontalFlip(p=1.5), ValueError, "p must be"),
    (lambda: Affine(rotate=(10, -10)), ValueError, "rotate must satisfy lo <= hi"),
    (lambda: Affine(translate=0.1), ValueError, "translate must be None or a pair"),
    (lambda: Affine(translate=(0.1, 2)), ValueError, r"translate\[1\]"),
    (lambda: Affine(scale=(0, 1)), ValueError, "scale must satisfy 0 < lo"),
    (lambda: Affine(shear=(1, 2, 3)), ValueError, "shear must be None"),
    (lambda: Affine(shear=95), ValueError, "shear must be within"),
    (lambda: Affine(fill_mode="edge"), ValueError, "fill_mode must be one of"),
    (lambda: Affine(interpolation="cubic"), ValueError, "interpolation must be one of"),
    (lambda: ColorJitter(brightness=-1), ValueError, "brightness"),
    (lambda: ColorJitter(brightness=(1.5, 0.5)), ValueError, "brightness must satisfy"),
    (lambda: ChannelShift(shift="5"), TypeError, "shift must be a real number"),
])
def test_bad_arguments_name_themselves(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


def test_inputs_are_never_written(images):
    frozen = images.copy()
    frozen.flags.writeable = False
    Compose(RECIPE)(frozen, masks=np.zeros(frozen.shape[:3], np.uint8))
    np.testing.assert_array_equal(frozen, images)


def test_params_from_another_pipeline_are_refused(images):
    params = Compose([HorizontalFlip()]).sample(np.arange(16), image_shape=(H, W))
    with pytest.raises(ValueError, match="params hold 1 transforms' parameters"):
        Compose(RECIPE).apply(images, params)
    with pytest.raises(TypeError, match="params must be ComposeParams"):
        Compose(RECIPE).apply(images, fastaug.Augment().sample(np.arange(16), image_shape=(H, W)))
