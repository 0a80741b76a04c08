"""MultiHeadAttention and the attention function against plain per-head, per-row loops; its
masks; its decoding steps. (The fast layer is tested against this one in tests/fast.)"""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.layers import MultiHeadAttention

N, TQ, TK, D, HEADS = 3, 4, 5, 6, 3


def make(rng, causal=False, heads=HEADS):
    W = [rng.standard_normal((D, D)) * 0.5 for _ in range(4)]
    b = [rng.standard_normal(D) * 0.1 for _ in range(3)]
    return MultiHeadAttention(W[0], b[0], W[1], W[2], b[1], W[3], b[2], heads=heads,
                              causal=causal)


def loop_attention(mha, x_q, x_kv, key_mask=None):
    """The equations one head, one row and one query at a time."""
    Wq, bq, Wk, Wv, bv, Wo, bo = mha.params
    dk = D // mha.heads
    out = np.zeros((len(x_q), x_q.shape[1], D))
    weights = np.zeros((len(x_q), mha.heads, x_q.shape[1], x_kv.shape[1]))
    for n in range(len(x_q)):
        heads = []
        for h in range(mha.heads):
            cols = slice(h * dk, (h + 1) * dk)
            Q = x_q[n] @ Wq[:, cols] + bq[cols]
            K = x_kv[n] @ Wk[:, cols]
            V = x_kv[n] @ Wv[:, cols] + bv[cols]
            C = np.zeros((x_q.shape[1], dk))
            for t in range(x_q.shape[1]):
                s = np.array([Q[t] @ K[j] / np.sqrt(dk) for j in range(x_kv.shape[1])])
                allowed = np.ones(x_kv.shape[1], dtype=bool)
                if key_mask is not None:
                    allowed &= key_mask[n]
                if mha.causal:
                    allowed &= np.arange(x_kv.shape[1]) <= t
                e = np.where(allowed, np.exp(s - s[allowed].max()), 0.0)
                weights[n, h, t] = e / e.sum()
                C[t] = weights[n, h, t] @ V
            heads.append(C)
        out[n] = np.concatenate(heads, axis=1) @ Wo + bo
    return out, weights


def mask_of(rng):
    mask = np.ones((N, TK), dtype=bool)
    mask[0, :2] = False
    mask[2, 3:] = False
    return mask


@pytest.mark.parametrize("masked", [False, True])
def test_equals_a_loop_over_rows_and_heads(masked):
    rng = np.random.default_rng(0)
    mha = make(rng)
    x_q, x_kv = rng.standard_normal((N, TQ, D)), rng.standard_normal((N, TK, D))
    mask = mask_of(rng) if masked else None
    out = mha.forward(x_q, x_kv, mask)
    expected, weights = loop_attention(mha, x_q, x_kv, mask)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mha.weights, weights, rtol=1e-10, atol=1e-14)
    assert mha.weights.shape == (N, HEADS, TQ, TK)


def test_causal_equals_the_loop_and_ignores_the_future():
    rng = np.random.default_rng(1)
    mha = make(rng, causal=True)
    x = rng.standard_normal((N, TK, D))
    out = mha.forward(x, x)
    np.testing.assert_allclose(out, loop_attention(mha, x, x)[0], rtol=1e-10, atol=1e-12)
    for t in range(TK - 1):
        changed = x.copy()
        changed[:, t + 1:] = rng.standard_normal(changed[:, t + 1:].shape)
        again = mha.forward(changed, changed)
        np.testing.assert_array_equal(again[:, :t + 1], out[:, :t + 1])
        assert not np.allclose(again[:, t + 1:], out[:, t + 1:])


def test_padded_keys_get_exactly_zero_weight():
    rng = np.random.default_rng(2)
    mha = make(rng)
    mask = mask_of(rng)
    x_q, x_kv = rng.standard_normal((N, TQ, D)), rng.standard_normal((N, TK, D))
    mha.forward(x_q, x_kv, mask)
    assert np.all(mha.weights[~np.broadcast_to(mask[:, None, None, :], mha.weights.shape)]
                  == 0.0)
    np.testing.assert_allclose(mha.weights.sum(axis=-1), 1.0)
    # what a padded key holds does not matter at all
    x_kv2 = x_kv.copy()
    x_kv2[~mask] = 100.0
    np.testing.assert_array_equal(mha.forward(x_q, x_kv2, mask), mha.forward(x_q, x_kv, mask))


def test_cached_steps_equal_the_causal_forward():
    rng = np.random.default_rng(3)
    mha = make(rng, causal=True)
    x = rng.standard_normal((N, TK, D))
    full = mha.forward(x, x)
    K, V = mha.empty_kv(N, x.dtype)
    for t in range(TK):
        out, A, K, V = mha.self_step(x[:, t:t + 1], K, V)
        assert K.shape == (N, HEADS, t + 1, D // HEADS)
        np.testing.assert_allclose(out[:, 0], full[:, t], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(A[:, :, 0], mha.weights[:, :, t, :t + 1], atol=1e-12)


def test_backward_is_pure(backward_twice):
    rng = np.random.default_rng(4)
    mha = make(rng)
    backward_twice(mha, [rng.standard_normal((N, TQ, D)), rng.standard_normal((N, TK, D))],
                   [rng.standard_normal((N, TQ, D))])


def test_heads_must_divide_d_model():
    with pytest.raises(AttnseqError, match=r"^heads \(4\) must divide d_model \(6\)$"):
        make(np.random.default_rng(0), heads=4)


def test_attention_function_is_the_papers_equation():
    from attnseq.layers import scaled_dot_product_attention

    rng = np.random.default_rng(5)
    Q, K, V = (rng.standard_normal((2, 3, T, 4)) for T in (5, 6, 6))
    mask = rng.random((2, 1, 5, 6)) < 0.7
    mask[..., 0] = True  # every query keeps a key
    C, A = scaled_dot_product_attention(Q, K, V, mask)
    for idx in np.ndindex(2, 3, 5):
        s = K[idx[:2]] @ Q[idx] / 2.0  # √dk = 2
        allowed = mask[idx[0], 0, idx[2]]
        e = np.where(allowed, np.exp(s - s[allowed].max()), 0.0)
        np.testing.assert_allclose(A[idx], e / e.sum(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(C[idx], A[idx] @ V[idx[:2]], rtol=1e-12)

