"""Position information added to token embeddings: sinusoidal or learned (a registry).

Attention alone is blind to order (permuting the inputs permutes its outputs alike), so each
position t gets a vector P[t] (D,) added to the embedding of the token there:

    sinusoidal (Vaswani et al., 2017):  P[t, 2i] = sin(t / 10000^(2i/D)),
                                        P[t, 2i+1] = cos(t / 10000^(2i/D));  no parameters
    learned:                            P (max_len, D) a parameter, dP[t] = Σ_n dy[n, t]

forward(xs (N, T, D), start=0) -> xs + P[start : start + T]; backward(dy) -> dxs = dy.
A decoding step at position t calls forward with start=t on (N, 1, D).
"""

from __future__ import annotations

import numpy

from attnseq.core.backend import xp
from attnseq.core.errors import AttnseqError
from attnseq.core.registry import Registry
from attnseq.layers.base import Layer


def sinusoids(T: int, D: int, dtype):
    """The table P (T, D) of sinusoidal encodings (D may be odd: the last column is a sin)."""
    t = xp.arange(T)[:, None]
    rates = 1.0 / 10000.0 ** (xp.arange(0, D, 2) / D)  # (ceil(D/2),)
    P = xp.zeros((T, D))
    P[:, 0::2] = xp.sin(t * rates)
    P[:, 1::2] = xp.cos(t * rates[: D // 2])
    return P.astype(dtype)


class SinusoidalPositions(Layer):
    """SinusoidalPositions(max_len, D, dtype): the fixed table, no parameters."""

    def __init__(self, max_len: int, D: int, dtype):
        super().__init__()
        self.table = sinusoids(max_len, D, dtype)

    def rows(self, start: int, T: int):
        if start + T > self.table.shape[0]:
            raise AttnseqError(f"position {start + T - 1} is beyond the longest sequence "
                               f"this model was built for ({self.table.shape[0]})")
        return self.table[start: start + T]

    def forward(self, xs, start: int = 0):
        return xs + self.rows(start, xs.shape[1])

    def backward(self, dy):
        return dy.copy()


class LearnedPositions(SinusoidalPositions):
    """LearnedPositions(P (max_len, D)): the table is a parameter, trained with the rest."""

    def __init__(self, P):
        Layer.__init__(self)
        self.table = P
        self.params = [P]
        self.grads = [xp.zeros_like(P)]
        self.T = 0

    def forward(self, xs, start: int = 0):
        self.T = xs.shape[1]  # training runs from position 0
        return xs + self.rows(start, xs.shape[1])

    def backward(self, dy):
        (dP,) = self.grads
        dP[...] = 0
        dP[: self.T] = dy.sum(axis=0)
        return dy.copy()


# What each choice is, for --help; ``positions_layer`` builds the layer of a name.
POSITIONS = Registry("positions", {
    "sinusoidal": "fixed sinusoids of the paper, no parameters",
    "learned": "a trained (max_len, D) table",
}, default="sinusoidal")


def positions_layer(name: str, max_len: int, D: int, init_normal, dtype):
    """The positions layer called ``name``; ``init_normal(shape, scale)`` draws a learned
    table (at the scale of an embedding, N(0, 1/D))."""
    if POSITIONS.check(name) == "learned":
        return LearnedPositions(init_normal((max_len, D), 1.0 / numpy.sqrt(D)))
    return SinusoidalPositions(max_len, D, dtype)
