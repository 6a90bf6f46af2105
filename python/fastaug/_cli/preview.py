"""``fastaug preview``: a grid of augmented copies of one image, the original first, with a
caption strip listing the settings."""
from __future__ import annotations

import argparse
import os
import sys
from typing import List

import numpy as np

from .images import format_for, load_image, pillow, to_pil, to_uint8
from .options import CLIError, add_augmentation_options, positive_int, seed_value
from .pipeline import augment, pipeline_from_args

GAP = 4            # pixels between tiles and around the grid
CAPTION_PAD = 6    # pixels around the caption text
BACKGROUND = (255, 255, 255)
TEXT = (0, 0, 0)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "preview", help="write a grid of augmented copies of an image",
        description="Write a grid of augmented copies of IMAGE (the original first, then "
                    "rows*cols-1 copies) with a caption listing the settings: the pipeline's "
                    "Compose applied to sample --index in epochs 0, 1, ..., exactly what "
                    "training with that Compose gives the sample. The same seed and settings "
                    "give the same grid.")
    p.add_argument("image", metavar="IMAGE", help="image file to augment")
    p.add_argument("-o", "--output", default="preview.png",
                   help="image file to write; its extension picks the format "
                        "(default: preview.png)")
    p.add_argument("--rows", type=positive_int, default=3, help="grid rows (default: 3)")
    p.add_argument("--cols", type=positive_int, default=3, help="grid columns (default: 3)")
    p.add_argument("--seed", type=seed_value, default=None,
                   help="the pipeline's seed: the same seed gives the same grid (default: the "
                        "Compose config's, else 0)")
    p.add_argument("--index", type=seed_value, default=0,
                   help="sample index the copies are drawn for: tile k shows what training "
                        "with the same pipeline and seed gives this sample in epoch k-1 "
                        "(default: 0)")
    p.add_argument("--tile-size", type=positive_int, default=256, metavar="PX",
                   help="shrink the image so its longer side is at most PX before augmenting "
                        "(default: 256)")
    add_augmentation_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    pipeline = pipeline_from_args(args)
    fmt = format_for(args.output)
    if not os.path.isfile(args.image):
        raise CLIError(f"no such image file: {args.image}", code=2)
    try:
        loaded = load_image(args.image)
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot read image {args.image}: {exc}") from None
    if loaded.frames > 1 and loaded.format != "MPO":
        print(f"fastaug preview: warning: {args.image} has {loaded.frames} frames; only the "
              "first is shown", file=sys.stderr)
    # The grid is 8-bit: a 16-bit or float image is shown scaled from its full range.
    image = _fit(to_uint8(loaded.pixels), args.tile_size)

    count = args.rows * args.cols
    tiles = [image] + [augment(pipeline.compose, image, args.index, epoch)
                       for epoch in range(count - 1)]
    caption = [f"fastaug preview: original (top left) and sample {args.index} in epochs 0 to "
               f"{count - 2}, seed {pipeline.compose.seed}", pipeline.summary]
    grid = render_grid(tiles, args.rows, args.cols, caption)
    try:
        grid.save(args.output, format=fmt)
    except OSError as exc:
        raise CLIError(f"cannot write {args.output}: {exc}") from None
    print(f"wrote {args.output} ({grid.width}x{grid.height}): {args.rows}x{args.cols} tiles "
          f"of {image.shape[1]}x{image.shape[0]}")
    return 0


def _fit(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    if max(h, w) <= size:
        return image
    scale = size / max(h, w)
    Image = pillow()
    small = to_pil(image).resize((max(1, round(w * scale)), max(1, round(h * scale))),
                                 Image.LANCZOS)
    out = np.asarray(small, dtype=np.uint8)
    return out[:, :, np.newaxis] if out.ndim == 2 else out


def _rgb(tile: np.ndarray):
    """A tile as an RGB PIL image; transparency is shown over the background."""
    Image = pillow()
    img = to_pil(tile)
    if img.mode == "RGBA":
        flat = Image.new("RGB", img.size, BACKGROUND)
        flat.paste(img, mask=img.getchannel("A"))
        return flat
    return img.convert("RGB")


def _font():
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=12)
    except (TypeError, ImportError, OSError):  # Pillow < 10.1 or no FreeType: bitmap font
        return ImageFont.load_default()


def _wrap(draw, text: str, font, width: int) -> List[str]:
    """Break ``text`` at ", " and spaces so each line fits ``width`` pixels where it can."""
    lines: List[str] = []
    line = ""
    for word in text.split(" "):
        candidate = word if not line else line + " " + word
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line]


def render_grid(tiles: List[np.ndarray], rows: int, cols: int, caption: List[str]):
    """Tiles (all one shape) row by row, then the caption strip under them."""
    Image = pillow()
    from PIL import ImageDraw

    th, tw = tiles[0].shape[:2]
    width = cols * tw + (cols + 1) * GAP
    grid_height = rows * th + (rows + 1) * GAP
    font = _font()
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines = [ln for text in caption
             for ln in _wrap(measure, text, font, width - 2 * CAPTION_PAD)]
    line_height = max(measure.textbbox((0, 0), "Ag[]", font=font)[3], 1) + 2
    canvas = Image.new("RGB", (width, grid_height + len(lines) * line_height + CAPTION_PAD),
                       BACKGROUND)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        canvas.paste(_rgb(tile), (GAP + c * (tw + GAP), GAP + r * (th + GAP)))
    draw = ImageDraw.Draw(canvas)
    for k, line in enumerate(lines):
        draw.text((CAPTION_PAD, grid_height + k * line_height), line, fill=TEXT, font=font)
    return canvas
