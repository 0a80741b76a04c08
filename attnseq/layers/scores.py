"""Score functions: how well each encoder state matches each decoder state.

Every score layer maps the encoder's states hs_enc (N, Te, He) and a block of decoder states
hs_dec (N, Td, H) to the scores S (N, Td, Te) that ``softmax`` turns into attention weights:

    dot       s = h · hs                                 the book's (needs He = H)
    scaled    s = h · hs / √H                            Vaswani et al. (needs He = H)
    general   s = h · (W hs),  W: (H, He)                Luong et al.'s bilinear form
    additive  s = v · tanh(W1ᵀ hs + W2ᵀ h)               Bahdanau et al.; W1: (He, A),
                                                         W2: (H, A), v: (A,)

There is no recurrence inside a score, so every decoder step is scored at once; the one-step
decoding path calls the same layer with Td = 1. Masking belongs to the softmax that follows
(``TimeAttention``), not to the score.

forward(hs_enc, hs_dec) -> S; backward(dS) -> (dhs_enc, dhs_dec). ``shared()`` returns a new
layer of the same kind that uses the same parameter arrays with gradient arrays of its own: a
decoder that attends step by step (input feeding) keeps one such copy per step, each with its
own cache, and sums their gradients afterwards.
"""

from __future__ import annotations

import math

from attnseq.core.backend import xp
from attnseq.core.registry import ONE_OF, Registry
from attnseq.layers.base import Layer


def _swap(a):
    """(N, A, B) -> (N, B, A), a view."""
    return a.transpose(0, 2, 1)


class Score(Layer):
    """Base of the score layers: a layer whose constructor takes exactly its parameters."""

    def __init__(self, *params):
        super().__init__()
        self.params = list(params)
        self.grads = [xp.zeros_like(p) for p in params]
        self.cache = None

    def shared(self) -> Score:
        """A layer of the same kind on the same parameter arrays, with its own grads: a copy
        (``shares_params``), which a composite's ``collect`` leaves out."""
        copy = type(self)(*self.params)
        copy.shares_params = True
        return copy


class DotScore(Score):
    """S = hs_dec @ hs_encᵀ: the book's AttentionWeight for every decoder step."""

    def forward(self, hs_enc, hs_dec):
        self.cache = (hs_enc, hs_dec)
        return hs_dec @ _swap(hs_enc)  # (N, Td, Te)

    def backward(self, dS):
        hs_enc, hs_dec = self.cache
        return _swap(dS) @ hs_dec, dS @ hs_enc


class ScaledDotScore(Score):
    """S = hs_dec @ hs_encᵀ / √H.

    The dot product of two H-wide vectors with unit-variance entries has variance H, which
    pushes the softmax towards one-hot weights and vanishing gradients as H grows; dividing by
    √H keeps the scores' spread independent of the width.
    """

    def forward(self, hs_enc, hs_dec):
        scale = 1.0 / math.sqrt(hs_dec.shape[-1])
        self.cache = (hs_enc, hs_dec, scale)
        S = hs_dec @ _swap(hs_enc)  # (N, Td, Te)
        S *= scale
        return S

    def backward(self, dS):
        hs_enc, hs_dec, scale = self.cache
        dS = dS * scale
        return _swap(dS) @ hs_dec, dS @ hs_enc


class GeneralScore(Score):
    """S = (hs_dec @ W) @ hs_encᵀ, W: (H, He) learned: a dot product in a learned metric.

    Multiplying the decoder side first costs N·Td·H·He, which is the smaller side at decoding
    time (Td = 1) and never larger than projecting every encoder state.
    """

    def forward(self, hs_enc, hs_dec):
        (W,) = self.params
        Q = hs_dec @ W  # (N, Td, He): each query mapped into the encoder's space
        self.cache = (hs_enc, hs_dec, Q)
        return Q @ _swap(hs_enc)  # (N, Td, Te)

    def backward(self, dS):
        (W,) = self.params
        (dW,) = self.grads
        hs_enc, hs_dec, Q = self.cache
        dQ = dS @ hs_enc  # (N, Td, He)
        xp.matmul(hs_dec.reshape(-1, W.shape[0]).T, dQ.reshape(-1, W.shape[1]), out=dW)
        return _swap(dS) @ Q, dQ @ W.T


class AdditiveScore(Score):
    """S[n, t, u] = v · tanh(hs_enc[n, u] @ W1 + hs_dec[n, t] @ W2), Bahdanau's "concat" score.

    W1: (He, A), W2: (H, A), v: (A,). The two projections are computed once per state (not
    once per pair); only the tanh runs over all (t, u) pairs, as one (N, Td, Te, A) array.
    """

    def forward(self, hs_enc, hs_dec):
        W1, W2, v = self.params
        E = hs_enc @ W1  # (N, Te, A)
        F = hs_dec @ W2  # (N, Td, A)
        Z = xp.tanh(F[:, :, None, :] + E[:, None, :, :])  # (N, Td, Te, A)
        self.cache = (hs_enc, hs_dec, Z)
        return Z @ v  # (N, Td, Te)

    def backward(self, dS):
        W1, W2, v = self.params
        dW1, dW2, dv = self.grads
        hs_enc, hs_dec, Z = self.cache
        A = v.shape[0]
        dv[...] = xp.tensordot(dS, Z, axes=([0, 1, 2], [0, 1, 2]))
        dP = dS[..., None] * v  # gradient of tanh's output, (N, Td, Te, A)
        dP *= 1.0 - Z * Z  # ... and of its input
        dE = dP.sum(axis=1)  # every decoder step read each projected encoder state
        dF = dP.sum(axis=2)  # every encoder state met each projected decoder state
        xp.matmul(hs_enc.reshape(-1, W1.shape[0]).T, dE.reshape(-1, A), out=dW1)
        xp.matmul(hs_dec.reshape(-1, W2.shape[0]).T, dF.reshape(-1, A), out=dW2)
        return dE @ W1.T, dF @ W2.T


# The names that configs and the command line use for each score; "dot" is the book's.
SCORES = Registry("score", {"dot": DotScore, "scaled": ScaledDotScore, "general": GeneralScore,
                            "additive": AdditiveScore}, default="dot", message=ONE_OF)
