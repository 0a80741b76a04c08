"""The layer protocol and the one helper that composites use to gather parameters.

Every layer follows the book's convention, made explicit here:

* ``params`` and ``grads`` are lists of arrays in the same order and of the same shapes;
* ``forward(*inputs)`` caches what ``backward`` needs and returns the output;
* ``backward(dout)`` returns the gradients of the inputs and writes the gradients of the
  parameters *in place* (``g[...] = ...``), so that a model's concatenated lists stay bound to
  the arrays its layers own and an optimiser can update them without any bookkeeping;
* ``backward`` never modifies ``dout`` or the forward cache.
"""

from __future__ import annotations

from collections.abc import Iterable


class Layer:
    """Base class: a layer without parameters. Subclasses set ``params`` and ``grads``."""

    def __init__(self) -> None:
        self.params: list = []
        self.grads: list = []

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
