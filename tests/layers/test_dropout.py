"""TimeDropout: identity in eval mode, unbiased in training, one mask for forward and backward."""

import numpy as np
import pytest

from attnseq.layers import TimeDropout


def test_eval_mode_is_the_identity():
    x = np.random.default_rng(0).standard_normal((4, 5, 6))
    layer = TimeDropout(0.5, rng=0)
    layer.train_mode(False)
    assert np.array_equal(layer.forward(x), x)
    dout = np.random.default_rng(1).standard_normal(x.shape)
    dx = layer.backward(dout)
    assert np.array_equal(dx, dout) and dx is not dout


def test_rate_zero_is_the_identity_in_training():
    x = np.random.default_rng(0).standard_normal((3, 4))
    layer = TimeDropout(0.0)
    assert layer.training
    assert np.array_equal(layer.forward(x), x)
    assert np.array_equal(layer.backward(x), x)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_training_keeps_the_expected_mean(rate):
    # 400 000 ones: the kept fraction is Binomial(n, 1 - rate)/n, with a standard deviation
    # below 0.0008; a tolerance of 0.005 is over six of them.
    x = np.ones((100, 40, 100))
    layer = TimeDropout(rate, rng=123)
    y = layer.forward(x)
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 0.005
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-12)  # scaled, not just kept
    assert abs(y.mean() - 1.0) < 0.005 / (1 - rate)


def test_backward_uses_the_forward_mask():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 7, 3)) + 3.0  # no zeros, so y / x recovers the mask
    layer = TimeDropout(0.4, rng=3)
    y = layer.forward(x)
    dout = rng.standard_normal(x.shape)
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, dout * (y / x), rtol=1e-12)
    assert np.array_equal(dx == 0, y == 0)  # a dropped element passes no gradient


def test_masks_are_fresh_per_call_and_reproducible_from_the_seed():
    x = np.ones((20, 30))
    a, b = TimeDropout(0.5, rng=7), TimeDropout(0.5, rng=7)
    first = a.forward(x)
    assert np.array_equal(first, b.forward(x))
    assert not np.array_equal(first, a.forward(x))  # a new mask every forward
    shared = np.random.default_rng(9)
    c = TimeDropout(0.5, rng=shared)
    assert c.rng is shared


def test_switching_back_to_training():
    layer = TimeDropout(0.5, rng=0)
    layer.train_mode(False)
    layer.train_mode(True)
    assert np.any(layer.forward(np.ones((10, 10))) == 0)


def test_float32_stays_float32():
    x = np.ones((4, 4), dtype=np.float32)
    layer = TimeDropout(0.3, rng=0)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(x).dtype == np.float32


def test_layer_protocol(backward_twice):
    rng = np.random.default_rng(4)
    layer = TimeDropout(0.5, rng=5)
    backward_twice(layer, [rng.standard_normal((3, 4, 5))], [rng.standard_normal((3, 4, 5))])


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", None, True])
def test_bad_rates_are_refused(rate):
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\)"):
        TimeDropout(rate)
