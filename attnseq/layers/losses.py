"""Softmax with cross-entropy over every time step, with a padding mask and label smoothing."""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.core.errors import fraction
from attnseq.layers.base import Layer
from attnseq.layers.core import softmax


class TimeSoftmaxWithLoss(Layer):
    """Mean cross-entropy of softmax(xs) against integer targets, ignoring padding.

    forward(xs (N, T, V) scores, ts (N, T) ids) -> float: the mean over the targets that are
    not ``ignore_id``. Padding must not count: a model would otherwise be rewarded for
    predicting padding, and short answers would weigh less than long ones.
    backward(dout=1.0) -> dxs (N, T, V).

    ``smoothing`` ε in [0, 1) (Szegedy et al., 2016) trains against the target distribution
    q = (1 − ε)·onehot(t) + ε/V instead of the one-hot:

        loss = −Σ_v q_v log p_v = (1 − ε)(−log p_t) + ε · mean_v(−log p_v),   dx = p − q

    so the model is kept from growing its logits without bound. ε = 0 is the plain loss.
    """

    def __init__(self, ignore_id: int | None = None, smoothing: float = 0.0):
        super().__init__()
        self.ignore_id = ignore_id
        self.smoothing = fraction("label_smoothing", smoothing)
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
        if self.smoothing == 0.0:
            p = y[xp.arange(N * T), ts2]
            # log of a probability that underflowed to 0 would be -inf; clamp to the tiny.
            nll = -xp.log(xp.maximum(p, xp.finfo(y.dtype).tiny))
        else:
            x2 = xs.reshape(N * T, V)
            shifted = x2 - x2.max(axis=1, keepdims=True)
            logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))  # exact
            eps = self.smoothing
            nll = -(1.0 - eps) * logp[xp.arange(N * T), ts2] - eps * logp.mean(axis=1)
        loss = float((nll * keep).sum()) / count
        self.cache = (y, ts2, keep, count, xs.shape)
        return loss

    def backward(self, dout=1.0):
        y, ts2, keep, count, shape = self.cache
        eps = self.smoothing
        if eps == 0.0:
            dx = y.copy()
        else:
            dx = y - eps / y.shape[1]
        dx[xp.arange(dx.shape[0]), ts2] -= 1.0 - eps
        dx *= (keep * (dout / count))[:, None]
        return dx.reshape(shape)
