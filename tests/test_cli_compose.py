"""The command line runs the same Compose as training: Keras-style options map onto
transforms, a Compose config file (to_json / to_toml) is read as it is, and what preview
and expand write is what ``Compose(...)(image, indices=index, epoch=k)`` gives."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from fastaug import Compose
from fastaug.__main__ import main, sample_image
from fastaug._cli import preview as preview_module
from fastaug._cli.options import CLIError, stable_seed
from fastaug._cli.pipeline import keras_transforms
from fastaug.transforms import (Affine, ChannelShift, ColorJitter, HorizontalFlip,
                                VerticalFlip)

PIPELINE = Compose([Affine(rotate=20, translate=(0.1, 0.1), scale=(0.9, 1.2),
                           fill_mode="reflect"),
                    HorizontalFlip(), ColorJitter(brightness=0.3), ChannelShift(20)], seed=11)


def rgb(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


@pytest.fixture
def card(tmp_path):
    path = tmp_path / "card.png"
    Image.fromarray(sample_image(40, 60)).save(path)
    return path


def tile(grid, index, cols, h, w):
    gap = preview_module.GAP
    r, c = divmod(index, cols)
    return grid[gap + r * (h + gap): gap + r * (h + gap) + h,
                gap + c * (w + gap): gap + c * (w + gap) + w]


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_preview_of_a_compose_config_shows_the_training_draws_epoch_by_epoch(card, tmp_path,
                                                                             suffix):
    config = tmp_path / f"pipeline{suffix}"
    config.write_text(PIPELINE.to_json() if suffix == ".json" else PIPELINE.to_toml())
    out = tmp_path / "grid.png"
    assert main(["preview", str(card), "-o", str(out), "--config", str(config), "--rows", "2",
                 "--cols", "3", "--index", "7"]) == 0
    grid, image = rgb(out), sample_image(40, 60)
    np.testing.assert_array_equal(tile(grid, 0, 3, 40, 60), image)
    for epoch in range(5):
        expected = PIPELINE(image, indices=7, epoch=epoch).images
        np.testing.assert_array_equal(tile(grid, epoch + 1, 3, 40, 60), expected)


def test_the_seed_option_replaces_the_config_seed(card, tmp_path):
    config = tmp_path / "pipeline.json"
    config.write_text(PIPELINE.to_json())
    out = tmp_path / "grid.png"
    assert main(["preview", str(card), "-o", str(out), "--config", str(config), "--rows", "1",
                 "--cols", "2", "--seed", "5"]) == 0
    reseeded = Compose.from_dict({**PIPELINE.to_dict(), "seed": 5})
    np.testing.assert_array_equal(tile(rgb(out), 1, 2, 40, 60),
                                  reseeded(sample_image(40, 60), indices=0, epoch=0).images)


def test_expand_copy_k_is_epoch_k_of_the_sample_keyed_by_its_path(tmp_path):
    src = tmp_path / "src" / "cat"
    src.mkdir(parents=True)
    image = sample_image(24, 32)
    Image.fromarray(image).save(src / "a.png")
    config = tmp_path / "pipeline.toml"
    config.write_text(PIPELINE.to_toml())
    out = tmp_path / "out"
    assert main(["expand", str(tmp_path / "src"), str(out), "--copies", "3", "--config",
                 str(config)]) == 0
    for k in range(3):
        expected = PIPELINE(image, indices=stable_seed("cat/a.png"), epoch=k).images
        np.testing.assert_array_equal(rgb(out / "cat" / f"a_aug{k}.png"), expected)


def test_keras_style_options_build_the_compose_they_map_to(card, tmp_path):
    out = tmp_path / "grid.png"
    assert main(["preview", str(card), "-o", str(out), "--rows", "1", "--cols", "3",
                 "--seed", "4", "--rotation", "10", "--width-shift", "0.1",
                 "--height-shift", "0.2", "--zoom", "0.8,1.25", "--horizontal-flip",
                 "--brightness", "0.7,1.3", "--channel-shift", "15"]) == 0
    same = Compose([Affine(rotate=10, translate=(0.1, 0.2), scale=(0.8, 1.25),
                           fill_mode="nearest"),
                    HorizontalFlip(), ColorJitter(brightness=(0.7, 1.3)), ChannelShift(15)],
                   seed=4)
    grid, image = rgb(out), sample_image(40, 60)
    for epoch in range(2):
        np.testing.assert_array_equal(tile(grid, epoch + 1, 3, 40, 60),
                                      same(image, indices=0, epoch=epoch).images)


def test_keras_arguments_map_onto_transforms():
    [affine] = keras_transforms({"width_shift_range": 12, "height_shift_range": 3.0,
                                 "shear_range": 15, "fill_mode": "constant", "cval": 9,
                                 "interpolation_order": 0})
    assert affine == Affine(translate_px=(12.0, 3.0), shear=15, fill=9.0, fill_mode="constant",
                            interpolation="nearest")
    assert keras_transforms({"zoom_range": [0.5, 2.0]}) == [
        Affine(scale=(0.5, 2.0), fill_mode="nearest")]
    assert keras_transforms({"vertical_flip": True, "brightness_range": [0.5, 1.5]}) == [
        VerticalFlip(), ColorJitter(brightness=(0.5, 1.5))]
    assert keras_transforms({}) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"width_shift_range": 0.1, "height_shift_range": 4}, "both be fractions"),
    ({"width_shift_range": [-2, 0, 2]}, "Keras-only"),
])
def test_keras_arguments_without_a_transform_are_refused(kwargs, message):
    with pytest.raises(CLIError, match=message) as info:
        keras_transforms(kwargs)
    assert info.value.code == 2


def test_a_compose_config_cannot_be_mixed_with_options(card, tmp_path, capsys):
    config = tmp_path / "pipeline.json"
    config.write_text(PIPELINE.to_json())
    assert main(["preview", str(card), "-o", str(tmp_path / "g.png"), "--config", str(config),
                 "--rotation", "5"]) == 2
    assert "--rotation" in capsys.readouterr().err


@pytest.mark.parametrize("config, message", [
    ({"transforms": [{"type": "Blur"}]}, "unknown transform 'Blur'"),
    ({"transforms": [{"type": "Affine", "rotate": "much"}]}, "rotate"),
    ({"rotation_range": 10, "compat": "2.9"}, "compat='2.9'"),
])
def test_bad_config_files_exit_2_naming_the_problem(card, tmp_path, capsys, config, message):
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps(config))
    assert main(["preview", str(card), "-o", str(tmp_path / "g.png"), "--config",
                 str(path)]) == 2
    assert message in capsys.readouterr().err


def test_study_of_a_compose_config_has_one_row_per_transform(tmp_path, capsys):
    config = tmp_path / "pipeline.json"
    config.write_text(Compose([Affine(rotate=10), Affine(scale=(0.9, 1.1)),
                               HorizontalFlip()]).to_json())
    assert main(["study", "--seeds", "1", "--train-size", "60", "--copies", "1", "--config",
                 str(config), "--no-plot"]) == 0
    names = [line.split("  ")[0].strip() for line in capsys.readouterr().out.splitlines()]
    for row in ("none", "Affine", "Affine #2", "HorizontalFlip", "all together"):
        assert row in names
