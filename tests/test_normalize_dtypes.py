"""Normalize(dtype="float16" | "bfloat16"): the float32 result rounded once, to nearest even,
on the store of the native pass: bit-identical to ``astype`` of the float32 output, at every
SIMD level, in either layout, for every float32 value (infinities, NaNs, subnormals, the
edges of each format's range)."""
from __future__ import annotations

import numpy as np
import pytest

from fastaug import Compose, _core
from fastaug.transforms import HorizontalFlip, Normalize, RandomResizedCrop

ml_dtypes = pytest.importorskip("ml_dtypes")
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
DTYPES = {"float16": np.dtype(np.float16), "bfloat16": np.dtype(ml_dtypes.bfloat16)}


def _same_bits_or_both_nan(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    g = got.astype(np.float32)
    e = expected.astype(np.float32)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
    keep = ~np.isnan(e)
    np.testing.assert_array_equal(got.view(np.uint16)[keep], expected.view(np.uint16)[keep])


@pytest.mark.parametrize("name", sorted(DTYPES))
@pytest.mark.parametrize("src_dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
@pytest.mark.parametrize("out_layout", ["NHWC", "NCHW"])
def test_half_outputs_are_the_float32_output_rounded(name, src_dtype, out_layout, simd_level):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (5, 37, 45, 3), dtype=np.uint8)
    if src_dtype == np.float32:
        images = images.astype(np.float32) / 255
    head = [RandomResizedCrop((29, 31)), HorizontalFlip()]
    full = Compose(head + [Normalize(MEAN, STD)], seed=2, out_layout=out_layout)(images).images
    half = Compose(head + [Normalize(MEAN, STD, dtype=name)], seed=2,
                   out_layout=out_layout)(images).images
    assert half.dtype == DTYPES[name] and half.flags.c_contiguous
    _same_bits_or_both_nan(half, full.astype(DTYPES[name]))


@pytest.mark.parametrize("name", sorted(DTYPES))
def test_every_kind_of_float32_value_rounds_as_astype(name, simd_level):
    # Normalize(0, 1) of float32 images is the identity, so the store sees these values.
    rng = np.random.default_rng(11)
    bits = rng.integers(0, 2 ** 32, 64 * 61 * 3, dtype=np.uint64).astype(np.uint32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 65504, 65519.99, 65520, 65536,
                        6.1035156e-05, 6.0975552e-05, 5.9604645e-08, 2.9802322e-08,
                        2.9802326e-08, 1e-45, 3.4028235e38, -3.4028235e38, 1.0009766,
                        1.0004883, 1.0014648, 0.33333334, 3.3895314e38], np.float32)
    values = bits.view(np.float32)
    values[:special.size] = special
    # Plenty of ordinary magnitudes too, where most rounding happens.
    values[special.size:5000] = rng.normal(0, 300, 5000 - special.size).astype(np.float32)
    images = values.reshape(1, 64, 61, 3)
    got = Compose([Normalize(0.0, 1.0, dtype=name)])(images).images
    with np.errstate(over="ignore", invalid="ignore"):
        expected = images.astype(DTYPES[name])
    _same_bits_or_both_nan(got, expected)


def test_normalize_dtypes_are_checked_and_serialised():
    with pytest.raises(ValueError, match="dtype must be one of float32, float16, bfloat16"):
        Normalize(0.5, 0.5, dtype="int8")
    with pytest.raises(ValueError, match="dtype must be one of"):
        Normalize(0.5, 0.5, dtype=object())
    assert Normalize(0.5, 0.5, dtype=np.float16).dtype == "float16"
    images = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="Normalize writes float16"):
        Compose([Normalize(0.5, 0.5, dtype="float16")], out_dtype="float32")(images)
    compose = Compose([HorizontalFlip(), Normalize(MEAN, STD, dtype="bfloat16")], seed=3)
    again = Compose.from_json(compose.to_json())
    assert again.transforms[-1].dtype == "bfloat16"
    np.testing.assert_array_equal(again(images).images.view(np.uint16),
                                  compose(images).images.view(np.uint16))


def test_the_core_checks_half_outputs():
    src = np.zeros((1, 4, 4, 3), np.uint8)
    rows = np.array([[1.0, 0, 0, 0, 1, 0]])
    codes, args = np.zeros((1, 0), np.int32), np.zeros((1, 0), np.float32)
    common = dict(normalize_scale=[1.0] * 3, normalize_offset=[0.0] * 3)
    with pytest.raises(TypeError, match="out must be uint16"):
        _core.run_plans(src, np.zeros(1, np.int64), np.zeros((1, 4, 4, 3), np.float32), rows,
                        codes, args, 0, 0, 0.0, 1.0, 1, half_format=1, **common)
    with pytest.raises(ValueError, match="half_format must be 0"):
        _core.run_plans(src, np.zeros(1, np.int64), np.zeros((1, 4, 4, 3), np.uint16), rows,
                        codes, args, 0, 0, 0.0, 1.0, 1, half_format=3, **common)
    with pytest.raises(ValueError, match="half_format needs the normalisation"):
        _core.run_plans(src, np.zeros(1, np.int64), np.zeros((1, 4, 4, 3), np.uint16), rows,
                        codes, args, 0, 0, 0.0, 1.0, 1, half_format=2)


def test_torch_batches_take_bfloat16():
    torch = pytest.importorskip("torch")
    from fastaug.integrations.torch import BatchAugment

    images = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    compose = Compose([HorizontalFlip(), Normalize(MEAN, STD, dtype="bfloat16")], seed=1)
    out, _ = BatchAugment(compose, channels_first=True)(images, np.arange(4))
    expected = compose(images).images.transpose(0, 3, 1, 2)
    assert out.dtype == torch.bfloat16 and out.shape == expected.shape
    np.testing.assert_array_equal(out.view(torch.int16).numpy().view(np.uint16),
                                  np.ascontiguousarray(expected).view(np.uint16))
