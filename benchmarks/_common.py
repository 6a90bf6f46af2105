"""What every workload module shares: images, the one affine geometry, library lookup, and
how a benchmark is labelled so the report can group and compare it."""
from __future__ import annotations

import importlib
import math
import os
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

# The library under test must import; a broken build fails collection rather than skipping.
import fastaug

SINGLE_SHAPES: Dict[str, Tuple[int, int, int]] = {"224": (224, 224, 3), "512": (512, 512, 3)}
BATCH_SHAPE = (32, 224, 224, 3)
BATCH_LABEL = "32x224x224x3"


def make_image(shape: Tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """A photo-like uint8 image: smooth waves and gradients plus a little noise.

    Smooth content keeps the cross-library sanity checks meaningful (a one-pixel rounding
    difference changes a value by a few levels, while a wrong geometry changes it by tens).
    """
    h, w, c = shape
    rng = np.random.default_rng(seed)
    rows = np.arange(h, dtype=np.float64)[:, None]
    cols = np.arange(w, dtype=np.float64)[None, :]
    planes = []
    for _ in range(c):
        fr, fc = rng.uniform(1.5, 4.0, size=2)
        pr, pc = rng.uniform(0, 2 * math.pi, size=2)
        wave = np.sin(2 * math.pi * fr * rows / h + pr) * np.cos(2 * math.pi * fc * cols / w + pc)
        ramp = (rows / h - cols / w) * rng.uniform(-1, 1)
        planes.append(128 + 80 * wave + 30 * ramp + rng.normal(0, 2, size=(h, w)))
    return np.clip(np.rint(np.stack(planes, axis=-1)), 0, 255).astype(np.uint8)


def make_batch(shape: Tuple[int, int, int, int] = BATCH_SHAPE) -> np.ndarray:
    return np.stack([make_image(shape[1:], seed=i) for i in range(shape[0])])


@dataclass(frozen=True)
class Geometry:
    """The one affine used by every library: zoom 0.8 in Keras's (pull) sense, i.e. content
    1.25x larger, rotation 15 degrees and a shift of 10% of the width to the right (in whole
    pixels, as albumentations truncates it), all about the true image centre
    ((W-1)/2, (H-1)/2).

    ``forward_xy`` maps source (x, y) to destination (x, y) (OpenCV's default,
    albumentations' own matrix); ``pull_xy`` is its inverse; ``pull_rc`` is the same pull
    map in (row, col) order as fastaug and scipy.ndimage take it:
    in_r = m0 r + m1 c + m2, in_c = m3 r + m4 c + m5.
    """

    height: int
    width: int
    scale: float = 1.25
    rotate_deg: float = 15.0
    shift_frac_x: float = 0.1

    @property
    def shift_px(self) -> int:
        return int(self.shift_frac_x * self.width)

    @property
    def forward_xy(self) -> np.ndarray:
        t = math.radians(self.rotate_deg)
        # albumentations' rotation matrix, so its Affine(rotate=15) is this very geometry.
        lin = self.scale * np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
        centre = np.array([(self.width - 1) / 2, (self.height - 1) / 2])
        shift = np.array([float(self.shift_px), 0.0])
        return np.hstack([lin, (centre + shift - lin @ centre)[:, None]])

    @property
    def pull_xy(self) -> np.ndarray:
        fwd = np.vstack([self.forward_xy, [0.0, 0.0, 1.0]])
        return np.linalg.inv(fwd)[:2]

    @property
    def pull_rc(self) -> np.ndarray:
        (a, b, c), (d, e, f) = self.pull_xy
        # x_in = a x + b y + c with x = col, y = row; swap to rows first.
        return np.array([[e, d, f], [b, a, c]])

    @property
    def pillow_data(self) -> Tuple[float, ...]:
        # Pillow puts pixel centres at +0.5: X = x + 0.5 on both sides of the map.
        (a, b, c), (d, e, f) = self.pull_xy
        return (a, b, c + 0.5 - 0.5 * (a + b), d, e, f + 0.5 - 0.5 * (d + e))


# --- libraries -------------------------------------------------------------------------


def optional_module(name: str):
    """The module, or None if it is not installed (peers are optional: the `bench` extra)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


cv2 = optional_module("cv2")
albumentations = optional_module("albumentations")
albucore = optional_module("albucore")
PIL_Image = optional_module("PIL.Image")
PIL_ImageEnhance = optional_module("PIL.ImageEnhance")
ndimage = optional_module("scipy.ndimage")
keras_image = optional_module("keras_preprocessing.image")
torch = optional_module("torch")
torchvision_v2 = optional_module("torchvision.transforms.v2")

PEER_PACKAGES = {
    "cv2": ("opencv-python-headless", cv2),
    "albumentations": ("albumentationsx", albumentations),
    "albucore": ("albucore", albucore),
    "PIL": ("pillow", PIL_Image),
    "scipy": ("scipy", ndimage),
    "keras_preprocessing": ("keras-preprocessing", keras_image),
    "torchvision": ("torchvision", torchvision_v2),
}


def fastaug_api(dotted: str):
    """``fastaug.<dotted>``, e.g. ``"kernels.warp_affine"``; a missing name is an error."""
    module_name, _, attr = dotted.rpartition(".")
    module = importlib.import_module("fastaug." + module_name) if module_name else fastaug
    return getattr(module, attr)


@dataclass(frozen=True)
class Impl:
    """One library's way to run a workload.

    ``make(case)`` builds the timed callable outside the timing (transforms, tables), where
    ``case`` is a dict of the workload's parameters (image, geometry, threads, ...).
    """

    library: str
    variant: str
    family: str  # "fastaug", "scipy" (scipy.ndimage and Keras), "opencv", "memcpy", ...
    make: Callable[[dict], Callable[[], object]]
    needs_peers: Tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.library}[{self.variant}]" if self.variant else self.library

    def missing(self) -> Optional[str]:
        for peer in self.needs_peers:
            package, module = PEER_PACKAGES[peer]
            if module is None:
                return f"optional peer {package} is not installed (pip install 'fastaug[bench]')"
        return None


def impl_params(impls: Sequence[Impl]) -> List[object]:
    """pytest params, one per implementation; an optional peer that is not installed is
    skipped at collection with the reason."""
    params = []
    for impl in impls:
        reason = impl.missing()
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(impl, id=impl.id, marks=marks))
    return params


def label(benchmark, *, workload: str, impl: Impl, size: str, threads, images: int,
          nbytes: int) -> None:
    """Group and describe a benchmark so that the report can compare rows of one workload."""
    benchmark.group = f"{workload} | {size} | {threads.label}"
    benchmark.extra_info.update(
        workload=workload,
        library=impl.library,
        variant=impl.variant,
        family=impl.family,
        size=size,
        threads=threads.label,
        thread_count=threads.count,
        images=images,
        bytes=nbytes,
    )


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Threads:
    """A thread setting every library is held to for one benchmark row."""

    count: int
    label: str  # "1 thread" or "all cores (N)"

    @property
    def fastaug(self) -> Optional[int]:
        """fastaug's num_threads: 1, or None for its default of every core."""
        return 1 if self.count == 1 else None


def memcpy_impls(key: str = "image") -> List[Impl]:
    """The physical floor: the same bytes copied, into an existing array and into a new one."""

    def copyto(case):
        src = case[key]
        dst = np.empty_like(src)

        def run():
            np.copyto(dst, src)
            return dst

        return run

    def copy(case):
        src = case[key]
        return lambda: np.copy(src)

    return [
        Impl("memcpy", "np.copyto, existing array", "memcpy", copyto),
        Impl("memcpy", "np.copy, new array", "memcpy", copy),
    ]
