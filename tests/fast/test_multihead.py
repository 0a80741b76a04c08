"""FastMultiHeadAttention against the book's MultiHeadAttention (float64): outputs, weights
and every gradient, with masks and causal; on packed rows against the padded batch; its
cached decoding steps; its softmax and merged-heads helpers."""

import numpy as np
import pytest

from attnseq.fast import FastMultiHeadAttention
from attnseq.fast.multihead import (
    matmul_merged,
    scores_softmax,
    scores_softmax_backward,
)
from attnseq.fast.packing import Packing
from attnseq.fast.reductions import mask_bias
from attnseq.layers import MultiHeadAttention
from attnseq.layers.core import softmax, softmax_backward

N, TQ, TK, D, HEADS = 3, 4, 5, 6, 3


def twins(seed, causal=False):
    """The book's layer and the fast one over the same (copied) weights."""
    rng = np.random.default_rng(seed)
    W = [rng.standard_normal((D, D)) * 0.5 for _ in range(4)]
    b = [rng.standard_normal(D) * 0.1 for _ in range(3)]
    args = (W[0], b[0], W[1], W[2], b[1], W[3], b[2])
    return (MultiHeadAttention(*(a.copy() for a in args), heads=HEADS, causal=causal),
            FastMultiHeadAttention(*(a.copy() for a in args), heads=HEADS, causal=causal))


def mask_of():
    mask = np.ones((N, TK), dtype=bool)
    mask[0, :2] = False
    mask[2, 3:] = False
    return mask


@pytest.mark.parametrize("masked,causal", [(False, False), (True, False), (True, True),
                                           (False, True)])
def test_equals_the_books_layer_outputs_weights_and_gradients(masked, causal):
    book, fast = twins(0, causal)
    rng = np.random.default_rng(1)
    T_q = TK if causal else TQ
    x_q, x_kv = rng.standard_normal((N, T_q, D)), rng.standard_normal((N, TK, D))
    mask = mask_of() if masked else None
    if masked and causal:  # query 0 sees key 0 only: it must be a real one
        mask[:, 0] = True
    out = book.forward(x_q, x_kv, mask)
    np.testing.assert_allclose(fast.forward(x_q, x_kv, mask), out, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fast.weights, book.weights, rtol=1e-12, atol=1e-15)
    dout = rng.standard_normal(out.shape)
    for mine, theirs in zip(fast.backward(dout), book.backward(dout), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-12)
    assert [g.shape for g in fast.grads] == [g.shape for g in book.grads]
    for mine, theirs in zip(fast.grads, book.grads, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("packed", ["both", "kv"])
def test_packed_rows_equal_the_books_padded_batch_at_the_real_rows(packed):
    """Self-attention on packed rows (the encoder) and cross-attention over packed memory
    (the decoder): the book's padded layer's outputs and gradients, real rows only."""
    rng = np.random.default_rng(1)
    mask = mask_of()
    p = Packing(mask)
    x_kv = rng.standard_normal((N, TK, D))
    x_q = x_kv if packed == "both" else rng.standard_normal((N, TQ, D))
    book, fast = twins(2)
    out = book.forward(x_q, x_kv, mask)
    dout = rng.standard_normal(out.shape)
    if packed == "both":  # a padding query's output reaches nothing: no gradient comes back
        dout[~mask] = 0.0
    dq, dkv = book.backward(dout)
    if packed == "both":
        got = fast.forward(p.pack(x_q), p.pack(x_kv), mask)
        np.testing.assert_allclose(got, p.pack(out), rtol=1e-12, atol=1e-12)
        gq, gkv = fast.backward(p.pack(dout))
        np.testing.assert_allclose(gq, p.pack(dq), rtol=1e-12, atol=1e-12)
    else:
        got = fast.forward(x_q, p.pack(x_kv), mask)
        np.testing.assert_allclose(got, out, rtol=1e-12, atol=1e-12)
        gq, gkv = fast.backward(dout)
        np.testing.assert_allclose(gq, dq, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gkv, p.pack(dkv), rtol=1e-12, atol=1e-12)
    queries = mask if packed == "both" else np.ones(x_q.shape[:2], dtype=bool)
    real = np.broadcast_to(queries[:, None, :, None], book.weights.shape)  # real queries
    np.testing.assert_allclose(fast.weights[real], book.weights[real], rtol=1e-12, atol=1e-14)
    for mine, theirs in zip(fast.grads, book.grads, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-12)


def test_cached_steps_equal_the_books_steps_and_the_causal_forward():
    book, fast = twins(3, causal=True)
    x = np.random.default_rng(4).standard_normal((N, TK, D))
    full = book.forward(x, x)
    caches = {"book": book.empty_kv(N, x.dtype), "fast": fast.empty_kv(N, x.dtype)}
    for t in range(TK):
        outs = {}
        for name, layer in (("book", book), ("fast", fast)):
            out, A, K, V = layer.self_step(x[:, t:t + 1], *caches[name])
            caches[name] = (K, V)
            outs[name] = (out, A)
            assert K.shape == V.shape == (N, HEADS, t + 1, D // HEADS)
        np.testing.assert_allclose(outs["book"][0][:, 0], full[:, t], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(outs["fast"][0], outs["book"][0], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(outs["fast"][1], outs["book"][1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(caches["fast"][0], caches["book"][0], rtol=1e-12)


def test_projected_packed_memory_and_cross_steps_equal_the_books():
    book, fast = twins(5)
    rng = np.random.default_rng(6)
    mask = mask_of()
    p = Packing(mask)
    memory = rng.standard_normal((N, TK, D))
    memory[~mask] = 0.0  # what unpacking leaves at the padding
    expected = book.project_kv(memory, mask)
    got = fast.project_kv(p.pack(memory), mask)
    real = mask[:, None, :, None].repeat(HEADS, 1).repeat(D // HEADS, 3)
    assert got[0].transpose(0, 1, 3, 2).flags.c_contiguous  # K laid out as Kᵀ
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine[real], theirs[real], rtol=1e-12)
    y = rng.standard_normal((N, 1, D))
    out, A = fast.step(y, *got, mask)
    out_book, A_book = book.step(y, *expected, mask)
    np.testing.assert_allclose(out, out_book, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(A, A_book, rtol=1e-12, atol=1e-15)


def test_matmul_merged_is_the_product_with_heads_merged():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 5, 6))
    got = matmul_merged(a, b)
    assert got.shape == (2, 4, 18)
    for n in range(2):
        for t in range(4):
            expected = np.concatenate([a[n, h, t] @ b[n, h] for h in range(3)])
            np.testing.assert_allclose(got[n, t], expected, rtol=1e-12, atol=1e-14)


def test_scores_softmax_and_its_backward_equal_the_books_softmax():
    rng = np.random.default_rng(6)
    S = rng.standard_normal((N, HEADS, TQ, TK)) * 3
    mask = mask_of()[:, None, None, :]
    expected = softmax(S, mask=mask)
    before = S.copy()
    A = scores_softmax(S.copy(), mask_bias(mask, S.dtype))
    np.testing.assert_allclose(A, expected, rtol=1e-12, atol=1e-15)
    assert np.all(A[~np.broadcast_to(mask, A.shape)] == 0.0)
    np.testing.assert_allclose(scores_softmax(before.copy()), softmax(before), rtol=1e-12)
    dA = rng.standard_normal(A.shape)
    np.testing.assert_allclose(scores_softmax_backward(A, dA.copy()), softmax_backward(A, dA),
                               rtol=1e-11, atol=1e-14)
