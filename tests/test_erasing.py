"""RandomErasing and CoarseDropout: region ops of the plan, run natively after the warp.

Pixels: against torchvision's functional ``erase`` and albumentations' ``cutout`` at the
rectangles fastaug drew (bit-exact). Sampling: the rectangles' distribution against
torchvision's and albumentations' own samplers (two-sample Kolmogorov-Smirnov distances)."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug
from fastaug import Compose
from fastaug._random import philox4x32
from fastaug.transforms import (Affine, CoarseDropout, ColorJitter, HorizontalFlip, Normalize,
                                OneOf, RandomErasing, RandomResizedCrop, Solarize)

torch = pytest.importorskip("torch")
F = pytest.importorskip("torchvision.transforms.v2.functional")
T = pytest.importorskip("torchvision.transforms.v2")


def _images(n=24, shape=(30, 41, 3), dtype=np.uint8, seed=0):
    x = np.random.default_rng(seed).integers(0, 256, (n,) + shape, dtype=np.uint8)
    return x if dtype == np.uint8 else x.astype(np.float32) / np.float32(255)


def _chw(image):
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def _ks(a, b):
    """The two-sample Kolmogorov-Smirnov distance of samples a and b."""
    grid = np.union1d(a, b)
    ca = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    cb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return np.abs(ca - cb).max()


# ---------------------------------------------------------------- RandomErasing: pixels

@pytest.mark.parametrize("kwargs", [dict(), dict(value=77), dict(value=(10, 200, 3)),
                                    dict(scale=(0.2, 0.6), ratio=(0.5, 2.0), value=255)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_random_erasing_is_torchvisions_erase_at_the_drawn_rectangle(kwargs, dtype, simd_level):
    images = _images(dtype=dtype)
    if dtype == np.float32 and "value" in kwargs:
        value = kwargs["value"]
        kwargs = dict(kwargs, value=tuple(np.divide(value, 255.0)) if isinstance(value, tuple)
                      else value / 255.0)
    compose = Compose([RandomErasing(p=0.7, **kwargs)], seed=3)
    out = compose(images, epoch=2)
    params = out.params.transforms[0]
    assert 0 < params["applied"].sum() < len(images)
    value = np.atleast_1d(compose.transforms[0].value)
    for i, image in enumerate(images):
        if not params["applied"][i]:
            np.testing.assert_array_equal(out.images[i], image)
            continue
        top, left, h, w = (int(params[k][i]) for k in ("top", "left", "height", "width"))
        v = torch.tensor(value, dtype=torch.float32)[:, None, None]
        expected = F.erase(_chw(image), top, left, h, w, v).permute(1, 2, 0).numpy()
        np.testing.assert_array_equal(out.images[i], expected)


def test_random_noise_is_keyed_standard_normal_on_float32():
    images = _images(n=64, dtype=np.float32)
    compose = Compose([RandomErasing(p=1.0, scale=(0.2, 0.3), value="random")], seed=8)
    out = compose(images)
    params = out.params.transforms[0]
    erased = []
    for i in range(64):
        top, left, h, w = (int(params[k][i]) for k in ("top", "left", "height", "width"))
        inside = np.zeros(images.shape[1:3], bool)
        inside[top:top + h, left:left + w] = True
        np.testing.assert_array_equal(out.images[i][~inside], images[i][~inside])
        erased.append(out.images[i][inside].ravel())
    noise = np.concatenate(erased)
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 1) < 0.01
    assert abs(np.mean(np.abs(noise) < 1) - 0.6827) < 0.01
    # The documented words: Box-Muller on Philox(r, c, block, "REG0") under the region key.
    i, top, left = 5, int(params["top"][5]), int(params["left"][5])
    key = params["key"][i].astype(np.uint64)
    words = philox4x32(np.array([[top], [left], [0], [0x52454730]]), key)[:, 0]
    u = (words.astype(np.float64) + 0.5) / 2 ** 32
    radius = np.sqrt(-2 * np.log(u[0]))
    expected = [radius * np.cos(2 * np.pi * u[1]), radius * np.sin(2 * np.pi * u[1]),
                np.sqrt(-2 * np.log(u[2])) * np.cos(2 * np.pi * u[3])]
    np.testing.assert_allclose(out.images[i][top, left], expected, rtol=1e-6, atol=1e-6)
    # Keyed: the same sample in another batch has the same noise.
    again = compose(images[3:7], indices=np.arange(3, 7)).images
    np.testing.assert_array_equal(again, out.images[3:7])


def test_random_noise_on_uint8_is_uniform_bytes():
    images = np.zeros((32, 30, 41, 3), np.uint8)
    out = Compose([RandomErasing(p=1.0, scale=(0.3, 0.3), ratio=(1, 1), value="random")])(images)
    p = out.params.transforms[0]
    counts = np.bincount(out.images.ravel(), minlength=256)
    erased = int((p["height"] * p["width"]).sum()) * 3
    assert abs(counts[1:].sum() - erased * 255 / 256) < 0.02 * erased
    assert counts[1:].std() / counts[1:].mean() < 0.15  # flat over 1..255


def test_erasing_runs_in_order_with_the_colour_ops():
    images = _images()
    value_then_solarize = Compose([RandomErasing(p=1.0, value=200), Solarize(128, p=1.0)],
                                  seed=1)(images)
    p = value_then_solarize.params.transforms[0]
    solarize_then_value = Compose([Solarize(128, p=1.0), RandomErasing(p=1.0, value=200)],
                                  seed=1)(images)
    for i in range(len(images)):
        top, left, h, w = (int(p[k][i]) for k in ("top", "left", "height", "width"))
        assert (value_then_solarize.images[i, top:top + h, left:left + w] == 55).all()
        assert (solarize_then_value.images[i, top:top + h, left:left + w] == 200).all()
        assert h * w > 0


def test_erasing_before_normalize_is_normalised():
    images = _images(dtype=np.float32)
    out = Compose([RandomErasing(p=1.0, value=0.5), Normalize(0.25, 0.5)], seed=2)(images)
    p = out.params.transforms[0]
    top, left, h, w = (int(p[k][0]) for k in ("top", "left", "height", "width"))
    np.testing.assert_allclose(out.images[0, top:top + h, left:left + w], 0.5, rtol=1e-6)


def test_erasing_after_a_resized_crop_and_flip_in_the_same_pass():
    images = _images()
    compose = Compose([RandomResizedCrop(16), HorizontalFlip(), RandomErasing(p=1.0, value=9)],
                      seed=6)
    out = compose(images)
    plain = Compose([RandomResizedCrop(16), HorizontalFlip()], seed=6)(images).images
    p = out.params.transforms[2]
    for i in range(len(images)):
        top, left, h, w = (int(p[k][i]) for k in ("top", "left", "height", "width"))
        expected = plain[i].copy()
        expected[top:top + h, left:left + w] = 9
        np.testing.assert_array_equal(out.images[i], expected)


def test_random_erasing_passes_targets_through_and_never_writes_its_input():
    images = _images(8)
    before = images.copy()
    masks = np.random.default_rng(2).integers(0, 4, images.shape[:3], dtype=np.uint8)
    points = np.tile([[3.0, 4.0], [20.0, 10.0]], (8, 1, 1))
    boxes = np.tile([[1.0, 1.0, 30.0, 20.0]], (8, 1, 1))
    out = Compose([RandomErasing(p=1.0)])(images, masks=masks, keypoints=points, boxes=boxes)
    np.testing.assert_array_equal(out.masks, masks)
    np.testing.assert_array_equal(out.keypoints, points)
    assert out.keypoints_visible.all()
    np.testing.assert_array_equal(out.boxes, boxes)
    np.testing.assert_array_equal(images, before)


# ---------------------------------------------------------------- RandomErasing: sampling

@pytest.mark.parametrize("shape, scale, ratio", [((30, 41), (0.02, 0.33), (0.3, 3.3)),
                                                 ((12, 9), (0.3, 0.9), (0.3, 3.3)),
                                                 ((64, 16), (0.05, 0.2), (1.0, 1.0))])
def test_random_erasing_draws_torchvisions_distribution(shape, scale, ratio):
    n = 4000
    params = Compose([RandomErasing(p=1.0, scale=scale, ratio=ratio)], seed=0).sample(
        np.arange(n), image_shape=shape).transforms[0]
    ours = {k: np.where(params["applied"], params[k], -1) for k in ("top", "left", "height",
                                                                    "width")}
    torch.manual_seed(0)
    reference = T.RandomErasing(p=1.0, scale=scale, ratio=ratio)
    image = torch.zeros((3,) + shape, dtype=torch.uint8)
    theirs = {k: [] for k in ours}
    for _ in range(n):
        p = reference.make_params([image])
        erased = p["v"] is not None
        for k, name in (("top", "i"), ("left", "j"), ("height", "h"), ("width", "w")):
            theirs[k].append(p[name] if erased else -1)
    for k in ours:
        assert _ks(ours[k], np.array(theirs[k])) < 0.045, k  # alpha ~ 0.001 for n = 4000
    no_erase = np.mean(~params["applied"])
    assert abs(no_erase - np.mean(np.array(theirs["height"]) < 0)) < 0.03


# ---------------------------------------------------------------- CoarseDropout

def _holes(params, i):
    """(x_min, y_min, x_max, y_max) holes of image i, albumentations' layout."""
    count = int(params["count"][i])
    top, left, h, w = (params["holes"][i, :count, k].astype(int) for k in range(4))
    return np.stack([left, top, left + w, top + h], 1)


@pytest.mark.parametrize("fill", [0, 130, (1, 2, 250)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_coarse_dropout_is_albumentations_cutout_at_the_drawn_holes(fill, dtype, simd_level):
    cutout = pytest.importorskip("albumentations.augmentations.dropout.functional").cutout
    images = _images(dtype=dtype)
    if dtype == np.float32:
        fill = tuple(np.divide(fill, 255.0)) if isinstance(fill, tuple) else fill / 255.0
    compose = Compose([CoarseDropout((1, 5), (2, 9), (3, 12), fill=fill, p=0.8)], seed=4)
    out = compose(images)
    params = out.params.transforms[0]
    assert 0 < params["applied"].sum() < len(images)
    for i, image in enumerate(images):
        expected = cutout(image, _holes(params, i), fill, np.random.default_rng(0))
        np.testing.assert_array_equal(out.images[i], expected)


def test_coarse_dropout_random_fills():
    images = np.zeros((16, 30, 41, 3), np.float32)
    out = Compose([CoarseDropout((3, 3), (0.2, 0.4), (0.2, 0.4), fill="random_uniform", p=1.0)],
                  seed=2)(images)
    params = out.params.transforms[0]
    colours = []
    for i in range(16):
        covered = np.zeros((30, 41), bool)
        for x0, y0, x1, y1 in _holes(params, i):
            covered[y0:y1, x0:x1] = True
        assert (out.images[i][~covered] == 0).all()
        x0, y0, x1, y1 = _holes(params, i)[-1]  # the last hole is all in view: one colour
        colour = out.images[i, y0:y1, x0:x1].reshape(-1, 3)
        assert (colour == colour[0]).all() and (colour[0] > 0).all() and (colour[0] < 1).all()
        colours.append(colour[0])
    assert len({tuple(c) for c in colours}) == 16
    noisy = Compose([CoarseDropout((2, 2), (10, 10), (10, 10), fill="random", p=1.0)],
                    seed=2)(np.zeros((16, 30, 41, 3), np.uint8))
    values = noisy.images[noisy.images > 0]
    assert values.size > 0.5 * 16 * 100 * 3  # two 10x10 holes, overlapping at most fully
    assert abs(values.mean() - 128) < 3


def _reference_holes(reference, shape):
    """The holes albumentations' CoarseDropout draws for an image of `shape`."""
    image = np.zeros(shape + (3,), np.uint8)
    if hasattr(reference, "get_params_dependent_on_data"):  # albumentations 2.0
        return reference.get_params_dependent_on_data({"shape": image.shape}, {})["holes"]
    reference(image=image)  # AlbumentationsX records what it drew
    return reference.get_applied_params()["params"]["holes"]


def test_coarse_dropout_sizes_follow_albumentations_rules():
    A = pytest.importorskip("albumentations")
    n, shape = 3000, (30, 41)
    for ranges in [((2, 9), (3, 60)), ((0.1, 0.3), (0.05, 0.5))]:
        ours = Compose([CoarseDropout((1, 4), *ranges, p=1.0)], seed=1).sample(
            np.arange(n), image_shape=shape).transforms[0]
        reference = A.CoarseDropout(num_holes_range=(1, 4), hole_height_range=ranges[0],
                                    hole_width_range=ranges[1], p=1.0)
        reference.set_random_seed(0)
        theirs = [_reference_holes(reference, shape) for _ in range(n)]
        assert _ks(ours["count"], np.array([len(h) for h in theirs])) < 0.05
        first = ours["holes"][:, 0]
        mine = {"top": first[:, 0], "left": first[:, 1], "height": first[:, 2],
                "width": first[:, 3]}
        h0 = np.array([h[0] for h in theirs])
        ref = {"top": h0[:, 1], "left": h0[:, 0], "height": h0[:, 3] - h0[:, 1],
               "width": h0[:, 2] - h0[:, 0]}
        for k in mine:
            assert _ks(mine[k], ref[k]) < 0.05, (ranges, k)
        assert first[:, 2].max() <= shape[0] and first[:, 3].max() <= shape[1]


def test_coarse_dropout_fills_masks_and_hides_keypoints_in_holes():
    images = _images(12)
    masks = np.full(images.shape[:3], 3, np.uint8)
    grid = np.stack(np.meshgrid(np.arange(0, 41, 4.0), np.arange(0, 30, 3.0)), -1).reshape(-1, 2)
    points = np.tile(grid, (12, 1, 1))
    boxes = np.tile([[1.0, 1.0, 30.0, 20.0]], (12, 1, 1))
    out = Compose([CoarseDropout((2, 4), (4, 10), (4, 10), fill=0, fill_mask=7, p=1.0)],
                  seed=5)(images, masks=masks, keypoints=points, boxes=boxes)
    params = out.params.transforms[0]
    for i in range(12):
        holes = np.zeros(images.shape[1:3], bool)
        for x0, y0, x1, y1 in _holes(params, i):
            holes[y0:y1, x0:x1] = True
        np.testing.assert_array_equal(out.masks[i], np.where(holes, 7, 3))
        on_hole = holes[points[i, :, 1].astype(int), points[i, :, 0].astype(int)]
        np.testing.assert_array_equal(out.keypoints_visible[i], ~on_hole)
        assert on_hole.any() or not holes.any()
    np.testing.assert_array_equal(out.boxes, boxes)
    plain = Compose([CoarseDropout((2, 4), (4, 10), (4, 10), p=1.0)], seed=5)(
        images, masks=masks)
    np.testing.assert_array_equal(plain.masks, masks)


def test_region_transforms_inside_containers_and_keyed_draws():
    images = _images()
    compose = Compose([OneOf([RandomErasing(p=1.0, value=1), CoarseDropout(fill=2, p=1.0)])],
                      seed=3)
    out = compose(images)
    choice = out.params.transforms[0]["choice"][:, 0]
    assert set(choice.tolist()) == {0, 1}
    alone = [Compose([t], seed=3)(images).images for t in compose.transforms[0].transforms]
    for i, c in enumerate(choice):
        np.testing.assert_array_equal(out.images[i], alone[c][i])
    np.testing.assert_array_equal(compose(images[5], indices=5).images, out.images[5])


@pytest.mark.parametrize("make, exc, msg", [
    (lambda: RandomErasing(scale=(0.5, 0.1)), ValueError, "scale must satisfy"),
    (lambda: RandomErasing(scale=(0.1, 2)), ValueError, "scale must satisfy"),
    (lambda: RandomErasing(ratio=(0, 1)), ValueError, "ratio must satisfy"),
    (lambda: RandomErasing(value="noise"), ValueError, "value must be a number"),
    (lambda: RandomErasing(value=None), TypeError, "value must be a number"),
    (lambda: RandomErasing(value=float("nan")), ValueError, "value"),
    (lambda: CoarseDropout(num_holes_range=(0, 2)), ValueError, "num_holes_range"),
    (lambda: CoarseDropout(num_holes_range=(3, 2)), ValueError, "num_holes_range"),
    (lambda: CoarseDropout(num_holes_range=(1, 40)), ValueError, "num_holes_range"),
    (lambda: CoarseDropout(hole_height_range=(2.5, 4)), ValueError, "whole pixels"),
    (lambda: CoarseDropout(hole_height_range=(2, 4)), ValueError, "both be pixels"),
    (lambda: CoarseDropout(fill="inpaint_ns"), ValueError, "fill must be"),
    (lambda: CoarseDropout(fill_mask="x"), TypeError, "fill_mask"),
    (lambda: Compose([RandomErasing(), Affine(rotate=3)])(_images(2)), ValueError,
     "cannot follow a region transform"),
    (lambda: Compose([CoarseDropout(), HorizontalFlip()])(_images(2)), ValueError,
     "cannot follow a region transform"),
    (lambda: Compose([RandomErasing(p=1.0, value=(1, 2))])(_images(2)), ValueError,
     "RandomErasing: its fill has 2 values; the images have 3 channels"),
    (lambda: Compose([RandomErasing(p=1.0, value=300)])(_images(2)), ValueError,
     r"in \[0, 255\] for uint8"),
    (lambda: Compose([CoarseDropout((32, 32))] * 2)(_images(2)), ValueError,
     "at most 32 region ops"),
    (lambda: Compose([CoarseDropout(fill_mask=1.5, p=1.0)])(_images(2), masks=np.zeros(
        (2, 30, 41), np.uint8)), ValueError, "mask_fill=1.5 is not a value"),
])
def test_bad_arguments_name_themselves(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


def test_configs_round_trip_and_names_are_public():
    compose = Compose([RandomErasing(value=(1, 2, 3)), CoarseDropout((1, 3), fill="random",
                                                                     fill_mask=0)], seed=2)
    for again in (Compose.from_json(compose.to_json()), Compose.from_toml(compose.to_toml())):
        assert again.transforms == compose.transforms
    assert fastaug.RandomErasing is RandomErasing and "CoarseDropout" in fastaug.__all__


def test_a_colour_op_after_erasing_changes_the_erased_pixels():
    images = _images(6)
    out = Compose([RandomErasing(p=1.0, value=100), ColorJitter(brightness=(0.5, 0.5))],
                  seed=1)(images)
    p = out.params.transforms[0]
    for i in range(6):
        top, left, h, w = (int(p[k][i]) for k in ("top", "left", "height", "width"))
        assert (out.images[i, top:top + h, left:left + w] == 50).all()


def test_erasing_keeps_its_place_when_some_images_skip_the_colour_ops():
    images = _images(40)
    compose = Compose([Solarize(128, p=0.5), RandomErasing(p=1.0, value=7), Solarize(0, p=0.5)],
                      seed=3)
    out = compose(images)
    erase, last = out.params.transforms[1], out.params.transforms[2]["applied"]
    assert 0 < last.sum() < 40 and 0 < out.params.transforms[0]["applied"].sum() < 40
    for i in range(40):
        top, left, h, w = (int(erase[k][i]) for k in ("top", "left", "height", "width"))
        assert (out.images[i, top:top + h, left:left + w] == (248 if last[i] else 7)).all()
