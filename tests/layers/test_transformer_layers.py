"""LayerNorm, FeedForward and its activations, positions, Residual (pre/post LN) and label
smoothing, each against its equations written out plainly (their gradients are rows of
attnseq.gradcheck.cases)."""

import math

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.layers import (
    GELU,
    FeedForward,
    LayerNorm,
    LearnedPositions,
    Residual,
    SinusoidalPositions,
    TimeSoftmaxWithLoss,
)


def test_layer_norm_per_row(backward_twice):
    rng = np.random.default_rng(0)
    g, b = rng.standard_normal(5), rng.standard_normal(5)
    x = rng.standard_normal((2, 3, 5)) * 3 + 1
    y = LayerNorm(g, b).forward(x)
    for row, out in zip(x.reshape(-1, 5), y.reshape(-1, 5), strict=True):
        expected = (row - row.mean()) / math.sqrt(row.var() + 1e-5) * g + b
        np.testing.assert_allclose(out, expected, rtol=1e-12)
    backward_twice(LayerNorm(g, b), [x], [rng.standard_normal(x.shape)])


def test_gelu_is_its_tanh_formula_and_close_to_the_exact_one():
    z = np.linspace(-4, 4, 81)
    y = GELU().forward(z)
    exact = z * 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))
    assert np.abs(y - exact).max() < 1e-3
    np.testing.assert_array_equal(GELU.apply(z), y)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_feed_forward_is_two_affine_maps(activation):
    rng = np.random.default_rng(1)
    W1, b1, W2, b2 = (rng.standard_normal(s) for s in ((4, 7), 7, (7, 4), 4))
    ff = FeedForward(W1, b1, W2, b2, activation)
    x = rng.standard_normal((2, 3, 4))
    z = x @ W1 + b1
    act = np.maximum(z, 0) if activation == "relu" else GELU.apply(z)
    np.testing.assert_allclose(ff.forward(x), act @ W2 + b2, rtol=1e-12)


def test_sinusoids_follow_the_paper_and_refuse_long_inputs():
    pos = SinusoidalPositions(10, 6, np.float64)
    xs = np.zeros((1, 10, 6))
    P = pos.forward(xs)[0]
    t, i = 7, 2
    assert P[t, 2 * i] == pytest.approx(math.sin(t / 10000 ** (2 * i / 6)))
    assert P[t, 2 * i + 1] == pytest.approx(math.cos(t / 10000 ** (2 * i / 6)))
    np.testing.assert_array_equal(pos.forward(xs[:, :1], start=7)[0, 0], P[7])
    with pytest.raises(AttnseqError, match=r"^position 10 is beyond the longest sequence "
                                           r"this model was built for \(10\)$"):
        pos.forward(np.zeros((1, 2, 6)), start=9)


def test_learned_positions_sum_the_batch_into_their_rows():
    P = np.arange(12.0).reshape(4, 3)
    layer = LearnedPositions(P)
    layer.forward(np.zeros((2, 3, 3)))
    dy = np.ones((2, 3, 3))
    layer.backward(dy)
    np.testing.assert_array_equal(layer.grads[0], [[2] * 3] * 3 + [[0] * 3])


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_residual_arrangements(norm):
    """Around F(x) = 2x the arrangements can be written down; the step's halves agree."""
    rng = np.random.default_rng(2)
    g, b = rng.standard_normal(4), rng.standard_normal(4)
    x = rng.standard_normal((2, 3, 4))
    residual = Residual(LayerNorm(g, b), norm=norm)
    y = residual.forward(x, lambda h: 2 * h)
    ln = LayerNorm(g, b).forward
    np.testing.assert_allclose(y, x + 2 * ln(x) if norm == "pre" else ln(3 * x), rtol=1e-12)
    np.testing.assert_allclose(residual.output(x, 2 * residual.input(x), dropout=False), y,
                               rtol=1e-15)
    dy = rng.standard_normal(x.shape)
    dx = residual.backward(dy, lambda d: 2 * d)
    eps, direction = 1e-6, rng.standard_normal(x.shape)
    slope = ((residual.forward(x + eps * direction, lambda h: 2 * h)
              - residual.forward(x - eps * direction, lambda h: 2 * h)) * dy).sum() / (2 * eps)
    assert (dx * direction).sum() == pytest.approx(slope, rel=1e-6)


def test_label_smoothing_is_the_mixed_target_and_zero_is_the_plain_loss():
    rng = np.random.default_rng(3)
    xs, ts = rng.standard_normal((2, 3, 5)), rng.integers(1, 5, (2, 3))
    ts[1, 2] = 0  # padding
    logp = xs - np.log(np.exp(xs).sum(axis=2, keepdims=True))
    keep = ts != 0
    nll = -np.take_along_axis(logp, ts[..., None], 2)[..., 0]
    plain = TimeSoftmaxWithLoss(ignore_id=0)
    assert plain.forward(xs, ts) == pytest.approx(nll[keep].mean(), rel=1e-12)
    smooth = TimeSoftmaxWithLoss(ignore_id=0, smoothing=0.1)
    expected = (0.9 * nll - 0.1 * logp.mean(axis=2))[keep].mean()
    assert smooth.forward(xs, ts) == pytest.approx(expected, rel=1e-12)
    zero = TimeSoftmaxWithLoss(ignore_id=0, smoothing=0.0)
    assert zero.forward(xs, ts) == plain.forward(xs, ts)
    np.testing.assert_array_equal(zero.backward(), plain.backward())
    with pytest.raises(AttnseqError, match=r"^label_smoothing must be a number in \[0, 1\), "
                                           r"got 1.0$"):
        TimeSoftmaxWithLoss(smoothing=1.0)
