"""``TimeInputFeeding``, the book's step-by-step recurrence: its gradients against central
differences in float64 (every input and every parameter, through masks and a non-dot score),
and its forward against the equations written out for one step."""

import numpy as np
import pytest

from attnseq.gradcheck.checker import numerical_gradient, relative_error
from attnseq.layers import Attention, GeneralScore, TimeInputFeeding
from attnseq.layers.recurrent import LSTM

N, T, TE, D, H = 3, 4, 5, 2, 3


def make(rng, score=None):
    Wx, Wh, b = (0.5 * rng.standard_normal(s) for s in [(D + H, 4 * H), (H, 4 * H), (4 * H,)])
    return TimeInputFeeding(Wx, Wh, b, Attention(score))


def inputs(rng):
    mask = np.ones((N, TE), dtype=bool)
    mask[0, :2] = False  # padding in front, as reversed inputs have it
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, TE, H)),
            rng.standard_normal((N, H)), mask)


@pytest.mark.parametrize("general", [False, True])
def test_gradients_match_central_differences(general):
    rng = np.random.default_rng(2)
    layer = make(rng, GeneralScore(rng.standard_normal((H, H))) if general else None)
    es, hs, h0, mask = inputs(rng)
    dctxs, dhs_dec = rng.standard_normal((N, T, H)), rng.standard_normal((N, T, H))

    def loss():
        ctxs, hs_dec = layer.forward(es, hs, h0, mask)
        return float((ctxs * dctxs).sum() + (hs_dec * dhs_dec).sum())

    loss()
    des, dhs, dh0 = layer.backward(dctxs, dhs_dec)
    analytic = [des, dhs, dh0] + [g.copy() for g in layer.grads]
    for x, grad in zip([es, hs, h0, *layer.params], analytic, strict=True):
        assert relative_error(grad, numerical_gradient(loss, x)) < 1e-7
    assert len(layer.params) == (4 if general else 3)


def test_each_step_reads_the_context_of_the_step_before():
    rng = np.random.default_rng(5)
    layer = make(rng)
    es, hs, h0, mask = inputs(rng)
    ctxs, hs_dec = layer.forward(es, hs, h0, mask)
    lstm, attention = LSTM(*layer.lstm.params), Attention()
    h, c, ctx = h0, np.zeros_like(h0), np.zeros_like(h0)
    for t in range(T):
        h, c = lstm.forward(np.concatenate([es[:, t], ctx], axis=1), h, c)
        ctx = attention.forward(hs, h, mask)
        np.testing.assert_allclose(hs_dec[:, t], h, rtol=1e-12)
        np.testing.assert_allclose(ctxs[:, t], ctx, rtol=1e-12)
        np.testing.assert_allclose(layer.attention_weights[:, t], attention.attention_weight,
                                   rtol=1e-12)
    assert np.all(layer.attention_weights[0, :, :2] == 0)  # padding gets no weight


def test_step_equals_a_forward_step():
    rng = np.random.default_rng(6)
    layer = make(rng)
    es, hs, h0, mask = inputs(rng)
    ctxs, hs_dec = layer.forward(es, hs, h0, mask)
    h, c, ctx = h0, np.zeros_like(h0), np.zeros_like(h0)
    for t in range(T):
        h, c, ctx = layer.step(es[:, t], h, c, ctx, hs, mask)
    np.testing.assert_allclose(h, hs_dec[:, -1], rtol=1e-12)
    np.testing.assert_allclose(ctx, ctxs[:, -1], rtol=1e-12)
