"""Containers: ``OneOf`` and ``SomeOf`` apply some of their children, chosen per image.

A container draws its choice from its own stream slot; each child keeps the slot it would
have at the top level (``Compose`` numbers every transform of the tree, in pre-order), so
wrapping a transform in a container, or adding one next to it, never changes its draws.
Each image gets the chosen children's maps and colour ops in its plan, so masks, keypoints
and boxes follow the children that image chose.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .. import _checks
from ._base import Params, Plan, Transform

__all__ = ["OneOf", "SomeOf"]


def _children_arg(transforms: object, owner: str) -> List[Transform]:
    if isinstance(transforms, Transform) or not isinstance(transforms, (list, tuple)):
        raise TypeError(f"{owner}: transforms must be a list of fastaug transforms, got "
                        f"{type(transforms).__name__}")
    if not transforms:
        raise ValueError(f"{owner}: transforms must hold at least one transform")
    for k, t in enumerate(transforms):
        if not isinstance(t, Transform):
            raise TypeError(f"{owner}: transforms[{k}] must be a fastaug transform, got "
                            f"{type(t).__name__}")
        if type(t).__name__ == "Normalize":
            raise ValueError(f"{owner}: Normalize cannot be a child (it ends the pipeline)")
    return list(transforms)


class _Container(Transform):
    """Children chosen per image: ``sample`` gives ``choice`` (B, n) child indices, -1 for
    none, position j being applied after position j - 1."""

    config_keys = ("transforms", "p")
    is_container = True  # Compose.from_dict reads its "transforms" as transform tables

    def __init__(self, transforms: Sequence[Transform], p: float = 1.0):
        super().__init__(p)
        self.transforms = _children_arg(transforms, type(self).__name__)

    def walk(self) -> Iterator[Transform]:
        yield self
        for t in self.transforms:
            yield from t.walk()

    def draw(self, draws: Iterator[np.ndarray], size: Tuple[int, int]) -> Params:
        params: Dict[str, Any] = dict(self.sample(next(draws), size))
        params["children"] = [t.draw(draws, size) for t in self.transforms]
        return params

    def output_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        sizes = {t.output_size(size) for t in self.transforms}
        if sizes != {size}:
            raise ValueError(f"{type(self).__name__}: every child must keep the image size "
                             f"{size} (images of one batch share one output size), got "
                             f"{sorted(sizes)}")
        return size

    def contribute(self, params: Params, plan: Plan) -> None:
        self.output_size(plan.size)  # the children must agree on it
        choice = params["choice"]
        children: List[Params] = params["children"]  # type: ignore[assignment]
        for position in range(choice.shape[1]):
            column = choice[:, position]
            subs: Dict[int, Plan] = {}
            for c in np.unique(column[column >= 0]).tolist():
                sub = plan.fork()
                self.transforms[c].contribute(children[c], sub)
                subs[c] = sub
            if subs:
                plan.absorb(subs, column)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["transforms"] = [{"type": type(t).__name__, **t.get_config()}
                                for t in self.transforms]
        return config

    def __repr__(self) -> str:
        rest = {k: v for k, v in self.get_config().items() if k != "transforms"}
        inner = ", ".join(repr(t) for t in self.transforms)
        args = "".join(f", {k}={v!r}" for k, v in rest.items())
        return f"{type(self).__name__}([{inner}]{args})"


class OneOf(_Container):
    """Apply one of ``transforms``, chosen per image, with probability ``p``.

    Args:
        transforms: the candidates; they must all give one output size (e.g. a
            ``RandomResizedCrop`` and a ``Resize`` to it), the input's unless ``p=1``.
        weights: relative chances of the candidates (default equal), as torchvision's
            ``RandomChoice(p=...)``; they need not sum to 1.
        p: probability of applying any of them (albumentations' ``OneOf(p=...)``).

    The chosen child then applies with its own ``p``, as in torchvision's ``RandomChoice``
    (albumentations instead takes the children's ``p`` as the weights and forces the chosen
    one: pass ``weights=`` and children with ``p=1`` for that).
    """

    words = 2  # p, the choice
    config_keys = ("transforms", "weights", "p")

    def __init__(self, transforms: Sequence[Transform], weights: Optional[Sequence[float]] = None,
                 p: float = 1.0):
        super().__init__(transforms, p)
        if weights is None:
            self.weights: Optional[Tuple[float, ...]] = None
        else:
            if not isinstance(weights, (list, tuple)) or len(weights) != len(self.transforms):
                raise ValueError(f"weights must be None or {len(self.transforms)} numbers (one "
                                 f"per transform), got {weights!r}")
            self.weights = tuple(_checks.real(w, "weights", 0.0) for w in weights)
            if sum(self.weights) <= 0:
                raise ValueError(f"weights must not all be 0, got {self.weights}")

    def output_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        sizes = {t.output_size(size) for t in self.transforms}
        if len(sizes) == 1 and self.p == 1.0:  # every image gets one child: it may resize
            return sizes.pop()
        if sizes != {size}:
            raise ValueError(f"OneOf: the children must give one output size (images of one "
                             f"batch share it), and keep the image size {size} unless p=1; "
                             f"got {sorted(sizes)}")
        return size

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        applied = self.applied(u)
        count = len(self.transforms)
        weights = np.ones(count) if self.weights is None else np.asarray(self.weights)
        edges = np.cumsum(weights) / weights.sum()
        # u < edges[c] first at c: child c has a chance of weights[c] / sum; never a
        # zero-weight child (its edge equals the previous one).
        pick = np.minimum(np.searchsorted(edges, u[1], side="right"), count - 1)
        return {"applied": applied, "choice": np.where(applied, pick, -1)[:, None]}


class SomeOf(_Container):
    """Apply ``n`` of ``transforms``, chosen per image, one after another in the drawn order,
    with probability ``p`` (albumentations' ``SomeOf``).

    Args:
        transforms: the candidates; each must keep the image size.
        n: how many to apply (at most ``len(transforms)`` unless ``replace``).
        replace: draw with replacement: a child drawn twice applies twice, with the
            parameters it drew for that image (one draw per child and image).
        p: probability of applying any of them.

    Each chosen child then applies with its own ``p``.
    """

    config_keys = ("transforms", "n", "replace", "p")

    def __init__(self, transforms: Sequence[Transform], n: int, replace: bool = False,
                 p: float = 1.0):
        super().__init__(transforms, p)
        self.replace = _checks.boolean(replace, "replace")
        high = 2 ** 8 if self.replace else len(self.transforms)
        self.n = _checks.integer(n, "n", 1, high + 1)

    @property
    def words(self) -> int:  # type: ignore[override]
        # p, then a key per child (their order is a random permutation) or a pick per draw
        return 1 + (self.n if self.replace else len(self.transforms))

    def sample(self, u: np.ndarray, size: Tuple[int, int]) -> Params:
        applied = self.applied(u)
        count = len(self.transforms)
        if self.replace:
            picks = np.minimum(np.floor(u[1:1 + self.n] * count), count - 1).astype(np.intp).T
        else:
            picks = np.argsort(u[1:1 + count], axis=0, kind="stable")[:self.n].T
        return {"applied": applied, "choice": np.where(applied[:, None], picks, -1)}
