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

import math
import zlib
from typing import Any, ClassVar, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .. import _checks
from .._pipeline import COLOR_OPS, FILL_MODES, MAX_COLOR_OPS, MAX_REGION_OPS, REGION_OPS

__all__ = ["Transform", "Plan", "Region", "slot_of", "area_and_aspect_tries"]

Params = Dict[str, np.ndarray]

INTERPOLATIONS = {"nearest": 0, "bilinear": 1}


def area_and_aspect_tries(u: np.ndarray, tries: int, image_area: float,
                          scale: Tuple[float, float], ratio: Tuple[float, float]):
    """torchvision's random tries of a box (RandomResizedCrop, RandomErasing): per try and
    image, a target area ``image_area * U(scale)`` from ``u[1:1 + tries]`` and an aspect
    ratio log-uniform in ``ratio`` from ``u[1 + tries:1 + 2 * tries]``, each (tries, B)."""
    area = image_area * (scale[0] + (scale[1] - scale[0]) * u[1:1 + tries])
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    return area, np.exp(log_lo + (log_hi - log_lo) * u[1 + tries:1 + 2 * tries])


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
        # What closed the plan to further geometry (its ops act after the warp), or None.
        self.geometry_closed_by: Optional[str] = None
        # The transform that cannot carry masks, keypoints and boxes, or None.
        self.refuses_targets: Optional[str] = None
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
        # Region ops (rectangles overwritten after the warp): one Region per op slot.
        self.regions: List[Region] = []

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

    def close_geometry(self, by: str) -> None:
        """Refuse geometry from now on: ``by`` (a transform's name) acts after the warp."""
        if self.geometry_closed_by is None:
            self.geometry_closed_by = by

    def _no_regions_yet(self) -> None:
        if self.regions:
            raise ValueError("a geometric transform cannot follow a region transform "
                             "(RandomErasing, CoarseDropout): their rectangles are drawn on "
                             "the warped image; put them after every geometric transform")
        if self.geometry_closed_by is not None:
            raise ValueError(f"a geometric transform cannot follow {self.geometry_closed_by} "
                             f"(its ops act on the warped image); put it after every "
                             f"geometric transform")

    def geometry(self, forward, pull: np.ndarray) -> None:
        """Append a map and its inverse after what is there: ``pull`` (B, 3, 3), ``forward``
        (B, 3, 3) or a callable that makes it (called only if the forward maps are used)."""
        self._no_regions_yet()
        self._forward_factors.append(forward)
        self._pull = pull if self._pull is None else self._pull @ pull

    def flip(self, axis: int, on: np.ndarray) -> None:
        """Append a mirror of x (axis 0) or y (axis 1) where ``on``: x -> W - 1 - x. A flip is
        its own inverse, and composing it only negates and shifts entries, so no product is
        needed for the pull maps."""
        self._no_regions_yet()
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

    def region(self, op: str, on: np.ndarray, rect: np.ndarray, key: np.ndarray,
               values: Optional[np.ndarray] = None, mask_fill: Optional[float] = None,
               hides_keypoints: bool = False, owner: Any = None) -> None:
        """Append region op ``op`` (a key of ``REGION_OPS``) where ``on``: ``rect`` (B, 4)
        whole-pixel (top, left, height, width) inside the image at this point (its final
        size: no geometric transform may follow), ``key`` (B, 2) the 32-bit words of its
        random fill, ``values`` (V,) or (B, V) its fill values (1 or one per channel).
        ``mask_fill``: the value the rectangle gets in masks (None: masks unchanged);
        ``hides_keypoints``: keypoints on its pixels are reported not visible; ``owner``:
        the transform, for error messages."""
        if len(self.regions) == MAX_REGION_OPS:
            raise ValueError(f"a pipeline may hold at most {MAX_REGION_OPS} region ops "
                             f"(RandomErasing, CoarseDropout holes)")
        on = np.asarray(on, bool)
        vals = np.zeros((self.batch, 1)) if values is None else np.asarray(values, np.float64)
        if vals.ndim == 1:
            vals = np.broadcast_to(vals, (self.batch, vals.shape[0]))
        self.regions.append(Region(np.where(on, REGION_OPS[op], 0), self._op_count,
                                   np.where(on[:, None], rect, 0).astype(np.float64),
                                   np.asarray(key, np.float64), np.array(vals, np.float64),
                                   mask_fill, hides_keypoints, owner))

    def region_array(self, channels: int) -> Optional[np.ndarray]:
        """(B, R, 8 + V) float64 region ops for the core, None without any: (code, after, top,
        left, height, width, key words, values); 1-value fills widen to ``channels`` when
        another region has one value per channel."""
        if not self.regions:
            return None
        widths = {r.values.shape[1] for r in self.regions}
        width = max(widths) if widths != {1} else 1
        out = np.zeros((self.batch, len(self.regions), 8 + width))
        for k, r in enumerate(self.regions):
            out[:, k, 0] = r.codes
            out[:, k, 1] = r.after
            out[:, k, 2:6] = r.rect
            out[:, k, 6:8] = r.key
            out[:, k, 8:] = r.values if r.values.shape[1] == width else r.values[:, :1]
        return out

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
        for sub in children.values():
            if sub.geometry_closed_by is not None:
                self.close_geometry(sub.geometry_closed_by)
            self.refuses_targets = self.refuses_targets or sub.refuses_targets
        for c, sub in children.items():  # after every op the children brought
            for r in sub.regions:
                self.regions.append(Region(np.where(masks[c], r.codes, 0), self._op_count,
                                           r.rect, r.key, r.values, r.mask_fill,
                                           r.hides_keypoints, r.owner))

    @classmethod
    def gather(cls, plans: Sequence["Plan"], positions: Sequence[np.ndarray],
               batch: int) -> "Plan":
        """One plan for a batch of images of different sizes, sampled group by group: the
        images at ``positions[g]`` get ``plans[g]``. Every group must come out at one size.
        A group's colour ops keep their slots; its region ops keep their order (groups
        share a region slot where the same transform drew it)."""
        sizes = sorted({p.size for p in plans})
        if len(sizes) > 1:
            raise ValueError(
                f"images of different sizes must come out at one size to form a batch, these "
                f"come out at {sizes}: end the pipeline with a transform that sets the size "
                f"(Resize((h, w)), CenterCrop, RandomCrop, RandomResizedCrop)")
        first = plans[0]
        out = cls(batch, first.size, first.fill_mode, first.cval, first.order)
        out.normalize = first.normalize
        out.antialias = any(p.antialias for p in plans)
        out.geometry_closed_by = next((p.geometry_closed_by for p in plans
                                       if p.geometry_closed_by is not None), None)
        out.refuses_targets = next((p.refuses_targets for p in plans
                                    if p.refuses_targets is not None), None)
        pull = np.empty((batch, 3, 3))
        for p, pos in zip(plans, positions):
            pull[pos] = p.pull
        out._pull = pull

        def forward():
            m = np.empty((batch, 3, 3))
            for p, pos in zip(plans, positions):
                m[pos] = p.forward
            return m
        out._forward_factors.append(forward)
        out._op_count = max(p._op_count for p in plans)
        for p, pos in zip(plans, positions):
            out._op_codes[pos] = p._op_codes
            out._op_args[pos] = p._op_args
        # Region slots: each group's regions in its order, a slot shared by the groups whose
        # region there comes from the same transform with the same mask and keypoint effects.
        slots: List[Tuple[Any, List[Tuple[np.ndarray, Region]]]] = []
        for p, pos in zip(plans, positions):
            last = -1
            for r in p.regions:
                key = (id(r.owner), r.mask_fill, r.hides_keypoints, r.values.shape[1])
                j = next((j for j in range(last + 1, len(slots)) if slots[j][0] == key), None)
                if j is None:
                    j = last + 1
                    slots.insert(j, (key, []))
                slots[j][1].append((pos, r))
                last = j
        if len(slots) > MAX_REGION_OPS:
            raise ValueError(f"these images need {len(slots)} region op slots, more than "
                             f"{MAX_REGION_OPS}: pass fewer distinct image sizes per call")
        for _, members in slots:
            r0 = members[0][1]
            codes = np.zeros(batch, np.int64)
            after = np.zeros(batch, np.int64)
            rect = np.zeros((batch, 4))
            key = np.zeros((batch, 2))
            values = np.zeros((batch, r0.values.shape[1]))
            for pos, r in members:
                codes[pos], after[pos], rect[pos] = r.codes, r.after, r.rect
                key[pos], values[pos] = r.key, r.values
            out.regions.append(Region(codes, after, rect, key, values, r0.mask_fill,
                                      r0.hides_keypoints, r0.owner))
        return out

    def kernel_rows(self) -> np.ndarray:
        """(B, 6) pull rows in the kernels' (row, col) convention."""
        return self.pull.reshape(self.batch, 9)[:, _KERNEL_ROW_ENTRIES]


class Region:
    """One region op of a plan (see :meth:`Plan.region`): per image its code (0: off) and
    rectangle, its position among the colour ops, its key words and fill values, and what it
    does to masks and keypoints."""

    def __init__(self, codes, after, rect, key, values, mask_fill, hides_keypoints, owner):
        self.codes, self.after, self.rect, self.key = codes, after, rect, key
        self.values, self.mask_fill, self.hides_keypoints = values, mask_fill, hides_keypoints
        self.owner = owner

    def inside(self, x: np.ndarray, y: np.ndarray, image: np.ndarray) -> np.ndarray:
        """Whether points (x, y) of images ``image`` fall on this region's pixels."""
        top, left, height, width = (self.rect[image, k] for k in range(4))
        row, col = np.floor(y + 0.5), np.floor(x + 0.5)
        return ((self.codes[image] != 0) & (row >= top) & (row < top + height)
                & (col >= left) & (col < left + width))


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
