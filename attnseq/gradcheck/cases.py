"""The gradient-check table: one declarative row per layer, model and model variant.

A ``LayerRow`` says how to build a layer in float64 and what to feed it, in the spirit of
Chainer's ``check_backward``: ``inputs`` are float arrays drawn N(0, 1) with the shapes given
and passed to ``forward`` by name; ``wrt`` names, in order, the input gradients ``backward``
returns (matched one to one: a layer that returns more or fewer fails the check); ``fixed``
are the other arguments of ``forward`` (ids, masks), drawn once; ``state`` are float inputs
given to ``set_state`` instead, whose gradients the layer leaves in ``dh`` (and ``dc``);
``final_h`` adds the layer's final state to its outputs (``backward`` then takes its
gradient second); ``reseed`` holds dropout masks fixed. Every float input must be checked:
a row that leaves one out of ``wrt`` and ``state`` is refused when the table is built.

A ``ModelRow`` is a model of ``attnseq.models.MODELS`` with options: its loss on a small
batch against every parameter. ``case`` turns a row into an ``attnseq.gradcheck.checker.Case``; the
test suite and ``attnseq gradcheck`` both run ``all_cases()``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import add

import numpy

from attnseq import fast as F
from attnseq import layers as L
from attnseq.fast import attention as fast_attention
from attnseq.gradcheck.checker import Case
from attnseq.layers.core import softmax, softmax_backward
from attnseq.layers.dropout import dropouts_in
from attnseq.models import MODELS
from attnseq.ntm.addressing import (
    Addressing,
    CircularShift,
    ContentAddressing,
    Interpolation,
    Sharpening,
)
from attnseq.ntm.memory import MemoryRead, MemoryWrite
from attnseq.ntm.model import NTM, NTMConfig

N, T, TE, D, H, V = 3, 4, 5, 3, 4, 7  # batch, steps, encoder steps, widths, vocabulary


@dataclass(frozen=True)
class LayerRow:
    """One layer's check; see the module docstring."""

    name: str
    make: Callable  # rng -> layer, float64
    inputs: Mapping[str, tuple] = field(default_factory=dict)
    wrt: tuple = ()
    fixed: Mapping[str, Callable] = field(default_factory=dict)  # name -> (rng -> array)
    state: tuple = ()
    final_h: bool = False
    reseed: int | None = None

    def __post_init__(self):
        unchecked = set(self.inputs) - set(self.wrt) - set(self.state)
        unknown = (set(self.wrt) | set(self.state)) - set(self.inputs)
        if unchecked or unknown or set(self.wrt) & set(self.state) or len(self.state) > 2:
            raise ValueError(f"gradient row {self.name}: inputs {sorted(self.inputs)} must be "
                             f"split between wrt {self.wrt} and state {self.state}")


@dataclass(frozen=True)
class ModelRow:
    """A model's loss against every parameter; dropout masks held fixed."""

    name: str
    model: str  # a name of ``attnseq.models.MODELS``
    options: Mapping = field(default_factory=dict)
    hidden: int = 5
    scale: float = 0.5  # of the random weights (the score's: twice this)

    def build(self, **kwargs):
        """The row's model over a vocabulary of 9 (the LSTM models with D = 4, H = hidden;
        the Transformer takes its widths from its options)."""
        cls = MODELS[self.model]
        if self.model == "transformer":
            return cls(9, **kwargs, **self.options)
        return cls(9, 4, self.hidden, **kwargs, **self.options)


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
        bottom = L.TimeBiLSTM(F.FastTimeLSTM(*_lstm(rng, D, H, 0.5)),
                              F.FastTimeLSTM(*_lstm(rng, D, H, 0.5)), merge="sum")
    else:
        bottom = F.FastTimeLSTM(*_lstm(rng, D, H, 0.5), stateful=True)
    upper = [F.FastTimeLSTM(*_lstm(rng, H, H, 0.5), stateful=not bidirectional)
             for _ in range(2)]
    return L.TimeStackedLSTM([bottom, *upper], residual=True, dropout=0.3)


def _side_stack(rng):
    """GNMT's decoder layers above the bottom one: three stateful layers that read a side
    input beside the layer below's output, skips from the third (so one layer reads H + S
    wide inputs without a skip, and a skip is checked beside one that has none)."""
    lstms = [F.FastTimeLSTM(*_lstm(rng, D + H - 1 if l == 0 else H + H - 1, H, 0.5),
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


class _Sublayer:
    """A ``Residual`` around one sub-layer, as the checker calls a layer: forward(x,
    **others) -> y, backward(dy) -> dx, or (dx, dmemory) around a cross-attention."""

    def __init__(self, rng, kind: str, norm: str, fast: bool = False):
        randn = rng.standard_normal
        if kind == "feed-forward":
            self.sublayer = _feed_forward(rng, cls=F.FastFeedForward if fast else None)
        else:
            self.sublayer = _mha(rng, causal=kind == "self-attention",
                                 cls=F.FastMultiHeadAttention if fast else None)
        ln = (F.FastLayerNorm if fast else L.LayerNorm)(randn(H), randn(H))
        self.residual = L.Residual(ln, norm=norm, dropout=0.3)
        self.kind = kind
        self.params, self.grads = L.gather([self.sublayer, self.residual])
        self.dropouts = [self.residual.dropout]

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
             {"ts": lambda r: numpy.concatenate([r.integers(1, V, (N, T - 1)),
                                                 numpy.zeros((N, 1), dtype=int)], axis=1)}),
    LayerRow("LSTM", lambda r: L.LSTM(*_lstm(r, D, H)),
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
    LayerRow("TimeDropout", lambda r: L.TimeDropout(0.4), {"xs": (N, T, H)}, ("xs",),
             reseed=7),
    LayerRow("TimeSoftmaxWithLoss[smoothing]",
             lambda r: L.TimeSoftmaxWithLoss(ignore_id=0, smoothing=0.2), {"xs": (N, T, V)},
             ("xs",), {"ts": lambda r: numpy.concatenate([r.integers(1, V, (N, T - 1)),
                                                          numpy.zeros((N, 1), dtype=int)],
                                                         axis=1)}),
    *_transformer_rows(),
)

# The Transformer for a check: one layer (each float64 check of a second took seconds more),
# d_model 6 in 2 heads, positions for the batch below.
SMALL_TRANSFORMER = {"d_model": 6, "heads": 2, "d_ff": 6, "num_layers": 1, "max_len": 8}

# a model's own defaults, at an even width (GNMT's bidirectional layer halves it); GNMT's
# default three layers have a skip in the encoder and one in the decoder; the Transformer's
# (two pre-LN layers) at small widths
MODEL_ROWS = tuple(ModelRow(name, name, SMALL_TRANSFORMER if name == "transformer" else {},
                            hidden=4 if name == "gnmt" else 5) for name in MODELS)


VARIANT_ROWS = (
    LayerRow("TimeBiLSTM[sum]", lambda r: L.TimeBiLSTM(
        L.TimeLSTM(*_lstm(r, D, H)), L.TimeLSTM(*_lstm(r, D, H)), "sum"),
             {"xs": (N, T, D)}, ("xs",), final_h=True),
    LayerRow("TimeStackedLSTM[bi]", lambda r: _stack(r, bidirectional=True), {"xs": (N, T, D)},
             ("xs",), final_h=True, reseed=11),
    LayerRow("TimeStackedLSTM[side,residual_from=3]", _side_stack,
             {"xs": (N, T, D), "side": (N, T, H - 1), "h0": (N, 3, H)}, ("xs", "side"),
             state=("h0",), final_h=True, reseed=11),
    LayerRow("EmbeddingLSTM[state]", lambda r: F.EmbeddingLSTM(
        r.standard_normal((V, D)), *_lstm(r, D, H), stateful=True),
             {"h0": (6, H), "c0": (6, H)}, state=("h0", "c0"), fixed={"ids": _shared_prefix_ids}),
    *_attention_rows(),
    *(ModelRow(f"attention[{label}]", "attention", options, hidden=4) for label, options in (
        ("bi", {"encoder": "bi"}),
        ("bi,sum", {"encoder": "bi", "bi_merge": "sum"}),
        ("layers=3,residual,dropout", {"num_layers": 3, "residual": True, "dropout": 0.3}),
        ("layers=2,dropout,output-dropout", {"num_layers": 2, "dropout": 0.3,
                                             "output_dropout": 0.3}),
        ("bi,layers=2,residual,general", {"encoder": "bi", "num_layers": 2, "residual": True,
                                          "score": "general"}),
        ("scaled", {"score": "scaled"}),
        ("general", {"score": "general"}),
        ("additive", {"score": "additive"}),
        ("input-feeding", {"input_feeding": True}),
        ("input-feeding,bi,additive", {"input_feeding": True, "encoder": "bi",
                                       "score": "additive"}),
        ("input-feeding,output-dropout", {"input_feeding": True, "output_dropout": 0.3}),
    )),
    *(ModelRow(f"gnmt[{label}]", "gnmt", options, hidden=4) for label, options in (
        ("layers=4,dropout", {"num_layers": 4, "dropout": 0.3}),
        ("layers=2,output-dropout", {"num_layers": 2, "output_dropout": 0.3}),
        ("layers=2,additive", {"num_layers": 2, "score": "additive"}),
        ("layers=3,sum,general", {"num_layers": 3, "bi_merge": "sum", "score": "general"}),
    )),
    *(ModelRow(f"transformer[{label}]", "transformer", {**SMALL_TRANSFORMER, **options})
      for label, options in (
        ("post", {"norm": "post"}),
        ("book", {"impl": "book"}),
        ("book,post,heads=3,tied,gelu,learned,dropout", {
            "impl": "book", "norm": "post", "heads": 3, "tie_embeddings": True,
            "activation": "gelu", "positions": "learned", "dropout": 0.2}),
        ("heads=3,tied,gelu,learned,dropout", {"heads": 3, "tie_embeddings": True,
                                               "activation": "gelu", "positions": "learned",
                                               "dropout": 0.2}),
    )),
    ModelRow("attention[label-smoothing]", "attention", {"label_smoothing": 0.1}, hidden=4),
    # the same models built from the book's layers (attnseq.models.impl)
    *(ModelRow(f"{name}[book]", name, {"impl": "book"}, hidden=4)
      for name in ("baseline", "peeky", "attention", "gnmt")),
    *(ModelRow(f"attention[{label},book]", "attention", {**options, "impl": "book"}, hidden=4)
      for label, options in (
        ("bi,layers=2,residual,dropout", {"encoder": "bi", "num_layers": 2, "residual": True,
                                          "dropout": 0.3}),
        ("input-feeding,additive", {"input_feeding": True, "score": "additive"}),
    )),
)


# --------------------------------------------------------------------------- the NTM

NM, NN = 4, 6  # memory width and rows of the NTM checks


class _OnSimplex(L.Layer):
    """A check's adapter for a layer whose input ``name`` (argument ``index`` of forward) is a
    weighting: the row draws it N(0, 1) and the adapter feeds the layer its softmax, so that
    the weighting is positive and sums to 1 (sharpening takes its log)."""

    def __init__(self, layer, name: str, index: int):
        super().__init__()
        self.layer, self.name, self.index = layer, name, index
        self.params, self.grads = layer.params, layer.grads
        self.w = None

    def forward(self, **inputs):
        self.w = softmax(inputs[self.name])
        return self.layer.forward(**{**inputs, self.name: self.w})

    def backward(self, dout):
        d = list(self.layer.backward(dout))
        d[self.index] = softmax_backward(self.w, d[self.index])
        return tuple(d)


@dataclass(frozen=True)
class NTMRow:
    """The NTM's loss over a few steps of a small copy task, against every parameter."""

    name: str
    options: Mapping = field(default_factory=dict)


NTM_ROWS = (
    LayerRow("ContentAddressing", lambda r: ContentAddressing(),
             {"k": (N, NM), "beta_hat": (N,), "Mem": (N, NN, NM)}, ("k", "beta_hat", "Mem")),
    LayerRow("Interpolation", lambda r: Interpolation(),
             {"w_c": (N, NN), "g_hat": (N,), "w_prev": (N, NN)}, ("w_c", "g_hat", "w_prev")),
    LayerRow("CircularShift", lambda r: CircularShift(), {"w": (N, NN), "s_hat": (N, 3)},
             ("w", "s_hat")),
    LayerRow("CircularShift[-2..2]", lambda r: CircularShift((-2, -1, 0, 1, 2)),
             {"w": (N, NN), "s_hat": (N, 5)}, ("w", "s_hat")),
    LayerRow("Sharpening", lambda r: _OnSimplex(Sharpening(), "w", 0),
             {"w": (N, NN), "gamma_hat": (N,)}, ("w", "gamma_hat")),
    LayerRow("Addressing", lambda r: _OnSimplex(Addressing(NM), "w_prev", 2),
             {"p": (N, NM + 6), "Mem": (N, NN, NM), "w_prev": (N, NN)}, ("p", "Mem", "w_prev")),
    LayerRow("MemoryRead", lambda r: MemoryRead(), {"w": (N, NN), "Mem": (N, NN, NM)},
             ("w", "Mem")),
    LayerRow("MemoryWrite", lambda r: MemoryWrite(),
             {"Mem": (N, NN, NM), "w": (N, NN), "e_hat": (N, NM), "a_hat": (N, NM)},
             ("Mem", "w", "e_hat", "a_hat")),
    NTMRow("NTM"),
    NTMRow("NTM[controller_only]", {"controller_only": True}),
)


def _ntm_case(row: NTMRow, rng, seed: int) -> Case:
    """Five steps (two vectors of 2 bits, the delimiter, two output steps) through an NTM with
    a 6 x 4 memory; weights at half unit scale, so that every head's gates are neither
    saturated nor flat."""
    config = NTMConfig(inputs=3, outputs=2, hidden_size=5, memory_rows=NN, memory_width=NM,
                       **row.options)
    model = NTM(config, dtype=numpy.float64, seed=seed)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * 0.5
    xs = rng.standard_normal((2, 5, 3))
    ts = rng.integers(0, 2, (2, 2, 2)).astype(numpy.float64)

    def backprop() -> dict:
        model.forward(xs, ts)
        model.backward()
        return {}

    return Case(row.name, model.params, model.grads, {}, lambda: model.forward(xs, ts),
                backprop)


def ntm_cases(seed: int = 0) -> list[Case]:
    return [case(row, seed) for row in NTM_ROWS]


def _layer_case(row: LayerRow, rng) -> Case:
    layer = row.make(rng)
    inputs = {k: rng.standard_normal(shape) for k, shape in row.inputs.items()}
    fixed = {k: make(rng) for k, make in row.fixed.items()}

    def run() -> tuple:
        if row.reseed is not None:  # the same masks at every evaluation
            for d in dropouts_in(layer):
                d.rng = numpy.random.default_rng(row.reseed)
        if row.state:
            layer.set_state(*(inputs[k] for k in row.state))
        out = layer.forward(**{k: inputs[k] for k in row.wrt}, **fixed)
        out = out if isinstance(out, tuple) else (out,)
        return (*out, layer.final_h) if row.final_h else out

    Rs = [rng.standard_normal(numpy.shape(o)) for o in run()]  # dout of every output

    def loss() -> float:
        return float(sum((o * R).sum() for o, R in zip(run(), Rs, strict=True)))

    def backprop() -> dict:
        run()
        d = layer.backward(*Rs)
        d = () if d is None else d if isinstance(d, tuple) else (d,)
        grads = dict(zip(row.wrt, d, strict=True))
        for name, attribute in zip(row.state, ("dh", "dc"), strict=False):  # len(state) ≤ 2
            grads[name] = getattr(layer, attribute)
        return grads

    return Case(row.name, layer.params, layer.grads, inputs, loss, backprop)


def _model_data(rng):
    """A small batch: (xs (3, 6), ts (3, 5)), padding id 0, V = 9. Padding (id 0) in front, as
    in reversed inputs: rows 0 and 1 share two padding ids and a first character, row 2 has
    longer padding, so the encoder's shared-prefix steps of both kinds run."""
    xs = rng.integers(1, 9, (3, 6))
    xs[0, :2] = 0
    xs[1, :3] = xs[0, :3]
    xs[2, :4] = 0
    ts = rng.integers(1, 9, (3, 5))
    ts[1, -1] = 0  # a padded target
    return xs, ts


def _model_case(row: ModelRow, rng, seed: int) -> Case:
    model = row.build(dtype=numpy.float64, seed=seed, pad_id=0)
    xs, ts = _model_data(rng)
    # Unit-scale weights: tiny ones (the book's initial embeddings, 0.01) would give gradients
    # so small that the differences' rounding noise would dominate. The score's weights get
    # twice that: the additive score's decoder-side term shifts all of a step's scores almost
    # alike, which the softmax ignores, so its gradient is small unless tanh bends more.
    score_params = {id(p) for p in getattr(getattr(model.decoder, "attention", None), "params",
                                           [])}
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * row.scale * (2.0 if id(p) in score_params else 1)

    def loss() -> float:
        shared = numpy.random.default_rng(5)  # the same masks at every evaluation
        for d in dropouts_in(model):
            d.rng = shared
        return model.forward(xs, ts)

    def backprop() -> dict:
        loss()
        model.backward()
        return {}

    return Case(row.name, model.params, model.grads, {}, loss, backprop)


def case(row, seed: int = 0) -> Case:
    """The check of one row, its random draws seeded by ``seed`` and the row's name."""
    rng = numpy.random.default_rng([seed, zlib.crc32(row.name.encode())])
    if isinstance(row, NTMRow):
        return _ntm_case(row, rng, seed)
    if isinstance(row, ModelRow):
        return _model_case(row, rng, seed)
    return _layer_case(row, rng)


def layer_cases(seed: int = 0) -> list[Case]:
    return [case(row, seed) for row in LAYER_ROWS]


def model_cases(seed: int = 0) -> list[Case]:
    return [case(row, seed) for row in MODEL_ROWS]


def variant_cases(seed: int = 0) -> list[Case]:
    return [case(row, seed) for row in VARIANT_ROWS]


def all_cases(seed: int = 0) -> list[Case]:
    return layer_cases(seed) + model_cases(seed) + variant_cases(seed) + ntm_cases(seed)
