"""The layer protocol and the one helper that composites use to gather parameters.

Every layer follows the book's convention, made explicit here:

* ``params`` and ``grads`` are lists of arrays in the same order and of the same shapes;
* ``forward(*inputs)`` caches what ``backward`` needs and returns the output;
* ``backward(dout)`` returns the gradients of the inputs and writes the gradients of the
  parameters *in place* (``g[...] = ...``), so that a model's concatenated lists stay bound to
  the arrays its layers own and an optimiser can update them without any bookkeeping;
* ``backward`` never modifies ``dout`` or the forward cache.

The layers form a tree: a layer's children are the layers among its attributes
(``children``, ``walk``), which nothing has to declare. A composite's ``params`` and ``grads``
derive from it: ``collect()`` gathers its children's, in the order the attributes were set.
A *copy* (``shares_params``: a layer on another layer's parameter arrays with gradient arrays
of its own, such as ``Score.shared()``, for decoding steps) is not trained through its parent:
``collect`` skips it. Train and eval mode derive from the tree too: ``train_mode(flag)`` sets
``training`` on every layer below that has one (the dropouts), and ``eval_mode(model)``
switches a model to eval mode for a ``with`` block and back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class Layer:
    """Base class: a layer without parameters. A leaf sets ``params`` and ``grads`` to the
    arrays it owns; a composite calls ``collect()`` once its children are set.

    ``shares_params`` is True on a copy: a layer whose parameters are another layer's arrays
    (the same objects) while its gradient arrays are its own, made to run beside the original
    (a decoding step's attention, one attention per step). The leaf that makes such a copy
    marks it (``Score.shared()``); a composite is a copy when every child it would gather
    from is one (an ``Attention`` on a shared score), which ``collect`` records.
    """

    shares_params = False

    def __init__(self) -> None:
        self.params: list = []
        self.grads: list = []

    def collect(self) -> None:
        """``params``/``grads`` := ``gather`` over the children, in attribute order, leaving
        out the copies (their gradients are not this layer's to train); a copy's own lists
        gather its children, copies included, so that its gradients can be read."""
        parts = [child for child in children(self) if child.params or is_copy(child)]
        self.shares_params = bool(parts) and all(is_copy(child) for child in parts)
        self.params, self.grads = gather(
            child for child in parts if self.shares_params or not is_copy(child))

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


def is_copy(layer) -> bool:
    """Is ``layer`` a copy on another layer's parameters (``Layer.shares_params``)? Layers
    that do not subclass ``Layer`` are not."""
    return bool(getattr(layer, "shares_params", False))


def children(layer) -> list:
    """The layers among ``layer``'s attributes, directly or in a list, tuple or dict, in the
    order the attributes were set, each once: its children in the layer tree."""
    found: list = []
    seen: set[int] = set()
    for value in vars(layer).values():
        items = value.values() if isinstance(value, dict) else (
            value if isinstance(value, (list, tuple)) else (value,))
        for item in items:
            if is_layer(item) and id(item) not in seen:
                seen.add(id(item))
                found.append(item)
    return found


def walk(root) -> Iterator:
    """``root`` and every layer below it, each once, parents before children.

    A layer's children are ``children(layer)``: the layer tree, which nothing has to declare.
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        stack.extend(reversed(children(obj)))


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
