"""``fastaug demo``: a labelled grid of what fastaug does to a generated test card, written
as a PNG with numpy alone (no Pillow: the labels use a small built-in bitmap font)."""
from __future__ import annotations

import math
from typing import Callable, List, Tuple

import numpy as np

from .. import kernels, simd_info
from .._png import write_png

COLS = 3
GAP = 6            # pixels between tiles and around the grid
LABEL_HEIGHT = 14  # the strip under each tile: 7-pixel glyphs and padding

# 5x7 glyphs, one string of rows per character ('#': ink); g, j, p, q and y have an eighth
# row, their descender.
_GLYPHS = {
    "a": ".....|.....|.###.|....#|.####|#...#|.####",
    "b": "#....|#....|#.##.|##..#|#...#|#...#|####.",
    "c": ".....|.....|.###.|#....|#....|#...#|.###.",
    "d": "....#|....#|.##.#|#..##|#...#|#...#|.####",
    "e": ".....|.....|.###.|#...#|#####|#....|.###.",
    "f": "..##.|.#..#|.#...|###..|.#...|.#...|.#...",
    "g": ".....|.....|.####|#...#|#...#|.####|....#|.###.",
    "h": "#....|#....|#.##.|##..#|#...#|#...#|#...#",
    "i": "..#..|.....|.##..|..#..|..#..|..#..|.###.",
    "j": "...#.|.....|..##.|...#.|...#.|...#.|#..#.|.##..",
    "k": "#....|#....|#..#.|#.#..|##...|#.#..|#..#.",
    "l": ".##..|..#..|..#..|..#..|..#..|..#..|.###.",
    "m": ".....|.....|##.#.|#.#.#|#.#.#|#...#|#...#",
    "n": ".....|.....|#.##.|##..#|#...#|#...#|#...#",
    "o": ".....|.....|.###.|#...#|#...#|#...#|.###.",
    "p": ".....|.....|####.|#...#|#...#|####.|#....|#....",
    "q": ".....|.....|.####|#...#|#...#|.####|....#|....#",
    "r": ".....|.....|#.##.|##..#|#....|#....|#....",
    "s": ".....|.....|.###.|#....|.###.|....#|####.",
    "t": ".#...|.#...|###..|.#...|.#...|.#..#|..##.",
    "u": ".....|.....|#...#|#...#|#...#|#..##|.##.#",
    "v": ".....|.....|#...#|#...#|#...#|.#.#.|..#..",
    "w": ".....|.....|#...#|#...#|#.#.#|#.#.#|.#.#.",
    "x": ".....|.....|#...#|.#.#.|..#..|.#.#.|#...#",
    "y": ".....|.....|#...#|#...#|#...#|.####|....#|.###.",
    "z": ".....|.....|#####|...#.|..#..|.#...|#####",
    "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
    "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####",
    "3": "#####|...#.|..#..|...#.|....#|#...#|.###.",
    "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
    "5": "#####|#....|####.|....#|....#|#...#|.###.",
    "6": "..##.|.#...|#....|####.|#...#|#...#|.###.",
    "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
    "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
    "9": ".###.|#...#|#...#|.####|....#|...#.|.##..",
    " ": ".....|.....|.....|.....|.....|.....|.....",
    ".": ".....|.....|.....|.....|.....|.##..|.##..",
    ",": ".....|.....|.....|.....|.##..|..#..|.#...",
    "+": ".....|..#..|..#..|#####|..#..|..#..|.....",
    "-": ".....|.....|.....|#####|.....|.....|.....",
}
_FONT = {ch: np.array([[c == "#" for c in row] for row in (rows.split("|") + ["....."])[:8]])
         for ch, rows in _GLYPHS.items()}


def sample_image(height: int = 128, width: int = 192) -> np.ndarray:
    """A synthetic RGB test card: gradients, a grid and an off-centre disc."""
    r, c = np.mgrid[0:height, 0:width]
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[..., 0] = (255 * c / max(width - 1, 1)).astype(np.uint8)
    img[..., 1] = (255 * r / max(height - 1, 1)).astype(np.uint8)
    img[..., 2] = 96
    img[(r % 32 == 0) | (c % 32 == 0)] = 255
    disc = (r - height * 0.35) ** 2 + (c - width * 0.3) ** 2 < (min(height, width) * 0.18) ** 2
    img[disc] = (220, 40, 40)
    return img


def _about_centre(linear: np.ndarray, h: int, w: int, shift=(0.0, 0.0)) -> np.ndarray:
    """The 2x3 pull matrix applying ``linear`` (input = linear @ output) about the image's
    centre, then moving the content by ``shift`` (rows, cols) pixels."""
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    offset = centre - linear @ (centre + np.asarray(shift, dtype=np.float64))
    return np.hstack([linear, offset[:, np.newaxis]])


def _rotation(degrees: float) -> np.ndarray:
    t = math.radians(degrees)
    return np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])


def demo_tiles(img: np.ndarray) -> List[Tuple[str, np.ndarray]]:
    """(label, image) for each augmentation the demo shows, the original first."""
    h, w = img.shape[:2]

    def warp(matrix):
        return kernels.warp_affine(img, matrix, fill_mode="reflect")

    steps: List[Tuple[str, Callable[[], np.ndarray]]] = [
        ("original", lambda: img),
        ("rotation 20 deg", lambda: warp(_about_centre(_rotation(20), h, w))),
        ("zoom x1.25", lambda: warp(_about_centre(np.eye(2) / 1.25, h, w))),
        ("shift 16, 24 px", lambda: warp(_about_centre(np.eye(2), h, w, (16, 24)))),
        ("brightness x1.5", lambda: kernels.adjust_brightness(img, 1.5)),
        ("brightness x0.5", lambda: kernels.adjust_brightness(img, 0.5)),
        ("channel shift +60", lambda: kernels.channel_shift(img, 60.0)),
        ("horizontal flip", lambda: kernels.flip_horizontal(img)),
        ("vertical flip", lambda: kernels.flip_vertical(img)),
    ]
    return [(label, make()) for label, make in steps]


def draw_text(canvas: np.ndarray, text: str, top: int, left: int) -> None:
    """Writes ``text`` (characters of the built-in font) in black at (top, left)."""
    x = left
    for ch in text:
        glyph = _FONT[ch]
        gh, gw = glyph.shape
        region = canvas[top:top + gh, x:x + gw]
        region[glyph[:region.shape[0], :region.shape[1]]] = 0
        x += gw + 1


def render(tiles: List[Tuple[str, np.ndarray]]) -> np.ndarray:
    """The tiles row by row, each with its label under it, on white."""
    th, tw = tiles[0][1].shape[:2]
    rows = -(-len(tiles) // COLS)
    cell_h = th + LABEL_HEIGHT
    canvas = np.full((GAP + rows * (cell_h + GAP), GAP + COLS * (tw + GAP), 3), 255, np.uint8)
    for i, (label, tile) in enumerate(tiles):
        r, c = divmod(i, COLS)
        top, left = GAP + r * (cell_h + GAP), GAP + c * (tw + GAP)
        canvas[top:top + th, left:left + tw] = tile
        draw_text(canvas, label, top + th + 4, left)
    return canvas


def run(output: str) -> int:
    tiles = demo_tiles(sample_image())
    grid = render(tiles)
    write_png(output, grid)
    info = simd_info()
    print(f"wrote {output} ({grid.shape[1]}x{grid.shape[0]}): "
          + ", ".join(label for label, _ in tiles)
          + f"; SIMD {info['active']} (CPU: {info['cpu']})")
    return 0
