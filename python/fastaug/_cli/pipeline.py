"""The augmentation every subcommand runs: one :class:`fastaug.Compose`, keyed by
(seed, epoch, index) as in training.

It comes from a ``--config`` file that holds a Compose (``Compose.to_json()`` /
``to_toml()``: a table with a ``transforms`` list), or from the Keras-style options (and a
config file of ``ImageDataGenerator`` arguments), mapped onto transforms:

==========================  ===================================================================
option / argument           transform
==========================  ===================================================================
rotation_range R            ``Affine(rotate=R)``
width/height_shift_range S  ``Affine(translate=(S, ...))`` for S < 1 (fractions), else
                            ``Affine(translate_px=(S, ...))`` (pixels); whole-pixel shifts
shear_range S               ``Affine(shear=S)`` (degrees)
zoom_range [lo, hi]         ``Affine(scale=(1/hi, 1/lo))``: Keras's zoom is the inverse of the
                            content scale; one factor for both axes (Keras draws two)
fill_mode, cval, order      ``Affine(fill_mode=, fill=, interpolation=)``
horizontal/vertical_flip    ``HorizontalFlip(p=0.5)`` / ``VerticalFlip(p=0.5)``
brightness_range [lo, hi]   ``ColorJitter(brightness=(lo, hi))`` (torchvision's formula; no
                            Keras 1.1.2 stretch to 0..255)
channel_shift_range V       ``ChannelShift(V)`` (0..255 scale, saturating)
==========================  ===================================================================
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..compose import Compose
from ..transforms import (Affine, ChannelShift, ColorJitter, HorizontalFlip, Transform,
                          VerticalFlip)
from .options import CLIError, describe, generator_kwargs, load_config, options_given

__all__ = ["CliPipeline", "augment", "keras_transforms", "make_pipeline", "pipeline_from_args",
           "settings_from_args"]


@dataclass
class CliPipeline:
    """The pipeline a command runs and how to describe it."""

    compose: Compose
    summary: str

    def settings(self) -> Dict[str, Any]:
        """The Compose's settings without its thread count (a run's identity, e.g. for
        resuming)."""
        config = self.compose.to_dict()
        config.pop("num_threads", None)
        return config


def keras_transforms(kwargs: Dict[str, object]) -> List[Transform]:
    """The transforms the Keras-style ``kwargs`` (ImageDataGenerator argument names) map to;
    see the module docstring."""
    rotation = float(kwargs.get("rotation_range", 0) or 0)
    shear = float(kwargs.get("shear_range", 0) or 0)
    shifts = [kwargs.get("width_shift_range", 0) or 0, kwargs.get("height_shift_range", 0) or 0]
    for name, value in zip(("width_shift_range", "height_shift_range"), shifts):
        if isinstance(value, (list, tuple)):
            raise CLIError(f"{name} as a list of pixel values is Keras-only; give one number "
                           "(a fraction below 1, or pixels)", code=2)
    zoom = kwargs.get("zoom_range")
    geometric = {}
    if rotation:
        geometric["rotate"] = rotation
    if any(shifts):
        fractions = [0 < s < 1 for s in shifts if s]
        if all(fractions):
            geometric["translate"] = (float(shifts[0]), float(shifts[1]))
        elif not any(fractions):
            geometric["translate_px"] = (float(shifts[0]), float(shifts[1]))
        else:
            raise CLIError("width and height shifts must both be fractions (below 1) or both "
                           f"pixels (1 or more), got {shifts[0]:g} and {shifts[1]:g}", code=2)
    if zoom is not None and list(zoom) != [1, 1]:
        lo, hi = (float(z) for z in zoom)
        geometric["scale"] = (1.0 / hi, 1.0 / lo)
    if shear:
        geometric["shear"] = shear
    transforms: List[Transform] = []
    try:
        if geometric:
            order = kwargs.get("interpolation_order", 1)
            transforms.append(Affine(**geometric, fill=float(kwargs.get("cval", 0.0)),
                                     fill_mode=str(kwargs.get("fill_mode", "nearest")),
                                     interpolation="nearest" if order == 0 else "bilinear"))
        if kwargs.get("horizontal_flip"):
            transforms.append(HorizontalFlip(p=0.5))
        if kwargs.get("vertical_flip"):
            transforms.append(VerticalFlip(p=0.5))
        brightness = kwargs.get("brightness_range")
        if brightness is not None:
            transforms.append(ColorJitter(brightness=tuple(float(b) for b in brightness)))
        if kwargs.get("channel_shift_range"):
            transforms.append(ChannelShift(float(kwargs["channel_shift_range"])))
    except (TypeError, ValueError) as exc:
        raise CLIError(f"invalid augmentation settings: {exc}", code=2) from None
    return transforms


def make_pipeline(transforms: List[Transform], seed: int, summary: Optional[str] = None,
                  num_threads: Optional[int] = 1) -> CliPipeline:
    """A Compose of ``transforms`` with ``seed``; one native thread by default (the commands
    that augment image by image run their own worker threads)."""
    try:
        compose = Compose(transforms, seed=seed, num_threads=num_threads)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"invalid augmentation settings: {exc}", code=2) from None
    return CliPipeline(compose, summary if summary is not None else describe_transforms(transforms))


def describe_transforms(transforms: List[Transform]) -> str:
    """The transforms with the settings that differ from their defaults, for captions."""
    if not transforms:
        return "no augmentation"
    parts = []
    for t in transforms:
        try:
            defaults = type(t)().get_config()
        except TypeError:  # a required argument: show them all
            defaults = {}
        changed = {k: v for k, v in t.get_config().items() if defaults.get(k) != v}
        parts.append(f"{type(t).__name__}({describe(changed) if changed else ''})")
    return ", ".join(parts)


def augment(compose: Compose, image: np.ndarray, index: int, epoch: int) -> np.ndarray:
    """``compose`` applied to one (H, W, C) uint8, uint16 or float32 image as sample
    ``index`` of ``epoch``, same dtype. uint8 images run as they are (what training on uint8
    sees); other depths run in float32 on the 0..255 scale the options use, and integer
    results are rounded and saturated."""
    from .images import unit_scale

    if image.dtype == np.uint8:
        return compose(image, indices=index, epoch=epoch).images
    scale = np.float32(unit_scale(image.dtype))
    x = image.astype(np.float32) * scale
    out = compose(x, indices=index, epoch=epoch).images / scale
    if image.dtype.kind == "f":
        return out.astype(image.dtype)
    return np.clip(np.rint(out), 0, np.iinfo(image.dtype).max).astype(image.dtype)


def settings_from_args(args: argparse.Namespace) -> Tuple[Optional[Dict[str, object]],
                                                          Optional[Compose]]:
    """``(generator arguments, None)`` from the Keras-style options and config, or
    ``(None, compose)`` when ``--config`` holds a Compose (the command line's seed, when
    given, replacing the file's)."""
    kind, config = load_config(args.config) if args.config else ("keras", {})
    if kind == "keras":
        return generator_kwargs(args, config), None
    given = options_given(args)
    if given:
        flags = ", ".join("--" + key.replace("_range", "").replace("_", "-") for key in given)
        raise CLIError(f"--config {args.config} holds a Compose; augmentation options ({flags}) "
                       "cannot be combined with it: edit the file instead", code=2)
    if getattr(args, "seed", None) is not None:
        config = {**config, "seed": args.seed}
    try:
        return None, Compose.from_dict(config)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"config {args.config}: {exc}", code=2) from None


def pipeline_from_args(args: argparse.Namespace) -> CliPipeline:
    """The pipeline a command's options and ``--config`` describe, on one native thread."""
    kwargs, compose = settings_from_args(args)
    if compose is None:
        seed = args.seed if args.seed is not None else 0
        return make_pipeline(keras_transforms(kwargs), seed, describe(kwargs))
    return make_pipeline(compose.transforms, compose.seed)
