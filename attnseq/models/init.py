"""Weight initialisation: Xavier-style matrices, embeddings at one of two scales, LSTM biases.

Three schemes:

* ``"book"`` draws embeddings as the book does, ``randn(V, D) / 100``, and zero biases. At that
  scale the encoder's inputs are so small that, on the date task, the attention model is still
  at 0% test exact match after its first epoch.
* ``"scaled"`` draws embeddings from N(0, 1/D), so that an embedding has about unit norm like
  the LSTM's other inputs; with the book's other settings unchanged the same model passes 80%
  after one epoch (81.6%, measured by ``attnseq compare --init scaled``: docs/evaluation.md).
* ``"default"`` is ``"scaled"`` with every LSTM's forget-gate bias at 1 (Gers et al., 2000;
  Jozefowicz et al., 2015): a fresh cell then keeps about 3/4 of its state per step instead of
  1/2, so gradients reach the early steps from the start. Part of the default recipe
  (``attnseq.training.recipes``), where it made more seeds reach 99.9% within one epoch
  (docs/performance.md).

One ``Initializer`` is created per model from its seed and dtype and handed to every part, so
that a model is reproducible from ``seed`` alone and no global random state is touched.

Gate order. attnseq's LSTMs hold their gates in the book's order, f, g, i, o
(``attnseq.layers.recurrent``); until checkpoint format 2 they held f, i, o, g. ``lstm`` still
draws its matrices in that earlier order and then moves the columns (``book_gate_order``), so
that a seed gives the same model, gate for gate, as it did: the seeds and figures in the docs
stay reproducible. Loading a format-1 checkpoint moves its LSTM columns the same way.
"""

from __future__ import annotations

import numpy

from attnseq.core.backend import float_dtype, random_generator, xp
from attnseq.core.registry import Registry

# The schemes by name, each with the line the command line's help gives it.
SCHEMES = Registry("init", {
    "default": "'scaled' with the LSTMs' forget-gate bias at 1",
    "scaled": "embeddings from N(0, 1/D), which converges much faster than 'book'",
    "book": "embeddings as randn/100, like the book",
}, default="default")


def book_gate_order(a):
    """a (..., 4H) with its gate blocks in attnseq's earlier order f, i, o, g -> the same
    blocks in the book's order f, g, i, o (a new array)."""
    f, i, o, g = xp.split(a, 4, axis=-1)
    return xp.concatenate([f, g, i, o], axis=-1)


class Initializer:
    """Draws the initial parameters of a model from one ``numpy.random.Generator``."""

    SCHEMES = SCHEMES

    def __init__(self, seed=None, dtype=None, scheme: str = SCHEMES.default):
        self.scheme = SCHEMES.check(scheme)
        self.rng = numpy.random.default_rng(seed)  # spawns the models' other streams
        self.draw = random_generator(self.rng)  # the weights, drawn on the device
        self.dtype = float_dtype(dtype)

    def normal(self, shape, scale: float):
        return (self.draw.standard_normal(shape) * scale).astype(self.dtype)

    def zeros(self, shape):
        return xp.zeros(shape, dtype=self.dtype)

    def embedding(self, V: int, D: int):
        """W (V, D) ~ N(0, 1/D), or N(0, 0.01²) (the book's ``randn(V, D) / 100``)."""
        return self.normal((V, D), 0.01 if self.scheme == "book" else 1.0 / numpy.sqrt(D))

    def lstm(self, D: int, H: int):
        """(Wx (D, 4H), Wh (H, 4H), b (4H,)), matrices scaled by 1/√fan-in; the bias is zero,
        but for the forget gate's block (the first H, see ``attnseq.layers.recurrent``) at 1
        under ``scheme="default"``. Drawn in the earlier gate order (the module docstring)."""
        Wx = book_gate_order(self.normal((D, 4 * H), 1.0 / numpy.sqrt(D)))
        Wh = book_gate_order(self.normal((H, 4 * H), 1.0 / numpy.sqrt(H)))
        b = self.zeros(4 * H)
        if self.scheme == "default":
            b[:H] = 1.0
        return Wx, Wh, b

    def affine(self, I: int, O: int):
        """(W (I, O), b (O,)), W scaled by 1/√I, bias zero."""
        return self.normal((I, O), 1.0 / numpy.sqrt(I)), self.zeros(O)
