"""The layer protocol and the one helper that composites use to gather parameters.

Every layer follows the book's convention, made explicit here:

* ``params`` and ``grads`` are lists of arrays in the same order and of the same shapes;
* ``forward(*inputs)`` caches what ``backward`` needs and returns the output;
* ``backward(dout)`` returns the gradients of the inputs and writes the gradients of the
  parameters *in place* (``g[...] = ...``), so that a model's concatenated lists stay bound to
  the arrays its layers own and an optimiser can update them without any bookkeeping;
* ``backward`` never modifies ``dout`` or the forward cache.

The layers form a tree: a layer's children are the layers among its attributes (``walk``),
which nothing has to declare. Train and eval mode derive from it: ``train_mode(flag)`` sets
``training`` on every layer below that has one (the dropouts), and ``eval_mode(model)``
switches a model to eval mode for a ``with`` block and back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class Layer:
    """Base class: a layer without parameters. Subclasses set ``params`` and ``grads``."""

    def __init__(self) -> None:
        self.params: list = []
        self.grads: list = []

    def train_mode(self, flag: bool) -> None:
        """Switch every layer of the tree that has a ``training`` flag (dropout) to ``flag``."""
        for layer in walk(self):
            if hasattr(layer, "training"):
                layer.training = bool(flag)

    def forward(self, *inputs):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, dout):  # pragma: no cover - interface
        raise NotImplementedError


def gather(layers: Iterable[Layer]) -> tuple[list, list]:
    """Concatenate the ``params``/``grads`` lists of ``layers``, each parameter once.

    A parameter shared between layers (the same array object, not merely equal values) is
    kept once. Sharing is declared by giving both layers the same parameter *and* the same
    gradient array; a shared parameter with two different gradient arrays would silently lose
    one layer's gradient, so it is refused.
    """
    params: list = []
    grads: list = []
    seen: dict[int, int] = {}
    for layer in layers:
        for p, g in zip(layer.params, layer.grads, strict=True):
            if id(p) in seen:
                if grads[seen[id(p)]] is not g:
                    raise ValueError("a shared parameter must share its gradient array too")
                continue
            seen[id(p)] = len(params)
            params.append(p)
            grads.append(g)
    return params, grads


def is_layer(obj) -> bool:
    """Does ``obj`` follow the protocol (a ``params`` list beside a ``grads`` list)? Models and
    their parts do, whether or not they subclass ``Layer``."""
    return isinstance(getattr(obj, "params", None), list) and hasattr(obj, "grads")


def walk(root) -> Iterator:
    """``root`` and every layer below it, each once, parents before children.

    A layer's children are the layers among its attributes, directly or in a list, tuple or
    dict, in the order the attributes were set: the layer tree, which nothing has to declare.
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        children = []
        for value in vars(obj).values():
            items = value.values() if isinstance(value, dict) else (
                value if isinstance(value, (list, tuple)) else (value,))
            children += [item for item in items if is_layer(item)]
        stack.extend(reversed(children))


@contextmanager
def eval_mode(root):
    """``with eval_mode(model):`` runs the block with every ``training`` flag under ``model``
    False (no dropout), then puts each flag back as it was, whatever the block raised."""
    flagged = [layer for layer in walk(root) if hasattr(layer, "training")]
    before = [layer.training for layer in flagged]
    for layer in flagged:
        layer.training = False
    try:
        yield root
    finally:
        for layer, flag in zip(flagged, before, strict=True):
            layer.training = flag
