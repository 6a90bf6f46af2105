"""OneOf and SomeOf: keyed choices per image, children keeping their own draws, targets
following the chosen children, and the configs round-tripping."""
from __future__ import annotations

import json

import numpy as np
import pytest

import fastaug
from fastaug import Compose
from fastaug.transforms import (Affine, CenterCrop, ColorJitter, HorizontalFlip, Invert,
                                Normalize, OneOf, Posterize, RandomCrop, Resize, SomeOf,
                                Solarize, VerticalFlip)

H, W = 20, 26


def _images(n=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, H, W, 3), dtype=np.uint8)


def _alone(child, images, seed, epoch=0):
    """What ``child`` does on its own in a Compose of the same seed: its slot there is the one
    it has inside a container (the first of its class either way)."""
    return Compose([child], seed=seed)(images, indices=np.arange(len(images)), epoch=epoch).images


def test_one_of_applies_exactly_the_chosen_child_with_its_own_draws():
    children = [Affine(rotate=40, scale=(0.8, 1.2)), ColorJitter(brightness=0.6, contrast=0.5),
                HorizontalFlip(p=1.0), RandomCrop((H, W), padding=3)]
    images = _images()
    compose = Compose([OneOf(children)], seed=9)
    out = compose(images, epoch=3)
    choice = out.params.transforms[0]["choice"][:, 0]
    assert set(choice.tolist()) == {0, 1, 2, 3}
    expected = [_alone(child, images, 9, epoch=3) for child in children]
    for i, c in enumerate(choice):
        np.testing.assert_array_equal(out.images[i], expected[c][i])


def test_a_childs_draws_do_not_move_when_it_is_wrapped():
    affine = Affine(rotate=30, translate=(0.1, 0.2), shear=5)
    alone = Compose([affine], seed=4).sample(np.arange(64), epoch=1, image_shape=(H, W))
    wrapped = Compose([ColorJitter(0.2), SomeOf([Invert(), affine], n=1)],
                      seed=4).sample(np.arange(64), epoch=1, image_shape=(H, W))
    child = wrapped.transforms[1]["children"][1]
    for key, values in alone.transforms[0].items():
        np.testing.assert_array_equal(values, child[key])


def test_one_of_weights_and_p_set_the_frequencies():
    compose = Compose([OneOf([Invert(), Solarize(), HorizontalFlip()], weights=[3, 1, 0],
                             p=0.8)], seed=1)
    choice = compose.sample(np.arange(40000), image_shape=(H, W)).transforms[0]["choice"][:, 0]
    counts = np.bincount(choice + 1, minlength=4) / choice.size
    np.testing.assert_allclose(counts, [0.2, 0.6, 0.2, 0.0], atol=0.01)
    uniform = Compose([OneOf([Invert(), Solarize()])], seed=1).sample(
        np.arange(40000), image_shape=(H, W)).transforms[0]["choice"][:, 0]
    assert abs(uniform.mean() - 0.5) < 0.01


def test_one_of_choices_are_keyed_by_seed_epoch_and_index():
    compose = Compose([OneOf([Invert(), Solarize(), Posterize(2)])], seed=3)
    idx = np.arange(50)
    a = compose.sample(idx, epoch=0, image_shape=(H, W)).transforms[0]["choice"]
    np.testing.assert_array_equal(a, compose.sample(idx, 0, (H, W)).transforms[0]["choice"])
    np.testing.assert_array_equal(a[7:9], compose.sample(idx[7:9], 0, (H, W)).transforms[0]["choice"])
    assert (a != compose.sample(idx, 1, (H, W)).transforms[0]["choice"]).any()
    other = Compose([OneOf([Invert(), Solarize(), Posterize(2)])], seed=4)
    assert (a != other.sample(idx, 0, (H, W)).transforms[0]["choice"]).any()


def test_some_of_applies_n_distinct_children_in_the_drawn_order():
    # Invert, solarize and posterize do not commute, so the order shows in the pixels.
    children = [Invert(p=1.0), Solarize(100, p=1.0), Posterize(3, p=1.0)]
    images = _images(60)
    out = Compose([SomeOf(children, n=2)], seed=5)(images)
    choice = out.params.transforms[0]["choice"]
    assert choice.shape == (60, 2) and (choice[:, 0] != choice[:, 1]).all()
    assert len({tuple(row) for row in choice.tolist()}) == 6  # every ordered pair occurs
    for i, (a, b) in enumerate(choice):
        expected = Compose([children[a], children[b]])(images[i]).images
        np.testing.assert_array_equal(out.images[i], expected)


def test_some_of_with_replacement_may_repeat_a_child():
    choice = Compose([SomeOf([Invert(), Solarize()], n=3, replace=True)], seed=2).sample(
        np.arange(4000), image_shape=(H, W)).transforms[0]["choice"]
    assert choice.shape == (4000, 3)
    assert ((choice == choice[:, :1]).all(1)).mean() == pytest.approx(0.25, abs=0.03)
    images = _images(8)
    out = Compose([SomeOf([Invert(p=1.0)], n=2, replace=True)])(images).images
    np.testing.assert_array_equal(out, images)  # inverted twice


def test_p_zero_containers_are_the_identity():
    images = _images(8)
    for container in (OneOf([Invert(p=1.0), HorizontalFlip(p=1.0)], p=0.0),
                      SomeOf([Invert(p=1.0), HorizontalFlip(p=1.0)], n=2, p=0.0)):
        out = Compose([container])(images)
        np.testing.assert_array_equal(out.images, images)
        assert (out.params.transforms[0]["choice"] == -1).all()


def test_masks_keypoints_and_boxes_follow_the_chosen_children():
    images = _images(40)
    masks = np.random.default_rng(1).integers(0, 5, (40, H, W), dtype=np.uint8)
    points = np.tile(np.array([[2.0, 3.0], [20.0, 11.0]]), (40, 1, 1))
    boxes = np.tile(np.array([[1.0, 2.0, 9.0, 12.0]]), (40, 1, 1))
    compose = Compose([OneOf([HorizontalFlip(p=1.0), VerticalFlip(p=1.0), Invert(p=1.0)])],
                      seed=7)
    out = compose(images, masks=masks, keypoints=points, boxes=boxes)
    choice = out.params.transforms[0]["choice"][:, 0]
    assert set(choice.tolist()) == {0, 1, 2}
    for i, c in enumerate(choice):
        mask, point, box = masks[i], points[i].copy(), boxes[i].copy()
        if c == 0:
            mask, point[:, 0], box[:, [0, 2]] = mask[:, ::-1], W - 1 - point[:, 0], W - box[:, [2, 0]]
        elif c == 1:
            mask, point[:, 1], box[:, [1, 3]] = mask[::-1], H - 1 - point[:, 1], H - box[:, [3, 1]]
        np.testing.assert_array_equal(out.masks[i], mask)
        np.testing.assert_allclose(out.keypoints[i], point, atol=1e-9)
        np.testing.assert_allclose(out.boxes[i], box, atol=1e-9)


def test_nested_containers_round_trip_through_json_and_toml():
    compose = Compose([Affine(rotate=10),
                       SomeOf([OneOf([Invert(), Solarize(90)], weights=[2.0, 1.0]),
                               ColorJitter(brightness=0.3), HorizontalFlip()], n=2, p=0.7)],
                      seed=12)
    images = _images(16)
    for text, load in ((compose.to_json(), Compose.from_json),
                       (compose.to_toml(), Compose.from_toml)):
        again = load(text)
        assert again.to_dict() == compose.to_dict()
        assert again.transforms == compose.transforms
        np.testing.assert_array_equal(again(images).images, compose(images).images)
    inner = json.loads(compose.to_json())["transforms"][1]["transforms"][0]
    assert inner == {"type": "OneOf", "transforms": [{"type": "Invert", "p": 0.5},
                                                     {"type": "Solarize", "threshold": 90.0,
                                                      "p": 0.5}],
                     "weights": [2.0, 1.0], "p": 1.0}
    assert "OneOf([Invert(p=0.5), Solarize(threshold=90.0, p=0.5)]" in repr(compose)


def test_size_changing_children_must_agree():
    images = _images(4)
    out = Compose([OneOf([CenterCrop((10, 12)), RandomCrop((10, 12)), Resize((10, 12))])])(images)
    assert out.images.shape == (4, 10, 12, 3)
    with pytest.raises(ValueError, match=r"OneOf: the children must give one output size"):
        Compose([OneOf([CenterCrop(8), Invert()])])(images)
    with pytest.raises(ValueError, match=r"keep the image size \(20, 26\) unless p=1"):
        Compose([OneOf([CenterCrop(8), Resize(8)], p=0.5)])(images)
    with pytest.raises(ValueError, match=r"SomeOf: every child must keep"):
        Compose([SomeOf([CenterCrop(8), Invert()], n=1)])(images)


@pytest.mark.parametrize("make, exc, msg", [
    (lambda: OneOf(Invert()), TypeError, "OneOf: transforms must be a list"),
    (lambda: OneOf([]), ValueError, "at least one"),
    (lambda: OneOf([Invert(), np.flip]), TypeError, r"OneOf: transforms\[1\] must be a fastaug"),
    (lambda: OneOf([Normalize(0.5, 0.5)]), ValueError, "Normalize cannot be a child"),
    (lambda: OneOf([Invert()], weights=[1, 2]), ValueError, "one per transform"),
    (lambda: OneOf([Invert()], weights=[-1]), ValueError, "weights must be"),
    (lambda: OneOf([Invert(), Solarize()], weights=[0, 0]), ValueError, "not all be 0"),
    (lambda: OneOf([Invert()], p=2), ValueError, "p must be"),
    (lambda: SomeOf([Invert(), Solarize()], n=3), ValueError, "n must be"),
    (lambda: SomeOf([Invert()], n=0), ValueError, "n must be"),
    (lambda: SomeOf([Invert()], n=1.5), TypeError, "n must be"),
    (lambda: SomeOf([Invert()], n=1, replace="yes"), TypeError, "replace"),
    (lambda: Compose([OneOf([Affine(fill_mode="reflect"), Affine()])]), ValueError, "must agree"),
])
def test_bad_arguments_name_themselves(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


def test_from_dict_names_the_nested_entry():
    with pytest.raises(ValueError, match=r"transforms\[0\]\.transforms\[1\]: unknown transform"):
        Compose.from_dict({"transforms": [{"type": "OneOf", "transforms": [
            {"type": "Invert"}, {"type": "Blur"}]}]})
    with pytest.raises(TypeError, match=r"transforms\[0\] \(SomeOf\): transforms must be a list"):
        Compose.from_dict({"transforms": [{"type": "SomeOf", "n": 1, "transforms": 3}]})


def test_names_are_public():
    assert fastaug.OneOf is OneOf and fastaug.SomeOf is SomeOf
    assert "OneOf" in fastaug.transforms.__all__ and "SomeOf" in fastaug.__all__
