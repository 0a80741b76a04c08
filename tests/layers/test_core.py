"""Embedding, Affine, Softmax and ``gather``: vectorised forms against plain loops, purity,
protocol.

The reference implementations below are deliberately naive (Python loops over rows and time
steps, float64) so that they are obviously right; the layers must agree with them.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from attnseq.layers import Affine, Embedding, Layer, Softmax, TimeAffine, TimeEmbedding, gather
from attnseq.layers.core import softmax

# --------------------------------------------------------------------------- helpers


def plain_softmax_row(row, keep=None):
    """Softmax of a 1-D list of numbers, over the kept positions only, with math.exp."""
    keep = [True] * len(row) if keep is None else keep
    top = max(v for v, k in zip(row, keep) if k)
    e = [math.exp(v - top) if k else 0.0 for v, k in zip(row, keep)]
    total = sum(e)
    return [v / total for v in e]


# --------------------------------------------------------------------------- softmax


def test_softmax_matches_plain_rows():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6)) * 3
    y = softmax(x)
    for n in range(4):
        np.testing.assert_allclose(y[n], plain_softmax_row(list(x[n])), rtol=1e-12)


def test_softmax_other_axis_matches_transposed():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5, 4))
    y = softmax(x, axis=1)
    for n in range(3):
        for k in range(4):
            np.testing.assert_allclose(y[n, :, k], plain_softmax_row(list(x[n, :, k])),
                                       rtol=1e-12)


def test_softmax_mask_gives_exact_zeros_and_rows_sum_to_one():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 7))
    mask = rng.random((5, 7)) < 0.6
    mask[:, 3] = True  # every row keeps at least one position
    y = softmax(x, mask=mask)
    assert np.all(y[~mask] == 0.0)
    assert np.all(y[mask] > 0.0)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)
    for n in range(5):
        np.testing.assert_allclose(y[n], plain_softmax_row(list(x[n]), list(mask[n])),
                                   rtol=1e-12)


def test_softmax_mask_broadcasts_over_leading_axes():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4))
    mask = np.array([[True, False, True, True], [False, False, True, False]])
    y = softmax(x, mask=mask[:, None, :])
    for n in range(2):
        for t in range(3):
            np.testing.assert_allclose(y[n, t], plain_softmax_row(list(x[n, t]), list(mask[n])),
                                       rtol=1e-12)


def test_softmax_does_not_modify_input():
    x = np.array([[1.0, 2.0, 3.0]])
    before = x.copy()
    softmax(x)
    softmax(x, mask=np.array([[True, False, True]]))
    assert np.array_equal(x, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_large_inputs_do_not_overflow(dtype):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise"):
        y = softmax(x)
    assert y.dtype == dtype
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[0], plain_softmax_row([0.0, 1.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(y[1], [0.0, 0.0, 1.0], atol=1e-30)


def test_softmax_layer_backward_matches_jacobian_loop():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5))
    dy = rng.standard_normal((3, 5))
    layer = Softmax()
    y = layer.forward(x)
    dx = layer.backward(dy)
    for n in range(3):
        for i in range(5):
            # dx_i = Σ_j dy_j · ∂y_j/∂x_i,  ∂y_j/∂x_i = y_j (δ_ij − y_i)
            expected = sum(dy[n, j] * y[n, j] * ((i == j) - y[n, i]) for j in range(5))
            assert dx[n, i] == pytest.approx(expected, rel=1e-10, abs=1e-14)


# --------------------------------------------------------------------------- embedding


def test_embedding_forward_is_row_lookup():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((7, 3))
    ids = np.array([[1, 4, 1], [6, 0, 2]])
    out = TimeEmbedding(W).forward(ids)
    assert out.shape == (2, 3, 3)
    for n in range(2):
        for t in range(3):
            assert np.array_equal(out[n, t], W[ids[n, t]])


@pytest.mark.parametrize("cls", [Embedding, TimeEmbedding])
def test_embedding_backward_accumulates_repeated_ids(cls):
    rng = np.random.default_rng(6)
    V, D = 6, 4
    W = rng.standard_normal((V, D))
    ids = np.array([[2, 2, 5, 2], [0, 5, 2, 3]])  # id 2 four times, 5 twice, 1 and 4 never
    dout = rng.standard_normal((2, 4, D))
    layer = cls(W)
    layer.forward(ids)
    assert layer.backward(dout) is None
    expected = np.zeros((V, D))
    for n in range(2):
        for t in range(4):
            for d in range(D):
                expected[ids[n, t], d] += dout[n, t, d]
    np.testing.assert_allclose(layer.grads[0], expected, rtol=1e-14)
    assert np.all(layer.grads[0][[1, 4]] == 0)


@given(st.lists(st.integers(0, 5), max_size=30))
def test_embedding_backward_of_any_ids_equals_the_loop(ids):
    rng = np.random.default_rng(len(ids))
    W = rng.standard_normal((6, 3))
    layer = Embedding(W)
    layer.forward(np.array(ids, dtype=np.int32))
    dout = rng.standard_normal((len(ids), 3))
    layer.grads[0][...] = 7.0  # a stale gradient, to be replaced
    layer.backward(dout)
    expected = np.zeros((6, 3))
    for r, i in enumerate(ids):
        expected[i] += dout[r]
    np.testing.assert_allclose(layer.grads[0], expected, rtol=1e-13, atol=1e-15)


def test_embedding_backward_resets_previous_gradient():
    W = np.ones((4, 2))
    layer = Embedding(W)
    layer.forward(np.array([0, 1]))
    layer.backward(np.ones((2, 2)))
    layer.forward(np.array([3]))
    layer.backward(np.full((1, 2), 2.0))
    expected = np.zeros((4, 2))
    expected[3] = 2.0
    assert np.array_equal(layer.grads[0], expected)


# --------------------------------------------------------------------------- affine


def plain_affine(x, W, b):
    """out[r, o] = Σ_i x[r, i] W[i, o] + b[o], row by row."""
    out = np.zeros((x.shape[0], W.shape[1]))
    for r in range(x.shape[0]):
        for o in range(W.shape[1]):
            out[r, o] = sum(x[r, i] * W[i, o] for i in range(W.shape[0])) + b[o]
    return out


def test_affine_forward_matches_plain_loop():
    rng = np.random.default_rng(7)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    np.testing.assert_allclose(Affine(W, b).forward(x), plain_affine(x, W, b), rtol=1e-12)


def test_time_affine_equals_per_step_affine():
    rng = np.random.default_rng(8)
    N, T, I, O = 3, 4, 5, 6
    W, b = rng.standard_normal((I, O)), rng.standard_normal(O)
    xs, dout = rng.standard_normal((N, T, I)), rng.standard_normal((N, T, O))

    layer = TimeAffine(W, b)
    out = layer.forward(xs)
    dxs = layer.backward(dout)

    dW, db = np.zeros_like(W), np.zeros_like(b)
    for t in range(T):
        step = Affine(W, b)
        np.testing.assert_allclose(out[:, t], step.forward(xs[:, t]), rtol=1e-12)
        np.testing.assert_allclose(dxs[:, t], step.backward(dout[:, t]), rtol=1e-12)
        dW += step.grads[0]
        db += step.grads[1]
    np.testing.assert_allclose(layer.grads[0], dW, rtol=1e-12)
    np.testing.assert_allclose(layer.grads[1], db, rtol=1e-12)


def test_affine_backward_matches_plain_formulas():
    rng = np.random.default_rng(9)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    dout = rng.standard_normal((4, 2))
    layer = Affine(W, b)
    layer.forward(x)
    dx = layer.backward(dout)
    for r in range(4):
        for i in range(3):
            assert dx[r, i] == pytest.approx(sum(dout[r, o] * W[i, o] for o in range(2)))
    for i in range(3):
        for o in range(2):
            assert layer.grads[0][i, o] == pytest.approx(sum(x[r, i] * dout[r, o]
                                                             for r in range(4)))
    for o in range(2):
        assert layer.grads[1][o] == pytest.approx(sum(dout[r, o] for r in range(4)))


# --------------------------------------------------------------------------- purity, protocol


def _core_layers(dtype):
    rng = np.random.default_rng(10)

    def randn(*shape):
        return rng.standard_normal(shape).astype(dtype)

    ids = np.array([[1, 3, 1], [0, 2, 3]])
    return {
        "Embedding": (Embedding(randn(4, 2)), [ids[0]], [randn(3, 2)]),
        "TimeEmbedding": (TimeEmbedding(randn(4, 2)), [ids], [randn(2, 3, 2)]),
        "Affine": (Affine(randn(3, 5), randn(5)), [randn(4, 3)], [randn(4, 5)]),
        "TimeAffine": (TimeAffine(randn(3, 5), randn(5)), [randn(2, 4, 3)], [randn(2, 4, 5)]),
        "Softmax": (Softmax(), [randn(3, 6)], [randn(3, 6)]),
    }


@pytest.mark.parametrize("name", list(_core_layers(np.float64)))
def test_backward_leaves_inputs_and_cache_untouched(name, backward_twice):
    layer, args, douts = _core_layers(np.float64)[name]
    backward_twice(layer, args, douts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(_core_layers(np.float64)))
def test_params_and_grads_match(name, dtype):
    layer, args, douts = _core_layers(dtype)[name]
    assert len(layer.params) == len(layer.grads)
    for p, g in zip(layer.params, layer.grads):
        assert p.shape == g.shape and p.dtype == g.dtype == dtype
    layer.forward(*args)
    layer.backward(*douts)
    for p, g in zip(layer.params, layer.grads):
        assert g.dtype == dtype and g.shape == p.shape


# --------------------------------------------------------------------------- gather


class _Holder(Layer):
    def __init__(self, params, grads):
        super().__init__()
        self.params, self.grads = params, grads


def test_gather_concatenates_in_order():
    a, b, c = np.zeros(2), np.zeros(3), np.zeros(4)
    ga, gb, gc = np.zeros(2), np.zeros(3), np.zeros(4)
    params, grads = gather([_Holder([a, b], [ga, gb]), _Holder([c], [gc])])
    assert [id(p) for p in params] == [id(a), id(b), id(c)]
    assert [id(g) for g in grads] == [id(ga), id(gb), id(gc)]


def test_gather_dedups_shared_param_by_identity():
    W, dW = np.ones((2, 2)), np.zeros((2, 2))
    b1, b2 = np.zeros(2), np.zeros(2)  # equal values, different arrays: both kept
    db1, db2 = np.zeros(2), np.zeros(2)
    params, grads = gather([_Holder([W, b1], [dW, db1]), _Holder([W, b2], [dW, db2])])
    assert [id(p) for p in params] == [id(W), id(b1), id(b2)]
    assert [id(g) for g in grads] == [id(dW), id(db1), id(db2)]


def test_gather_refuses_shared_param_with_different_grads():
    W = np.ones((2, 2))
    with pytest.raises(ValueError):
        gather([_Holder([W], [np.zeros((2, 2))]), _Holder([W], [np.zeros((2, 2))])])


def test_gather_refuses_mismatched_lists():
    with pytest.raises(ValueError):
        gather([_Holder([np.zeros(2), np.zeros(3)], [np.zeros(2)])])
