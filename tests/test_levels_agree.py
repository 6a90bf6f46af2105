"""Every SIMD level against the scalar reference, for the kernel families whose own tests
need torch (torchvision's colour ops, the antialiased resize): those check each level against
torchvision; these need only numpy, so they also run where torch does not (.ci/arm64.sh under
qemu, where they are what covers the NEON units of these two families)."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import SIMD_PATHS, forced_simd_path
from fastaug import Compose
from fastaug.transforms import ColorJitter, Grayscale, RandomResizedCrop, Resize


def _images(dtype, n=6, shape=(23, 31, 3), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    x[1] = x[1] // 5 + 90   # a narrow range
    x[2, ..., 0] = 200      # a constant channel
    x[3] = x[3, :1, :1]     # a constant image
    return x if dtype == np.uint8 else x.astype(np.float32) / np.float32(255)


def _on_every_level(run):
    out = {}
    for path in SIMD_PATHS:
        with forced_simd_path(path):
            out[path] = run()
    return out


def _assert_agree(results, dtype, atol):
    ref = results["scalar"]
    for path, got in results.items():
        assert got.shape == ref.shape and got.dtype == ref.dtype, path
        if dtype == np.uint8:
            np.testing.assert_array_equal(got, ref, err_msg=path)
        else:
            np.testing.assert_allclose(got, ref, atol=atol, rtol=0, err_msg=path)


@pytest.mark.parametrize("size", [30, (40, 90), 200, (7, 300)])
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_resize_is_the_same_on_every_level(size, channels, dtype):
    images = _images(dtype, shape=(75, 100, channels))
    # Integer arithmetic (uint8) and the shared float loops: identical on every level.
    _assert_agree(_on_every_level(lambda: Compose([Resize(size)])(images).images), dtype, 0.0)


@pytest.mark.parametrize("width", [1, 15, 16, 17, 40, 47, 130])
def test_rgb_resize_widths_and_factors_are_the_same_on_every_level(width):
    """uint8 RGB x passes in blocks of 16, 8 or 4 output pixels (AVX-512 VBMI): partial last
    blocks, upscales and downscales from 1.4x to 9x (the stronger the downscale, the fewer
    output pixels a block's 128-byte source window holds; past 8x the pass falls back),
    sources read up to the image's end, and horizontally flipped results (outputs in reverse
    order)."""
    from fastaug.transforms import HorizontalFlip
    images = _images(np.uint8, n=4, shape=(20, 400, 3), seed=width)
    for src_width in (max(1, width // 3), int(width * 1.4) + 1, 2 * width + 3, 3 * width + 1,
                      5 * width + 1, 9 * width + 2):
        src = np.ascontiguousarray(images[:, :, :min(src_width, 400)])
        for ops in ([Resize((9, width))], [Resize((9, width)), HorizontalFlip(p=1.0)]):
            _assert_agree(_on_every_level(lambda: Compose(ops)(src).images), np.uint8, 0.0)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_random_resized_crop_is_the_same_on_every_level(dtype):
    images = _images(dtype, n=12, shape=(75, 100, 3))
    compose = Compose([RandomResizedCrop((24, 32))], seed=3)
    _assert_agree(_on_every_level(lambda: compose(images, epoch=4).images), dtype, 0.0)


@pytest.mark.parametrize("transform", [
    ColorJitter(0.4, 0.4, 0.4, 0.1), ColorJitter(contrast=(0.0, 2.0)),
    ColorJitter(saturation=(0.0, 2.0)), ColorJitter(hue=(-0.5, 0.5)), Grayscale(),
], ids=repr)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_color_ops_agree_on_every_level(transform, dtype):
    images = _images(dtype, n=16, seed=3)
    compose = Compose([transform], seed=5)
    # uint8: the same bytes (as each level's torchvision test requires); float32: fused and
    # unfused a * b + c may differ in the last ulp.
    _assert_agree(_on_every_level(lambda: compose(images, epoch=2).images), dtype, 1e-5)
