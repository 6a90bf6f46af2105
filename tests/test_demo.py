import zlib

import numpy as np

from fastaug.__main__ import main
from fastaug._png import encode_png


def test_png_roundtrip_decodes_to_the_same_pixels():
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    data = encode_png(img)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(5, 1 + 7 * 3)
    assert not raw[:, 0].any()
    np.testing.assert_array_equal(raw[:, 1:].reshape(5, 7, 3), img)


def test_demo_writes_png(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert main(["demo", "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in capsys.readouterr().out


def _decode_png(path):
    """The RGB pixels of a PNG that write_png wrote (filter 0 on every row)."""
    data = open(path, "rb").read()
    width, height = (int.from_bytes(data[16 + 4 * k:20 + 4 * k], "big") for k in range(2))
    idat = b""
    pos = 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * 3)
    return raw[:, 1:].reshape(height, width, 3)


def test_demo_is_a_labelled_grid_of_each_augmentation(tmp_path, capsys):
    from fastaug._cli import demo

    out = tmp_path / "demo.png"
    assert main(["demo", "-o", str(out)]) == 0
    grid = _decode_png(out)
    tiles = demo.demo_tiles(demo.sample_image())
    labels = [label for label, _ in tiles]
    for word in ("rotation", "zoom", "shift", "brightness", "horizontal flip", "vertical flip"):
        assert any(word in label for label in labels), word
    assert len(tiles) == 9 and labels[0] == "original"
    th, tw = tiles[0][1].shape[:2]
    seen = set()
    for i, (label, tile) in enumerate(tiles):
        r, c = divmod(i, demo.COLS)
        top = demo.GAP + r * (th + demo.LABEL_HEIGHT + demo.GAP)
        left = demo.GAP + c * (tw + demo.GAP)
        np.testing.assert_array_equal(grid[top:top + th, left:left + tw], tile)
        strip = grid[top + th:top + th + demo.LABEL_HEIGHT, left:left + tw]
        ink = strip.min(axis=2) == 0
        assert ink.any(), label  # the label is drawn
        assert ink.any(axis=0).sum() > 2 * len(label.replace(" ", ""))
        seen.add(tile.tobytes())
    assert len(seen) == 9  # every augmentation changes the card
    stdout = capsys.readouterr().out
    assert all(label in stdout for label in labels)
