"""The gradient-check table: ``case`` turns a row (``attnseq.gradcheck.rows``) into an
``attnseq.gradcheck.checker.Case``; the test suite and ``attnseq gradcheck`` both run
``all_cases()``. The layer rows are ``attnseq.gradcheck.layer_rows``'; the model rows, their
variants (either layer set) and the NTM's are here.
"""

from __future__ import annotations

import zlib

import numpy

from attnseq import fast as F
from attnseq import layers as L
from attnseq.core.backend import random_generator, to_device
from attnseq.gradcheck.checker import Case
from attnseq.gradcheck.layer_rows import (
    LAYER_ROWS,
    _attention_rows,
    _lstm,
    _shared_prefix_ids,
    _side_stack,
    _stack,
    random_score,
)
from attnseq.gradcheck.rows import D, H, LayerRow, ModelRow, N, NTMRow, T, V
from attnseq.layers.base import walk
from attnseq.layers.core import softmax, softmax_backward
from attnseq.layers.dropout import dropouts_in
from attnseq.layers.scores import Score
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

__all__ = ["LAYER_ROWS", "MODEL_ROWS", "NTM_ROWS", "VARIANT_ROWS", "LayerRow", "ModelRow",
           "NTMRow", "all_cases", "case", "layer_cases", "model_cases", "ntm_cases",
           "random_score", "variant_cases"]


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
        self.collect()
        self.w = None

    def forward(self, **inputs):
        self.w = softmax(inputs[self.name])
        return self.layer.forward(**{**inputs, self.name: self.w})

    def backward(self, dout):
        d = list(self.layer.backward(dout))
        d[self.index] = softmax_backward(self.w, d[self.index])
        return tuple(d)


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
        p[...] = to_device(rng.standard_normal(p.shape) * 0.5)
    xs = to_device(rng.standard_normal((2, 5, 3)))
    ts = to_device(rng.integers(0, 2, (2, 2, 2)), numpy.float64)

    def backprop() -> dict:
        model.forward(xs, ts)
        model.backward()
        return {}

    return Case(row.name, model.params, model.grads, {}, lambda: model.forward(xs, ts),
                backprop)


def ntm_cases(seed: int = 0) -> list[Case]:
    return [case(row, seed) for row in NTM_ROWS]


def _layer_case(row: LayerRow, rng) -> Case:
    rng = random_generator(rng)  # the layer's weights and inputs, drawn on the device
    layer = row.make(rng)
    inputs = {k: rng.standard_normal(shape) for k, shape in row.inputs.items()}
    fixed = {k: to_device(make(rng)) for k, make in row.fixed.items()}

    def run() -> tuple:
        if row.reseed is not None:  # the same masks at every evaluation
            for d in dropouts_in(layer):
                d.rng = random_generator(row.reseed)
        if row.state:
            layer.set_state(*(inputs[k] for k in row.state))
        out = layer.forward(**{k: inputs[k] for k in row.wrt}, **fixed)
        out = out if isinstance(out, tuple) else (out,)
        return (*out, layer.final_h) if row.final_h else out

    Rs = [rng.standard_normal(getattr(o, "shape", ())) for o in run()]  # every output's dout

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
    xs, ts = map(to_device, _model_data(rng))
    # Unit-scale weights: tiny ones (the book's initial embeddings, 0.01) would give gradients
    # so small that the differences' rounding noise would dominate. The score's weights get
    # twice that: the additive score's decoder-side term shifts all of a step's scores almost
    # alike, which the softmax ignores, so its gradient is small unless tanh bends more.
    score_params = {id(p) for layer in walk(model.decoder) if isinstance(layer, Score)
                    for p in layer.params}
    for p in model.params:
        p[...] = to_device(rng.standard_normal(p.shape) * row.scale
                           * (2.0 if id(p) in score_params else 1))

    def loss() -> float:
        shared = random_generator(5)  # the same masks at every evaluation
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
