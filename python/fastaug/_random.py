"""Counter-based random numbers: Philox-4x32-10, vectorised in numpy.

A counter-based generator is a pure function ``(key, counter) -> 4 random words``: there is
no state to advance, so a sample's numbers depend only on what names it, never on which
samples were drawn before it, in which order, in which process or thread. That is what makes
``fastaug.Augment`` reproducible across batch sizes, workers and access orders.

Philox-4x32-10 is the generator of Salmon et al., "Parallel random numbers: as easy as 1, 2,
3" (SC 2011), as published in Random123 (and used by cuRAND, JAX and TensorFlow); its known
answers are checked in the tests. Here every sample is one lane of a numpy array, so a batch
costs ten rounds of whole-array integer arithmetic.
"""
from __future__ import annotations

import numpy as np

from . import _core

__all__ = ["philox4x32", "uniforms", "stream_uniforms"]

_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_MULTIPLIERS = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_WEYL = (0x9E3779B9, 0xBB67AE85)  # key increments per round (golden ratio, sqrt(3) - 1)
_ROUNDS = 10


def philox4x32(counter, key) -> np.ndarray:
    """Philox-4x32-10 of each counter under one key.

    Args:
        counter: (4, n) array of 32-bit words (any integer dtype, values < 2**32).
        key: two 32-bit words.

    Returns:
        (4, n) uint32: the four output words per counter.
    """
    c = np.asarray(counter, dtype=np.uint64)
    if c.ndim != 2 or c.shape[0] != 4:
        raise ValueError(f"counter must have shape (4, n), got {c.shape}")
    c0, c1, c2, c3 = (row & _MASK32 for row in c)
    k0, k1 = (int(k) & 0xFFFFFFFF for k in key)
    for round_index in range(_ROUNDS):
        if round_index:
            k0 = (k0 + _WEYL[0]) & 0xFFFFFFFF
            k1 = (k1 + _WEYL[1]) & 0xFFFFFFFF
        # 32x32 -> 64-bit products fit uint64 exactly; split them into high and low words.
        p0 = c0 * _MULTIPLIERS[0]
        p1 = c2 * _MULTIPLIERS[1]
        c0, c1, c2, c3 = ((p1 >> _SHIFT32) ^ c1 ^ np.uint64(k0), p1 & _MASK32,
                          (p0 >> _SHIFT32) ^ c3 ^ np.uint64(k1), p0 & _MASK32)
    return np.stack([c0, c1, c2, c3]).astype(np.uint32)


def uniforms(seed: int, epoch: int, indices: np.ndarray, stream: int) -> np.ndarray:
    """(4, n) float64 uniforms in the open interval (0, 1) for each sample index.

    Key = (seed's low word, seed's high word); counter = (index's low word, epoch, stream,
    index's high word). Word w maps to ``(w + 0.5) / 2**32``.
    """
    idx = np.asarray(indices, dtype=np.uint64)
    counter = np.empty((4, idx.shape[0]), dtype=np.uint64)
    counter[0] = idx & _MASK32
    counter[1] = epoch
    counter[2] = stream
    counter[3] = idx >> _SHIFT32
    words = philox4x32(counter, (seed & 0xFFFFFFFF, seed >> 32))
    return (words.astype(np.float64) + 0.5) * 2.0 ** -32


def stream_uniforms(seed: int, epoch: int, indices: np.ndarray, streams) -> np.ndarray:
    """(S, 4, n) float64 uniforms: ``uniforms(seed, epoch, indices, s)`` for each stream s of
    ``streams``, computed natively in one call (the same function as :func:`philox4x32`,
    which the tests hold it to)."""
    idx = np.ascontiguousarray(indices, dtype=np.int64)
    return _core.keyed_uniforms(seed, epoch, idx.reshape(-1), streams)
