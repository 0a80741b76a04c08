"""FastFeedForward: the book's ``FeedForward`` with ``FastAffine`` maps (BLAS bias sums)."""

from __future__ import annotations

from attnseq.fast.affine import FastAffine
from attnseq.layers.feedforward import FeedForward


class FastFeedForward(FeedForward):
    """FastFeedForward(W1 (D, F), b1 (F,), W2 (F, D), b2 (D,), activation="relu"):
    ``FeedForward``'s contract. forward(x (*S, D)) -> (*S, D); backward(dy) -> dx."""

    affine_layer = FastAffine
