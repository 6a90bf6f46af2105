"""RandAugment and TrivialAugmentWide: torchvision's op lists and magnitude bins, each op
equal (uint8, bit-exact) to torchvision's own ``_apply_image_or_video_transform`` at the same
magnitude, and whole policies equal to replaying the drawn ops through torchvision.

The geometric ops sample torch's float32 grid, whose last rounding depends on the code path
torch's CPU matrix product takes on the machine (fused multiply-adds on some AVX-512 CPUs,
not on AVX2 ones). A sample position within that rounding of a pixel edge may then land on
either pixel: such positions are found from the grid torch itself built, and only those
pixels are exempt from the exact comparison."""
from __future__ import annotations

import numpy as np
import pytest

import fastaug
from fastaug import Compose
from fastaug.transforms import (HorizontalFlip, OneOf, RandAugment, RandomResizedCrop,
                                TrivialAugmentWide)
from fastaug.transforms.autoaugment import (OPS, RAND_AUGMENT_SPACE,
                                            TRIVIAL_AUGMENT_WIDE_SPACE)

torch = pytest.importorskip("torch")
T = pytest.importorskip("torchvision.transforms.v2")

SIGNED = {"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
          "Contrast", "Sharpness"}
SPACES = {RandAugment: (RAND_AUGMENT_SPACE, T.RandAugment),
          TrivialAugmentWide: (TRIVIAL_AUGMENT_WIDE_SPACE, T.TrivialAugmentWide)}


def _images(n=6, shape=(30, 41, 3), dtype=np.uint8, seed=0):
    x = np.random.default_rng(seed).integers(0, 256, (n,) + shape, dtype=np.uint8)
    x[1] = x[1] // 3 + 60
    return x if dtype == np.uint8 else x.astype(np.float32) / np.float32(255)


GEOMETRIC = {"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"}
# How close (in pixels) a sample position may come to a pixel edge before the rounding of
# torch's grid can move it across: far above float32's error on these grids (~1e-5 px).
EDGE_MARGIN = 1e-3


def _reference(image, ops, fill=None, monkeypatch=None):
    """torchvision's ops in order on one HWC image: ops = [(name, magnitude), ...]. With
    ``monkeypatch``, also the (H, W) mask of pixels whose sample position in torch's grid lies
    within EDGE_MARGIN of a pixel edge (one op only)."""
    from torchvision.transforms.v2.functional import _geometry

    grids = []
    if monkeypatch is not None:
        sample = _geometry.grid_sample

        def recording(img, grid, **kwargs):
            grids.append(grid.detach().numpy().astype(np.float64))
            return sample(img, grid, **kwargs)
        monkeypatch.setattr(_geometry, "grid_sample", recording)
    t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()
    apply = T.RandAugment()._apply_image_or_video_transform
    for name, magnitude in ops:
        t = apply(t, name, magnitude, interpolation=T.InterpolationMode.NEAREST,
                  fill={"others": fill})
    out = t.permute(1, 2, 0).numpy()
    if monkeypatch is None:
        return out
    monkeypatch.undo()
    near_edge = np.zeros(image.shape[:2], bool)
    for grid in grids:
        size = np.array([image.shape[1], image.shape[0]], np.float64)
        position = (grid[0] + 1) * size / 2 - 0.5  # grid_sample's unnormalisation
        near_edge |= (np.abs(position - np.floor(position) - 0.5) < EDGE_MARGIN).any(axis=-1)
    return out, near_edge


@pytest.mark.parametrize("cls", [RandAugment, TrivialAugmentWide])
@pytest.mark.parametrize("bins, size", [(31, (30, 41)), (10, (224, 224)), (2, (7, 5))])
def test_magnitude_bins_are_torchvisions(cls, bins, size):
    ours, theirs = SPACES[cls]
    assert tuple(ours) == OPS == tuple(theirs._AUGMENTATION_SPACE)
    for name, table in ours.items():
        expected = theirs._AUGMENTATION_SPACE[name][0](bins, *size)
        assert theirs._AUGMENTATION_SPACE[name][1] == (name in SIGNED)
        if table is None:
            assert expected is None
        else:
            np.testing.assert_array_equal(table(bins, *size), expected.numpy().astype(np.float32))


def _with_ops(compose, images, op, magnitude):
    """Compose's output with every image's (single) op set to ``op`` at ``magnitude``."""
    params = compose.sample(np.arange(len(images)), image_shape=images.shape[1:3])
    p = params.transforms[0]
    p["ops"][:] = OPS.index(op)
    p["magnitude"][:] = magnitude
    return compose.apply(images, params).images


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape", [(30, 41, 3), (32, 32, 3), (19, 23, 1)])
def test_each_op_at_fixed_magnitudes_is_torchvisions(op, shape, monkeypatch):
    images = _images(shape=shape)
    table = TRIVIAL_AUGMENT_WIDE_SPACE[op]
    magnitudes = [0.0] if table is None else sorted(
        {float(v) * s for v in table(31, *shape[:2])[[0, 1, 9, 15, 20, 30]]
         for s in ((1, -1) if op in SIGNED else (1,))})
    exempt = []
    for fill in (None, 77):
        compose = Compose([TrivialAugmentWide(fill=fill)])
        for magnitude in magnitudes:
            got = _with_ops(compose, images, op, magnitude)
            for image, ours in zip(images, got):
                expected, near_edge = _reference(image, [(op, magnitude)], fill, monkeypatch)
                exempt.append(near_edge.mean())
                np.testing.assert_array_equal(ours[~near_edge], expected[~near_edge],
                                              err_msg=f"{op} at {magnitude}")
    # Exempt pixels stay rare: whole images only where every sample is a tie (a 90 degree
    # turn of an image with one odd and one even side).
    assert np.mean(exempt) < 0.25


@pytest.mark.parametrize("op", ["Brightness", "Color", "Contrast", "Posterize", "Solarize",
                                "Rotate", "ShearX", "TranslateY", "AutoContrast"])
def test_ops_on_float32_images_are_torchvisions(op, monkeypatch):
    images = _images(dtype=np.float32)
    table = TRIVIAL_AUGMENT_WIDE_SPACE[op]
    magnitude = 0.0 if table is None else float(table(31, 30, 41)[13])
    got = _with_ops(Compose([TrivialAugmentWide()]), images, op, magnitude)
    for image, ours in zip(images, got):
        expected, near_edge = _reference(image, [(op, magnitude)], None, monkeypatch)
        assert near_edge.mean() < 0.05
        np.testing.assert_allclose(ours[~near_edge], expected[~near_edge], atol=1e-6, rtol=0)


def _drawn_ops(params, position=0):
    """Per image, the (name, magnitude) list transform ``position`` drew."""
    p = params.transforms[position]
    return [[(OPS[k], float(m)) for k, m in zip(p["ops"][i], p["magnitude"][i])]
            for i in range(p["ops"].shape[0])]


@pytest.mark.parametrize("transform", [RandAugment(), RandAugment(num_ops=3, magnitude=20),
                                       TrivialAugmentWide(), TrivialAugmentWide(fill=40)])
def test_whole_policies_replay_through_torchvision(transform, simd_level):
    images = _images(n=40)
    out = Compose([transform], seed=5)(images, epoch=1)
    fill = getattr(transform, "fill", None)
    replayed_with_our_geometry = 0
    for image, ops, got in zip(images, _drawn_ops(out.params), out.images):
        if np.array_equal(got, _reference(image, ops, fill)):
            continue
        # A geometric op met a sample position at a pixel edge (see the module docstring),
        # and a later op may have spread the difference (Equalize, AutoContrast): the
        # policy must still be the same ops, in order, with torchvision's colour ops.
        assert GEOMETRIC & {name for name, _ in ops}, ops
        replayed_with_our_geometry += 1
        np.testing.assert_array_equal(got, _replay_with_our_geometry(image, ops, fill),
                                      err_msg=str(ops))
    assert replayed_with_our_geometry <= len(images) // 4


def _replay_with_our_geometry(image, ops, fill):
    """The ops in order: torchvision's for colour, fastaug's single-op ones for geometry."""
    single = Compose([TrivialAugmentWide(fill=fill)])
    x = image
    for name, magnitude in ops:
        if name in GEOMETRIC:
            x = _with_ops(single, x[np.newaxis], name, magnitude)[0]
        else:
            x = _reference(x, [(name, magnitude)], fill)
    return x


def test_draws_follow_torchvisions_distribution():
    n = 30000
    ra = Compose([RandAugment(num_ops=2, magnitude=9)], seed=1).sample(
        np.arange(n), image_shape=(30, 41)).transforms[0]
    counts = np.bincount(ra["ops"].ravel(), minlength=len(OPS)) / ra["ops"].size
    np.testing.assert_allclose(counts, 1 / len(OPS), atol=0.006)
    assert abs(np.corrcoef(ra["ops"][:, 0], ra["ops"][:, 1])[0, 1]) < 0.02
    rotate = ra["magnitude"][ra["ops"] == OPS.index("Rotate")]
    expected = float(RAND_AUGMENT_SPACE["Rotate"](31, 30, 41)[9])
    assert set(np.round(np.abs(rotate), 5)) == {round(expected, 5)}
    assert abs((rotate < 0).mean() - 0.5) < 0.03
    ta = Compose([TrivialAugmentWide()], seed=1).sample(np.arange(n), image_shape=(30, 41))
    p = ta.transforms[0]
    brightness = p["magnitude"][p["ops"][:, 0] == OPS.index("Brightness"), 0]
    bins = np.round(np.abs(brightness) / (0.99 / 30)).astype(int)
    assert set(bins) == set(range(31))
    np.testing.assert_allclose(np.bincount(bins) / bins.size, 1 / 31, atol=0.015)


def test_after_geometry_in_one_pass_keyed_and_in_containers():
    images = _images(n=12)
    compose = Compose([RandomResizedCrop(24), HorizontalFlip(), RandAugment()], seed=3)
    out = compose(images)
    before = Compose([RandomResizedCrop(24), HorizontalFlip()], seed=3)(images).images
    for image, ops, got in zip(before, _drawn_ops(out.params, 2), out.images):
        np.testing.assert_array_equal(got, _reference(image, ops))
    np.testing.assert_array_equal(compose(images[4], indices=4).images, out.images[4])
    chosen = Compose([OneOf([RandAugment(), TrivialAugmentWide()])], seed=3)(images)
    assert chosen.images.shape == images.shape


@pytest.mark.parametrize("make, exc, msg", [
    (lambda: RandAugment(magnitude=31), ValueError, "magnitude"),
    (lambda: RandAugment(num_ops=-1), ValueError, "num_ops"),
    (lambda: RandAugment(num_ops=2.0), TypeError, "num_ops"),
    (lambda: TrivialAugmentWide(num_magnitude_bins=1), ValueError, "num_magnitude_bins"),
    (lambda: TrivialAugmentWide(interpolation="bilinear"), ValueError, "interpolation"),
    (lambda: RandAugment(fill=(1, 2, 3)), TypeError, "fill"),
    (lambda: Compose([RandAugment(), HorizontalFlip()])(_images()), ValueError,
     "cannot follow RandAugment"),
    (lambda: Compose([TrivialAugmentWide()])(_images(), masks=np.zeros((6, 30, 41), np.uint8)),
     ValueError, "TrivialAugmentWide does not support masks"),
    (lambda: Compose([RandAugment()])(_images(shape=(30, 41, 4))), ValueError,
     "needs 1 or 3 channels"),
])
def test_bad_arguments_name_themselves(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


def test_configs_round_trip_and_names_are_public():
    compose = Compose([RandAugment(num_ops=3, magnitude=5, fill=9), TrivialAugmentWide()],
                      seed=2)
    images = _images()
    for again in (Compose.from_json(compose.to_json()), Compose.from_toml(compose.to_toml())):
        assert again.transforms == compose.transforms
        np.testing.assert_array_equal(again(images).images, compose(images).images)
    assert fastaug.RandAugment is RandAugment and "TrivialAugmentWide" in fastaug.__all__
