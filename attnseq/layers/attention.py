"""Attention: the book's AttentionWeight, WeightSum, Attention and TimeAttention.

For one decoder state h (N, H) and the encoder's states hs (N, T, H):

    s[n, t] = hs[n, t, :] · h[n, :]        scores, (N, T)          AttentionWeight
    a = softmax_t(s)                       alignment weights
    c[n, :] = Σ_t a[n, t] · hs[n, t, :]    context vector, (N, H)  WeightSum

No recurrence runs through attention (the context of step t does not feed step t+1 here), so
``TimeAttention`` computes every decoder step at once with batched matmuls instead of the
book's loop over ``Attention`` layers:  S = H_dec @ hs_encᵀ,  A = softmax(S),  C = A @ hs_enc.

``mask`` (N, T_enc), True at real input positions, keeps padding from receiving weight.

The one-step layers also take g decoder states per encoder row: h (N·g, H), whose rows
n·g .. n·g + g - 1 all attend over hs[n] (beam search's g beams of input n). They score the
g rows of an input as one block (N, g, H) against hs[n], the way ``TimeAttention`` scores the
steps of a sequence, so the encoder's states are read once per input, not copied g times;
g = 1 is the book's layer.

The score s is the book's dot product by default; any layer of ``attnseq.layers.scores`` can
take its place (scaled dot, general, additive). The layers here then carry the score's
parameters as their own ``params``/``grads``.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.base import Layer
from attnseq.layers.core import softmax, softmax_backward
from attnseq.layers.scores import DotScore


def _grouped(rows, N: int):
    """rows (N·g, ...) -> (N, g, ...), a view: the g rows that attend over one encoder row."""
    if rows.shape[0] % N:
        raise ValueError(f"{rows.shape[0]} decoder rows do not split into groups over "
                         f"{N} encoder rows")
    return rows.reshape(N, rows.shape[0] // N, *rows.shape[1:])


class AttentionWeight(Layer):
    """forward(hs (N, T, H), h (N·g, H), mask=None) -> a (N·g, T); backward(da) -> (dhs, dh).

    ``score`` (default: the book's ``DotScore``) scores h against every row of hs; rows
    n·g .. n·g + g - 1 of h against hs[n] (the module docstring; g = 1: the book's layer).
    """

    def __init__(self, score=None):
        super().__init__()
        self.score = DotScore() if score is None else score
        self.params, self.grads = self.score.params, self.score.grads
        self.a = None
        self.N = None  # the encoder rows of the last forward

    def forward(self, hs, h, mask=None):
        self.N = hs.shape[0]
        s = self.score.forward(hs, _grouped(h, self.N))  # (N, g, T)
        a = softmax(s, mask=None if mask is None else mask[:, None, :])
        self.a = a.reshape(h.shape[0], -1)
        return self.a

    def backward(self, da):
        ds = softmax_backward(self.a, da)  # (N·g, T)
        dhs, dh = self.score.backward(_grouped(ds, self.N))
        return dhs, dh.reshape(ds.shape[0], -1)


class WeightSum(Layer):
    """forward(hs (N, T, H), a (N·g, T)) -> c (N·g, H); backward(dc) -> (dhs, da).

    Row r of a weighs the states hs[r // g] (the module docstring; g = 1: the book's layer).
    """

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, hs, a):
        self.cache = (hs, a)
        return (_grouped(a, hs.shape[0]) @ hs).reshape(a.shape[0], -1)  # (N·g, H)

    def backward(self, dc):
        hs, a = self.cache
        N = hs.shape[0]
        dc_g = _grouped(dc, N)  # (N, g, H)
        dhs = _grouped(a, N).transpose(0, 2, 1) @ dc_g  # (N, T, H): summed over the group
        da = (dc_g @ hs.transpose(0, 2, 1)).reshape(a.shape)  # (N·g, T)
        return dhs, da


class Attention(Layer):
    """WeightSum ∘ AttentionWeight for one decoder step.

    forward(hs (N, T, H), h (N·g, H), mask=None) -> c (N·g, H); backward(dc) -> (dhs, dh).
    ``attention_weight`` holds the last forward's weights a (N·g, T); g = 1 is the book's.
    """

    def __init__(self, score=None):
        super().__init__()
        self.weight_layer = AttentionWeight(score)
        self.sum_layer = WeightSum()
        self.params, self.grads = self.weight_layer.params, self.weight_layer.grads
        self.attention_weight = None

    @property
    def score(self):
        return self.weight_layer.score

    def shared(self) -> Attention:
        """An Attention on the same score parameters, with its own grads and cache."""
        return Attention(self.score.shared())

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
        self.params, self.grads = self.score.params, self.score.grads
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


# The entries of ``attention_state``: one row per input, however many rows a decoder steps per
# input (the one-step layers above read row r // g for g rows per input); a model that keeps
# them names them as its ``input_keys`` (``attnseq.decoding.protocol``).
ATTENTION_STATE_KEYS = ("enc_hs", "mask", "attention_columns")


def attention_state(enc_hs, mask=None) -> dict:
    """What a decoding state keeps for attention, with the columns no row may attend to dropped.

    enc_hs: (N, Te, H); mask: (N, Te), False at padding, or None. Returns {"enc_hs": (N, K, H)}
    plus "mask" (N, K) when there is one, and, when columns were dropped,
    "attention_columns" (N, K) ints: the input position of each kept column (what
    ``attnseq.decoding.protocol.input_attention`` reads to put weights back in place). The
    kept columns run from the first to the last that is real input in some row; padding gets
    zero weight, so attending over them gives the same contexts, and a batch of inputs of
    about one length keeps only about that many columns. Every entry is batch-first.
    """
    N, Te, _ = enc_hs.shape
    if mask is None:
        return {"enc_hs": enc_hs}
    lo, hi = attended_span(mask)
    if (lo, hi) == (0, Te):
        return {"enc_hs": enc_hs, "mask": mask}
    return {"enc_hs": xp.ascontiguousarray(enc_hs[:, lo:hi]),
            **span_state(mask, lo, hi)}


def attended_span(mask) -> tuple[int, int]:
    """(lo, hi): the columns of mask (N, Te) from the first to the last that is real input
    (True) in some row; (0, Te) when no column is."""
    used = xp.flatnonzero(mask.any(axis=0))
    return (int(used[0]), int(used[-1]) + 1) if used.size else (0, mask.shape[1])


def span_state(mask, lo: int, hi: int) -> dict:
    """The state's "mask" (N, K) and "attention_columns" (N, K) of the columns lo:hi kept."""
    N = mask.shape[0]
    return {"mask": xp.ascontiguousarray(mask[:, lo:hi]),
            "attention_columns": xp.broadcast_to(xp.arange(lo, hi), (N, hi - lo))}
