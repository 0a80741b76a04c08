"""The gradient-check table's layer rows: every layer of ``attnseq.layers`` and
``attnseq.fast``, with the inputs each one's backward returns a gradient for (``rows``)."""

from __future__ import annotations

from operator import add

import numpy

from attnseq import fast as F
from attnseq import layers as L
from attnseq.core.backend import xp
from attnseq.fast import attention as fast_attention
from attnseq.gradcheck.rows import TE, D, H, LayerRow, N, T, V


def _lstm(rng, d: int, h: int, scale: float = 1.0
          ) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    return (rng.standard_normal((d, 4 * h)) * scale, rng.standard_normal((h, 4 * h)) * scale,
            rng.standard_normal(4 * h))


def _mask(rng):
    mask = numpy.ones((N, TE), dtype=bool)
    mask[0, :2] = False  # padding at the front, as reversed inputs have it
    return mask


def _repeated_ids(rng):
    ids = rng.integers(0, V, N)
    ids[1] = ids[0]  # a repeated id must accumulate
    return ids


def _shared_prefix_ids(rng):
    """Rows that share padding and first tokens, so that both kinds of shared step run."""
    return numpy.array([[0, 0, 1, 2], [0, 0, 1, 3], [0, 4, 4, 4], [5, 5, 1, 2], [5, 5, 1, 6],
                        [5, 6, 6, 6]])


def random_score(rng, name: str, h: int, he: int, a: int):
    """A score layer with random parameters; h decoder width, he encoder width, a additive."""
    randn = rng.standard_normal
    if name == "general":
        return L.GeneralScore(randn((h, he)))
    if name == "additive":
        return L.AdditiveScore(randn((he, a)), randn((h, a)), randn(a))
    return L.SCORES[name]()


def _stack(rng, bidirectional: bool):
    """Three layers with residual connections and dropout; a bidirectional (sum) bottom
    layer, or a decoder-style stateful stack."""
    bottom: L.Layer
    if bidirectional:
        bottom = L.TimeBiLSTM(L.TimeLSTM(*_lstm(rng, D, H, 0.5)),
                              L.TimeLSTM(*_lstm(rng, D, H, 0.5)), merge="sum")
    else:
        bottom = L.TimeLSTM(*_lstm(rng, D, H, 0.5), stateful=True)
    upper = [L.TimeLSTM(*_lstm(rng, H, H, 0.5), stateful=not bidirectional) for _ in range(2)]
    return L.TimeStackedLSTM([bottom, *upper], residual=True, dropout=0.3)


def _fast_stack(rng):
    """The fast set's stack over ids: an EmbeddingLSTM bottom layer and two FastTimeLSTMs,
    stateful, with residual connections and dropout."""
    bottom = F.EmbeddingLSTM(rng.standard_normal((V, D)), *_lstm(rng, D, H, 0.5),
                             stateful=True)
    upper = [F.FastTimeLSTM(*_lstm(rng, H, H, 0.5), stateful=True) for _ in range(2)]
    return F.FastTimeStackedLSTM([bottom, *upper], residual=True, dropout=0.3)


def _input_feeding_row(name: str, cls, attention) -> LayerRow:
    """Input feeding's recurrence: its LSTM reads [e_t ; ctx_{t-1}] (D + H wide)."""
    return LayerRow(name, lambda r: cls(*_lstm(r, D + H, H, 0.5), attention()),
                    {"es": (N, T, D), "hs": (N, TE, H), "h0": (N, H)}, ("es", "hs", "h0"),
                    {"mask": _mask})


def _side_stack(rng):
    """GNMT's decoder layers above the bottom one: three stateful layers that read a side
    input beside the layer below's output, skips from the third (so one layer reads H + S
    wide inputs without a skip, and a skip is checked beside one that has none)."""
    lstms = [L.TimeLSTM(*_lstm(rng, D + H - 1 if l == 0 else H + H - 1, H, 0.5),
                        stateful=True) for l in range(3)]
    return L.TimeStackedLSTM(lstms, residual=True, dropout=0.3, residual_from=3)


def _score_rows() -> list[LayerRow]:
    """Each score alone, general and additive with unequal widths (to catch a transpose), and
    attention through it, one step and all steps."""
    rows = []
    for name, cls in L.SCORES.items():
        he = H if name in ("dot", "scaled") else H + 1
        rows.append(LayerRow(cls.__name__,
                             lambda r, n=name, e=he: random_score(r, n, H, e, H - 1),
                             {"hs_enc": (N, TE, he), "hs_dec": (N, T, H)}, ("hs_enc", "hs_dec")))
    return rows


def _attention_rows() -> list[LayerRow]:
    rows = []
    for name in L.SCORES:
        rows.append(LayerRow(f"Attention[{name}]",
                             lambda r, n=name: L.Attention(random_score(r, n, H, H, 3)),
                             {"hs": (N, TE, H), "h": (N, H)}, ("hs", "h"), {"mask": _mask}))
        # the fast set's: two decoder rows per encoder row (beam search's beams of one input)
        rows.append(LayerRow(f"FastAttention[{name},2-rows-per-input]",
                             lambda r, n=name: fast_attention.FastAttention(
                                 random_score(r, n, H, H, 3)),
                             {"hs": (N, TE, H), "h": (2 * N, H)}, ("hs", "h"), {"mask": _mask}))
        rows.append(LayerRow(f"TimeAttention[{name}]",
                             lambda r, n=name: L.TimeAttention(random_score(r, n, H, H, 3)),
                             {"hs_enc": (N, TE, H), "hs_dec": (N, T, H)}, ("hs_enc", "hs_dec"),
                             {"mask": _mask}))
    return rows


def _mha(rng, heads: int = 2, causal: bool = False, d: int = H, cls=None):
    """A MultiHeadAttention (or ``cls``, its fast twin) of width d with random weights."""
    randn = rng.standard_normal
    Wq, bq, Wk, Wv, bv, Wo, bo = (randn((d, d)), randn(d), randn((d, d)), randn((d, d)),
                                  randn(d), randn((d, d)), randn(d))
    return (cls or L.MultiHeadAttention)(Wq, bq, Wk, Wv, bv, Wo, bo, heads=heads,
                                         causal=causal)


def _feed_forward(rng, activation: str = "relu", cls=None):
    randn = rng.standard_normal
    return (cls or L.FeedForward)(randn((H, 6)), randn(6), randn((6, H)), randn(H), activation)


class _Sublayer(L.Layer):
    """A ``Residual`` around one sub-layer, as the checker calls a layer: forward(x,
    **others) -> y, backward(dy) -> dx, or (dx, dmemory) around a cross-attention."""

    def __init__(self, rng, kind: str, norm: str, fast: bool = False):
        super().__init__()
        randn = rng.standard_normal
        if kind == "feed-forward":
            self.sublayer = _feed_forward(rng, cls=F.FastFeedForward if fast else None)
        else:
            self.sublayer = _mha(rng, causal=kind == "self-attention",
                                 cls=F.FastMultiHeadAttention if fast else None)
        ln = (F.FastLayerNorm if fast else L.LayerNorm)(randn(H), randn(H))
        self.residual = L.Residual(ln, norm=norm, dropout=0.3)
        self.kind = kind
        self.collect()

    def forward(self, x, memory=None, key_mask=None):
        f = self.sublayer.forward
        if self.kind == "self-attention":
            return self.residual.forward(x, lambda h: f(h, h, key_mask))
        if self.kind == "cross-attention":
            return self.residual.forward(x, lambda h: f(h, memory, key_mask))
        return self.residual.forward(x, f)

    def backward(self, dy):
        b = self.sublayer.backward
        if self.kind == "self-attention":  # x is the queries and the keys/values
            return self.residual.backward(dy, lambda d: add(*b(d)))
        return self.residual.backward(dy, b)


def _transformer_rows() -> list[LayerRow]:
    """The Transformer's layers, the book's and the fast ones: attention with masks on and
    off, one head and more, causal, on packed rows (fast); each sub-layer inside pre- and
    post-LN residual connections."""
    q_kv = {"x_q": (N, T, H), "x_kv": (N, TE, H)}
    M = int(_mask(None).sum())  # the real positions: the rows of a packed (M, H) input
    fast_mha = F.FastMultiHeadAttention
    rows = [
        LayerRow("LayerNorm", lambda r: L.LayerNorm(r.standard_normal(H), r.standard_normal(H)),
                 {"x": (N, T, H)}, ("x",)),
        LayerRow("FastLayerNorm", lambda r: F.FastLayerNorm(r.standard_normal(H),
                                                            r.standard_normal(H)),
                 {"x": (N, T, H)}, ("x",)),
        LayerRow("FastAffine", lambda r: F.FastAffine(r.standard_normal((D, H)),
                                                      r.standard_normal(H)),
                 {"x": (N, T, D)}, ("x",)),
        LayerRow("ReLU", lambda r: L.ReLU(), {"z": (N, T, H)}, ("z",)),
        LayerRow("GELU", lambda r: L.GELU(), {"z": (N, T, H)}, ("z",)),
        LayerRow("SinusoidalPositions", lambda r: L.SinusoidalPositions(T + 2, H, numpy.float64),
                 {"xs": (N, T, H)}, ("xs",)),
        LayerRow("LearnedPositions", lambda r: L.LearnedPositions(r.standard_normal((T + 2, H))),
                 {"xs": (N, T, H)}, ("xs",)),
        LayerRow("FastMultiHeadAttention[packed]", lambda r: _mha(r, cls=fast_mha),
                 {"x_q": (M, H), "x_kv": (M, H)}, ("x_q", "x_kv"), {"key_mask": _mask}),
        LayerRow("FastMultiHeadAttention[packed-memory]", lambda r: _mha(r, cls=fast_mha),
                 {"x_q": (N, T, H), "x_kv": (M, H)}, ("x_q", "x_kv"), {"key_mask": _mask}),
    ]
    for prefix, mha, ff in (("", None, None), ("Fast", fast_mha, F.FastFeedForward)):
        rows += [
            LayerRow(f"{prefix}MultiHeadAttention", lambda r, c=mha: _mha(r, cls=c), q_kv,
                     ("x_q", "x_kv"), {"key_mask": _mask}),
            LayerRow(f"{prefix}MultiHeadAttention[heads=1,unmasked]",
                     lambda r, c=mha: _mha(r, heads=1, cls=c), q_kv, ("x_q", "x_kv")),
            LayerRow(f"{prefix}MultiHeadAttention[causal,heads=4]",
                     lambda r, c=mha: _mha(r, 4, causal=True, cls=c),
                     {"x_q": (N, T, H), "x_kv": (N, T, H)}, ("x_q", "x_kv")),
            LayerRow(f"{prefix}FeedForward", lambda r, c=ff: _feed_forward(r, cls=c),
                     {"x": (N, T, H)}, ("x",)),
            LayerRow(f"{prefix}FeedForward[gelu]", lambda r, c=ff: _feed_forward(r, "gelu", c),
                     {"x": (N, T, H)}, ("x",)),
        ]
    inputs = {"self-attention": ({"x": (N, T, H)}, ("x",), {}),
              "cross-attention": ({"x": (N, T, H), "memory": (N, TE, H)}, ("x", "memory"),
                                  {"key_mask": _mask}),
              "feed-forward": ({"x": (N, T, H)}, ("x",), {})}
    for norm in L.NORMS:
        for fast in (False, True):
            for kind, (shapes, wrt, fixed) in inputs.items():
                name = f"Residual[{norm},{'fast,' if fast else ''}{kind}]"
                if (norm, fast, kind) == ("pre", False, "self-attention"):
                    name = "Residual"  # the book's layer's own row
                rows.append(LayerRow(name, lambda r, n=norm, f=fast, k=kind: _Sublayer(
                    r, k, n, f), shapes, wrt, fixed, reseed=3))
    return rows


def _time_lstm_row(name: str, cls) -> LayerRow:
    """A one-directional LSTM from a given initial state, so that ``dh``/``dc`` are checked."""
    return LayerRow(name, lambda r: cls(*_lstm(r, D, H), stateful=True),
                    {"xs": (N, T, D), "h0": (N, H), "c0": (N, H)}, ("xs",), state=("h0", "c0"))


LAYER_ROWS = (
    LayerRow("Embedding", lambda r: L.Embedding(r.standard_normal((V, D))),
             fixed={"idx": _repeated_ids}),
    LayerRow("TimeEmbedding", lambda r: L.TimeEmbedding(r.standard_normal((V, D))),
             fixed={"idx": lambda r: r.integers(0, V, (N, T))}),
    LayerRow("FastEmbedding", lambda r: F.FastEmbedding(r.standard_normal((V, D))),
             fixed={"idx": _repeated_ids}),
    LayerRow("FastTimeEmbedding", lambda r: F.FastTimeEmbedding(r.standard_normal((V, D))),
             fixed={"idx": lambda r: r.integers(0, V, (N, T))}),
    LayerRow("Affine", lambda r: L.Affine(r.standard_normal((D, H)), r.standard_normal(H)),
             {"x": (N, D)}, ("x",)),
    LayerRow("TimeAffine", lambda r: L.TimeAffine(r.standard_normal((D, H)),
                                                  r.standard_normal(H)),
             {"x": (N, T, D)}, ("x",)),
    LayerRow("Softmax", lambda r: L.Softmax(), {"x": (N, V)}, ("x",)),
    LayerRow("TimeSoftmaxWithLoss", lambda r: L.TimeSoftmaxWithLoss(ignore_id=0),
             {"xs": (N, T, V)}, ("xs",),
             {"ts": lambda r: xp.concatenate([r.integers(1, V, (N, T - 1)),
                                              xp.zeros((N, 1), dtype=int)], axis=1)}),
    LayerRow("LSTM", lambda r: L.LSTM(*_lstm(r, D, H)),
             {"x": (N, D), "h_prev": (N, H), "c_prev": (N, H)}, ("x", "h_prev", "c_prev")),
    LayerRow("FastLSTM", lambda r: F.FastLSTM(*_lstm(r, D, H)),
             {"x": (N, D), "h_prev": (N, H), "c_prev": (N, H)}, ("x", "h_prev", "c_prev")),
    _time_lstm_row("TimeLSTM", L.TimeLSTM),
    _time_lstm_row("FastTimeLSTM", F.FastTimeLSTM),
    # the embedding's gradient is the input gradient of the shared steps, summed: exact
    LayerRow("EmbeddingLSTM", lambda r: F.EmbeddingLSTM(r.standard_normal((V, D)),
                                                        *_lstm(r, D, H)),
             fixed={"ids": _shared_prefix_ids}),
    LayerRow("AttentionWeight", lambda r: L.AttentionWeight(), {"hs": (N, TE, H), "h": (N, H)},
             ("hs", "h"), {"mask": _mask}),
    LayerRow("WeightSum", lambda r: L.WeightSum(), {"hs": (N, TE, H), "a": (N, TE)},
             ("hs", "a")),
    LayerRow("Attention", lambda r: L.Attention(), {"hs": (N, TE, H), "h": (N, H)},
             ("hs", "h"), {"mask": _mask}),
    LayerRow("FastAttention", lambda r: F.FastAttention(), {"hs": (N, TE, H), "h": (N, H)},
             ("hs", "h"), {"mask": _mask}),
    LayerRow("TimeAttention", lambda r: L.TimeAttention(),
             {"hs_enc": (N, TE, H), "hs_dec": (N, T, H)}, ("hs_enc", "hs_dec"), {"mask": _mask}),
    *_score_rows(),
    LayerRow("TimeBiLSTM", lambda r: L.TimeBiLSTM(L.TimeLSTM(*_lstm(r, D, H)),
                                                      L.TimeLSTM(*_lstm(r, D, H))),
             {"xs": (N, T, D)}, ("xs",), final_h=True),
    LayerRow("TimeStackedLSTM", lambda r: _stack(r, bidirectional=False),
             {"xs": (N, T, D), "h0": (N, 3, H)}, ("xs",), state=("h0",), final_h=True,
             reseed=11),
    LayerRow("FastTimeStackedLSTM", _fast_stack, {"h0": (6, 3, H)}, state=("h0",),
             fixed={"xs": _shared_prefix_ids}, final_h=True, reseed=11),
    _input_feeding_row("TimeInputFeeding", L.TimeInputFeeding, L.Attention),
    _input_feeding_row("FastTimeInputFeeding", F.FastTimeInputFeeding, F.FastAttention),
    LayerRow("TimeDropout", lambda r: L.TimeDropout(0.4), {"xs": (N, T, H)}, ("xs",),
             reseed=7),
    LayerRow("TimeSoftmaxWithLoss[smoothing]",
             lambda r: L.TimeSoftmaxWithLoss(ignore_id=0, smoothing=0.2), {"xs": (N, T, V)},
             ("xs",), {"ts": lambda r: xp.concatenate([r.integers(1, V, (N, T - 1)),
                                                       xp.zeros((N, 1), dtype=int)],
                                                      axis=1)}),
    *_transformer_rows(),
)
