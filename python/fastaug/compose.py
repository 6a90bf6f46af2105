"""``fastaug.Compose``: a pipeline of transforms, reproducible per sample, run natively.

Every random number comes from Philox-4x32-10 (``_random``) keyed by ``(seed, epoch, sample
index)`` and the transform's own stream slot, never from a shared generator, so a sample's
transform does not depend on its batch, its neighbours, the thread count, the worker or the
access order, and adding a transform never changes the draws of the others.

A call draws every transform's parameters (``sample``), lets each contribute to one plan per
image (``Plan``: a pull matrix, colour ops, the output size) and runs the whole batch in one
native call (``_pipeline.run_plans``): per image one warp, its colour ops and the store, with
the GIL released and the images spread over a thread pool. Masks follow through the same
matrices (nearest neighbour, no colour ops); keypoints and boxes through the forward maps.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _checks, _pipeline, _torch_executor
from ._arrays import SUPPORTED_DTYPES
from ._random import stream_uniforms
from ._targets import transform_boxes, transform_keypoints
from .transforms import _base
from .transforms._base import INTERPOLATIONS, Plan, Transform

__all__ = ["Compose", "ComposeParams", "MixedSizeParams", "AugmentResult"]

_U8, _F32 = SUPPORTED_DTYPES
_FLOAT32_EXACT = 2 ** 24  # integers up to this magnitude survive a float32 round trip
LAYOUTS = ("NHWC", "NCHW")


@dataclass(eq=False)
class ComposeParams:
    """Sampled parameters of B images: ``transforms[k]`` holds transform k's (arrays with B
    rows, ``applied`` among them; a container's also ``choice``, (B, n) child indices with -1
    for none, and ``children``, its children's parameters in the same form). ``single_image``
    says one image (a scalar index) was sampled rather than a batch."""

    indices: np.ndarray
    epoch: int
    image_shape: Tuple[int, int]
    transforms: List[Dict[str, np.ndarray]] = field(default_factory=list)
    single_image: bool = False

    def __len__(self) -> int:
        return int(self.indices.shape[0])


@dataclass(eq=False)
class MixedSizeParams:
    """Sampled parameters of a list of images whose sizes differ: the images at
    ``positions[g]`` (positions in the list) share one (H, W) and were sampled together,
    their parameters in ``groups[g]``. Each image's draws are those it would get alone: a
    pure function of (seed, epoch, index), whatever the list holds."""

    indices: np.ndarray
    epoch: int
    image_shapes: List[Tuple[int, int]]
    positions: List[np.ndarray]
    groups: List[Any]  # ComposeParams (AugmentParams for Augment)

    def __len__(self) -> int:
        return int(self.indices.shape[0])


@dataclass(eq=False)
class AugmentResult:
    """What :class:`Compose` and :class:`Augment` return; a field is None where its input was
    not given.

    ``keypoints_visible`` is True where a keypoint landed inside the image; ``box_indices``
    gives, per image, the positions in the input of the boxes that were kept; ``params`` are
    the sampled parameters (``ComposeParams``, or ``AugmentParams`` for ``Augment``).
    """

    images: np.ndarray
    masks: Optional[np.ndarray]
    keypoints: Optional[Union[np.ndarray, List[np.ndarray]]]
    keypoints_visible: Optional[Union[np.ndarray, List[np.ndarray]]]
    boxes: Optional[Union[np.ndarray, List[np.ndarray]]]
    box_indices: Optional[Union[np.ndarray, List[np.ndarray]]]
    params: Any


def _registry() -> Dict[str, type]:
    """Transform classes by name, for ``from_dict``: every public transform."""
    from . import transforms

    return {name: getattr(transforms, name) for name in transforms.__all__
            if isinstance(getattr(transforms, name), type)
            and issubclass(getattr(transforms, name), Transform)
            and getattr(transforms, name) is not Transform}


def _transform_from_entry(entry: Any, where: str, registry: Dict[str, type]) -> Transform:
    """The transform a ``to_dict`` table describes; a container's ``transforms`` are tables
    too, read the same way."""
    if not isinstance(entry, dict) or "type" not in entry:
        raise ValueError(f"{where} must be a table with a 'type' key, got {entry!r}")
    args = dict(entry)
    name = args.pop("type")
    if name not in registry:
        raise ValueError(f"{where}: unknown transform {name!r}; known: "
                         f"{', '.join(sorted(registry))}")
    if getattr(registry[name], "is_container", False):
        children = args.get("transforms")
        if not isinstance(children, list):
            raise TypeError(f"{where} ({name}): transforms must be a list of transform tables")
        args["transforms"] = [_transform_from_entry(child, f"{where}.transforms[{j}]", registry)
                              for j, child in enumerate(children)]
    try:
        return registry[name](**args)
    except TypeError as e:
        raise TypeError(f"{where} ({name}): {e}") from None


def _out_dtype_arg(value: object) -> Optional[np.dtype]:
    if value is None:
        return None
    try:
        dtype = np.dtype(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"out_dtype must be None, uint8 or float32, got {value!r}") from None
    if dtype not in SUPPORTED_DTYPES:
        raise TypeError(f"out_dtype must be None, uint8 or float32, got {dtype}")
    return dtype


# ---------------------------------------------------------------- region ops and targets

def _fill_mask_regions(masks: np.ndarray, regions, single: bool) -> None:
    """Set each region's rectangle to its ``mask_fill`` in the (new, owned) warped masks."""
    batch = masks[np.newaxis] if single else masks
    rows = np.arange(batch.shape[1])[None, :, None]
    cols = np.arange(batch.shape[2])[None, None, :]
    for region in regions:
        if region.mask_fill is None or not region.codes.any():
            continue
        _mask_fill_for(batch.dtype, region.mask_fill)
        top, left, height, width = (region.rect[:, k, None, None] for k in range(4))
        inside = ((region.codes[:, None, None] != 0) & (rows >= top) & (rows < top + height)
                  & (cols >= left) & (cols < left + width))
        batch[inside] = region.mask_fill


def _hide_keypoints(points, visible, regions, single: bool) -> None:
    """Mark keypoints on the pixels of a region that hides them as not visible, in place."""
    hiding = [r for r in regions if r.hides_keypoints and r.codes.any()]
    if not hiding:
        return
    if single:
        per_image = [(0, points, visible)]
    else:
        per_image = [(i, points[i], visible[i]) for i in range(len(visible))]
    for i, p, v in per_image:
        if len(p) == 0:
            continue
        image = np.full(len(p), i)
        for region in hiding:
            v &= ~region.inside(p[:, 0], p[:, 1], image)


# ---------------------------------------------------------------- masks

def _mask_fill_for(dtype: np.dtype, fill: float) -> None:
    """Raise unless ``fill`` is a value of ``dtype``."""
    if dtype == bool:
        ok = fill in (0, 1)
    elif np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        ok = float(fill).is_integer() and info.min <= fill <= info.max
    else:
        ok = True
    if not ok:
        raise ValueError(f"mask_fill={fill!r} is not a value of the masks' dtype {dtype}")


def _warp_masks(masks: np.ndarray, rows: np.ndarray, size: Tuple[int, int], fill: float,
                num_threads: Optional[int]) -> np.ndarray:
    """Nearest-neighbour warp of (B, H, W[, K]) masks to ``size``, ``fill`` outside, dtype
    kept. The native kernel takes uint8 and float32; other dtypes travel as float32 when
    every value is an integer float32 holds exactly, else as float32 codes into their
    unique values."""
    dtype = masks.dtype
    _mask_fill_for(dtype, fill)
    batch = np.arange(masks.shape[0])

    def warp(src, cval):
        return _pipeline.augment_batch(src, batch, rows, out_dtype=src.dtype, output_shape=size,
                                       order=0, fill_mode="constant", cval=cval,
                                       num_threads=num_threads)

    if dtype in (_U8, _F32):
        return warp(masks, fill)
    if dtype == bool:
        return warp(masks.view(np.uint8), fill).view(bool)
    if dtype == np.float16 or (
            np.issubdtype(dtype, np.integer)
            and (masks.size == 0 or (-_FLOAT32_EXACT <= min(masks.min(), fill)
                                     and max(masks.max(), fill) <= _FLOAT32_EXACT))):
        return warp(masks.astype(np.float32), fill).astype(dtype)
    values, codes = np.unique(np.concatenate([masks.ravel(), np.array([fill], dtype)]),
                              return_inverse=True)
    if values.size > _FLOAT32_EXACT:
        raise ValueError(f"masks hold too many distinct values ({values.size}) to warp")
    codes = codes.reshape(-1)
    warped = warp(codes[:-1].astype(np.float32).reshape(masks.shape), float(codes[-1]))
    return values[warped.astype(np.int64)]


def _kernel_source(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) images as the native executor reads them (aligned, contiguous
    channels), copied only when they are not."""
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if (not images.flags.aligned or (images.shape[3] > 1 and images.strides[3] != images.itemsize)
            or any(s % images.itemsize for s in images.strides)):
        images = np.array(images, order="C")
    return images


def _batch_indices(indices, n: int) -> np.ndarray:
    """(n,) int64 sample indices for a batch of n images: ``arange(n)`` for None, else a
    sequence with one entry per image."""
    if indices is None:
        return np.arange(n, dtype=np.int64)
    idx, single = _checks.indices_arg(indices)
    if single or idx.shape[0] != n:
        raise ValueError(f"indices must be a sequence with one entry per image ({n})")
    return idx


# ---------------------------------------------------------------- the pipeline

class Compose:
    """A pipeline of transforms applied to images (and their masks, keypoints, boxes).

    Args:
        transforms: the transforms, applied in order (see ``fastaug.transforms``).
        seed: int in [0, 2**64): with (epoch, sample index) it names every random number.
        num_threads: native threads (None or 0: every CPU available to the process).
        out_dtype: None (the input's), np.uint8 or np.float32.
        layout: ``"NHWC"`` (default) or ``"NCHW"``: how numpy batches are laid out, in and
            out. A batch read as NHWC whose "height" is at most 4 while its "channels" exceed
            4 is refused: it is almost surely NCHW.
        out_layout: the output's layout when it differs from ``layout``: e.g.
            ``out_layout="NCHW"`` turns channels-last images (what decoders give) into the
            channels-first batch torch takes, stored so by the native pass image by image,
            with no transpose of the batch.
        mask_fill: mask value outside the source.
        min_box_visibility: boxes whose clipped area is below this fraction of their
            transformed area are dropped.

    Calling it, ``compose(images, indices=None, epoch=0, masks=None, keypoints=None,
    boxes=None)``, returns an :class:`AugmentResult`. The warp's fill mode, fill value and
    interpolation come from the pipeline's geometric transforms (``Affine``); without one,
    the warp is exact (flips copy pixels).
    """

    def __init__(self, transforms: Sequence[Transform], seed: int = 0,
                 num_threads: Optional[int] = None, out_dtype=None, layout: str = "NHWC",
                 mask_fill: float = 0, min_box_visibility: float = 0.0,
                 out_layout: Optional[str] = None):
        if isinstance(transforms, Transform) or not isinstance(transforms, (list, tuple)):
            raise TypeError("transforms must be a list of fastaug.transforms objects, got "
                            f"{type(transforms).__name__}")
        for k, t in enumerate(transforms):
            if not isinstance(t, Transform):
                raise TypeError(f"transforms[{k}] must be a fastaug transform, got "
                                f"{type(t).__name__}")
        self.transforms = list(transforms)
        for k, t in enumerate(self.transforms[:-1]):
            if type(t).__name__ == "Normalize":
                raise ValueError(f"Normalize must be the last transform (it is transforms[{k}] "
                                 f"of {len(self.transforms)})")
        self.seed = _checks.integer(seed, "seed", 0, 2 ** 64)
        self.num_threads = _checks.num_threads_arg(num_threads)
        self.out_dtype = _out_dtype_arg(out_dtype)
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be 'NHWC' or 'NCHW', got {layout!r}")
        self.layout = layout
        if out_layout is not None and out_layout not in LAYOUTS:
            raise ValueError(f"out_layout must be None, 'NHWC' or 'NCHW', got {out_layout!r}")
        self.out_layout = layout if out_layout is None else out_layout
        self.mask_fill = _checks.real(mask_fill, "mask_fill")
        self.min_box_visibility = _checks.real(min_box_visibility, "min_box_visibility", 0.0, 1.0)
        self._warp = self._warp_settings()
        counts: Dict[str, int] = {}
        self._slots = []
        # Every transform of the tree (containers' children after their container), in the
        # order their slots are numbered and their draws are handed out.
        self._nodes = [node for t in self.transforms for node in t.walk()]
        for t in self._nodes:
            name = type(t).__name__
            self._slots.append(_base.slot_of(name, counts.get(name, 0)))
            counts[name] = counts.get(name, 0) + 1
        # The Philox streams of every transform's blocks of four words, in pipeline order.
        self._streams = [(slot << 8) | block for t, slot in zip(self._nodes, self._slots)
                         for block in range((t.words + 3) // 4)]

    def _warp_settings(self) -> Tuple[str, float, int]:
        """(fill_mode, cval, order) of the one warp, from the geometric transforms."""
        nodes = [node for t in self.transforms for node in t.walk()]
        fills = {(t.fill_mode, t.fill) for t in nodes if t.fill_mode is not None}
        if len(fills) > 1:
            raise ValueError("the geometric transforms of one Compose must agree on fill_mode "
                             f"and fill (one warp serves them all), got {fills}")
        interpolations = {t.interpolation for t in nodes if t.interpolation is not None}
        if len(interpolations) > 1:
            raise ValueError("the geometric transforms of one Compose must agree on "
                             f"interpolation (one warp serves them all), got {interpolations}")
        fill_mode, fill = fills.pop() if fills else ("constant", 0.0)
        interpolation = interpolations.pop() if interpolations else "bilinear"
        return fill_mode, fill, INTERPOLATIONS[interpolation]

    def __repr__(self) -> str:
        inner = ", ".join(repr(t) for t in self.transforms)
        return f"{type(self).__name__}([{inner}], seed={self.seed})"

    # ------------------------------------------------------------ serialisation

    def to_dict(self) -> Dict[str, Any]:
        """Settings as plain data (JSON and TOML can hold it); ``from_dict`` reads it back."""
        out: Dict[str, Any] = {"seed": self.seed}
        if self.num_threads is not None:
            out["num_threads"] = self.num_threads
        if self.out_dtype is not None:
            out["out_dtype"] = self.out_dtype.name
        if self.layout != "NHWC":
            out["layout"] = self.layout
        if self.out_layout != self.layout:
            out["out_layout"] = self.out_layout
        if self.mask_fill != 0:
            out["mask_fill"] = self.mask_fill
        if self.min_box_visibility != 0:
            out["min_box_visibility"] = self.min_box_visibility
        out["transforms"] = [{"type": type(t).__name__, **t.get_config()}
                             for t in self.transforms]
        return out

    @classmethod
    def from_dict(cls, config: Dict[str, Any]) -> "Compose":
        if not isinstance(config, dict):
            raise TypeError(f"config must be a dict, got {type(config).__name__}")
        known = {"seed", "num_threads", "out_dtype", "layout", "out_layout", "mask_fill",
                 "min_box_visibility", "transforms"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"unknown Compose settings {unknown}; expected some of {sorted(known)}")
        entries = config.get("transforms", [])
        if not isinstance(entries, list):
            raise TypeError("config['transforms'] must be a list of transform tables")
        registry = _registry()
        transforms = [_transform_from_entry(entry, f"transforms[{k}]", registry)
                      for k, entry in enumerate(entries)]
        rest = {k: v for k, v in config.items() if k != "transforms"}
        return cls(transforms, **rest)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Compose":
        return cls.from_dict(json.loads(text))

    def to_toml(self) -> str:
        from ._toml import dumps

        return dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> "Compose":
        from ._toml import loads

        return cls.from_dict(loads(text))

    # ------------------------------------------------------------ sampling

    def sample(self, indices, epoch: int = 0, image_shape=None) -> ComposeParams:
        """Draw every transform's parameters for samples ``indices`` (an int, or a 1-D
        sequence) in ``epoch``, for images of ``image_shape`` (H, W[, C]); a pure function of
        (seed, epoch, index) and each transform's slot."""
        idx, single = _checks.indices_arg(indices)
        if (isinstance(image_shape, list) and image_shape
                and isinstance(image_shape[0], (tuple, list))):
            if single or len(image_shape) != idx.shape[0]:
                raise ValueError(f"image_shape as a list needs one (H, W) per index "
                                 f"({idx.shape[0]}), got {len(image_shape)}")
            return self._sample_list(idx, epoch,
                                     [_checks.image_shape_arg(s) for s in image_shape])
        return self._sample(idx, single, epoch, _checks.image_shape_arg(image_shape))

    def _sample_list(self, idx: np.ndarray, epoch: int,
                     shapes: List[Tuple[int, int]]) -> MixedSizeParams:
        """sample() for images of the given sizes, one group per size."""
        groups: Dict[Tuple[int, int], List[int]] = {}
        for i, shape in enumerate(shapes):
            groups.setdefault(shape, []).append(i)
        positions = [np.array(members, np.int64) for members in groups.values()]
        sampled = [self._sample(idx[pos], False, epoch, shape)
                   for shape, pos in zip(groups, positions)]
        return MixedSizeParams(indices=idx, epoch=sampled[0].epoch, image_shapes=list(shapes),
                               positions=positions, groups=sampled)

    def _sample(self, idx: np.ndarray, single: bool, epoch: int,
                size: Tuple[int, int]) -> ComposeParams:
        """sample() for checked indices and image size."""
        epoch = _checks.integer(epoch, "epoch", 0, 2 ** 32)
        draws = stream_uniforms(self.seed, epoch, idx, self._streams)
        params = ComposeParams(indices=idx, epoch=epoch, image_shape=size, single_image=single)
        node_draws = []
        start = 0
        for t in self._nodes:
            count = (t.words + 3) // 4
            node_draws.append(draws[start:start + count].reshape(4 * count, -1)[:t.words])
            start += count
        handed_out = iter(node_draws)
        for t in self.transforms:
            params.transforms.append(t.draw(handed_out, size))
            size = t.output_size(size)
        return params

    def _plan(self, params) -> Plan:
        """The per-image plans of sampled ``params``."""
        if not isinstance(params, ComposeParams):
            raise TypeError(f"params must be ComposeParams (from Compose.sample), got "
                            f"{type(params).__name__}")
        if len(params.transforms) != len(self.transforms):
            raise ValueError(f"params hold {len(params.transforms)} transforms' parameters, "
                             f"this Compose has {len(self.transforms)}")
        fill_mode, cval, order = self._warp
        plan = Plan(len(params), params.image_shape, fill_mode, cval, order)
        for t, p in zip(self.transforms, params.transforms):
            t.contribute(p, plan)
            plan.size = t.output_size(plan.size)
        return plan

    # ------------------------------------------------------------ applying

    def _batch_view(self, images: np.ndarray, single: bool, name: str = "images") -> np.ndarray:
        """The NHWC (or HWC) view of a batch laid out as ``self.layout``."""
        if self.layout == "NCHW" and images.ndim == (3 if single else 4):
            return np.moveaxis(images, -3, -1)
        if not single and images.ndim == 4 and images.shape[1] <= 4 < images.shape[3]:
            raise ValueError(
                f"{name} of shape {images.shape} read as NHWC would have height "
                f"{images.shape[1]} and {images.shape[3]} channels: it looks like NCHW; pass "
                f"layout='NCHW' to {type(self).__name__} (or transpose to NHWC)")
        return images

    def _output_layout(self, out: np.ndarray, single: bool) -> np.ndarray:
        if self.out_layout == "NCHW" and out.ndim == (3 if single else 4):
            return np.ascontiguousarray(np.moveaxis(out, -1, -3))
        return out

    def __call__(self, images, indices=None, epoch: int = 0, masks=None, keypoints=None,
                 boxes=None) -> AugmentResult:
        """Sample transforms for ``indices`` (default ``arange(N)``, or 0 for one image) in
        ``epoch`` and apply them: :meth:`sample` then :meth:`apply`.

        A 3-D ``images`` is one (H, W, C) image when ``indices`` is an int, or when it is
        None and the last axis has at most 4 entries; otherwise a (N, H, W) batch.

        A torch tensor (N, C, H, W), uint8 or float32, on any device, is augmented there
        (``fastaug._torch_executor``: the same draws, batched tensor ops) and comes back as a
        (N, C, h, w) tensor on that device; masks then are a (N, H, W) tensor, keypoints
        and boxes numpy arrays as for numpy images.

        ``images`` may also be a list of (H, W[, C]) arrays of one dtype and channel count
        whose sizes differ (decoded photos): the pipeline must bring them to one size
        (``RandomResizedCrop``, ``Resize((h, w))``, ``CenterCrop``...), and the result is
        one (N, ...) batch; ``masks`` are then a list too, one per image.
        """
        if _torch_executor.is_tensor(images):
            return self._call_tensor(images, indices, epoch, masks, keypoints, boxes)
        if (isinstance(images, (list, tuple)) and images
                and _torch_executor.is_tensor(images[0])):
            return self._call_tensor_list(images, indices, epoch, masks, keypoints, boxes)
        if isinstance(images, (list, tuple)):
            views = self._image_list(images)
            idx = _batch_indices(indices, len(views))
            params = self._sample_list(idx, epoch, [v.shape[:2] for v in views])
            return self.apply(images, params, masks=masks, keypoints=keypoints, boxes=boxes)
        images = _checks.array_arg(images, "images")
        if images.ndim not in (2, 3, 4):
            raise ValueError(f"images must be (N, H, W[, C]) or (H, W[, C]), got shape "
                             f"{images.shape}")
        if indices is None:
            if self.layout == "NCHW":
                single = images.ndim == 3 and images.shape[0] <= 4
            else:
                single = images.ndim == 2 or (images.ndim == 3 and images.shape[-1] <= 4)
            idx = np.zeros(1, np.int64) if single else np.arange(images.shape[0], dtype=np.int64)
        else:
            idx, single = _checks.indices_arg(indices)
            if not single and images.ndim in (3, 4) and idx.shape[0] != images.shape[0]:
                raise ValueError(f"indices must have one entry per image ({images.shape[0]}), "
                                 f"got {idx.shape[0]}")
        if single and images.ndim == 4:
            raise ValueError("indices must be a sequence (one per image) for a batch of images")
        if not single and images.ndim == 2:
            raise ValueError("indices must be an int for a single (H, W) image")
        view = self._batch_view(images, single)
        shape = view.shape[:2] if single else view.shape[1:3]
        if 0 in shape:
            raise ValueError(f"images must be non-empty, got shape {images.shape}")
        params = self._sample(idx, single, epoch, (int(shape[0]), int(shape[1])))
        return self.apply(images, params, masks=masks, keypoints=keypoints, boxes=boxes)

    def apply(self, images, params, masks=None, keypoints=None, boxes=None) -> AugmentResult:
        """Apply sampled ``params`` to images and, where given, their masks, keypoints and
        boxes; never writes to any input."""
        if isinstance(params, MixedSizeParams):
            return self._apply_list(images, params, masks, keypoints, boxes)
        plan = self._plan(params)
        images = _checks.array_arg(images, "images")
        if images.dtype not in SUPPORTED_DTYPES or not images.dtype.isnative:
            raise TypeError(f"images must have dtype uint8 or float32, got {images.dtype}")
        if plan.refuses_targets and not (masks is None and keypoints is None and boxes is None):
            raise ValueError(f"{plan.refuses_targets} does not support masks, keypoints or "
                             f"boxes (torchvision's refuses them too)")
        single = params.single_image
        view = self._batch_view(images, single)
        batch_images = view[np.newaxis] if single else view
        if batch_images.ndim not in (3, 4):
            expected = "(H, W[, C])" if single else "(N, H, W[, C])"
            raise ValueError(f"images must have shape {expected}, got {images.shape}")
        if batch_images.shape[0] != len(params) or batch_images.shape[1:3] != params.image_shape:
            raise ValueError(
                f"images of shape {images.shape} do not match params sampled for "
                f"{len(params)} image(s) of shape {params.image_shape}")
        if batch_images.ndim == 4 and batch_images.shape[3] == 0:
            raise ValueError(f"images must have at least one channel, got shape {images.shape}")
        planar = self.out_layout == "NCHW" and batch_images.ndim == 4
        out = self._run(plan, _kernel_source(batch_images), images.dtype,
                        batch_images.shape[3] if batch_images.ndim == 4 else 1, planar)
        if batch_images.ndim == 3:
            out = out[..., 0]
        if planar:
            out = out[0] if single else out  # stored channels-first by the core
        else:
            out = self._output_layout(out[0] if single else out, single)
        out_masks = None
        if masks is not None:
            out_masks = self._apply_masks(masks, batch_images, plan.kernel_rows(), plan.size,
                                          single)
            _fill_mask_regions(out_masks, plan.regions, single)
        return self._result(out, out_masks, plan, params, keypoints, boxes, single)

    def _call_tensor_list(self, images, indices, epoch, masks, keypoints,
                          boxes) -> AugmentResult:
        """__call__ for a list of (C, H, W) tensors whose sizes differ: one torch run per
        size, the results in one (N, C, h, w) tensor in list order."""
        import torch

        if not (masks is None and keypoints is None and boxes is None):
            raise ValueError("masks, keypoints and boxes are not supported with a list of "
                             "tensors; pass one (N, C, H, W) tensor, or numpy arrays")
        first = images[0]
        for i, t in enumerate(images):
            if not _torch_executor.is_tensor(t) or t.ndim != 3:
                raise ValueError(f"images[{i}] must be a (C, H, W) torch tensor, got "
                                 f"{getattr(t, 'shape', type(t).__name__)}")
            if t.dtype != first.dtype or t.shape[0] != first.shape[0] or t.device != first.device:
                raise ValueError(f"images[{i}] must have the dtype, channels and device of "
                                 f"images[0] ({first.dtype}, {first.shape[0]}, {first.device})")
        n = len(images)
        idx = _batch_indices(indices, n)
        groups: Dict[Tuple[int, int], List[int]] = {}
        for i, t in enumerate(images):
            groups.setdefault((int(t.shape[1]), int(t.shape[2])), []).append(i)
        out = None
        sampled = []
        positions = [np.array(members, np.int64) for members in groups.values()]
        for pos in positions:
            part = self._call_tensor(torch.stack([images[i] for i in pos]), idx[pos], epoch,
                                     None, None, None)
            if out is None:
                out = part.images.new_empty((n,) + tuple(part.images.shape[1:]))
            elif part.images.shape[1:] != out.shape[1:]:
                raise ValueError(
                    f"images of different sizes must come out at one size to form a batch, "
                    f"these come out at {tuple(out.shape[2:])} and "
                    f"{tuple(part.images.shape[2:])}: end the pipeline with a transform that "
                    f"sets the size (Resize((h, w)), CenterCrop, RandomCrop, RandomResizedCrop)")
            out[torch.as_tensor(pos, device=out.device)] = part.images
            sampled.append(part.params)
        params = MixedSizeParams(indices=idx, epoch=sampled[0].epoch,
                                 image_shapes=[tuple(t.shape[1:]) for t in images],
                                 positions=positions, groups=sampled)
        return AugmentResult(images=out, masks=None, keypoints=None, keypoints_visible=None,
                             boxes=None, box_indices=None, params=params)

    def _call_tensor(self, images, indices, epoch, masks, keypoints, boxes) -> AugmentResult:
        """__call__ for a (N, C, H, W) torch tensor: the plan run by the torch executor."""
        import torch

        if images.ndim != 4:
            raise ValueError(f"images as a torch tensor must be (N, C, H, W), got shape "
                             f"{tuple(images.shape)}")
        if images.dtype not in (torch.uint8, torch.float32):
            raise TypeError(f"images must have dtype torch.uint8 or torch.float32, got "
                            f"{images.dtype}")
        _torch_executor.check_transforms(getattr(self, "_nodes", ()), images.device)
        n, channels, height, width = images.shape
        if 0 in images.shape:
            raise ValueError(f"images must be non-empty, got shape {tuple(images.shape)}")
        idx = _batch_indices(indices, n)
        params = self._sample(idx, False, epoch, (int(height), int(width)))
        plan = self._plan(params)
        if plan.refuses_targets and not (masks is None and keypoints is None and boxes is None):
            raise ValueError(f"{plan.refuses_targets} does not support masks, keypoints or "
                             f"boxes (torchvision's refuses them too)")
        u8 = images.dtype == torch.uint8
        normalize = None
        out_dtype = images.dtype if self.out_dtype is None else (
            torch.uint8 if self.out_dtype == _U8 else torch.float32)
        if plan.normalize is not None:
            if self.out_dtype is not None and self.out_dtype != plan.normalize.out_dtype:
                raise ValueError(f"Normalize writes {plan.normalize.dtype}: pass out_dtype=None"
                                 f" (or set Normalize's dtype)")
            normalize = plan.normalize.scale_offset(channels, _U8 if u8 else _F32)
            out_dtype = getattr(torch, plan.normalize.dtype)
        out = _torch_executor.run_plan_torch(plan, images, normalize, out_dtype)
        out_masks = None
        if masks is not None:
            out_masks = _torch_executor.warp_masks(plan, masks, images.shape, self.mask_fill,
                                                   images.device)
        return self._result(out, out_masks, plan, params, keypoints, boxes, False)

    def _image_list(self, images) -> List[np.ndarray]:
        """Channels-last views of a list of images (each laid out as ``self.layout``),
        checked: supported dtype, one dtype, one number of axes and channels."""
        if len(images) == 0:
            raise ValueError("images must hold at least one image")
        views: List[np.ndarray] = []
        for i, image in enumerate(images):
            a = _checks.array_arg(image, f"images[{i}]")
            if a.dtype not in SUPPORTED_DTYPES or not a.dtype.isnative:
                raise TypeError(f"images[{i}] must have dtype uint8 or float32, got {a.dtype}")
            if a.ndim not in (2, 3):
                expected = "(C, H, W) or (H, W)" if self.layout == "NCHW" else "(H, W[, C])"
                raise ValueError(f"images[{i}] must have shape {expected}, got {a.shape}")
            if self.layout == "NCHW" and a.ndim == 3:
                a = np.moveaxis(a, 0, -1)
            if 0 in a.shape:
                raise ValueError(f"images[{i}] must be non-empty, got shape {image.shape}")
            if views and (a.dtype != views[0].dtype or a.shape[2:] != views[0].shape[2:]):
                raise ValueError(
                    f"images[{i}] has dtype {a.dtype} and shape {image.shape}; every image of a "
                    f"list needs the dtype and channels of images[0] ({views[0].dtype}, shape "
                    f"{images[0].shape})")
            views.append(a)
        return views

    def _apply_list(self, images, params: MixedSizeParams, masks, keypoints,
                    boxes) -> AugmentResult:
        """apply() for a list of images of different sizes (``MixedSizeParams``)."""
        if not isinstance(images, (list, tuple)):
            raise TypeError(f"images must be a list of arrays for MixedSizeParams, got "
                            f"{type(images).__name__}")
        views = self._image_list(images)
        shapes = [v.shape[:2] for v in views]
        if shapes != [tuple(s) for s in params.image_shapes]:
            raise ValueError(f"images of shapes {shapes} do not match params sampled for "
                             f"shapes {params.image_shapes}")
        plans = [self._plan(group) for group in params.groups]
        plan = Plan.gather(plans, params.positions, len(params))
        if plan.refuses_targets and not (masks is None and keypoints is None and boxes is None):
            raise ValueError(f"{plan.refuses_targets} does not support masks, keypoints or "
                             f"boxes (torchvision's refuses them too)")
        out = self._run_list(views, plan)
        out_masks = None
        if masks is not None:
            out_masks = self._apply_mask_list(masks, shapes, plans, params.positions, plan.size)
            _fill_mask_regions(out_masks, plan.regions, False)
        return self._result(out, out_masks, plan, params, keypoints, boxes, False)

    def _run_list(self, views: List[np.ndarray], plan: Plan,
                  num_threads: Optional[int] = None) -> np.ndarray:
        """Run ``plan`` on checked channels-last views (``_image_list``) into the batch."""
        gray = views[0].ndim == 2
        planar = self.out_layout == "NCHW" and not gray
        src = [_kernel_source(v[np.newaxis])[0] for v in views]
        out = self._run(plan, src, views[0].dtype, 1 if gray else views[0].shape[2], planar,
                        num_threads)
        if gray:
            return out[..., 0]
        return out if planar else self._output_layout(out, False)

    def _apply_mask_list(self, masks, shapes, plans, positions, size) -> np.ndarray:
        """Warp a list of masks (one per image, (H_i, W_i[, K])) group by group into one
        (N, h, w[, K]) batch."""
        if not isinstance(masks, (list, tuple)) or len(masks) != len(shapes):
            raise TypeError(f"masks must be a list with one mask per image ({len(shapes)}) "
                            f"for a list of images")
        arrays = []
        for i, (mask, shape) in enumerate(zip(masks, shapes)):
            m = _checks.array_arg(mask, f"masks[{i}]")
            if m.dtype.kind not in "biuf":
                raise TypeError(f"masks[{i}] must have a bool, integer or float dtype, got "
                                f"{m.dtype}")
            if m.shape[:2] != shape or m.ndim not in (2, 3) or 0 in m.shape[2:]:
                raise ValueError(f"masks[{i}] must have shape {shape} or that plus a channel "
                                 f"axis of K >= 1, got {m.shape}")
            if arrays and (m.dtype != arrays[0].dtype or m.shape[2:] != arrays[0].shape[2:]):
                raise ValueError(f"masks[{i}] must have the dtype and channels of masks[0] "
                                 f"({arrays[0].dtype}, shape {masks[0].shape})")
            arrays.append(m if m.dtype.isnative else m.astype(m.dtype.newbyteorder("=")))
        out = np.empty((len(arrays),) + tuple(size) + arrays[0].shape[2:], arrays[0].dtype)
        for p, pos in zip(plans, positions):
            group = np.stack([arrays[i] for i in pos])
            out[pos] = _warp_masks(group, p.kernel_rows(), size, self.mask_fill,
                                   self.num_threads)
        return out

    def _run(self, plan: Plan, src, dtype: np.dtype, channels: int, planar: bool,
             num_threads: Optional[int] = None) -> np.ndarray:
        """Run ``plan`` natively on ``src`` (an (N, H, W, C) array, or a list of (H, W, C)
        arrays) into a new (N, H2, W2, C) batch, (N, C, H2, W2) for channels-first output."""
        out_dtype = dtype if self.out_dtype is None else self.out_dtype
        normalize = None
        half_format = 0
        if plan.normalize is not None:
            if self.out_dtype is not None and self.out_dtype != plan.normalize.out_dtype:
                raise ValueError(f"Normalize writes {plan.normalize.dtype}: pass out_dtype=None"
                                 f" (or set Normalize's dtype)")
            out_dtype = plan.normalize.out_dtype
            half_format = plan.normalize.half_format
            normalize = plan.normalize.scale_offset(channels, dtype)
        for region in plan.regions:
            if region.values.shape[1] not in (1, channels):
                name = type(region.owner).__name__ if region.owner is not None else "a region op"
                raise ValueError(f"{name}: its fill has {region.values.shape[1]} values; the "
                                 f"images have {channels} channels (give 1 or {channels})")
        codes, args = plan.ops()
        return _pipeline.run_plans(src, np.arange(plan.batch, dtype=np.int64), plan.kernel_rows(),
                                   codes, args, out_dtype=out_dtype, output_shape=plan.size,
                                   order=plan.order, fill_mode=plan.fill_mode, cval=plan.cval,
                                   num_threads=self.num_threads if num_threads is None
                                   else num_threads, antialias=plan.antialias,
                                   normalize=normalize, regions=plan.region_array(channels),
                                   planar=planar, half_format=half_format)

    def _result(self, out, out_masks, plan: Plan, params, keypoints, boxes,
                single: bool) -> AugmentResult:
        points = visible = kept_boxes = kept_indices = None
        if keypoints is not None:
            points, visible = transform_keypoints(keypoints, plan.forward, plan.size, single)
            _hide_keypoints(points, visible, plan.regions, single)
        if boxes is not None:
            kept_boxes, kept_indices = transform_boxes(boxes, plan.forward, plan.size,
                                                       self.min_box_visibility, single)
        return AugmentResult(images=out, masks=out_masks, keypoints=points,
                             keypoints_visible=visible, boxes=kept_boxes,
                             box_indices=kept_indices, params=params)

    def _apply_masks(self, masks, batch_images, rows, size, single) -> np.ndarray:
        masks = _checks.array_arg(masks, "masks")
        if masks.dtype.kind not in "biuf":
            raise TypeError(f"masks must have a bool, integer or float dtype, got {masks.dtype}")
        batch_masks = masks[np.newaxis] if single else masks
        if (batch_masks.ndim not in (3, 4) or batch_masks.shape[:3] != batch_images.shape[:3]
                or 0 in batch_masks.shape[3:]):
            expected = batch_images.shape[1:3] if single else batch_images.shape[:3]
            raise ValueError(f"masks must have shape {tuple(expected)} or that plus a channel "
                             f"axis of K >= 1, got {masks.shape}")
        if not masks.dtype.isnative:
            batch_masks = batch_masks.astype(masks.dtype.newbyteorder("="))
        out = _warp_masks(batch_masks, rows, size, self.mask_fill, self.num_threads)
        return out[0] if single else out
