"""``fastaug study``: how much does each augmentation buy on a small training set?

For every seed, the data is split (stratified) into a small training set and a validation set
that is never augmented. A scikit-learn classifier is trained on the training images plus K
augmented copies of each (epochs 0 to K-1 of a Compose), once without augmentation, once per
augmentation alone and once with all of them, and scored on the validation set. The
augmentations are the Keras-style options (one row per family) or the transforms of a Compose
``--config`` (one row per transform).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
import time
from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from .images import IMAGE_EXTENSIONS, load_image, pillow, unit_scale
from ..compose import Compose
from ..transforms import Transform
from .options import (CLIError, add_augmentation_options, describe, positive_int,
                      progress_module, require, seed_value, stable_seed)
from .pipeline import describe_transforms, keras_transforms, settings_from_args

# Settings that make up one augmentation (a row); the rest (fill_mode, cval,
# interpolation_order) apply to every row.
_FAMILIES = (("rotation", ("rotation_range",)),
             ("shift", ("width_shift_range", "height_shift_range")),
             ("shear", ("shear_range",)),
             ("zoom", ("zoom_range",)),
             ("channel shift", ("channel_shift_range",)),
             ("brightness", ("brightness_range",)),
             ("horizontal flip", ("horizontal_flip",)),
             ("vertical flip", ("vertical_flip",)))
_SHARED = ("fill_mode", "cval", "interpolation_order")

# Small geometric changes that keep a digit a digit (an 8x8 image: a shift of 0.08 is about
# half a pixel).
DEFAULT_AUGMENTATIONS = {"rotation_range": 10.0, "width_shift_range": 0.08,
                         "height_shift_range": 0.08, "shear_range": 10.0,
                         "zoom_range": [0.9, 1.1]}
NONE = "none"
ALL = "all together"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "study", help="measure the validation accuracy each augmentation buys",
        description="Train a small scikit-learn classifier on a small training set without "
                    "augmentation, with each augmentation alone and with all of them "
                    "together, over several seeds; print validation accuracy (mean +- std) "
                    "and the gain over no augmentation, and save a bar chart. The "
                    "augmentations are the augmentation options given (each setting one row; or "
                    "each transform of a Compose --config; "
                    "fill mode, cval and interpolation order apply to all), by default: "
                    + describe(DEFAULT_AUGMENTATIONS) + ".",
        epilog="Default data: scikit-learn's bundled 8x8 digits (1797 images).")
    p.add_argument("--data", metavar="DIR",
                   help="class-folder tree of images to use instead of the digits (read as "
                        "grayscale, resized to --size)")
    p.add_argument("--size", type=positive_int, default=16, metavar="PX",
                   help="side of the square images made from --data (default: 16)")
    p.add_argument("--train-size", type=positive_int, default=200, metavar="N",
                   help="training images per seed; the rest validate (default: 200)")
    p.add_argument("--copies", type=positive_int, default=4, metavar="K",
                   help="augmented copies of each training image (default: 4)")
    p.add_argument("--seeds", type=positive_int, default=3, metavar="N",
                   help="splits/seeds to average over (default: 3)")
    p.add_argument("--seed", type=seed_value, default=0, help="first seed (default: 0)")
    p.add_argument("--model", choices=("svm", "logreg"), default="svm",
                   help="classifier: RBF support vector machine or logistic regression "
                        "(default: svm)")
    p.add_argument("-o", "--output", default="study.png",
                   help="bar chart PNG to write (default: study.png)")
    p.add_argument("--no-plot", dest="plot", action="store_false", help="write no chart")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: only when stdout is a terminal)")
    add_augmentation_options(p)
    p.set_defaults(run=run)


@dataclass
class Row:
    name: str
    transforms: List[Transform]  # empty: no augmentation
    summary: str
    scores: List[float]

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))


def run(args: argparse.Namespace) -> int:
    require("sklearn", "scikit-learn")
    bar_module = progress_module(args.progress)
    if args.plot and not args.output.lower().endswith(".png"):
        raise CLIError(f"--output must be a .png file: {args.output}", code=2)
    started = time.perf_counter()
    rows = _rows(args)
    x, y, source = (_load_folder(args.data, args.size) if args.data else _load_digits())
    n_classes = len(np.unique(y))
    if not n_classes <= args.train_size <= len(y) - n_classes:
        raise CLIError(f"--train-size must be between {n_classes} and {len(y) - n_classes} "
                       f"for {len(y)} images in {n_classes} classes", code=2)
    print(f"study: {source}; {args.train_size} training images (+{args.copies} augmented "
          f"copies each), {len(y) - args.train_size} validation images, {args.seeds} seeds, "
          f"model {args.model}", flush=True)

    from sklearn.model_selection import train_test_split

    bar = (bar_module.tqdm(total=args.seeds * len(rows), unit="model", file=sys.stdout)
           if bar_module else None)
    try:
        for s in range(args.seed, args.seed + args.seeds):
            _study_seed(s, x, y, rows, args, train_test_split, bar)
    finally:
        if bar is not None:
            bar.close()

    print(format_table(rows))
    print("settings: " + "; ".join(f"{r.name}: {r.summary}" for r in rows[1:]))
    caveat = sampling_caveat(rows, len(y) - args.train_size, args.seeds)
    if caveat:
        print(caveat)
    if args.plot:
        plot(rows, args.output, f"validation accuracy (%), mean ± std: {source}, "
                                f"{args.train_size} training images, "
                                f"{args.model}, {args.seeds} seeds")
        print(f"wrote {args.output}")
    print(f"study: {time.perf_counter() - started:.1f} s")
    return 0


def _study_seed(s, x, y, rows, args, train_test_split, bar) -> None:
    """One split: every row's model trained and scored (a score appended to each row)."""
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, train_size=args.train_size, stratify=y, random_state=s)
    indices = np.arange(len(x_train))
    for row in rows:
        xs, ys = [x_train], [y_train]
        if row.transforms:
            compose = Compose(row.transforms, seed=stable_seed(s, "study"))
            for epoch in range(args.copies):
                xs.append(compose(x_train, indices=indices, epoch=epoch).images)
                ys.append(y_train)
        model = _model(args.model, s)
        model.fit(_features(np.concatenate(xs)), np.concatenate(ys))
        row.scores.append(float(model.score(_features(x_val), y_val)))
        if bar is not None:
            bar.update(1)


def _rows(args: argparse.Namespace) -> List[Row]:
    """The rows of the table: from the Keras-style options (one per family) or from the
    transforms of a Compose config (one per transform). --seed picks the splits here, so a
    Compose config's seed is not replaced by it."""
    kwargs, compose = settings_from_args(argparse.Namespace(**{**vars(args), "seed": None}))
    if compose is None:
        return [Row(name, keras_transforms(settings), describe(settings), [])
                for name, settings in plan_rows(kwargs)]
    rows = [Row(NONE, [], "no augmentation", [])]
    counts: Dict[str, int] = {}
    for t in compose.transforms:
        name = type(t).__name__
        counts[name] = counts.get(name, 0) + 1
        label = name if counts[name] == 1 else f"{name} #{counts[name]}"
        rows.append(Row(label, [t], describe_transforms([t]), []))
    if len(rows) > 2:
        rows.append(Row(ALL, list(compose.transforms), describe_transforms(compose.transforms), []))
    return rows


def sampling_caveat(rows: List[Row], n_val: int, seeds: int):
    """A warning when the validation set is too small for the precision the table shows:
    an accuracy measured on n images has a binomial standard error of sqrt(p(1-p)/n), and
    when that exceeds the +- printed (the spread over seeds), the +- understates the noise.
    None otherwise."""
    p = min(max(rows[0].mean, 1.0 / n_val), 1 - 1.0 / n_val)
    error = 100 * math.sqrt(p * (1 - p) / n_val)
    spread = max(100 * r.std for r in rows)
    if error <= spread:
        return None
    return (f"warning: {n_val} validation images: one image is {100 / n_val:.2f} points and "
            f"an accuracy's sampling error is about ±{error:.2f} points, more than the ± "
            f"shown (the spread over {seeds} seed(s)); gains under about {2 * error:.1f} "
            "points are within noise (use more data or --seeds)")


def plan_rows(kwargs: Dict[str, object]) -> List[Tuple[str, Dict[str, object]]]:
    """(name, generator arguments) of each row: none, each augmentation alone, all."""
    shared = {k: kwargs[k] for k in _SHARED if k in kwargs}
    chosen = {k: v for k, v in kwargs.items() if k not in _SHARED}
    if not chosen:
        chosen = dict(DEFAULT_AUGMENTATIONS)
    rows = [(NONE, {})]
    for family, keys in _FAMILIES:
        settings = {k: chosen[k] for k in keys if k in chosen}
        if settings:
            rows.append((family, {**settings, **shared}))
    if len(rows) > 2:
        rows.append((ALL, {**chosen, **shared}))
    return rows


def _model(kind: str, seed: int):
    if kind == "svm":
        from sklearn.svm import SVC

        return SVC(gamma="scale", random_state=seed)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000)


def _features(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1) / 255.0


def _load_digits() -> Tuple[np.ndarray, np.ndarray, str]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # 0..16 -> 0..255: channel shift and brightness work on the 0..255 scale.
    x = (digits.images * (255.0 / 16.0)).astype(np.float32)[:, :, :, np.newaxis]
    return x, digits.target, "scikit-learn digits (8x8)"


def _load_folder(folder: str, size: int) -> Tuple[np.ndarray, np.ndarray, str]:
    """Grayscale ``size`` x ``size`` images of each class subfolder (one level down, any
    depth below); unreadable files are skipped with a note."""
    if not os.path.isdir(folder):
        raise CLIError(f"--data is not a folder: {folder}", code=2)
    Image = pillow()
    classes = sorted(d for d in os.listdir(folder)
                     if not d.startswith(".") and os.path.isdir(os.path.join(folder, d)))
    images, labels, unreadable = [], [], 0
    for label, name in enumerate(classes):
        for root, dirs, files in os.walk(os.path.join(folder, name)):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for file in sorted(files):
                if file.startswith(".") or not file.lower().endswith(IMAGE_EXTENSIONS):
                    continue
                try:
                    pixels = load_image(os.path.join(root, file)).pixels
                except Exception:  # noqa: BLE001 - any decoder failure means "unreadable"
                    unreadable += 1
                    continue
                small = Image.fromarray(_gray(pixels)).resize((size, size), Image.BILINEAR)
                images.append(np.asarray(small, dtype=np.float32)[:, :, np.newaxis])
                labels.append(label)
    if unreadable:
        print(f"study: skipped {unreadable} unreadable file(s) in {folder}")
    if len(set(labels)) < 2:
        raise CLIError(f"--data needs images in at least two class subfolders: {folder}",
                       code=2)
    return (np.stack(images), np.asarray(labels),
            f"{folder} ({len(labels)} images, {len(set(labels))} classes, {size}x{size})")


def _gray(pixels: np.ndarray) -> np.ndarray:
    """(H, W) float32 gray on the 0..255 scale, from any depth (16-bit and float images
    scaled from their full range, not clipped); color by ITU-R 601 luma, as Pillow's L."""
    x = pixels.astype(np.float32) * np.float32(unit_scale(pixels.dtype))
    if x.shape[2] >= 3:
        return x[:, :, 0] * 0.299 + x[:, :, 1] * 0.587 + x[:, :, 2] * 0.114
    return x[:, :, 0]


def format_table(rows: List[Row]) -> str:
    """Accuracy in percent, mean +- std over seeds, and the gain over the first row."""
    width = max(len("augmentation"), *(len(r.name) for r in rows))
    base = rows[0].mean
    lines = [f"{'augmentation':<{width}}  {'val. accuracy (%)':>17}  {'gain':>6}"]
    for r in rows:
        gain = "" if r is rows[0] else f"{100 * (r.mean - base):+6.2f}"
        lines.append(f"{r.name:<{width}}  {100 * r.mean:8.2f} ± {100 * r.std:5.2f}  {gain:>6}")
    return "\n".join(lines)


def plot(rows: List[Row], path: str, title: str) -> None:
    """A bar chart of the mean accuracies with std error bars: matplotlib when installed,
    else drawn with Pillow."""
    try:
        import matplotlib
    except ImportError:
        _plot_pillow(rows, path, title)
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = [100 * r.mean for r in rows]
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(rows), 4))
    ax.bar(range(len(rows)), means, yerr=[100 * r.std for r in rows], capsize=4,
           color=["0.6"] + ["tab:blue"] * (len(rows) - 1))
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r.name for r in rows], rotation=30, ha="right", fontsize=8)
    # Bars start at 0, so a one-point gain looks like one point out of a hundred.
    ax.set_ylim(0.0, 100.0)
    ax.set_ylabel("validation accuracy (%)")
    # About 14 characters of 9-point text per inch of figure.
    ax.set_title(textwrap.fill(title, width=max(20, int(fig.get_figwidth() * 12))),
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_pillow(rows: List[Row], path: str, title: str) -> None:
    Image = pillow()
    from PIL import ImageDraw

    from .preview import _font

    from .preview import _wrap

    font = _font()
    bar_w, gap, left, plot_h, label_h = 90, 16, 50, 240, 16
    width = max(left + len(rows) * (bar_w + gap) + gap, 420)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    title_lines = _wrap(measure, title, font, width - left - 8)
    top = 14 + label_h * len(title_lines)
    img = Image.new("RGB", (width, top + plot_h + 3 * label_h + 10), "white")
    draw = ImageDraw.Draw(img)
    means = [100 * r.mean for r in rows]
    low, high = 0.0, 100.0  # from 0: a one-point gain looks like one point
    span = high - low

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / span)

    for k, line in enumerate(title_lines):
        draw.text((left, 6 + k * label_h), line, fill="black", font=font)
    draw.line([(left - 4, top), (left - 4, top + plot_h)], fill="black")
    for tick in (low, (low + high) / 2, high):
        draw.text((4, y_of(tick) - 6), f"{tick:.1f}", fill="black", font=font)
    for i, (r, mean) in enumerate(zip(rows, means)):
        x0 = left + gap + i * (bar_w + gap)
        draw.rectangle([x0, y_of(mean), x0 + bar_w, top + plot_h],
                       fill=(150, 150, 150) if i == 0 else (31, 119, 180))
        centre = x0 + bar_w / 2
        draw.line([(centre, y_of(mean - 100 * r.std)), (centre, y_of(mean + 100 * r.std))],
                  fill="black", width=2)
        draw.text((x0, top + plot_h + 4), f"{mean:.2f}", fill="black", font=font)
        draw.text((x0, top + plot_h + 4 + label_h), r.name, fill="black", font=font)
    try:
        img.save(path, format="PNG")
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc}") from None
