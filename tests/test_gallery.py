"""docs/gallery.ipynb runs, and docs/gallery.md and docs/gallery/ are what it writes."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs")


def _run_notebook(path, namespace):
    """Runs the notebook's code cells in order in ``namespace`` (what a kernel would run;
    no Jupyter needed)."""
    with open(path, encoding="utf-8") as f:
        notebook = json.load(f)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), path, "exec"), namespace)


def test_gallery_notebook_writes_the_committed_page_and_pictures(tmp_path):
    pytest.importorskip("sklearn")
    namespace = {"GALLERY_DIR": str(tmp_path / "gallery"), "PAGE": str(tmp_path / "gallery.md")}
    _run_notebook(os.path.join(DOCS, "gallery.ipynb"), namespace)
    with open(os.path.join(DOCS, "gallery.md"), encoding="utf-8") as f:
        committed = f.read()
    assert (tmp_path / "gallery.md").read_text(encoding="utf-8") == committed
    names = sorted(os.listdir(tmp_path / "gallery"))
    assert names == sorted(os.listdir(os.path.join(DOCS, "gallery")))
    assert len(names) == 11
    for name in names:
        assert f"(gallery/{name})" in committed
        with Image.open(tmp_path / "gallery" / name) as a, \
                Image.open(os.path.join(DOCS, "gallery", name)) as b:
            diff = np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16))
        assert diff.mean() < 2, name  # JPEG encoders of other Pillow builds may differ a bit
    for word in ("shift", "zoom", "rotation", "shear", "horizontal flip", "vertical flip",
                 "brightness", "channel shift"):
        assert f"## {word}" in committed
