"""FastFeedForward: the book's ``FeedForward`` with ``FastAffine`` maps (BLAS bias sums)."""

from __future__ import annotations

from attnseq.fast.affine import FastAffine
from attnseq.layers.feedforward import ACTIVATIONS, FeedForward


class FastFeedForward(FeedForward):
    """FastFeedForward(W1 (D, F), b1 (F,), W2 (F, D), b2 (D,), activation="relu"):
    ``FeedForward``'s contract. forward(x (*S, D)) -> (*S, D); backward(dy) -> dx."""

    def __init__(self, W1, b1, W2, b2, activation: str = ACTIVATIONS.default):
        super().__init__(W1, b1, W2, b2, activation)
        # the same maps in the same places (the attributes keep their order): the params too
        self.inner = FastAffine(W1, b1)
        self.outer = FastAffine(W2, b2)
        self.collect()
