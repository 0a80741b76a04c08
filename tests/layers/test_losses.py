"""TimeSoftmaxWithLoss against a per-position loop; padding excluded from the sum and the count."""

import math

import numpy as np
import pytest

from attnseq.layers import TimeSoftmaxWithLoss

N, T, V = 3, 5, 7
PAD = 0


def plain_loss_and_grad(xs, ts, ignore_id, dout=1.0):
    """Loop over positions: -log softmax(xs[n, t])[ts[n, t]], averaged over kept positions."""
    total, count = 0.0, 0
    probs = np.zeros_like(xs)
    for n in range(xs.shape[0]):
        for t in range(xs.shape[1]):
            row = list(xs[n, t])
            top = max(row)
            e = [math.exp(v - top) for v in row]
            probs[n, t] = [v / sum(e) for v in e]
            if ignore_id is not None and ts[n, t] == ignore_id:
                continue
            total += -(row[ts[n, t]] - top - math.log(sum(e)))
            count += 1
    dx = np.zeros_like(xs)
    for n in range(xs.shape[0]):
        for t in range(xs.shape[1]):
            if ignore_id is not None and ts[n, t] == ignore_id:
                continue
            for v in range(xs.shape[2]):
                dx[n, t, v] = dout * (probs[n, t, v] - (v == ts[n, t])) / count
    return total / count, dx


def data(seed):
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((N, T, V)) * 2
    ts = rng.integers(1, V, (N, T))
    ts[0, 3:] = PAD  # padded tails of different lengths
    ts[2, 1:] = PAD
    return xs, ts


@pytest.mark.parametrize("ignore_id", [None, PAD])
@pytest.mark.parametrize("dout", [1.0, 0.5])
def test_matches_per_position_loop(ignore_id, dout):
    xs, ts = data(0)
    layer = TimeSoftmaxWithLoss(ignore_id=ignore_id)
    loss = layer.forward(xs, ts)
    dx = layer.backward(dout)
    loss_ref, dx_ref = plain_loss_and_grad(xs, ts, ignore_id, dout)
    assert isinstance(loss, float)
    assert loss == pytest.approx(loss_ref, rel=1e-12)
    assert dx.shape == xs.shape
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-10, atol=1e-15)


def test_padding_changes_neither_loss_nor_gradient_elsewhere():
    xs, ts = data(1)
    layer = TimeSoftmaxWithLoss(ignore_id=PAD)
    loss = layer.forward(xs, ts)
    dx = layer.backward()
    assert np.all(dx[ts == PAD] == 0.0)

    changed = xs.copy()
    changed[ts == PAD] = np.random.default_rng(2).standard_normal(((ts == PAD).sum(), V)) * 50
    assert layer.forward(changed, ts) == loss
    assert np.array_equal(layer.backward(), dx)

    # Without ignore_id the same change does matter: the check above can fail.
    plain = TimeSoftmaxWithLoss()
    assert plain.forward(changed, ts) != plain.forward(xs, ts)


def test_mean_is_over_kept_positions_only():
    # Two sequences with the same real targets: padding one of them must not change the mean.
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((1, 3, V))
    ts = np.array([[4, 2, 5]])
    short = TimeSoftmaxWithLoss(ignore_id=PAD).forward(xs, ts)
    padded_xs = np.concatenate([xs, rng.standard_normal((1, 4, V))], axis=1)
    padded_ts = np.array([[4, 2, 5, PAD, PAD, PAD, PAD]])
    assert TimeSoftmaxWithLoss(ignore_id=PAD).forward(padded_xs, padded_ts) == pytest.approx(
        short, rel=1e-14)


def test_all_positions_ignored_gives_zero_not_nan():
    xs = np.random.default_rng(4).standard_normal((2, 3, V))
    ts = np.full((2, 3), PAD)
    layer = TimeSoftmaxWithLoss(ignore_id=PAD)
    assert layer.forward(xs, ts) == 0.0
    assert np.all(layer.backward() == 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_scores_stay_finite(dtype):
    xs = np.zeros((1, 2, V), dtype=dtype)
    xs[0, :, 1] = 1e4  # the target (3) gets probability exp(-1e4), which underflows to 0
    ts = np.array([[3, 1]])
    layer = TimeSoftmaxWithLoss(ignore_id=PAD)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = layer.forward(xs, ts)
        dx = layer.backward()
    # The true loss is 1e4 / 2; the layer clamps p at the dtype's tiny (-log tiny ≈ 87 in
    # float32), which keeps it finite and still large.
    assert math.isfinite(loss) and loss > 40
    assert dx.dtype == dtype and np.all(np.isfinite(dx))


def test_backward_is_pure():
    xs, ts = data(5)
    xs_before, ts_before = xs.copy(), ts.copy()
    layer = TimeSoftmaxWithLoss(ignore_id=PAD)
    layer.forward(xs, ts)
    first = layer.backward()
    kept = first.copy()
    first += 1.0  # a caller adding into the result must not reach the cache
    assert np.array_equal(layer.backward(), kept)
    assert np.array_equal(xs, xs_before) and np.array_equal(ts, ts_before)
    assert layer.params == [] and layer.grads == []
