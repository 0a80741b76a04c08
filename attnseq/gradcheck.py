"""Gradient checking: every layer's and model's backward against central differences.

A *case* builds one layer or model in float64 with random parameters and inputs, and offers
two functions: ``loss()``, a scalar that depends on everything to check, and ``backprop()``,
which runs forward and backward and returns the analytic gradients of the float inputs (the
parameter gradients land in the layer's ``grads``). A layer's output is reduced to a scalar
by a fixed random projection, ``loss = Σ out · R``, so that ``dout = R`` exercises every
output element with a different weight.

The same cases serve the test suite and ``attnseq gradcheck``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy

from attnseq import layers as L
from attnseq.models import MODELS

F64 = numpy.float64


def numerical_gradient(loss: Callable[[], float], x: numpy.ndarray, eps: float = 1e-5):
    """Central differences ``(f(x+ε) − f(x−ε)) / 2ε`` for every element of ``x`` (in place)."""
    grad = numpy.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writing flat writes x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = loss()
        flat[i] = old - eps
        down = loss()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖), and 0 when both are zero."""
    denom = numpy.linalg.norm(a) + numpy.linalg.norm(b)
    return 0.0 if denom == 0 else float(numpy.linalg.norm(a - b) / denom)


@dataclass
class Case:
    """What one check needs; see the module docstring."""

    name: str
    params: list
    grads: list
    inputs: dict
    loss: Callable[[], float]
    backprop: Callable[[], dict]


def check(case: Case, eps: float = 1e-5) -> dict[str, float]:
    """Return the relative error of each parameter (``param0``, …) and float input."""
    analytic_inputs = case.backprop()
    analytic_params = [g.copy() for g in case.grads]
    errors = {}
    for k, (p, g) in enumerate(zip(case.params, analytic_params, strict=True)):
        errors[f"param{k}"] = relative_error(g, numerical_gradient(case.loss, p, eps))
    for key, x in case.inputs.items():
        errors[key] = relative_error(analytic_inputs[key], numerical_gradient(case.loss, x, eps))
    return errors


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
    return cases


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


def model_cases(seed: int = 0) -> list[Case]:
    """One float64 case per model in ``MODELS``: its loss against every parameter."""
    rng = numpy.random.default_rng(seed)
    N, Te, Td, V = 3, 6, 4, 9
    xs = rng.integers(1, V, (N, Te))
    xs[0, :2] = 0  # padding (id 0) at the front, as in reversed inputs
    ts = rng.integers(1, V, (N, Td + 1))
    ts[1, -1] = 0  # a padded target
    cases = []
    for name, cls in MODELS.items():
        model = cls(V, 4, 5, dtype=F64, seed=seed, pad_id=0)
        for p in model.params:
            # The book's initial embeddings (scale 0.01) give gradients so small that the
            # differences' rounding noise would dominate; unit-scale weights test every path.
            p[...] = rng.standard_normal(p.shape) * 0.5

        def backprop(model=model):
            model.forward(xs, ts)
            model.backward()
            return {}

        cases.append(Case(name, model.params, model.grads, {},
                          lambda model=model: model.forward(xs, ts), backprop))
    return cases


def all_cases(seed: int = 0) -> list[Case]:
    return layer_cases(seed) + model_cases(seed)
