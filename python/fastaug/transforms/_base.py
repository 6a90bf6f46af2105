"""The transform model: a transform draws its parameters, then writes its part of a plan.

Coordinates, once for every transform: (x, y) = (column, row) in pixels, pixel centres at
integers, so an H x W image covers [-0.5, W - 0.5] x [-0.5, H - 0.5] and its centre is
``((W - 1) / 2, (H - 1) / 2)``. A geometric transform gives its *forward* map (where a point
of its input lands in its output) and that map's *pull* inverse, both (B, 3, 3) float64 over
homogeneous (x, y, 1); the plan composes them right to left (the first transform's map is
applied first). Images are pulled through the composed inverse in one warp; keypoints and
boxes travel through the composed forward map.
"""
from __future__ import annotations

import zlib
from typing import Any, ClassVar, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .. import _checks
from .._pipeline import COLOR_OPS, FILL_MODES, MAX_COLOR_OPS

__all__ = ["Transform", "Plan", "slot_of"]

Params = Dict[str, np.ndarray]

INTERPOLATIONS = {"nearest": 0, "bilinear": 1}


def slot_of(name: str, occurrence: int) -> int:
    """The Philox stream slot of the ``occurrence``-th transform of class ``name`` in a
    pipeline: a fixed function of both, never 0 (slot 0 is ``Augment``'s), so a transform's
    draws do not move when others are added, removed or reordered."""
    return zlib.crc32(f"{name}/{occurrence}".encode()) % (2 ** 24 - 1) + 1


_EYE3 = np.eye(3)
# (row, col) entries of an (x, y) pull map, flattened, in the kernels' (row, col) order.
_KERNEL_ROW_ENTRIES = [4, 3, 5, 1, 0, 2]


def _identities(batch: int) -> np.ndarray:
    return np.broadcast_to(_EYE3, (batch, 3, 3))


class Plan:
    """What one batch's transforms ask of the executor (struct of arrays, one row per image).

    ``forward``/``pull``: (B, 3, 3) composed maps (see the module docstring); ``size``:
    (H, W) of the image at this point of the pipeline (the output size once every transform
    has contributed); ``ops()``: per image the colour ops, as codes of ``COLOR_OPS`` (0
    where an op is off for an image) and their arguments; ``fill_mode``, ``cval`` and
    ``order`` of the one warp.
    """

    def __init__(self, batch: int, size: Tuple[int, int], fill_mode: str = "constant",
                 cval: float = 0.0, order: int = 1):
        self.batch = batch
        self.size = size
        self._pull: Optional[np.ndarray] = None  # None: the identity (no map yet)
        # Forward maps are only needed for keypoints and boxes: kept as factors (arrays, or
        # callables that make them) and composed when asked for.
        self._forward_factors: List[Any] = []
        self._op_count = 0
        self._op_codes = np.zeros((batch, MAX_COLOR_OPS), np.int32)
        self._op_args = np.zeros((batch, MAX_COLOR_OPS, 2), np.float32)
        self.fill_mode = fill_mode
        self.cval = cval
        self.order = order
        # Resample axis-aligned downscales with antialiasing (set by Resize and
        # RandomResizedCrop; see PlanSettings::antialias in the core).
        self.antialias = False
        # The Normalize transform ending the pipeline, or None.
        self.normalize: Any = None

    @property
    def pull(self) -> np.ndarray:
        return _identities(self.batch) if self._pull is None else self._pull

    @property
    def forward(self) -> np.ndarray:
        out = _identities(self.batch)
        for factor in self._forward_factors:
            out = (factor() if callable(factor) else factor) @ out
        self._forward_factors = [out]
        return out

    def geometry(self, forward, pull: np.ndarray) -> None:
        """Append a map and its inverse after what is there: ``pull`` (B, 3, 3), ``forward``
        (B, 3, 3) or a callable that makes it (called only if the forward maps are used)."""
        self._forward_factors.append(forward)
        self._pull = pull if self._pull is None else self._pull @ pull

    def flip(self, axis: int, on: np.ndarray) -> None:
        """Append a mirror of x (axis 0) or y (axis 1) where ``on``: x -> W - 1 - x. A flip is
        its own inverse, and composing it only negates and shifts entries, so no product is
        needed for the pull maps."""
        offset = on * (self.size[1 - axis] - 1.0)
        sign = 1.0 - 2.0 * on
        pull = np.array(self.pull)  # (pull @ F): column `axis` negated, its offset moved
        pull[:, :, 2] += offset[:, None] * pull[:, :, axis]
        pull[:, :, axis] *= sign[:, None]
        self._pull = pull

        def forward():
            m = np.array(_identities(self.batch))
            m[:, axis, axis] = sign
            m[:, axis, 2] = offset
            return m
        self._forward_factors.append(forward)

    def color(self, op: str, on: np.ndarray, a: np.ndarray, b: Optional[np.ndarray] = None) -> None:
        """Append colour op ``op`` (a key of ``COLOR_OPS``) for the images where ``on``."""
        k = self._next_op()
        self._op_codes[:, k] = on
        self._op_codes[:, k] *= COLOR_OPS[op]
        self._op_args[:, k, 0] = np.where(on, a, 0)
        if b is not None:
            self._op_args[:, k, 1] = np.where(on, b, 0)

    def color_per_image(self, codes: np.ndarray, a: np.ndarray,
                        b: Optional[np.ndarray] = None) -> None:
        """Append one colour op per image: ``codes`` (B,) are codes of ``COLOR_OPS`` (0: no op
        for that image), ``a`` and ``b`` their arguments (for ops drawn in a random order per
        image, as ColorJitter's)."""
        k = self._next_op()
        self._op_codes[:, k] = codes
        self._op_args[:, k, 0] = np.where(codes != 0, a, 0)
        if b is not None:
            self._op_args[:, k, 1] = np.where(codes != 0, b, 0)

    def _next_op(self) -> int:
        k = self._op_count
        if k == MAX_COLOR_OPS:
            raise ValueError(f"a pipeline may hold at most {MAX_COLOR_OPS} colour ops")
        self._op_count = k + 1
        return k

    def ops(self) -> Tuple[np.ndarray, np.ndarray]:
        """(B, K) int32 codes and (B, K, 2) float32 arguments, K colour ops per image."""
        k = self._op_count
        return self._op_codes[:, :k], self._op_args[:, :k]

    def fork(self) -> "Plan":
        """An empty plan for the same batch, size and warp settings: what a container's child
        contributes to before :meth:`absorb` takes it in for the images that chose it."""
        return Plan(self.batch, self.size, self.fill_mode, self.cval, self.order)

    def absorb(self, children: Dict[int, "Plan"], choice: np.ndarray) -> None:
        """Append, for each image i, what plan ``children[choice[i]]`` holds (nothing where
        ``choice[i]`` is not a key, e.g. -1): its map after this plan's, its colour ops
        after this plan's. Forked plans only (same batch and size)."""
        masks = {c: choice == c for c in children}
        if any(sub._pull is not None or sub._forward_factors for sub in children.values()):
            pull = np.array(_identities(self.batch))
            for c, sub in children.items():
                if sub._pull is not None:
                    pull[masks[c]] = sub._pull[masks[c]]

            def forward():
                m = np.array(_identities(self.batch))
                for c, sub in children.items():
                    if sub._forward_factors:
                        m[masks[c]] = sub.forward[masks[c]]
                return m
            self.geometry(forward, pull)
        for k in range(max((sub._op_count for sub in children.values()), default=0)):
            codes = np.zeros(self.batch, np.int32)
            args = np.zeros((self.batch, 2), np.float32)
            for c, sub in children.items():
                if k < sub._op_count:
                    codes[masks[c]] = sub._op_codes[masks[c], k]
                    args[masks[c]] = sub._op_args[masks[c], k]
            if codes.any():
                self.color_per_image(codes, args[:, 0], args[:, 1])
        self.antialias = self.antialias or any(sub.antialias for sub in children.values())

    def kernel_rows(self) -> np.ndarray:
        """(B, 6) pull rows in the kernels' (row, col) convention."""
        return self.pull.reshape(self.batch, 9)[:, _KERNEL_ROW_ENTRIES]


class Transform:
    """A random transform: ``sample`` draws its parameters, ``contribute`` writes them into a
    :class:`Plan`. Subclasses set ``words`` (uniforms per image, word 0 being the ``p`` draw)
    and list their constructor arguments in ``config_keys`` (for ``to_dict``)."""

    words: ClassVar[int] = 1
    config_keys: ClassVar[Tuple[str, ...]] = ("p",)
    # The warp settings a geometric transform asks for (None: no preference).
    fill_mode: Optional[str] = None
    fill: float = 0.0
    interpolation: Optional[str] = None

    def __init__(self, p: float = 1.0):
        self.p = _checks.real(p, "p", 0.0, 1.0)

    # -- drawing

    def applied(self, u: np.ndarray) -> np.ndarray:
        """(B,) bool: where the transform applies, from word 0 (always drawn, whatever p)."""
        return u[0] < self.p

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        """Parameters for B images from ``u``, (words, B) uniforms in (0, 1) that are a pure
        function of (seed, epoch, index, this transform's slot); ``size`` is (H, W) of the
        image this transform receives."""
        return {"applied": self.applied(u)}

    def output_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        """(H, W) of this transform's output for an input of ``size``."""
        return size

    # -- the tree (containers such as OneOf hold children)

    def walk(self) -> Iterator["Transform"]:
        """This transform and, for a container, its children's trees, in pre-order: the
        order in which ``Compose`` gives out stream slots and draws."""
        yield self

    def draw(self, draws: Iterator[np.ndarray], size: Tuple[int, int]) -> Params:
        """``sample`` with this transform's uniforms, the next of ``draws`` (one per node of
        :meth:`walk`, in its order)."""
        return self.sample(next(draws), size)

    def contribute(self, params: Params, plan: Plan) -> None:
        raise NotImplementedError

    # -- description

    def get_config(self) -> Dict[str, Any]:
        return {key: _plain(getattr(self, key)) for key in self.config_keys}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))


def _plain(value: Any) -> Any:
    """A config value as JSON/TOML-friendly data (tuples become lists)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def fill_mode_arg(value: object) -> str:
    if not isinstance(value, str) or value not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {', '.join(FILL_MODES)}, got {value!r}")
    return value


def interpolation_arg(value: object) -> str:
    if not isinstance(value, str) or value not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {', '.join(INTERPOLATIONS)}, got {value!r}")
    return value
