"""fastaug.Augment: per-sample reproducibility (batch size, threads, access order), the
counter-based generator, masks and keypoints following the image, photometric steps,
read-only inputs and bad arguments."""
import dataclasses
import pathlib
import pickle
import re

import numpy as np
import pytest

import fastaug
from fastaug._random import philox4x32

H, W = 24, 30
FULL = dict(rotation=25, width_shift=0.1, height_shift=0.15, shear=8, zoom=(0.8, 1.2),
            horizontal_flip=True, vertical_flip=True, brightness=(0.7, 1.3), channel_shift=20,
            seed=1234)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (32, H, W, 3), dtype=np.uint8)
    masks = rng.integers(0, 5, (32, H, W), dtype=np.uint8)
    keypoints = rng.uniform(0, min(H, W) - 1, (32, 4, 2))
    indices = rng.permutation(1000)[:32]
    return images, masks, keypoints, indices


def run(aug, images, masks, keypoints, indices, epoch=3):
    return aug(images, indices=indices, epoch=epoch, masks=masks, keypoints=keypoints)


def assert_same(a, b):
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.keypoints, b.keypoints)
    np.testing.assert_array_equal(a.keypoints_visible, b.keypoints_visible)


# ---------------------------------------------------------------- the generator

@pytest.mark.parametrize("counter, key, expected", [
    # Random123's known answers for philox4x32-10 (tests/kat_vectors).
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
])
def test_philox_known_answers(counter, key, expected):
    lanes = np.array(counter, dtype=np.uint64)[:, None].repeat(3, axis=1)
    out = philox4x32(lanes, key)
    assert out.dtype == np.uint32
    for lane in range(3):
        assert out[:, lane].tolist() == expected


def test_parameters_are_uniform_over_their_ranges():
    aug = fastaug.Augment(**FULL)
    p = aug.sample(np.arange(20000), epoch=0, image_shape=(H, W))
    for values, lo, hi in ((p.rotation, -25, 25), (p.shear, -8, 8), (p.shift_x, -3, 3),
                           (p.shift_y, -3.6, 3.6), (p.zoom_x, 0.8, 1.2), (p.zoom_y, 0.8, 1.2),
                           (p.brightness, 0.7, 1.3), (p.channel_shift, -20, 20)):
        assert lo <= values.min() and values.max() <= hi
        counts, _ = np.histogram(values, bins=10, range=(lo, hi))
        assert counts.min() > 1700 and counts.max() < 2300  # 2000 expected per bin
    for flips in (p.flip_horizontal, p.flip_vertical):
        assert 0.48 < flips.mean() < 0.52
    # Parameters drawn from different words are not correlated.
    assert abs(np.corrcoef(p.rotation, p.shear)[0, 1]) < 0.03
    assert abs(np.corrcoef(p.zoom_x, p.zoom_y)[0, 1]) < 0.03


def test_sampling_is_a_pure_function_of_seed_epoch_index():
    aug = fastaug.Augment(**FULL)
    idx = np.array([5, 999, 2 ** 40 + 3, 0])
    whole = aug.sample(idx, epoch=2, image_shape=(H, W))
    for k, i in enumerate(idx):
        one = aug.sample(int(i), epoch=2, image_shape=(H, W))
        for field in ("rotation", "shift_x", "zoom_y", "flip_vertical", "brightness"):
            assert getattr(one, field)[0] == getattr(whole, field)[k]
    # Indices that differ only above bit 32 get different transforms.
    high = aug.sample([3, 2 ** 40 + 3], epoch=2, image_shape=(H, W))
    assert high.rotation[0] != high.rotation[1]


def test_enabling_an_option_leaves_the_others_draws_alone():
    base = fastaug.Augment(rotation=30, seed=5).sample(np.arange(50), image_shape=(H, W))
    more = fastaug.Augment(rotation=30, brightness=0.3, horizontal_flip=True, zoom=0.1,
                           seed=5).sample(np.arange(50), image_shape=(H, W))
    np.testing.assert_array_equal(base.rotation, more.rotation)


# ---------------------------------------------------------------- reproducibility

def test_same_result_for_batch_sizes_1_7_32(data):
    images, masks, keypoints, indices = data
    aug = fastaug.Augment(**FULL)
    whole = run(aug, images, masks, keypoints, indices)
    for size in (1, 7):
        parts = [run(aug, images[s:s + size], masks[s:s + size], keypoints[s:s + size],
                     indices[s:s + size]) for s in range(0, len(images), size)]
        np.testing.assert_array_equal(np.concatenate([p.images for p in parts]), whole.images)
        np.testing.assert_array_equal(np.concatenate([p.masks for p in parts]), whole.masks)
        np.testing.assert_array_equal(np.concatenate([p.keypoints for p in parts]),
                                      whole.keypoints)


def test_same_result_for_thread_counts(data):
    images, masks, keypoints, indices = data
    results = [run(fastaug.Augment(**FULL, num_threads=t), images, masks, keypoints, indices)
               for t in (1, 2)]
    assert_same(*results)


def test_same_result_in_shuffled_order(data):
    images, masks, keypoints, indices = data
    aug = fastaug.Augment(**FULL)
    whole = run(aug, images, masks, keypoints, indices)
    order = np.random.default_rng(3).permutation(len(images))
    shuffled = run(aug, images[order], masks[order], keypoints[order], indices[order])
    np.testing.assert_array_equal(shuffled.images, whole.images[order])
    np.testing.assert_array_equal(shuffled.masks, whole.masks[order])
    np.testing.assert_array_equal(shuffled.keypoints, whole.keypoints[order])


def test_epochs_and_seeds_change_every_sample(data):
    images, masks, keypoints, indices = data
    base = run(fastaug.Augment(**FULL), images, masks, keypoints, indices, epoch=3)
    for other in (run(fastaug.Augment(**FULL), images, masks, keypoints, indices, epoch=4),
                  run(fastaug.Augment(**{**FULL, "seed": 1235}), images, masks, keypoints,
                      indices, epoch=3)):
        assert (other.params.rotation != base.params.rotation).all()
        differs = (other.images != base.images).reshape(len(images), -1).any(axis=1)
        assert differs.all()
    again = run(fastaug.Augment(**FULL), images, masks, keypoints, indices, epoch=3)
    assert_same(base, again)


def test_pickled_copies_give_the_same_result(data):
    # Workers and actors get pickled copies: Augment holds no random state to diverge.
    images, masks, keypoints, indices = data
    aug = fastaug.Augment(**FULL)
    copy = pickle.loads(pickle.dumps(aug))
    assert_same(run(copy, images, masks, keypoints, indices),
                run(aug, images, masks, keypoints, indices))


def test_sample_then_apply_equals_call(data):
    images, masks, keypoints, indices = data
    aug = fastaug.Augment(**FULL)
    params = aug.sample(indices, epoch=3, image_shape=images.shape[1:])
    assert_same(aug.apply(images, params, masks=masks, keypoints=keypoints),
                run(aug, images, masks, keypoints, indices))


def test_mixed_photometric_batch_matches_each_image_alone(data, simd_level):
    # Hand-made parameters where only some images have a photometric step: each image's
    # result must not depend on its neighbours. Half-pixel shifts make rounding ties, where
    # a uint8 warp (half up) and a float32 pass (half to even) would disagree.
    images = data[0][:6]
    aug = fastaug.Augment(seed=2)
    params = aug.sample(np.arange(6), image_shape=(H, W))
    params = dataclasses.replace(params, shift_x=np.full(6, 0.5), brightness=np.array(
        [np.nan, 1.2, np.nan, 0.8, 1.0, np.nan]))
    batch = aug.apply(images, params).images
    for k in range(6):
        alone = dataclasses.replace(params, **{f: getattr(params, f)[k:k + 1] for f in (
            "indices", "rotation", "shift_x", "shift_y", "shear", "zoom_x", "zoom_y",
            "flip_horizontal", "flip_vertical", "brightness", "channel_shift")})
        np.testing.assert_array_equal(aug.apply(images[k:k + 1], alone).images[0], batch[k])


# ---------------------------------------------------------------- images

@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_identity_settings_return_the_input(dtype):
    images = np.random.default_rng(0).integers(0, 256, (4, H, W, 3)).astype(dtype)
    res = fastaug.Augment()(images, masks=images[..., 0].astype(np.int32))
    assert res.images.dtype == dtype
    np.testing.assert_array_equal(res.images, images)
    np.testing.assert_array_equal(res.masks, images[..., 0])


def test_flips_mirror_images_and_masks_exactly(data):
    images, masks, _, indices = data
    res = fastaug.Augment(horizontal_flip=True, vertical_flip=True, seed=8)(
        images, indices=indices, masks=masks)
    p = res.params
    assert p.flip_horizontal.any() and (~p.flip_horizontal).any()
    for k in range(len(images)):
        want, want_mask = images[k], masks[k]
        if p.flip_horizontal[k]:
            want, want_mask = want[:, ::-1], want_mask[:, ::-1]
        if p.flip_vertical[k]:
            want, want_mask = want[::-1], want_mask[::-1]
        np.testing.assert_array_equal(res.images[k], want)
        np.testing.assert_array_equal(res.masks[k], want_mask)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_brightness_and_channel_shift(dtype):
    images = np.random.default_rng(1).integers(0, 256, (16, 8, 9, 3)).astype(dtype)
    aug = fastaug.Augment(brightness=(0.5, 1.5), channel_shift=30)
    res = aug(images)
    f = res.params.brightness.astype(np.float32)[:, None, None, None]
    s = res.params.channel_shift.astype(np.float32)[:, None, None, None]
    want = images.astype(np.float32) * f + s
    if dtype == np.uint8:
        want = np.clip(np.rint(want), 0, 255)
    assert res.images.dtype == dtype
    np.testing.assert_array_equal(res.images, want.astype(dtype))


def test_out_dtype_float32_from_uint8(data):
    images = data[0][:4]
    as_float = fastaug.Augment(rotation=15, out_dtype=np.float32, order=0)(images).images
    as_u8 = fastaug.Augment(rotation=15, order=0)(images).images
    assert as_float.dtype == np.float32
    np.testing.assert_array_equal(as_float, as_u8.astype(np.float32))


def test_single_images_match_batches(data):
    images, masks, _, _ = data
    aug = fastaug.Augment(**FULL)
    batch = aug(images[:2], indices=[11, 12], masks=masks[:2])
    one = aug(images[1], indices=12, masks=masks[1], keypoints=np.zeros((3, 2)))
    np.testing.assert_array_equal(one.images, batch.images[1])
    np.testing.assert_array_equal(one.masks, batch.masks[1])
    assert one.keypoints.shape == (3, 2) and one.keypoints_visible.shape == (3,)
    gray = aug(images[:2, ..., 0], indices=[11, 12]).images  # (N, H, W) batch
    assert gray.shape == (2, H, W)
    np.testing.assert_array_equal(aug(images[1, ..., 0], indices=12).images, gray[1])
    assert aug(images[0]).images.shape == (H, W, 3)  # (H, W, C), index 0


def test_read_only_and_strided_inputs_are_never_written(data):
    images, masks, keypoints, indices = data
    wide = np.zeros((32, H, W * 2, 3), np.uint8)
    wide[:, :, ::2] = images
    strided = wide[:, :, ::2]
    inputs = [strided, masks.copy(), keypoints.copy(), [np.array([[1.0, 2.0, 9.0, 9.0]])] * 32]
    for arr in (strided, inputs[1], inputs[2], *inputs[3]):
        arr.setflags(write=False)
    before = [np.copy(a) for a in inputs[:3]]
    aug = fastaug.Augment(**FULL)
    res = aug(strided, indices=indices, epoch=3, masks=inputs[1], keypoints=inputs[2],
              boxes=inputs[3])
    for a, b in zip(inputs[:3], before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(res.images, run(aug, images, masks, keypoints,
                                                  indices).images)
    assert res.images.flags.writeable


# ---------------------------------------------------------------- masks and keypoints

def rectangle_batch(n, h=40, w=48, box=(12, 10, 34, 28)):
    x0, y0, x1, y1 = box
    masks = np.zeros((n, h, w), np.uint8)
    masks[:, y0:y1, x0:x1] = 1
    return masks, [np.array([box], np.float64)] * n


def test_mask_stays_inside_the_transformed_box():
    masks, boxes = rectangle_batch(48)
    aug = fastaug.Augment(rotation=40, width_shift=0.3, height_shift=0.3, shear=15, zoom=0.25,
                          horizontal_flip=True, vertical_flip=True, seed=21)
    res = aug(masks.astype(np.float32), masks=masks, boxes=boxes)
    checked = 0
    for k in range(len(masks)):
        rows, cols = np.nonzero(res.masks[k])
        if len(res.box_indices[k]) == 0:
            assert rows.size == 0
            continue
        x0, y0, x1, y1 = res.boxes[k][0]
        # Pixel (r, c) covers [c, c+1] x [r, r+1] in the boxes' edge coordinates.
        assert cols.min() >= x0 - 1 and cols.max() + 1 <= x1 + 1
        assert rows.min() >= y0 - 1 and rows.max() + 1 <= y1 + 1
        # The box is tight: the mask reaches within 2 px of each side.
        assert cols.min() <= x0 + 2 and cols.max() + 1 >= x1 - 2
        assert rows.min() <= y0 + 2 and rows.max() + 1 >= y1 - 2
        checked += 1
    assert checked > 30


def test_keypoints_follow_bright_pixels():
    # One 3x3 blob per channel, centred on a corner of a rectangle; the warped blob's
    # intensity centroid must sit where the keypoint went.
    h, w = 40, 48
    corners = np.array([[14.0, 12.0], [33.0, 12.0], [14.0, 27.0], [33.0, 27.0]])
    image = np.zeros((h, w, 4), np.float32)
    for k, (x, y) in enumerate(corners.astype(int)):
        image[y - 1:y + 2, x - 1:x + 2, k] = 1.0
    n = 24
    images = np.broadcast_to(image, (n, h, w, 4))
    aug = fastaug.Augment(rotation=35, width_shift=0.05, height_shift=0.05, shear=10,
                          zoom=(0.8, 1.2), horizontal_flip=True, vertical_flip=True,
                          fill_mode="constant", seed=5)
    res = aug(images, keypoints=np.broadcast_to(corners, (n, 4, 2)))
    assert res.keypoints_visible.all()
    rr, cc = np.mgrid[0:h, 0:w]
    for i in range(n):
        for k in range(4):
            weight = res.images[i, :, :, k]
            centroid = [(weight * cc).sum() / weight.sum(), (weight * rr).sum() / weight.sum()]
            np.testing.assert_allclose(centroid, res.keypoints[i, k], atol=1.0)


@pytest.mark.parametrize("dtype, high", [(np.uint8, 200), (bool, 1), (np.int32, 70000),
                                         (np.int64, 2 ** 40), (np.uint16, 60000),
                                         (np.float32, 3), (np.float64, 1e300)])
def test_mask_dtypes_keep_values_and_geometry(dtype, high):
    labels = np.random.default_rng(4).integers(0, 2, (6, H, W, 2))
    masks = (labels * high).astype(dtype)
    aug = fastaug.Augment(rotation=30, zoom=0.2, width_shift=0.2, horizontal_flip=True,
                          seed=6)
    res = aug(np.zeros((6, H, W), np.uint8), masks=masks)
    reference = aug(np.zeros((6, H, W), np.uint8), masks=labels.astype(np.uint8)).masks
    assert res.masks.dtype == masks.dtype and res.masks.shape == masks.shape
    np.testing.assert_array_equal(res.masks, (reference.astype(np.int64) * high).astype(dtype))


def test_mask_fill_shows_outside_the_source():
    aug = fastaug.Augment(mask_fill=255)
    params = aug.sample([0], image_shape=(H, W))
    params = dataclasses.replace(params, shift_x=np.array([5.0]))
    res = aug.apply(np.zeros((1, H, W), np.uint8), params, masks=np.ones((1, H, W), np.uint8))
    assert (res.masks[0, :, :5] == 255).all() and (res.masks[0, :, 5:] == 1).all()


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(rotation=-1), ValueError, "rotation"),
    (dict(rotation="5"), TypeError, "rotation"),
    (dict(width_shift=1.5), ValueError, "width_shift"),
    (dict(height_shift=np.nan), ValueError, "height_shift"),
    (dict(shear=90), ValueError, "shear"),
    (dict(zoom=(1.2, 0.8)), ValueError, "zoom"),
    (dict(zoom=(0.0, 1.0)), ValueError, "zoom"),
    (dict(zoom=(1, 2, 3)), ValueError, "zoom"),
    (dict(horizontal_flip=1), TypeError, "horizontal_flip"),
    (dict(brightness=(-0.5, 1.0)), ValueError, "brightness"),
    (dict(channel_shift=-3), ValueError, "channel_shift"),
    (dict(fill_mode="edge"), ValueError, "fill_mode"),
    (dict(cval=np.inf), ValueError, "cval"),
    (dict(order=3), ValueError, "order"),
    (dict(order=1.0), TypeError, "order"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=2 ** 64), ValueError, "seed"),
    (dict(seed=None), TypeError, "seed"),
    (dict(min_box_visibility=1.5), ValueError, "min_box_visibility"),
    (dict(out_dtype=np.float64), TypeError, "out_dtype"),
    (dict(num_threads=-1), ValueError, "num_threads"),
    (dict(mask_fill="x"), TypeError, "mask_fill"),
])
def test_bad_constructor_arguments(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fastaug.Augment(**kwargs)


IMG = np.zeros((2, 8, 8, 3), np.uint8)


@pytest.mark.parametrize("call, exc, name", [
    (lambda a: a([[1, 2]]), TypeError, "images"),
    (lambda a: a(IMG.astype(np.float64)), TypeError, "images"),
    (lambda a: a(np.zeros((2, 2, 8, 8, 3), np.uint8)), ValueError, "images"),
    (lambda a: a(np.zeros((2, 8, 8, 0), np.uint8)), ValueError, "images"),
    (lambda a: a(np.zeros((2, 0, 8, 3), np.uint8)), ValueError, "images"),
    (lambda a: a(IMG.astype(">f4")), TypeError, "images"),
    (lambda a: a(IMG, indices=[0.5, 1.5]), TypeError, "indices"),
    (lambda a: a(IMG, indices=np.array([2 ** 63 + 5, 1], np.uint64)), ValueError, "indices"),
    (lambda a: a(IMG, indices=[0, -1]), ValueError, "indices"),
    (lambda a: a(IMG, indices=[0, 1, 2]), ValueError, "indices"),
    (lambda a: a(IMG, indices=[[0, 1]]), ValueError, "indices"),
    (lambda a: a(IMG, indices=3), ValueError, "indices"),
    (lambda a: a(IMG, epoch=-1), ValueError, "epoch"),
    (lambda a: a(IMG, epoch=1.0), TypeError, "epoch"),
    (lambda a: a(IMG, masks=np.zeros((2, 8, 7), np.uint8)), ValueError, "masks"),
    (lambda a: a(IMG, masks=[[0]]), TypeError, "masks"),
    (lambda a: a(IMG, masks=np.zeros((2, 8, 8, 0), np.uint8)), ValueError, "masks"),
    (lambda a: a(IMG, masks=np.zeros((2, 8, 8, 1, 1), np.uint8)), ValueError, "masks"),
    (lambda a: a(IMG, masks=np.zeros((2, 8, 8), object)), TypeError, "masks"),
    (lambda a: a(IMG, masks=np.zeros((2, 8, 8), np.int8) + 1,), None, None),
    (lambda a: a.sample([0, 1]), TypeError, "image_shape"),
    (lambda a: a.sample([0, 1], image_shape=(0, 5)), ValueError, "image_shape"),
    (lambda a: a.apply(IMG, {"rotation": 1}), TypeError, "params"),
    (lambda a: a.apply(IMG, a.sample([0, 1], image_shape=(8, 9))), ValueError, "params"),
    (lambda a: a.apply(IMG, a.sample([0, 1, 2], image_shape=(8, 8))), ValueError, "params"),
])
def test_bad_call_arguments(call, exc, name):
    aug = fastaug.Augment(rotation=10)
    if exc is None:
        call(aug)  # the control case: valid input goes through
        return
    with pytest.raises(exc, match=name):
        call(aug)


@pytest.mark.parametrize("field, value, exc", [
    ("rotation", np.array([1.0, np.nan]), ValueError),
    ("shift_x", np.array([1.0, np.inf]), ValueError),
    ("zoom_y", np.array([1.0, 0.0]), ValueError),
    ("shear", np.array([90.0, 0.0]), ValueError),
    ("brightness", np.array([1.0]), ValueError),
    ("channel_shift", np.array([np.inf, np.nan]), ValueError),
    ("flip_vertical", np.array([1.0, 0.0]), TypeError),
    ("rotation", [1.0, 2.0], ValueError),
])
def test_bad_hand_made_params(field, value, exc):
    aug = fastaug.Augment()
    params = dataclasses.replace(aug.sample([0, 1], image_shape=(8, 8)), **{field: value})
    with pytest.raises(exc, match=f"params.{field}"):
        aug.apply(IMG, params)


@pytest.mark.parametrize("dtype, fill", [(np.uint8, 256), (np.uint8, -1), (np.int8, 0.5),
                                         (bool, 2)])
def test_mask_fill_must_fit_the_mask_dtype(dtype, fill):
    aug = fastaug.Augment(mask_fill=fill)
    with pytest.raises(ValueError, match="mask_fill"):
        aug(IMG, masks=np.zeros((2, 8, 8), dtype))


def test_documented_example_runs():
    doc = pathlib.Path(__file__).resolve().parents[1] / "docs" / "augment.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(doc), "exec"), {})


def test_channels_first_batches_need_layout():
    batch = np.random.default_rng(0).integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
    with pytest.raises(ValueError, match="layout='NCHW' to Augment"):
        fastaug.Augment(horizontal_flip=True)(batch)
    nhwc = fastaug.Augment(rotation=10, seed=3)(np.ascontiguousarray(batch.transpose(0, 2, 3, 1)))
    nchw = fastaug.Augment(rotation=10, seed=3, layout="NCHW")(batch)
    np.testing.assert_array_equal(nchw.images, nhwc.images.transpose(0, 3, 1, 2))


def test_num_threads_is_checked_in_the_constructor():
    with pytest.raises(ValueError, match=r"num_threads must be in \[0, 1025\)"):
        fastaug.Augment(num_threads=5000)
