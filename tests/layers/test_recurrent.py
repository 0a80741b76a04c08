"""LSTM and TimeLSTM, the book's layers: the step against the written-out formula, the
sequence against a chain of written-out steps and of ``LSTM`` layers (their gradients are
checked against central differences in tests/gradcheck; the fast layers against these in
tests/fast/test_lstm.py).

The gate order is the one ``attnseq.layers.recurrent`` documents, the book's: forget, the tanh
candidate g, input, output, each H columns wide.
"""

import math

import numpy as np
import pytest

from attnseq.layers import LSTM, TimeLSTM

N, T, D, H = 3, 5, 4, 6


def weights(rng, dtype=np.float64):
    return (rng.standard_normal((D, 4 * H)).astype(dtype),
            rng.standard_normal((H, 4 * H)).astype(dtype) * 0.5,
            rng.standard_normal(4 * H).astype(dtype))


def plain_lstm_step(Wx, Wh, b, x, h_prev, c_prev):
    """One step written out element by element with math.exp/math.tanh (float64), the gates in
    the book's order: f, g, i, o."""
    n_rows, Hh = h_prev.shape
    h = np.zeros((n_rows, Hh))
    c = np.zeros((n_rows, Hh))
    A = x @ Wx + h_prev @ Wh + b

    def sigmoid(v):
        if v >= 0:
            return 1.0 / (1.0 + math.exp(-v))
        return math.exp(v) / (1.0 + math.exp(v))  # no overflow for large negative v

    for n in range(n_rows):
        for j in range(Hh):
            f = sigmoid(A[n, j])
            g = math.tanh(A[n, Hh + j])
            i = sigmoid(A[n, 2 * Hh + j])
            o = sigmoid(A[n, 3 * Hh + j])
            c[n, j] = f * c_prev[n, j] + i * g
            h[n, j] = o * math.tanh(c[n, j])
    return h, c


def loop_of_steps(Wx, Wh, b, xs, h0, c0, dhs):
    """One ``LSTM`` layer per step, forward in order, backward in reverse (the book's
    TimeLSTM, here written by the caller). Returns hs, dxs, [dWx, dWh, db], dh0, dc0.
    """
    steps, hs = [], np.zeros((xs.shape[0], xs.shape[1], Wh.shape[0]))
    h, c = h0, c0
    for t in range(xs.shape[1]):
        step = LSTM(Wx, Wh, b)
        h, c = step.forward(xs[:, t], h, c)
        hs[:, t] = h
        steps.append(step)
    dxs = np.zeros_like(xs)
    sums = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
    dh, dc = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(xs.shape[1])):
        dxs[:, t], dh, dc = steps[t].backward(dhs[:, t] + dh, dc)
        for s, g in zip(sums, steps[t].grads):
            s += g
    return hs, dxs, sums, dh, dc


def test_lstm_step_matches_written_out_formula():
    rng = np.random.default_rng(0)
    Wx, Wh, b = weights(rng)
    x, h0, c0 = (rng.standard_normal((N, D)), rng.standard_normal((N, H)),
                 rng.standard_normal((N, H)))
    h, c = LSTM(Wx, Wh, b).forward(x, h0, c0)
    h_ref, c_ref = plain_lstm_step(Wx, Wh, b, x, h0, c0)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-14)


def test_lstm_saturated_gates_do_not_overflow():
    rng = np.random.default_rng(1)
    Wx, Wh, b = weights(rng)
    x = rng.standard_normal((N, D)) * 1000.0
    with np.errstate(over="raise", invalid="raise"):
        h, c = LSTM(Wx, Wh, b).forward(x, np.zeros((N, H)), np.zeros((N, H)))
    assert np.all(np.isfinite(h)) and np.all(np.abs(h) <= 1.0)
    h_ref, c_ref = plain_lstm_step(Wx, Wh, b, x, np.zeros((N, H)), np.zeros((N, H)))
    np.testing.assert_allclose(h, h_ref, atol=1e-12)
    np.testing.assert_allclose(c, c_ref, atol=1e-12)


def test_time_lstm_equals_the_written_out_steps():
    rng = np.random.default_rng(12)
    Wx, Wh, b = weights(rng)
    xs, h0, c0 = (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)),
                  rng.standard_normal((N, H)))
    layer = TimeLSTM(Wx, Wh, b, stateful=True)
    layer.set_state(h0, c0)
    hs = layer.forward(xs)
    h, c = h0, c0
    for t in range(T):
        h, c = plain_lstm_step(Wx, Wh, b, xs[:, t], h, c)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.h, h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.c, c, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("stateful", [False, True])
def test_time_lstm_equals_loop_of_steps(stateful):
    rng = np.random.default_rng(2)
    Wx, Wh, b = weights(rng)
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    if stateful:
        h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    else:
        h0, c0 = np.zeros((N, H)), np.zeros((N, H))

    layer = TimeLSTM(Wx, Wh, b, stateful=stateful)
    if stateful:
        layer.set_state(h0, c0)
    hs = layer.forward(xs)
    dxs = layer.backward(dhs)

    hs_ref, dxs_ref, grads_ref, dh0, dc0 = loop_of_steps(Wx, Wh, b, xs, h0, c0, dhs)
    assert hs.shape == (N, T, H) and dxs.shape == (N, T, D)
    np.testing.assert_allclose(hs, hs_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dxs, dxs_ref, rtol=1e-10, atol=1e-13)
    for g, g_ref in zip(layer.grads, grads_ref, strict=True):
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(layer.dh, dh0, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(layer.dc, dc0, rtol=1e-10, atol=1e-13)


def test_set_state_without_c_starts_from_zero_cell():
    rng = np.random.default_rng(3)
    Wx, Wh, b = weights(rng)
    xs, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    layer = TimeLSTM(Wx, Wh, b, stateful=True)
    layer.set_state(h0)
    hs_ref, *_ = loop_of_steps(Wx, Wh, b, xs, h0, np.zeros((N, H)), np.zeros((N, T, H)))
    np.testing.assert_allclose(layer.forward(xs), hs_ref, rtol=1e-12, atol=1e-14)


def test_stateful_carries_state_across_calls():
    rng = np.random.default_rng(4)
    Wx, Wh, b = weights(rng)
    xs = rng.standard_normal((N, T, D))
    whole = TimeLSTM(Wx, Wh, b, stateful=True).forward(xs)

    split = TimeLSTM(Wx, Wh, b, stateful=True)
    first = split.forward(xs[:, :2])
    np.testing.assert_allclose(split.h, first[:, -1], rtol=1e-15)
    second = split.forward(xs[:, 2:])
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-12)

    split.reset_state()
    np.testing.assert_allclose(split.forward(xs[:, :2]), first, rtol=1e-15)


def test_not_stateful_ignores_state():
    rng = np.random.default_rng(5)
    Wx, Wh, b = weights(rng)
    xs = rng.standard_normal((N, T, D))
    layer = TimeLSTM(Wx, Wh, b, stateful=False)
    a = layer.forward(xs)
    layer.set_state(rng.standard_normal((N, H)), rng.standard_normal((N, H)))
    bb = layer.forward(xs)
    assert np.array_equal(a, bb)
    hs_ref, *_ = loop_of_steps(Wx, Wh, b, xs, np.zeros((N, H)), np.zeros((N, H)),
                               np.zeros((N, T, H)))
    np.testing.assert_allclose(a, hs_ref, rtol=1e-12, atol=1e-14)


def test_step_matches_lstm_and_leaves_cache_alone():
    rng = np.random.default_rng(6)
    Wx, Wh, b = weights(rng)
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    layer = TimeLSTM(Wx, Wh, b)
    layer.forward(xs)
    before = layer.backward(dhs).copy()

    x, h0, c0 = (rng.standard_normal((N, D)), rng.standard_normal((N, H)),
                 rng.standard_normal((N, H)))
    h, c = layer.step(x, h0, c0)
    h_ref, c_ref = LSTM(Wx, Wh, b).forward(x, h0, c0)
    np.testing.assert_allclose(h, h_ref, rtol=1e-14)
    np.testing.assert_allclose(c, c_ref, rtol=1e-14)
    assert np.array_equal(layer.backward(dhs), before)


def test_float32_stays_float32_and_agrees_with_float64():
    rng = np.random.default_rng(7)
    W64 = weights(rng)
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    l64 = TimeLSTM(*W64)
    l32 = TimeLSTM(*(w.astype(np.float32) for w in W64))
    hs64, hs32 = l64.forward(xs), l32.forward(xs.astype(np.float32))
    dx64, dx32 = l64.backward(dhs), l32.backward(dhs.astype(np.float32))
    assert hs32.dtype == dx32.dtype == np.float32
    assert all(g.dtype == np.float32 for g in l32.grads)
    np.testing.assert_allclose(hs32, hs64, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx32, dx64, rtol=1e-4, atol=1e-4)


def test_lstm_backward_is_pure(backward_twice):
    rng = np.random.default_rng(8)
    layer = LSTM(*weights(rng))
    args = [rng.standard_normal((N, D)), rng.standard_normal((N, H)),
            rng.standard_normal((N, H))]
    backward_twice(layer, args, [rng.standard_normal((N, H)), rng.standard_normal((N, H))])


@pytest.mark.parametrize("stateful", [False, True])
def test_time_lstm_backward_is_pure(stateful, backward_twice):
    rng = np.random.default_rng(9)
    layer = TimeLSTM(*weights(rng), stateful=stateful)
    h0 = rng.standard_normal((N, H))
    layer.set_state(h0)
    backward_twice(layer, [rng.standard_normal((N, T, D))], [rng.standard_normal((N, T, H))])
    dh, dc = layer.dh.copy(), layer.dc.copy()
    layer.backward(rng.standard_normal((N, T, H)))  # different dout, different initial grads
    assert not np.array_equal(layer.dh, dh) and not np.array_equal(layer.dc, dc)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", [LSTM, TimeLSTM])
def test_params_and_grads_match(cls, dtype):
    layer = cls(*weights(np.random.default_rng(10), dtype))
    assert len(layer.params) == len(layer.grads) == 3
    for p, g in zip(layer.params, layer.grads):
        assert p.shape == g.shape and p.dtype == g.dtype == dtype
