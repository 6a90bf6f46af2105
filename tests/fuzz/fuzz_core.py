"""Fuzz target for the native entry points in fastaug._core (and the kernels facade).

Each input is decoded into one call: entry point, dtypes, shape, memory layout (strides,
negative steps, channel slices, sentinel padding around input and output) and parameters
(raw float64 bits, so NaN, inf, huge and subnormal values all occur). A call may raise
TypeError/ValueError; anything else fails, and so does a result that wrote outside `out`,
wrote the input, or differs from numpy where the answer is simple (flips).

    python tests/fuzz/fuzz_core.py --replay tests/fuzz/corpus     # replay, no atheris needed
    python tests/fuzz/fuzz_core.py --seconds 60                   # atheris, bounded, seeded
    python tests/fuzz/fuzz_core.py --make-corpus tests/fuzz/corpus

Atheris sees coverage of Python code only (the native extension is built by gcc without
libFuzzer instrumentation); native memory errors are caught by running the replay or the
fuzzer under .ci/sanitize.sh's ASan build.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile

import numpy as np

from fastaug import _core, kernels

FILL_MODES = ("constant", "nearest", "reflect", "wrap", "mirror")
DTYPES = (np.uint8, np.float32)
SENTINEL = {np.dtype(np.uint8): 0x5A, np.dtype(np.float32): np.float32(-3.25e37)}
ENTRY_POINTS = ("flip_horizontal", "flip_vertical", "adjust_brightness", "channel_shift",
                "warp_affine", "run_plans", "min_max", "scale_offset", "keras_brightness",
                "kernels_warp", "kernels_shift")
SPECIAL_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, 255.0, 1e-310, 3.4e38, 1e39, 1e300, -1e300,
                  float("inf"), float("-inf"), float("nan"), 2.0 ** 31, -(2.0 ** 31), 2.0 ** 63)


class Reader:
    """Deterministic decoding of the fuzz input; reads past the end give zeros."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk + bytes(n - len(chunk))

    def int(self, lo: int, hi: int) -> int:
        return lo + int.from_bytes(self.take(2), "little") % (hi - lo + 1)

    def pick(self, options):
        return options[self.int(0, len(options) - 1)]

    def float(self) -> float:
        """Half the time a special value, else raw float64 bits scaled into a useful range."""
        if self.int(0, 1):
            return self.pick(SPECIAL_FLOATS)
        (value,) = struct.unpack("<d", self.take(8))
        if np.isfinite(value) and self.int(0, 3):
            value = float(np.clip(value, -1e6, 1e6)) if abs(value) > 1e-3 else value * 1e6
        return value


def embedded(reader: Reader, shape, dtype, fill_from=None):
    """(buffer, view): a view of `shape` inside a sentinel-filled buffer, with padding, a
    pixel step, reversed axes or a channel slice as the input chooses."""
    h, w, c = shape
    pad, step = reader.int(0, 2), reader.int(1, 2)
    extra_channels = reader.int(0, 2)
    buf = np.full((h * step + 2 * pad, w * step + 2 * pad, c + extra_channels),
                  SENTINEL[np.dtype(dtype)], dtype)
    view = buf[pad:pad + h * step:step, pad:pad + w * step:step, :c]
    if reader.int(0, 1):
        view = view[::-1]
    if reader.int(0, 1):
        view = view[:, ::-1]
    if fill_from is not None:
        view[...] = fill_from
    return buf, view


def image_values(reader: Reader, shape, dtype):
    rng = np.random.default_rng(reader.int(0, 65535))
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    values = (rng.random(size=shape) * 300 - 20).astype(np.float32)
    if reader.int(0, 3) == 0:  # sprinkle non-finite pixels
        values.flat[rng.integers(0, values.size, size=3)] = [np.nan, np.inf, -np.inf]
    return values


def outside_mask(buf, view):
    """True where `buf` is not covered by `view` (a view into it)."""
    offset = (view.ctypes.data - buf.ctypes.data) // buf.itemsize
    steps = np.array(view.strides, np.int64) // buf.itemsize
    coords = np.indices(view.shape).reshape(view.ndim, -1)
    inside = np.zeros(buf.size, bool)
    inside[offset + steps @ coords] = True
    return ~inside.reshape(buf.shape)


def run_one(data: bytes) -> bool:
    """Runs one decoded call; True if it ran, False if its arguments were refused."""
    reader = Reader(data)
    entry = reader.pick(ENTRY_POINTS)
    dtype = reader.pick(DTYPES)
    out_dtype = reader.pick(DTYPES)
    shape = (reader.int(1, 24), reader.int(1, 24), reader.int(1, 6))
    values = image_values(reader, shape, dtype)
    in_buf, image = embedded(reader, shape, dtype, values)
    in_before = in_buf.copy()

    def check_input_untouched():
        assert np.array_equal(in_buf, in_before, equal_nan=dtype == np.float32), "input written"

    try:
        if entry in ("flip_horizontal", "flip_vertical"):
            out_buf, out = embedded(reader, shape, dtype)
            getattr(_core, entry)(image, out)
            want = values[:, ::-1] if entry == "flip_horizontal" else values[::-1]
            assert np.array_equal(out, want, equal_nan=True), "flip differs from numpy"
        elif entry == "adjust_brightness":
            out_buf, out = embedded(reader, shape, dtype)
            _core.adjust_brightness(image, out, reader.float(), reader.pick(("nearest", "floor", "up")))
        elif entry == "channel_shift":
            out_buf, out = embedded(reader, shape, dtype)
            shifts = [reader.float() for _ in range(reader.int(1, 7))]
            _core.channel_shift(image, out, shifts, reader.float(), reader.float())
        elif entry == "warp_affine":
            out_shape = (reader.int(1, 24), reader.int(1, 24), shape[2])
            out_buf, out = embedded(reader, out_shape, out_dtype)
            matrix = np.array([reader.float() for _ in range(6)]).reshape(2, 3)
            _core.warp_affine(image, out, matrix, reader.int(0, 2), reader.pick(FILL_MODES),
                              reader.float())
        elif entry == "run_plans":
            batch = reader.int(0, 4)
            h2, w2 = reader.int(1, 24), reader.int(1, 24)
            out_buf = np.full((batch + 2, h2 + 2, w2 + 2, shape[2] + 1),
                              SENTINEL[np.dtype(out_dtype)], out_dtype)
            out = out_buf[1:batch + 1, 1:h2 + 1, 1:w2 + 1, :shape[2]]
            if reader.int(0, 1):
                out = out[:, ::-1, ::-1]
            src = np.stack([image, image[::-1]])
            matrices = np.array([reader.float() for _ in range(6 * batch)]).reshape(batch, 6)
            width = reader.int(0, 3)
            codes = np.array([reader.int(-1, 6) for _ in range(batch * width)],
                             np.int32).reshape(batch, width)
            args = np.array([reader.float() for _ in range(batch * width * 2)],
                            np.float32).reshape(batch, width * 2)
            indices = np.array([reader.int(-1, 2) for _ in range(batch)], np.int64)
            _core.run_plans(src, indices, out, matrices, codes, args, reader.int(0, 1),
                            reader.int(0, 5), reader.float(), reader.float(), reader.int(0, 3))
        elif entry == "min_max":
            lo, hi = _core.min_max(image)
            if dtype == np.uint8:
                assert (lo, hi) == (values.min(), values.max()), "min_max differs"
            out_buf = None
        elif entry == "scale_offset":
            out_buf, out = embedded(reader, shape, out_dtype)
            _core.scale_offset(image, out, reader.float(), reader.float())
        elif entry == "keras_brightness":
            work = np.array(values, np.float32)
            _core.keras_brightness_inplace(work, reader.float(), bool(reader.int(0, 1)))
            out_buf = None
        elif entry == "kernels_warp":
            matrix = [[reader.float() for _ in range(3)] for _ in range(reader.int(2, 3))]
            kernels.warp_affine(image, matrix, order=reader.int(0, 1),
                                fill_mode=reader.pick(FILL_MODES), cval=reader.float(),
                                output_shape=(reader.int(1, 30), reader.int(1, 30)))
            out_buf = None
        else:  # kernels_shift
            clip = None if reader.int(0, 1) else (reader.float(), reader.float())
            kernels.channel_shift(image, reader.float(), clip=clip)
            out_buf = None
    except (TypeError, ValueError):
        check_input_untouched()
        return False
    check_input_untouched()
    if out_buf is not None:
        outside = outside_mask(out_buf, out)
        fresh = np.full(out_buf.shape, SENTINEL[out_buf.dtype], out_buf.dtype)
        assert np.array_equal(out_buf[outside], fresh[outside]), f"{entry} wrote outside out"
    return True


def make_corpus(folder: str) -> None:
    """A fixed seed corpus: every entry point with a spread of shapes and parameters."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(20261124)
    for k, entry in enumerate(ENTRY_POINTS):
        for variant in range(4):
            head = struct.pack("<H", k)
            body = rng.integers(0, 256, size=160, dtype=np.uint8).tobytes()
            with open(os.path.join(folder, f"{entry}-{variant}"), "wb") as f:
                f.write(head + body)


def replay(folder: str) -> None:
    names = sorted(os.listdir(folder))
    ran = 0
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        try:
            ran += run_one(data)
        except Exception:
            print(f"fuzz replay: {name} failed", file=sys.stderr)
            raise
    print(f"fuzz replay: {len(names)} inputs ok ({ran} ran, {len(names) - ran} refused)")


def fuzz(seconds: int, corpus: str) -> None:
    import atheris  # only needed for fuzzing, not for replay

    def test_one_input(data: bytes) -> None:
        run_one(data)

    atheris.instrument_all()  # coverage of this harness and of fastaug's Python code
    new_inputs = tempfile.mkdtemp(prefix="fastaug-fuzz-")
    # New inputs go to a temporary folder; the committed seed corpus is only read.
    argv = [sys.argv[0], new_inputs, corpus, f"-max_total_time={seconds}", "-seed=1",
            "-timeout=20", "-rss_limit_mb=4096", "-print_final_stats=1"]
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--replay", metavar="DIR")
    group.add_argument("--seconds", type=int)
    group.add_argument("--make-corpus", metavar="DIR")
    parser.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__), "corpus"))
    args = parser.parse_args()
    np.seterr(all="ignore")  # float specials are the point here
    if args.replay:
        replay(args.replay)
    elif args.make_corpus:
        make_corpus(args.make_corpus)
    else:
        fuzz(args.seconds, args.corpus)


if __name__ == "__main__":
    main()
