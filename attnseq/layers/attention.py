"""Attention: the book's AttentionWeight, WeightSum, Attention and TimeAttention.

For one decoder state h (N, H) and the encoder's states hs (N, T, H):

    s[n, t] = hs[n, t, :] · h[n, :]        scores, (N, T)          AttentionWeight
    a = softmax_t(s)                       alignment weights
    c[n, :] = Σ_t a[n, t] · hs[n, t, :]    context vector, (N, H)  WeightSum

No recurrence runs through attention (the context of step t does not feed step t+1 here), so
``TimeAttention`` computes every decoder step at once with batched matmuls instead of the
book's loop over ``Attention`` layers:  S = H_dec @ hs_encᵀ,  A = softmax(S),  C = A @ hs_enc.

``mask`` (N, T_enc), True at real input positions, keeps padding from receiving weight.

The score s is the book's dot product by default; any layer of ``attnseq.layers.scores`` can
take its place (scaled dot, general, additive). The layers here then carry the score's
parameters as their own ``params``/``grads``.

The fast set's ``attnseq.fast.attention`` has the same layers for beam search, where g
decoder rows attend over one input's states without copying them g times.
"""

from __future__ import annotations

from attnseq.layers.base import Layer
from attnseq.layers.core import softmax, softmax_backward
from attnseq.layers.scores import DotScore


class AttentionWeight(Layer):
    """forward(hs (N, T, H), h (N, H), mask=None) -> a (N, T); backward(da) -> (dhs, dh).

    ``score`` (default: the book's ``DotScore``) scores h against every row of hs.
    """

    def __init__(self, score=None):
        super().__init__()
        self.score = DotScore() if score is None else score
        self.collect()
        self.a = None

    def forward(self, hs, h, mask=None):
        s = self.score.forward(hs, h[:, None, :])[:, 0]  # (N, T): one query per row
        self.a = softmax(s, mask=mask)
        return self.a

    def backward(self, da):
        ds = softmax_backward(self.a, da)  # (N, T)
        dhs, dh = self.score.backward(ds[:, None, :])
        return dhs, dh[:, 0]


class WeightSum(Layer):
    """forward(hs (N, T, H), a (N, T)) -> c (N, H); backward(dc) -> (dhs, da)."""

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, hs, a):
        self.cache = (hs, a)
        return (a[:, :, None] * hs).sum(axis=1)  # (N, H)

    def backward(self, dc):
        hs, a = self.cache
        dhs = a[:, :, None] * dc[:, None, :]  # (N, T, H)
        da = (hs * dc[:, None, :]).sum(axis=2)  # (N, T)
        return dhs, da


class Attention(Layer):
    """WeightSum ∘ AttentionWeight for one decoder step.

    forward(hs (N, T, H), h (N, H), mask=None) -> c (N, H); backward(dc) -> (dhs, dh).
    ``attention_weight`` holds the last forward's weights a (N, T).
    """

    def __init__(self, score=None):
        super().__init__()
        self.weight_layer = AttentionWeight(score)
        self.sum_layer = WeightSum()
        self.collect()
        self.attention_weight = None

    @property
    def score(self):
        return self.weight_layer.score

    def shared(self) -> Attention:
        """An attention layer of this class on the same score parameters, with its own grads
        and cache: a copy (``shares_params``), as its score is."""
        return type(self)(self.score.shared())

    def forward(self, hs, h, mask=None):
        a = self.weight_layer.forward(hs, h, mask)
        self.attention_weight = a
        return self.sum_layer.forward(hs, a)

    def backward(self, dc):
        dhs_sum, da = self.sum_layer.backward(dc)
        dhs_weight, dh = self.weight_layer.backward(da)
        return dhs_sum + dhs_weight, dh


class TimeAttention(Layer):
    """Attention for every decoder step at once.

    forward(hs_enc (N, Te, H), hs_dec (N, Td, H), mask=None) -> C (N, Td, H).
    backward(dC (N, Td, H)) -> (dhs_enc (N, Te, H), dhs_dec (N, Td, H)).
    ``attention_weights`` holds the last forward's A (N, Td, Te); each row sums to 1.
    ``score`` (default: the book's ``DotScore``) computes S for all steps at once.
    """

    def __init__(self, score=None):
        super().__init__()
        self.score = DotScore() if score is None else score
        self.collect()
        self.cache = None
        self.attention_weights = None

    def forward(self, hs_enc, hs_dec, mask=None):
        S = self.score.forward(hs_enc, hs_dec)  # (N, Td, Te)
        A = softmax(S, mask=None if mask is None else mask[:, None, :])
        self.cache = (hs_enc, A)
        self.attention_weights = A
        return A @ hs_enc  # (N, Td, H)

    def backward(self, dC):
        hs_enc, A = self.cache
        dA = dC @ hs_enc.transpose(0, 2, 1)  # (N, Td, Te)
        dS = softmax_backward(A, dA)
        dhs_enc, dhs_dec = self.score.backward(dS)  # through S = score(hs_enc, hs_dec)
        dhs_enc += A.transpose(0, 2, 1) @ dC  # through C = A @ hs_enc
        return dhs_enc, dhs_dec
