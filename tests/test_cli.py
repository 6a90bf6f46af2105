"""The ``fastaug`` command line: preview, expand, study and the error paths, run in-process
through ``main([...])`` (and once through ``python -m fastaug``)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from fastaug import ImageDataGenerator
from fastaug.__main__ import main, sample_image
from fastaug._cli import expand as expand_module
from fastaug._cli import preview as preview_module


def pixels(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


@pytest.fixture
def card(tmp_path):
    path = tmp_path / "card.png"
    Image.fromarray(sample_image(40, 60)).save(path)
    return path


def tree_snapshot(root) -> dict:
    """Every file under ``root`` with its bytes."""
    snap = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                snap[os.path.relpath(path, root)] = f.read()
    return snap


# ---------------------------------------------------------------------- preview

def tile(grid: np.ndarray, index: int, cols: int, h: int, w: int) -> np.ndarray:
    gap = preview_module.GAP
    r, c = divmod(index, cols)
    return grid[gap + r * (h + gap): gap + r * (h + gap) + h,
                gap + c * (w + gap): gap + c * (w + gap) + w]


def test_preview_grid_holds_the_original_then_rows_times_cols_minus_one_copies(card, tmp_path):
    out = tmp_path / "grid.png"
    assert main(["preview", str(card), "-o", str(out), "--rows", "2", "--cols", "3",
                 "--rotation", "30", "--zoom", "0.7,1.3"]) == 0
    grid = pixels(out)
    gap = preview_module.GAP
    assert grid.shape[1] == 3 * 60 + 4 * gap
    tiles_height = 2 * 40 + 3 * gap
    assert grid.shape[0] > tiles_height + 10  # the caption strip
    caption = grid[tiles_height:]
    assert (caption < 128).any(), "the caption strip has no text"
    original = sample_image(40, 60)
    np.testing.assert_array_equal(tile(grid, 0, 3, 40, 60), original)
    copies = [tile(grid, i, 3, 40, 60) for i in range(1, 6)]
    assert all(not np.array_equal(c, original) for c in copies)
    assert len({c.tobytes() for c in copies}) == 5


def test_preview_is_deterministic_for_a_seed(card, tmp_path):
    def grid(seed, name):
        out = tmp_path / name
        assert main(["preview", str(card), "-o", str(out), "--seed", str(seed),
                     "--rotation", "20", "--horizontal-flip", "--brightness", "0.5,1.5"]) == 0
        return pixels(out)

    first, again, other = grid(7, "a.png"), grid(7, "b.png"), grid(8, "c.png")
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_preview_config_file_sets_options_and_the_command_line_overrides_them(card, tmp_path):
    config = tmp_path / "aug.toml"
    config.write_text("rotation_range = 25\nvertical_flip = true\nfill_mode = 'constant'\n")
    from_options = tmp_path / "options.png"
    from_config = tmp_path / "config.png"
    overridden = tmp_path / "overridden.png"
    assert main(["preview", str(card), "-o", str(from_options), "--rotation", "25",
                 "--vertical-flip", "--fill-mode", "constant"]) == 0
    assert main(["preview", str(card), "-o", str(from_config), "--config", str(config)]) == 0
    np.testing.assert_array_equal(pixels(from_options), pixels(from_config))

    only_flip = tmp_path / "only_flip.png"
    assert main(["preview", str(card), "-o", str(overridden), "--config", str(config),
                 "--rotation", "0", "--no-vertical-flip", "--horizontal-flip"]) == 0
    assert main(["preview", str(card), "-o", str(only_flip), "--horizontal-flip",
                 "--fill-mode", "constant"]) == 0
    np.testing.assert_array_equal(pixels(overridden), pixels(only_flip))


def test_preview_reads_a_json_config_written_from_get_config(card, tmp_path):
    config = tmp_path / "aug.json"
    gen = ImageDataGenerator(shear_range=20, zoom_range=0.2, num_threads=2)
    config.write_text(json.dumps(gen.get_config()))
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["preview", str(card), "-o", str(a), "--config", str(config)]) == 0
    assert main(["preview", str(card), "-o", str(b), "--shear", "20", "--zoom", "0.2"]) == 0
    np.testing.assert_array_equal(pixels(a), pixels(b))


# ---------------------------------------------------------------------- expand

@pytest.fixture
def dataset(tmp_path):
    """cat/ (JPEG RGB), dog/ (PNG gray) and dog/puppies/ (PNG RGBA)."""
    src = tmp_path / "src"
    for folder in ("cat", "dog/puppies"):
        (src / folder).mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(sample_image(24, 32)).save(src / "cat" / f"c{i}.jpg")
        Image.fromarray(rng.integers(0, 256, (20, 20), dtype=np.uint8)).save(
            src / "dog" / f"d{i}.png")
    Image.fromarray(sample_image(16, 16)).convert("RGBA").save(src / "dog/puppies/p.png")
    (src / "notes.txt").write_text("not an image")
    return src


AUG = ["--rotation", "15", "--zoom", "0.8,1.2", "--horizontal-flip"]


def expected_outputs(copies):
    stems = ["cat/c0", "cat/c1", "cat/c2", "dog/d0", "dog/d1", "dog/d2", "dog/puppies/p"]
    exts = {"cat": ".jpg", "dog": ".png"}
    return sorted(f"{s}_aug{k}{exts[s.split('/')[0]]}".replace("/", os.sep)
                  for s in stems for k in range(copies))


def image_files(root):
    return sorted(p for p in tree_snapshot(root) if not os.path.basename(p).startswith("."))


def test_expand_writes_k_copies_per_image_keeping_folders_and_formats(dataset, tmp_path):
    out = tmp_path / "out"
    before = tree_snapshot(dataset)
    assert main(["expand", str(dataset), str(out), "--copies", "3", *AUG]) == 0
    assert image_files(out) == expected_outputs(3)
    assert tree_snapshot(dataset) == before
    for rel in expected_outputs(3):
        with Image.open(out / rel) as img:
            assert img.format == ("JPEG" if rel.endswith(".jpg") else "PNG")
            source = dataset / re.sub(r"_aug\d", "", rel)
            with Image.open(source) as src_img:
                assert img.size == src_img.size and img.mode == src_img.mode


def test_expand_is_deterministic_whatever_the_worker_count(dataset, tmp_path):
    one, three = tmp_path / "one", tmp_path / "three"
    assert main(["expand", str(dataset), str(one), "--copies", "2", "--workers", "1",
                 *AUG]) == 0
    assert main(["expand", str(dataset), str(three), "--copies", "2", "--workers", "3",
                 *AUG]) == 0
    assert tree_snapshot(one) == tree_snapshot(three)
    copies = [pixels(one / "cat" / f"c0_aug{k}.jpg") for k in range(2)]
    assert not np.array_equal(copies[0], copies[1])


def test_expand_resumes_skipping_existing_outputs_and_clearing_temp_files(dataset, tmp_path):
    full, partial = tmp_path / "full", tmp_path / "partial"
    assert main(["expand", str(dataset), str(full), "--copies", "2", *AUG]) == 0
    # An earlier run's leftovers: two finished copies, a stray temporary file.
    assert main(["expand", str(dataset), str(partial), "--copies", "1", *AUG]) == 0
    marker = partial / "dog" / "d1_aug0.png"
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(marker)  # a whole image: kept
    finished = marker.read_bytes()
    stray = partial / "cat" / (".c0_aug1.jpg.123" + expand_module.TEMP_SUFFIX)
    stray.write_bytes(b"half written")
    assert main(["expand", str(dataset), str(partial), "--copies", "2", *AUG]) == 0
    assert not stray.exists()
    assert marker.read_bytes() == finished
    full_files, partial_files = tree_snapshot(full), tree_snapshot(partial)
    del full_files[os.path.join("dog", "d1_aug0.png")]
    del partial_files[os.path.join("dog", "d1_aug0.png")]
    assert partial_files == full_files


def test_expand_interrupted_run_leaves_whole_files_and_resumes(dataset, tmp_path,
                                                               monkeypatch, capsys):
    full, out = tmp_path / "full", tmp_path / "out"
    assert main(["expand", str(dataset), str(full), "--copies", "2", *AUG]) == 0
    real_save = expand_module.save_image
    calls = []

    def save_then_interrupt(pixels_, path, fmt):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt
        real_save(pixels_, path, fmt)

    monkeypatch.setattr(expand_module, "save_image", save_then_interrupt)
    capsys.readouterr()
    assert main(["expand", str(dataset), str(out), "--copies", "2", "--workers", "1",
                 *AUG]) == 130
    assert "interrupted" in capsys.readouterr().err
    written = image_files(out)
    # The four files before the interrupt, and what a queued job finished meanwhile.
    assert 4 <= len(written) < 14
    assert not [p for p in tree_snapshot(out) if p.endswith(expand_module.TEMP_SUFFIX)]
    monkeypatch.setattr(expand_module, "save_image", real_save)
    assert main(["expand", str(dataset), str(out), "--copies", "2", *AUG]) == 0
    assert f"{len(written)} were already there" in capsys.readouterr().out
    assert tree_snapshot(out) == tree_snapshot(full)


def test_expand_refuses_overlapping_folders_and_writes_nothing(dataset, tmp_path, capsys):
    before = tree_snapshot(tmp_path)
    assert main(["expand", str(dataset), str(dataset / "out"), *AUG]) == 2
    assert main(["expand", str(dataset), str(dataset), *AUG]) == 2
    assert main(["expand", str(dataset / "cat"), str(dataset.parent), *AUG]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all("must not contain each other" in line for line in err)
    assert tree_snapshot(tmp_path) == before


def test_expand_never_writes_through_a_symlink_out_of_out_dir(dataset, tmp_path, capsys):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "cat")
    assert main(["expand", str(dataset), str(out), *AUG]) == 1
    assert "outside OUT_DIR" in capsys.readouterr().err
    assert os.listdir(elsewhere) == []


def test_expand_reports_unreadable_files_and_goes_on(dataset, tmp_path, capsys):
    (dataset / "cat" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    out = tmp_path / "out"
    assert main(["expand", str(dataset), str(out), "--copies", "2", *AUG]) == 1
    captured = capsys.readouterr()
    assert "1 unreadable file(s)" in captured.err and "broken.jpg" in captured.err
    assert "--skip-unreadable" in captured.err
    assert "wrote 14 copies" in captured.out and "so 2 copies were not written" in captured.out
    assert image_files(out) == expected_outputs(2)
    # Tolerated when asked; the rerun has nothing left to write.
    assert main(["expand", str(dataset), str(out), "--copies", "2", "--skip-unreadable",
                 *AUG]) == 0
    assert "1 unreadable file(s)" in capsys.readouterr().err


def test_expand_fails_when_no_image_could_be_read(tmp_path, capsys):
    src = tmp_path / "src" / "a"
    src.mkdir(parents=True)
    for i in range(2):
        (src / f"x{i}.png").write_bytes(b"garbage")
    assert main(["expand", str(tmp_path / "src"), str(tmp_path / "out")]) == 1
    assert "2 unreadable file(s)" in capsys.readouterr().err


def test_expand_refuses_to_resume_with_other_settings(dataset, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["expand", str(dataset), str(out), "--copies", "1", *AUG]) == 0
    before = tree_snapshot(out)
    assert main(["expand", str(dataset), str(out), "--copies", "1", "--rotation", "5"]) == 2
    assert main(["expand", str(dataset), str(out), "--copies", "1", "--seed", "1", *AUG]) == 2
    assert "other settings" in capsys.readouterr().err
    assert tree_snapshot(out) == before


def test_expand_progress_bar_counts_copies_per_second(dataset, tmp_path, capsys):
    assert main(["expand", str(dataset), str(tmp_path / "out"), "--copies", "2",
                 "--progress", *AUG]) == 0
    out = capsys.readouterr().out
    assert "14/14" in out and "copy/s" in out and "copies/s)" in out


def test_expand_without_a_terminal_shows_no_bar(dataset, tmp_path, capsys):
    assert main(["expand", str(dataset), str(tmp_path / "out"), "--copies", "1", *AUG]) == 0
    assert "copy/s" not in capsys.readouterr().out


# ---------------------------------------------------------------------- study

ROW = re.compile(r"^(?P<name>\S.*?)\s+(?P<mean>\d+\.\d+) ± +(?P<std>\d+\.\d+)"
                 r"\s*(?P<gain>[+-]\d+\.\d+)?$")


def table_rows(stdout: str) -> dict:
    rows = {}
    for line in stdout.splitlines():
        m = ROW.match(line)
        if m:
            rows[m["name"]] = (float(m["mean"]), float(m["std"]),
                               None if m["gain"] is None else float(m["gain"]))
    return rows


def test_study_table_has_none_each_augmentation_and_all(tmp_path, capsys):
    out = tmp_path / "study.png"
    assert main(["study", "--seeds", "2", "--train-size", "60", "--copies", "1",
                 "--rotation", "10", "--zoom", "0.1", "-o", str(out)]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert list(rows) == ["none", "rotation", "zoom", "all together"]
    base = rows["none"][0]
    assert rows["none"][2] is None
    for name in ("rotation", "zoom", "all together"):
        mean, std, gain = rows[name]
        assert 0 <= std < 50 and 10 < mean <= 100
        assert gain == pytest.approx(mean - base, abs=0.011)
    with Image.open(out) as img:
        assert img.format == "PNG" and img.width > 100


def test_study_on_a_folder_draws_the_chart_with_pillow(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    rng = np.random.default_rng(1)
    for label, axis in (("rows", 0), ("cols", 1)):
        (data / label).mkdir(parents=True)
        for i in range(12):
            img = rng.integers(0, 60, (12, 12), dtype=np.uint8)
            index = [slice(None), slice(None)]
            index[axis] = slice(4, 8)
            img[tuple(index)] = 255
            Image.fromarray(img).save(data / label / f"{i}.png")
    (data / "rows" / "broken.png").write_bytes(b"nope")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails: Pillow draws
    out = tmp_path / "chart.png"
    assert main(["study", "--data", str(data), "--size", "8", "--seeds", "1",
                 "--train-size", "8", "--copies", "1", "--model", "logreg",
                 "--horizontal-flip", "--width-shift", "0.1", "-o", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "skipped 1 unreadable" in stdout and "24 images, 2 classes" in stdout
    assert list(table_rows(stdout)) == ["none", "shift", "horizontal flip", "all together"]
    with Image.open(out) as img:
        assert img.format == "PNG"


def test_study_rejects_a_train_size_larger_than_the_data(capsys):
    assert main(["study", "--train-size", "5000", "--no-plot"]) == 2
    assert "--train-size" in capsys.readouterr().err


# ---------------------------------------------------------------------- errors and help

@pytest.mark.parametrize("argv", [
    [],
    ["nope"],
    ["preview"],
    ["preview", "x.png", "--rotation", "fast"],
    ["preview", "x.png", "--zoom", "1,2,3"],
    ["preview", "x.png", "--brightness", "2,1"],
    ["preview", "x.png", "--fill-mode", "smear"],
    ["expand", "a", "b", "--copies", "0"],
    ["study", "--model", "forest"],
])
def test_bad_command_lines_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error:" in err[0]


def write(path, content):
    path.write_text(content)
    return str(path)


@pytest.mark.parametrize("make_argv, code, message", [
    (lambda d, card: ["preview", str(d / "missing.png")], 2, "no such image"),
    (lambda d, card: ["preview", write(d / "bad.png", "not png")], 1, "cannot read image"),
    (lambda d, card: ["preview", str(card), "-o", str(d / "out.xyz")], 2,
     "needs an image extension such as .png"),
    (lambda d, card: ["preview", str(card), "-o", "./grid"], 2,
     "the output needs an image extension such as .png or .jpg (it has no extension)"),
    (lambda d, card: ["preview", str(card), "-o", str(d / "no" / "dir.png")], 1,
     "cannot write"),
    (lambda d, card: ["preview", str(card), "--config", str(d / "none.toml")], 2,
     "cannot read config"),
    (lambda d, card: ["preview", str(card), "--config", write(d / "c.toml", "rotation = [")],
     2, "not valid TOML"),
    (lambda d, card: ["preview", str(card), "--config", write(d / "c.json", '{"spin": 1}')],
     2, "unknown ImageDataGenerator argument 'spin'"),
    (lambda d, card: ["preview", str(card), "--config",
                      write(d / "c.json", '{"rotation_range": "x"}')], 2, "rotation_range"),
    (lambda d, card: ["preview", str(card), "--config",
                      write(d / "c.json", '{"rescale": 0.5}')], 2, "not applied"),
    (lambda d, card: ["expand", str(d / "missing"), str(d / "out")], 2, "not a folder"),
    (lambda d, card: ["expand", str(d), str(d.parent / "empty-out")], 1, "no images"),
    (lambda d, card: ["study", "--data", str(d / "missing"), "--no-plot"], 2, "not a folder"),
])
def test_bad_inputs_exit_non_zero_with_one_line(make_argv, code, message, tmp_path, card,
                                                capsys):
    work = tmp_path / "work"
    work.mkdir()
    assert main(make_argv(work, card)) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


@pytest.mark.parametrize("module, argv", [
    ("tqdm", lambda d, card: ["expand", str(d), str(d.parent / "o"), "--progress"]),
    ("sklearn", lambda d, card: ["study", "--no-plot"]),
    ("PIL.Image", lambda d, card: ["preview", str(card), "-o", str(d / "g.png")]),
])
def test_a_missing_optional_package_names_the_extra(module, argv, tmp_path, card, monkeypatch,
                                                    capsys):
    work = tmp_path / "work"
    (work / "a").mkdir(parents=True)
    Image.fromarray(sample_image(8, 8)).save(work / "a" / "x.png")
    monkeypatch.setitem(sys.modules, module, None)
    assert main(argv(work, card)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'fastaug[cli]'" in err[0], err


@pytest.mark.parametrize("command, expected", [
    ([], ["preview", "expand", "study", "demo"]),
    (["preview"], ["--rows", "--cols", "--seed", "--config", "--rotation", "--zoom",
                   "--brightness", "--fill-mode", "--horizontal-flip"]),
    (["expand"], ["--copies", "--workers", "--progress", "--seed", "--config", "--shear"]),
    (["study"], ["--seeds", "--train-size", "--copies", "--data", "--model", "--rotation"]),
    (["demo"], ["--output"]),
])
def test_help_lists_the_options(command, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        main(command + ["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert all(option in text for option in expected)


def test_python_dash_m_fastaug_runs_and_fails_without_traceback(card, tmp_path):
    out = tmp_path / "grid.png"
    ok = subprocess.run([sys.executable, "-m", "fastaug", "preview", str(card), "-o", str(out),
                         "--rotation", "10"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "wrote" in ok.stdout and out.exists()
    bad = subprocess.run([sys.executable, "-m", "fastaug", "expand", str(tmp_path),
                          str(tmp_path / "sub")], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
