"""Attention for beam search and decoding states: the book's one-step layers, grouped.

Beam search decodes g rows per input (its g beams). The book's ``Attention`` takes one encoder
row per decoder row, so the g beams of input n would each carry a copy of hs[n]. The layers
here take h (N·g, H) against hs (N, T, H) instead: rows n·g .. n·g + g - 1 of h all attend over
hs[n], scored as one block (N, g, H) against hs[n] the way ``TimeAttention`` scores the steps of
a sequence, so the encoder's states are read once per input. g = 1 is the book's layer, and
the tests check these against it (outputs and gradients) for every g.

``attention_state`` keeps, in a decoding state, only the input columns some row may attend to
(the padding columns that every row masks out are dropped): the same contexts over fewer
columns.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers import attention as book
from attnseq.layers.core import softmax, softmax_backward


def grouped(rows, N: int):
    """rows (N·g, ...) -> (N, g, ...), a view: the g rows that attend over one encoder row."""
    if rows.shape[0] % N:
        raise ValueError(f"{rows.shape[0]} decoder rows do not split into groups over "
                         f"{N} encoder rows")
    return rows.reshape(N, rows.shape[0] // N, *rows.shape[1:])


class FastAttentionWeight(book.AttentionWeight):
    """forward(hs (N, T, H), h (N·g, H), mask=None) -> a (N·g, T); backward(da) -> (dhs, dh)."""

    def __init__(self, score=None):
        super().__init__(score)
        self.N = None  # the encoder rows of the last forward

    def forward(self, hs, h, mask=None):
        self.N = hs.shape[0]
        s = self.score.forward(hs, grouped(h, self.N))  # (N, g, T)
        a = softmax(s, mask=None if mask is None else mask[:, None, :])
        self.a = a.reshape(h.shape[0], -1)
        return self.a

    def backward(self, da):
        ds = softmax_backward(self.a, da)  # (N·g, T)
        dhs, dh = self.score.backward(grouped(ds, self.N))
        return dhs, dh.reshape(ds.shape[0], -1)


class FastWeightSum(book.WeightSum):
    """forward(hs (N, T, H), a (N·g, T)) -> c (N·g, H); backward(dc) -> (dhs, da)."""

    def forward(self, hs, a):
        self.cache = (hs, a)
        return (grouped(a, hs.shape[0]) @ hs).reshape(a.shape[0], -1)  # (N·g, H)

    def backward(self, dc):
        hs, a = self.cache
        N = hs.shape[0]
        dc_g = grouped(dc, N)  # (N, g, H)
        dhs = grouped(a, N).transpose(0, 2, 1) @ dc_g  # (N, T, H): summed over the group
        da = (dc_g @ hs.transpose(0, 2, 1)).reshape(a.shape)  # (N·g, T)
        return dhs, da


class FastAttention(book.Attention):
    """The book's ``Attention`` over grouped rows: forward(hs (N, T, H), h (N·g, H), mask=None)
    -> c (N·g, H); backward(dc) -> (dhs, dh); ``attention_weight`` (N·g, T)."""

    def __init__(self, score=None):
        super().__init__(score)
        self.weight_layer = FastAttentionWeight(score)
        self.sum_layer = FastWeightSum()
        self.collect()  # on the fast weight layer


# The entries of ``attention_state``: one row per input, however many rows a decoder steps per
# input (the layers above read row r // g for g rows per input); a model that keeps them names
# them as its ``input_keys`` (``attnseq.decoding.protocol``).
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
