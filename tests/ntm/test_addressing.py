"""The NTM's addressing steps: each against a plain loop of the paper's equation, weightings on
the simplex, no NaN or inf at the edges, pure backward passes, float32 and float64.
(The central-difference checks are rows of attnseq/gradcheck/cases.py.)"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from attnseq.ntm.addressing import (
    SHARPEN_EPS,
    Addressing,
    CircularShift,
    ContentAddressing,
    Interpolation,
    Sharpening,
)

B, N, M = 3, 7, 4
rng = np.random.default_rng(0)


def simplex(shape=(B, N)):
    w = rng.random(shape) + 0.01
    return w / w.sum(axis=-1, keepdims=True)


def softplus(x):
    return math.log1p(math.exp(x))


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


# --------------------------------------------------------------------------- plain loops


def loop_content(k, beta_hat, Mem):
    w = np.zeros(Mem.shape[:2])
    for b in range(Mem.shape[0]):
        beta = softplus(beta_hat[b])
        K = [float(k[b] @ row) / (np.linalg.norm(k[b]) * np.linalg.norm(row))
             for row in Mem[b]]
        e = [math.exp(beta * Ki) for Ki in K]
        w[b] = [ei / sum(e) for ei in e]
    return w


def loop_shift(w, s_hat, shifts):
    out = np.zeros_like(w)
    n = w.shape[1]
    for b in range(w.shape[0]):
        s = np.exp(s_hat[b]) / np.exp(s_hat[b]).sum()
        for i in range(n):
            out[b, i] = sum(w[b, (i - j) % n] * s[col] for col, j in enumerate(shifts))
    return out


def loop_sharpen(w, gamma_hat):
    out = np.zeros_like(w)
    for b in range(w.shape[0]):
        gamma = 1.0 + softplus(gamma_hat[b])
        powered = [(wi + SHARPEN_EPS) ** gamma for wi in w[b]]
        out[b] = [p / sum(powered) for p in powered]
    return out


def test_content_matches_the_paper():
    k, beta_hat, Mem = rng.standard_normal((B, M)), rng.standard_normal(B), rng.standard_normal(
        (B, N, M))
    np.testing.assert_allclose(ContentAddressing().forward(k, beta_hat, Mem),
                               loop_content(k, beta_hat, Mem), rtol=1e-7)


def test_interpolation_matches_the_paper():
    w_c, w_prev, g_hat = simplex(), simplex(), rng.standard_normal(B)
    expected = [sig(g_hat[b]) * w_c[b] + (1 - sig(g_hat[b])) * w_prev[b] for b in range(B)]
    np.testing.assert_allclose(Interpolation().forward(w_c, g_hat, w_prev), expected, rtol=1e-12)


@pytest.mark.parametrize("shifts", [(-1, 0, 1), (-2, -1, 0, 1, 2), (0, 3)])
def test_shift_is_the_circular_convolution(shifts):
    w, s_hat = simplex(), rng.standard_normal((B, len(shifts)))
    np.testing.assert_allclose(CircularShift(shifts).forward(w, s_hat),
                               loop_shift(w, s_hat, shifts), rtol=1e-12)


def test_a_sure_shift_by_one_moves_every_row_down_by_one():
    w = simplex()
    out = CircularShift().forward(w, np.tile([-50.0, -50.0, 50.0], (B, 1)))  # s = (0, 0, 1)
    np.testing.assert_allclose(out, np.roll(w, 1, axis=1), atol=1e-30)


def test_sharpening_matches_the_paper():
    w, gamma_hat = simplex(), rng.standard_normal(B) * 2
    np.testing.assert_allclose(Sharpening().forward(w, gamma_hat), loop_sharpen(w, gamma_hat),
                               rtol=1e-9)


def test_addressing_chains_the_four_steps_in_order():
    Mem, w_prev = rng.standard_normal((B, N, M)), simplex()
    p = rng.standard_normal((B, M + 6))
    w = Addressing(M).forward(p, Mem, w_prev)
    w_c = loop_content(p[:, :M], p[:, M], Mem)
    g = 1 / (1 + np.exp(-p[:, M + 1:M + 2]))
    expected = loop_sharpen(loop_shift(g * w_c + (1 - g) * w_prev, p[:, M + 2:M + 5],
                                       (-1, 0, 1)), p[:, M + 5])
    np.testing.assert_allclose(w, expected, rtol=1e-7)  # the norms' ε: 1e-8 of ‖·‖²


# --------------------------------------------------------------------------- the simplex

finite = st.floats(-30, 30, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (2, M + 6), elements=finite),
       arrays(np.float64, (2, 5, M), elements=finite),
       arrays(np.float64, (2, 5), elements=st.floats(0, 1)))
def test_a_head_weighting_stays_on_the_simplex(p, Mem, raw):
    w_prev = (raw + 1e-3) / (raw + 1e-3).sum(axis=1, keepdims=True)
    w = Addressing(M).forward(p, Mem, w_prev)
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (2, 6), elements=st.floats(0, 1)),
       arrays(np.float64, (2, 3), elements=finite))
def test_shift_and_sharpening_keep_a_weighting_on_the_simplex(raw, s_hat):
    w = (raw + 1e-3) / (raw + 1e-3).sum(axis=1, keepdims=True)
    shifted = CircularShift().forward(w, s_hat)
    np.testing.assert_allclose(shifted.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(shifted >= 0)
    sharp = Sharpening().forward(shifted, s_hat[:, 0])
    np.testing.assert_allclose(sharp.sum(axis=1), 1.0, rtol=1e-12)


# --------------------------------------------------------------------------- the edges


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_keys_zero_rows_and_huge_strengths_give_no_nan(dtype):
    k = np.zeros((B, M), dtype)
    k[1] = 1.0
    Mem = rng.standard_normal((B, N, M)).astype(dtype)
    Mem[:, 2] = 0.0  # an empty row
    beta_hat = np.array([1e4, 1e30, -1e30], dtype)  # β huge, huge, zero
    layer = ContentAddressing()
    w = layer.forward(k, beta_hat, Mem)
    grads = layer.backward(np.ones_like(w))
    for a in (w, *grads):
        assert np.all(np.isfinite(a)), a
    np.testing.assert_allclose(w[0], 1 / N, rtol=1e-6)  # a zero key matches nothing better
    assert w.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sharpening_a_weighting_with_zeros_at_huge_gamma_gives_no_nan(dtype):
    w = np.zeros((B, N), dtype)
    w[:, 0] = 1.0
    w[1] = 1.0 / N
    layer = Sharpening()
    out = layer.forward(w, np.array([1e4, 1e30, -1e30], dtype))
    grads = layer.backward(np.ones_like(out))
    for a in (out, *grads):
        assert np.all(np.isfinite(a))
    np.testing.assert_allclose(out[0, 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(out[1], 1.0 / N, rtol=1e-5)  # nothing to sharpen
    assert out.dtype == dtype


def test_gates_saturate_without_overflow():
    w_c, w_prev = simplex(), simplex()
    layer = Interpolation()
    out = layer.forward(w_c, np.array([1e30, -1e30, 0.0]), w_prev)
    np.testing.assert_allclose(out[0], w_c[0])
    np.testing.assert_allclose(out[1], w_prev[1])
    assert all(np.all(np.isfinite(g)) for g in layer.backward(np.ones_like(out)))


# --------------------------------------------------------------------------- the protocol


@pytest.mark.parametrize("make, args", [
    (ContentAddressing, lambda: (rng.standard_normal((B, M)), rng.standard_normal(B),
                                 rng.standard_normal((B, N, M)))),
    (Interpolation, lambda: (simplex(), rng.standard_normal(B), simplex())),
    (CircularShift, lambda: (simplex(), rng.standard_normal((B, 3)))),
    (Sharpening, lambda: (simplex(), rng.standard_normal(B))),
    (lambda: Addressing(M), lambda: (rng.standard_normal((B, M + 6)),
                                     rng.standard_normal((B, N, M)), simplex())),
], ids=["content", "interpolation", "shift", "sharpening", "addressing"])
def test_backward_is_pure(backward_twice, make, args):
    layer = make()
    inputs = args()
    out = layer.forward(*inputs)
    grads, _ = backward_twice(layer, inputs, (rng.standard_normal(out.shape),))
    assert [g.shape for g in grads] == [x.shape for x in inputs]


def test_float32_in_float32_out():
    p = rng.standard_normal((B, M + 6)).astype(np.float32)
    Mem = rng.standard_normal((B, N, M)).astype(np.float32)
    layer = Addressing(M)
    w = layer.forward(p, Mem, simplex().astype(np.float32))
    assert w.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.backward(np.ones_like(w)))
