"""The gradient-check cases: one float64 case per layer, model and model variant.

Each function returns ``attnseq.gradcheck.Case`` objects (see that module for what a case is
and how ``check`` runs it). The test suite and ``attnseq gradcheck`` both run ``all_cases()``.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy

from attnseq import layers as L
from attnseq.gradcheck import Case
from attnseq.models import MODELS

F64 = numpy.float64

def _projected(rng, layer, inputs: dict, call, names=None) -> Case:
    """A case for ``layer`` whose forward is ``call(inputs) -> array or tuple of arrays``."""
    outs = call(inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    Rs = [rng.standard_normal(o.shape) for o in outs]

    def loss():
        o = call(inputs)
        o = o if isinstance(o, tuple) else (o,)
        return float(sum((a * R).sum() for a, R in zip(o, Rs, strict=True)))

    def backprop():
        call(inputs)
        d = layer.backward(*Rs)
        d = d if isinstance(d, tuple) else (d,)
        return dict(zip(names or [], d, strict=False))

    return Case(layer.__class__.__name__, layer.params, layer.grads, inputs, loss, backprop)


def layer_cases(seed: int = 0) -> list[Case]:
    """One float64 case per layer of ``attnseq.layers``."""
    rng = numpy.random.default_rng(seed)
    N, T, Te, D, H, V = 3, 4, 5, 3, 4, 7
    randn = rng.standard_normal
    cases = []

    emb = L.Embedding(randn((V, D)))
    ids = rng.integers(0, V, N)
    ids[1] = ids[0]  # a repeated id must accumulate
    cases.append(_projected(rng, emb, {}, lambda _: emb.forward(ids)))
    temb = L.TimeEmbedding(randn((V, D)))
    tids = rng.integers(0, V, (N, T))
    cases.append(_projected(rng, temb, {}, lambda _: temb.forward(tids)))

    aff = L.Affine(randn((D, H)), randn(H))
    cases.append(_projected(rng, aff, {"x": randn((N, D))}, lambda i: aff.forward(i["x"]), ["x"]))
    taff = L.TimeAffine(randn((D, H)), randn(H))
    xs = {"x": randn((N, T, D))}
    cases.append(_projected(rng, taff, xs, lambda i: taff.forward(i["x"]), ["x"]))

    sm = L.Softmax()
    cases.append(_projected(rng, sm, {"x": randn((N, V))}, lambda i: sm.forward(i["x"]), ["x"]))

    loss_layer = L.TimeSoftmaxWithLoss(ignore_id=0)
    scores, targets = {"x": randn((N, T, V))}, rng.integers(0, V, (N, T))
    targets[0, -1] = 0  # one ignored position at least
    cases.append(Case("TimeSoftmaxWithLoss", [], [], scores,
                      lambda: loss_layer.forward(scores["x"], targets),
                      lambda: (loss_layer.forward(scores["x"], targets),
                               {"x": loss_layer.backward(1.0)})[1]))

    lstm = L.LSTM(randn((D, 4 * H)), randn((H, 4 * H)), randn(4 * H))
    lin = {"x": randn((N, D)), "h_prev": randn((N, H)), "c_prev": randn((N, H))}
    cases.append(_projected(rng, lstm, lin, lambda i: lstm.forward(i["x"], i["h_prev"],
                                                                    i["c_prev"]),
                            ["x", "h_prev", "c_prev"]))
    cases.append(_time_lstm_case(rng, N, T, D, H))

    aw = L.AttentionWeight()
    mask = numpy.ones((N, Te), dtype=bool)
    mask[0, :2] = False  # padding at the front, as reversed inputs have it
    ain = {"hs": randn((N, Te, H)), "h": randn((N, H))}
    cases.append(_projected(rng, aw, ain, lambda i: aw.forward(i["hs"], i["h"], mask),
                            ["hs", "h"]))
    ws = L.WeightSum()
    win = {"hs": randn((N, Te, H)), "a": rng.random((N, Te))}
    cases.append(_projected(rng, ws, win, lambda i: ws.forward(i["hs"], i["a"]), ["hs", "a"]))
    att = L.Attention()
    cases.append(_projected(rng, att, dict(ain), lambda i: att.forward(i["hs"], i["h"], mask),
                            ["hs", "h"]))
    tatt = L.TimeAttention()
    tin = {"hs_enc": randn((N, Te, H)), "hs_dec": randn((N, T, H))}
    cases.append(_projected(rng, tatt, tin,
                            lambda i: tatt.forward(i["hs_enc"], i["hs_dec"], mask),
                            ["hs_enc", "hs_dec"]))

    for name in L.SCORES:
        cases.append(_score_case(rng, name, N, T, Te, H))
    cases.append(_bilstm_case(rng, "concat", N, T, D, H))
    cases.append(_stacked_case(rng, N, T, D, H))
    drop = L.TimeDropout(0.4)

    def dropped(i):
        drop.rng = numpy.random.default_rng(7)  # the same mask at every evaluation
        return drop.forward(i["x"])

    cases.append(_projected(rng, drop, {"x": randn((N, T, H))}, dropped, ["x"]))
    return cases


def _score_layer(rng, name: str, H: int, He: int, A: int):
    """A score layer with random parameters; H decoder width, He encoder width, A additive."""
    randn = rng.standard_normal
    if name == "general":
        return L.GeneralScore(randn((H, He)))
    if name == "additive":
        return L.AdditiveScore(randn((He, A)), randn((H, A)), randn(A))
    return L.SCORES[name]()


def _score_case(rng, name: str, N, Td, Te, H) -> Case:
    """A score layer alone; general and additive with unequal widths, to catch a transpose."""
    He = H if name in ("dot", "scaled") else H + 1
    layer = _score_layer(rng, name, H, He, A=H - 1)
    inputs = {"hs_enc": rng.standard_normal((N, Te, He)), "hs_dec": rng.standard_normal((N, Td, H))}
    return _projected(rng, layer, inputs, lambda i: layer.forward(i["hs_enc"], i["hs_dec"]),
                      ["hs_enc", "hs_dec"])


def _bilstm_case(rng, merge: str, N, T, D, H, name: str = "TimeBiLSTM") -> Case:
    """TimeBiLSTM, its outputs and its merged final state both in the loss."""
    randn = rng.standard_normal
    layer = L.TimeBiLSTM((randn((D, 4 * H)), randn((H, 4 * H)), randn(4 * H)),
                         (randn((D, 4 * H)), randn((H, 4 * H)), randn(4 * H)), merge=merge)
    case = _projected(rng, layer, {"xs": randn((N, T, D))},
                      lambda i: (layer.forward(i["xs"]), layer.final_h), ["xs"])
    case.name = name
    return case


def _stacked_case(rng, N, T, D, H, *, bidirectional: bool = False,
                  name: str = "TimeStackedLSTM") -> Case:
    """Three layers with residual connections and dropout (fixed masks), outputs and final
    states in the loss; a decoder-style (stateful) stack also from given initial states h0.
    """
    randn = rng.standard_normal

    def lstm(d, h):
        return randn((d, 4 * h)) * 0.5, randn((h, 4 * h)) * 0.5, randn(4 * h)

    if bidirectional:  # a sum-merged bottom layer keeps the width H
        layers = [L.TimeBiLSTM(lstm(D, H), lstm(D, H), merge="sum")]
    else:
        layers = [L.TimeLSTM(*lstm(D, H), stateful=True)]
    layers += [L.TimeLSTM(*lstm(H, H), stateful=not bidirectional) for _ in range(2)]
    layer = L.TimeStackedLSTM(layers, residual=True, dropout=0.3)
    inputs = {"xs": randn((N, T, D))}
    if not bidirectional:
        inputs["h0"] = randn((N, 3, H))
    R, R_final = randn((N, T, H)), randn((N, 3, H))

    def run():
        for d in layer.dropouts:
            d.rng = numpy.random.default_rng(11)
        if not bidirectional:
            layer.set_state(inputs["h0"])
        return layer.forward(inputs["xs"])

    def loss():
        out = run()
        return float((out * R).sum() + (layer.final_h * R_final).sum())

    def backprop():
        run()
        grads = {"xs": layer.backward(R, R_final)}
        if not bidirectional:
            grads["h0"] = layer.dh
        return grads

    return Case(name, layer.params, layer.grads, inputs, loss, backprop)


def _time_lstm_case(rng, N, T, D, H) -> Case:
    """TimeLSTM from a given initial state, so that its ``dh``/``dc`` are checked too."""
    randn = rng.standard_normal
    layer = L.TimeLSTM(randn((D, 4 * H)), randn((H, 4 * H)), randn(4 * H), stateful=True)
    inputs = {"xs": randn((N, T, D)), "h0": randn((N, H)), "c0": randn((N, H))}
    R = randn((N, T, H))

    def run():
        layer.set_state(inputs["h0"], inputs["c0"])
        return layer.forward(inputs["xs"])

    def backprop():
        run()
        dxs = layer.backward(R)
        return {"xs": dxs, "h0": layer.dh, "c0": layer.dc}

    return Case("TimeLSTM", layer.params, layer.grads, inputs,
                lambda: float((run() * R).sum()), backprop)


def _model_data(rng):
    """A small batch of the model cases: (xs (3, 6), ts (3, 5)), padding id 0, V = 9."""
    N, Te, Td, V = 3, 6, 4, 9
    xs = rng.integers(1, V, (N, Te))
    # Padding (id 0) at the front, as in reversed inputs: rows 0 and 1 share two padding ids
    # and a first character, row 2 has longer padding. The encoder computes each shared prefix
    # once and copies its states to the rows that share it (both plans of ``TimeLSTM``).
    xs[0, :2] = 0
    xs[1, :3] = xs[0, :3]
    xs[2, :4] = 0
    ts = rng.integers(1, V, (N, Td + 1))
    ts[1, -1] = 0  # a padded target
    return xs, ts


def _dropouts(model) -> list:
    """Every TimeDropout of a model's encoder and decoder stacks."""
    return [d for part in (model.encoder, model.decoder)
            for d in getattr(part.lstm, "dropouts", [])]


def _model_case(name: str, model, rng, xs, ts) -> Case:
    """The loss of ``model`` on (xs, ts) against every parameter; dropout masks held fixed."""
    # Unit-scale weights: tiny ones (the book's initial embeddings, 0.01) would give gradients
    # so small that the differences' rounding noise would dominate. The score's weights get
    # twice that: the additive score's decoder-side term shifts all of a step's scores almost
    # alike, which the softmax ignores, so its gradient is small unless tanh bends more.
    attention = getattr(model.decoder, "attention", None)
    score_params = {id(p) for p in getattr(attention, "params", [])}
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * (1.0 if id(p) in score_params else 0.5)

    def loss():
        shared = numpy.random.default_rng(5)  # the same masks at every evaluation
        for d in _dropouts(model):
            d.rng = shared
        return model.forward(xs, ts)

    def backprop():
        loss()
        model.backward()
        return {}

    return Case(name, model.params, model.grads, {}, loss, backprop)


def model_cases(seed: int = 0) -> list[Case]:
    """One float64 case per model in ``MODELS``: its loss against every parameter."""
    rng = numpy.random.default_rng(seed)
    xs, ts = _model_data(rng)
    return [_model_case(name, cls(9, 4, 5, dtype=F64, seed=seed, pad_id=0), rng, xs, ts)
            for name, cls in MODELS.items()]


# The attention model's variants that ``variant_cases`` checks, by case name.
VARIANTS = MappingProxyType({
    "attention[bi]": {"encoder": "bi"},
    "attention[bi,sum]": {"encoder": "bi", "bi_merge": "sum"},
    "attention[layers=3,residual,dropout]": {"num_layers": 3, "residual": True,
                                             "dropout": 0.3},
    "attention[bi,layers=2,residual,general]": {"encoder": "bi", "num_layers": 2,
                                                "residual": True, "score": "general"},
    "attention[scaled]": {"score": "scaled"},
    "attention[general]": {"score": "general"},
    "attention[additive]": {"score": "additive"},
    "attention[input-feeding]": {"input_feeding": True},
    "attention[input-feeding,bi,additive]": {"input_feeding": True, "encoder": "bi",
                                             "score": "additive"},
})


def variant_cases(seed: int = 0) -> list[Case]:
    """The chapter's remaining topics: layers in their other configurations (a sum-merged
    TimeBiLSTM, a stack on a bidirectional bottom layer, attention through every score, one
    step and all steps) and the attention model's variants (``VARIANTS``).
    """
    rng = numpy.random.default_rng(seed + 1)
    N, T, Te, D, H = 3, 4, 5, 3, 4
    cases = [_bilstm_case(rng, "sum", N, T, D, H, name="TimeBiLSTM[sum]"),
             _stacked_case(rng, N, T, D, H, bidirectional=True, name="TimeStackedLSTM[bi]")]
    mask = numpy.ones((N, Te), dtype=bool)
    mask[0, :2] = False
    for name in L.SCORES:
        step = L.Attention(_score_layer(rng, name, H, H, A=3))
        inputs = {"hs": rng.standard_normal((N, Te, H)), "h": rng.standard_normal((N, H))}
        case = _projected(rng, step, inputs, lambda i, a=step: a.forward(i["hs"], i["h"], mask),
                          ["hs", "h"])
        case.name = f"Attention[{name}]"
        cases.append(case)
        every = L.TimeAttention(_score_layer(rng, name, H, H, A=3))
        inputs = {"hs_enc": rng.standard_normal((N, Te, H)),
                  "hs_dec": rng.standard_normal((N, T, H))}
        case = _projected(rng, every, inputs,
                          lambda i, a=every: a.forward(i["hs_enc"], i["hs_dec"], mask),
                          ["hs_enc", "hs_dec"])
        case.name = f"TimeAttention[{name}]"
        cases.append(case)
    xs, ts = _model_data(rng)
    attention = MODELS["attention"]
    for name, options in VARIANTS.items():
        model = attention(9, 4, 4, dtype=F64, seed=seed, pad_id=0, **options)
        cases.append(_model_case(name, model, rng, xs, ts))
    return cases


def all_cases(seed: int = 0) -> list[Case]:
    return layer_cases(seed) + model_cases(seed) + variant_cases(seed)
