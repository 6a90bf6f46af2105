"""Transforms for :class:`fastaug.Compose`, named as torchvision and albumentations name them.

Each transform draws its parameters from its own keyed Philox stream and contributes to one
per-image plan (a pull matrix, colour ops, the output size), which the native executor runs
in one pass per image. See ``docs/adding-a-transform.md`` for how a transform is built.
"""
from . import autoaugment, color, containers, dropout, filters, geometric, mixing
from ._base import Plan, Transform
from .color import *  # noqa: F401,F403  (each family module's __all__ is its public API)
from .geometric import *  # noqa: F401,F403
from .mixing import *  # noqa: F401,F403  (batch-level: applied to Compose's output)
from .containers import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .filters import *  # noqa: F401,F403
from .autoaugment import *  # noqa: F401,F403

__all__ = (["Transform", "Plan"] + geometric.__all__ + color.__all__ + mixing.__all__
           + containers.__all__ + dropout.__all__ + filters.__all__
           + autoaugment.__all__)
