"""The native keyed uniforms are the numpy Philox-4x32-10 reference (whose known answers
test_augment checks), word for word, for every part of the counter and key."""
import numpy as np
import pytest

from fastaug._random import stream_uniforms, uniforms


@pytest.mark.parametrize("seed", [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 64 - 1, 0x9E3779B97F4A7C15])
def test_native_uniforms_equal_the_numpy_reference(seed):
    rng = np.random.default_rng(seed % 1000)
    indices = np.concatenate([[0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 63 - 1],
                              rng.integers(0, 2 ** 63 - 1, 27, dtype=np.int64)])
    streams = [0, 1, 2, 255, 256, (2 ** 24 - 1) << 8 | 7, 2 ** 32 - 1]
    for epoch in (0, 7, 2 ** 32 - 1):
        got = stream_uniforms(seed, epoch, indices, streams)
        assert got.shape == (len(streams), 4, len(indices)) and got.dtype == np.float64
        for k, stream in enumerate(streams):
            np.testing.assert_array_equal(got[k], uniforms(seed, epoch, indices, stream))


def test_no_streams_or_no_indices():
    assert stream_uniforms(3, 0, np.arange(5), []).shape == (0, 4, 5)
    assert stream_uniforms(3, 0, np.zeros(0, np.int64), [1, 2]).shape == (2, 4, 0)
