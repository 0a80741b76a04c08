"""Embedding, affine and softmax: the layers without recurrence.

All of them work on any number of leading axes, so the "Time" variants of the book
(``TimeEmbedding``, ``TimeAffine``) are the same code applied to (N, T, ...) arrays: every
time step is computed at once, as one gather or one matmul over N·T rows.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.base import Layer


def softmax(x, axis: int = -1, mask=None):
    """Numerically stable softmax of ``x`` along ``axis``.

    ``mask`` (broadcastable to ``x``, True where a position may receive weight) gives masked
    positions exactly zero weight. Every row must keep at least one unmasked position.
    """
    if mask is not None:
        x = xp.where(mask, x, -xp.inf)  # exp(−∞) = 0
    y = xp.exp(x - x.max(axis=axis, keepdims=True))  # never overflows: the largest is exp(0)
    return y / y.sum(axis=axis, keepdims=True)


def softmax_backward(y, dy, axis: int = -1):
    """Gradient through ``y = softmax(x)``: ``dx = y * (dy - Σ dy·y)``, summed along ``axis``."""
    return y * (dy - (dy * y).sum(axis=axis, keepdims=True))


class Embedding(Layer):
    """Row lookup: ``out = W[idx]``.

    W: (V, D). forward(idx) with idx of any integer shape S returns (*S, D); ``apply(idx)``
    is the same lookup without a cache (a decoding step's).
    """

    def __init__(self, W):
        super().__init__()
        self.params = [W]
        self.grads = [xp.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def apply(self, idx):
        return self.params[0][idx]

    def backward(self, dout):
        """Add ``dout`` (*S, D) into the rows of dW; ids that repeat accumulate (the book's
        ``np.add.at``: a plain ``dW[idx] += dout`` would keep one row of each repeat)."""
        (dW,) = self.grads
        dW[...] = 0
        xp.add.at(dW, self.idx.ravel(), dout.reshape(-1, dW.shape[1]))
        return None


class TimeEmbedding(Embedding):
    """The book's TimeEmbedding: an ``Embedding`` over (N, T) ids, returning (N, T, D)."""


class Affine(Layer):
    """``out = x @ W + b``.

    W: (I, O), b: (O,). forward(x) with x of shape (*S, I) returns (*S, O): leading axes are
    folded into one matmul over all rows.
    """

    def __init__(self, W, b):
        super().__init__()
        self.params = [W, b]
        self.grads = [xp.zeros_like(W), xp.zeros_like(b)]
        self.x_shape = self.x2 = None

    def forward(self, x):
        W, b = self.params
        # (N·T, I), kept for backward: a copy when x is a strided view, made only once
        x2 = x.reshape(-1, W.shape[0])
        self.x_shape, self.x2 = x.shape, x2
        out = x2 @ W  # (N·T, O)
        out += b
        return out.reshape(*x.shape[:-1], W.shape[1])

    def backward(self, dout):
        W, _ = self.params
        dW, db = self.grads
        d2 = dout.reshape(-1, W.shape[1])  # (N·T, O)
        xp.matmul(self.x2.T, d2, out=dW)
        db[...] = d2.sum(axis=0)
        return (d2 @ W.T).reshape(self.x_shape)


class TimeAffine(Affine):
    """The book's TimeAffine: an ``Affine`` over (N, T, I) inputs, returning (N, T, O)."""


class Softmax(Layer):
    """Softmax over the last axis, as a layer: forward(x) -> y, backward(dy) -> dx."""

    def __init__(self):
        super().__init__()
        self.y = None

    def forward(self, x):
        self.y = softmax(x)
        return self.y

    def backward(self, dout):
        return softmax_backward(self.y, dout)
