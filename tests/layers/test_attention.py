"""Attention layers: the batched TimeAttention against the book's loop and the written-out sums.

The book's TimeAttention runs one ``Attention`` layer per decoder step; attnseq computes all
steps with batched matmuls. Both must give the same context vectors, weights and gradients.
"""

import math

import numpy as np
import pytest

from attnseq.layers import Attention, AttentionWeight, TimeAttention, WeightSum

N, Td, Te, H = 3, 4, 6, 5


def padding_mask():
    """True at real positions; rows padded at the front (reversed inputs), one row unpadded."""
    mask = np.ones((N, Te), dtype=bool)
    mask[0, :2] = False
    mask[2, :4] = False
    return mask


def book_time_attention(hs_enc, hs_dec, dC, mask=None):
    """The book's TimeAttention: a separate Attention layer per decoder step.

    Returns C, A, dhs_enc, dhs_dec.
    """
    layers, C, A = [], np.zeros_like(hs_dec), np.zeros((N, hs_dec.shape[1], Te))
    for t in range(hs_dec.shape[1]):
        layer = Attention()
        C[:, t] = layer.forward(hs_enc, hs_dec[:, t], mask)
        A[:, t] = layer.attention_weight
        layers.append(layer)
    dhs_enc, dhs_dec = np.zeros_like(hs_enc), np.zeros_like(hs_dec)
    for t, layer in enumerate(layers):
        dhs, dh = layer.backward(dC[:, t])
        dhs_enc += dhs
        dhs_dec[:, t] = dh
    return C, A, dhs_enc, dhs_dec


def plain_time_attention(hs_enc, hs_dec, mask=None):
    """s[n,t,u] = Σ_h dec[n,t,h]·enc[n,u,h]; a = softmax_u(s) over unmasked u; c = Σ_u a·enc."""
    n_dec = hs_dec.shape[1]
    C, A = np.zeros((N, n_dec, H)), np.zeros((N, n_dec, Te))
    for n in range(N):
        for t in range(n_dec):
            s = [sum(hs_dec[n, t, h] * hs_enc[n, u, h] for h in range(H)) for u in range(Te)]
            keep = [True] * Te if mask is None else list(mask[n])
            top = max(v for v, k in zip(s, keep) if k)
            e = [math.exp(v - top) if k else 0.0 for v, k in zip(s, keep)]
            for u in range(Te):
                A[n, t, u] = e[u] / sum(e)
            for h in range(H):
                C[n, t, h] = sum(A[n, t, u] * hs_enc[n, u, h] for u in range(Te))
    return C, A


def inputs(seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, Te, H)), rng.standard_normal((N, Td, H)),
            rng.standard_normal((N, Td, H)))


@pytest.mark.parametrize("masked", [False, True])
def test_time_attention_equals_book_loop(masked):
    hs_enc, hs_dec, dC = inputs(0)
    mask = padding_mask() if masked else None
    layer = TimeAttention()
    C = layer.forward(hs_enc, hs_dec, mask)
    dhs_enc, dhs_dec = layer.backward(dC)

    C_ref, A_ref, dhs_enc_ref, dhs_dec_ref = book_time_attention(hs_enc, hs_dec, dC, mask)
    np.testing.assert_allclose(C, C_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.attention_weights, A_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dhs_enc, dhs_enc_ref, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dhs_dec, dhs_dec_ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("masked", [False, True])
def test_time_attention_equals_written_out_sums(masked):
    hs_enc, hs_dec, _ = inputs(1)
    mask = padding_mask() if masked else None
    layer = TimeAttention()
    C = layer.forward(hs_enc, hs_dec, mask)
    C_ref, A_ref = plain_time_attention(hs_enc, hs_dec, mask)
    np.testing.assert_allclose(C, C_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.attention_weights, A_ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("masked", [False, True])
def test_one_step_attention_equals_written_out_sums(masked):
    hs_enc, hs_dec, _ = inputs(2)
    mask = padding_mask() if masked else None
    C_ref, A_ref = plain_time_attention(hs_enc, hs_dec[:, :1], mask)
    a = AttentionWeight().forward(hs_enc, hs_dec[:, 0], mask)
    np.testing.assert_allclose(a, A_ref[:, 0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(WeightSum().forward(hs_enc, a), C_ref[:, 0], rtol=1e-12)
    layer = Attention()
    np.testing.assert_allclose(layer.forward(hs_enc, hs_dec[:, 0], mask), C_ref[:, 0],
                               rtol=1e-12)
    np.testing.assert_allclose(layer.attention_weight, A_ref[:, 0], rtol=1e-12, atol=1e-15)


def test_weight_sum_backward_matches_written_out_sums():
    rng = np.random.default_rng(3)
    hs, a, dc = rng.standard_normal((N, Te, H)), rng.random((N, Te)), rng.standard_normal((N, H))
    layer = WeightSum()
    layer.forward(hs, a)
    dhs, da = layer.backward(dc)
    for n in range(N):
        for u in range(Te):
            assert da[n, u] == pytest.approx(sum(hs[n, u, h] * dc[n, h] for h in range(H)))
            for h in range(H):
                assert dhs[n, u, h] == pytest.approx(a[n, u] * dc[n, h])


def test_masked_positions_get_no_weight_no_influence_no_gradient():
    hs_enc, hs_dec, dC = inputs(4)
    mask = padding_mask()
    layer = TimeAttention()
    C = layer.forward(hs_enc, hs_dec, mask)
    A = layer.attention_weights
    assert A.shape == (N, Td, Te)
    assert np.all(A[np.broadcast_to(~mask[:, None, :], A.shape)] == 0.0)
    np.testing.assert_allclose(A.sum(axis=2), 1.0, rtol=1e-12)
    dhs_enc, _ = layer.backward(dC)
    assert np.all(dhs_enc[~mask] == 0.0)
    assert np.all(dhs_enc[mask] != 0.0)

    changed = hs_enc.copy()
    changed[~mask] = 1e3  # whatever padding encodes to must not matter
    assert np.array_equal(TimeAttention().forward(changed, hs_dec, mask), C)
    unmasked = TimeAttention().forward(changed, hs_dec)
    assert not np.allclose(unmasked, C)


def test_attention_weights_rows_sum_to_one_without_mask():
    hs_enc, hs_dec, _ = inputs(5)
    layer = TimeAttention()
    layer.forward(hs_enc * 30, hs_dec * 30)  # large scores: softmax must stay finite
    A = layer.attention_weights
    assert np.all(np.isfinite(A)) and np.all(A >= 0)
    np.testing.assert_allclose(A.sum(axis=2), 1.0, rtol=1e-12)


def _attention_layers():
    hs_enc, hs_dec, dC = inputs(6)
    mask = padding_mask()
    rng = np.random.default_rng(7)
    h, dh = hs_dec[:, 0], dC[:, 0]
    return {
        "AttentionWeight": (AttentionWeight(), [hs_enc, h, mask], [rng.standard_normal((N, Te))]),
        "WeightSum": (WeightSum(), [hs_enc, rng.random((N, Te))], [dh]),
        "Attention": (Attention(), [hs_enc, h], [dh]),
        "Attention-masked": (Attention(), [hs_enc, h, mask], [dh]),
        "TimeAttention": (TimeAttention(), [hs_enc, hs_dec], [dC]),
        "TimeAttention-masked": (TimeAttention(), [hs_enc, hs_dec, mask], [dC]),
    }


@pytest.mark.parametrize("name", list(_attention_layers()))
def test_backward_is_pure(name, backward_twice):
    layer, args, douts = _attention_layers()[name]
    assert layer.params == [] and layer.grads == []
    grads, _ = backward_twice(layer, args, douts)
    assert len(grads) == 2
    for g, x in zip(grads, args[:2]):
        assert g.shape == x.shape


def test_float32_stays_float32():
    hs_enc, hs_dec, dC = (a.astype(np.float32) for a in inputs(8))
    layer = TimeAttention()
    C = layer.forward(hs_enc, hs_dec, padding_mask())
    dhs_enc, dhs_dec = layer.backward(dC)
    assert C.dtype == dhs_enc.dtype == dhs_dec.dtype == layer.attention_weights.dtype
    assert C.dtype == np.float32
