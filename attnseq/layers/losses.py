"""Softmax with cross-entropy over every time step, with a padding mask."""

from __future__ import annotations

from attnseq.backend import xp
from attnseq.layers.base import Layer
from attnseq.layers.core import softmax


class TimeSoftmaxWithLoss(Layer):
    """Mean cross-entropy of softmax(xs) against integer targets, ignoring padding.

    forward(xs (N, T, V) scores, ts (N, T) ids) -> float: the mean over the targets that are
    not ``ignore_id``. Padding must not count: a model would otherwise be rewarded for
    predicting padding, and short answers would weigh less than long ones.
    backward(dout=1.0) -> dxs (N, T, V).
    """

    def __init__(self, ignore_id: int | None = None):
        super().__init__()
        self.ignore_id = ignore_id
        self.cache = None

    def forward(self, xs, ts):
        N, T, V = xs.shape
        ts2 = ts.reshape(-1)
        y = softmax(xs.reshape(N * T, V))  # (N·T, V)
        if self.ignore_id is None:
            keep = xp.ones(N * T, dtype=bool)
        else:
            keep = ts2 != self.ignore_id
        count = max(int(keep.sum()), 1)
        p = y[xp.arange(N * T), ts2]
        # log of a probability that underflowed to 0 would be -inf; clamp to the dtype's tiny.
        logp = xp.log(xp.maximum(p, xp.finfo(y.dtype).tiny))
        loss = -float((logp * keep).sum()) / count
        self.cache = (y, ts2, keep, count, xs.shape)
        return loss

    def backward(self, dout=1.0):
        y, ts2, keep, count, shape = self.cache
        dx = y.copy()
        dx[xp.arange(dx.shape[0]), ts2] -= 1
        dx *= (keep * (dout / count))[:, None]
        return dx.reshape(shape)
