"""Packed rows: pack and unpack against plain loops, their errors, and the attention layer
on packed rows against the same layer on the padded batch."""

import numpy as np
import pytest

from attnseq.errors import AttnseqError
from attnseq.layers import MultiHeadAttention
from attnseq.layers.packing import Packing, maybe_pack, maybe_unpack, packing_of

N, T, D, HEADS = 3, 5, 6, 3


def left_padded_mask():
    mask = np.ones((N, T), dtype=bool)
    mask[0, :2] = False  # reversed inputs: padding in front
    mask[2, :4] = False
    return mask


def test_pack_takes_the_real_rows_in_order_and_unpack_puts_them_back():
    rng = np.random.default_rng(0)
    mask = left_padded_mask()
    x = rng.standard_normal((N, T, D))
    p = Packing(mask)
    rows = p.pack(x)
    expected = [x[n, t] for n in range(N) for t in range(T) if mask[n, t]]
    np.testing.assert_array_equal(rows, np.array(expected))
    assert p.rows == mask.sum() == len(rows)
    back = p.unpack(rows)
    for n in range(N):
        for t in range(T):
            np.testing.assert_array_equal(back[n, t], x[n, t] if mask[n, t] else 0.0)
    np.testing.assert_array_equal(p.pack(p.unpack(rows)), rows)  # pack ∘ unpack = identity
    assert p.unpack(rows[:, :2]).shape == (N, T, 2)  # any trailing shape


def test_packing_of_drops_nothing_without_padding_and_maybe_passes_through():
    assert packing_of(None) is None
    assert packing_of(np.ones((2, 3), dtype=bool)) is None
    assert packing_of(left_padded_mask()).rows == left_padded_mask().sum()
    x = np.arange(6.0).reshape(1, 2, 3)
    assert maybe_pack(None, x) is x and maybe_unpack(None, x) is x


def test_bad_shapes_are_refused_in_one_line():
    with pytest.raises(AttnseqError, match=r"^a packing mask is \(N, T\), not of shape \(5,\)$"):
        Packing(np.ones(5, dtype=bool))
    p = Packing(left_padded_mask())
    with pytest.raises(AttnseqError, match=r"^packing an array of shape \(3, 4, 6\), not "
                                           r"\(3, 5, \.\.\.\)$"):
        p.pack(np.zeros((3, 4, 6)))
    with pytest.raises(AttnseqError, match=r"^unpacking 2 rows, not 9$"):
        p.unpack(np.zeros((2, 6)))


def make_mha(rng, causal=False):
    W = [rng.standard_normal((D, D)) * 0.5 for _ in range(4)]
    b = [rng.standard_normal(D) * 0.1 for _ in range(3)]
    return MultiHeadAttention(W[0], b[0], W[1], W[2], b[1], W[3], b[2], heads=HEADS,
                              causal=causal)


@pytest.mark.parametrize("packed", ["both", "kv"])
def test_attention_on_packed_rows_equals_the_padded_batch_at_the_real_rows(packed):
    """Self-attention on packed rows (the encoder) and cross-attention over packed memory
    (the decoder): the same outputs and gradients as the padded layer, real rows only."""
    rng = np.random.default_rng(1)
    mask = left_padded_mask()
    p = Packing(mask)
    x_kv = rng.standard_normal((N, T, D))
    x_q = x_kv if packed == "both" else rng.standard_normal((N, 4, D))
    padded, packed_layer = make_mha(np.random.default_rng(2)), make_mha(np.random.default_rng(2))
    out = padded.forward(x_q, x_kv, mask)
    dout = rng.standard_normal(out.shape)
    if packed == "both":  # a padding query's output reaches nothing: no gradient comes back
        dout[~mask] = 0.0
    dq, dkv = padded.backward(dout)
    if packed == "both":
        got = packed_layer.forward(p.pack(x_q), p.pack(x_kv), mask, p, p)
        np.testing.assert_allclose(got, p.pack(out), rtol=1e-12, atol=1e-12)
        gq, gkv = packed_layer.backward(p.pack(dout))
        np.testing.assert_allclose(gq, p.pack(dq), rtol=1e-12, atol=1e-12)
    else:
        got = packed_layer.forward(x_q, p.pack(x_kv), mask, None, p)
        np.testing.assert_allclose(got, out, rtol=1e-12, atol=1e-12)
        gq, gkv = packed_layer.backward(dout)
        np.testing.assert_allclose(gq, dq, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gkv, p.pack(dkv), rtol=1e-12, atol=1e-12)
    queries = mask if packed == "both" else np.ones(x_q.shape[:2], dtype=bool)
    real = np.broadcast_to(queries[:, None, :, None], padded.weights.shape)  # real queries
    np.testing.assert_allclose(packed_layer.weights[real], padded.weights[real], rtol=1e-12,
                               atol=1e-14)
    for mine, theirs in zip(packed_layer.grads, padded.grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-12)


def test_projected_packed_memory_equals_the_padded_projection():
    rng = np.random.default_rng(3)
    mask = left_padded_mask()
    p = Packing(mask)
    mha = make_mha(rng)
    memory = rng.standard_normal((N, T, D))
    memory[~mask] = 0.0  # what unpacking leaves at the padding
    for got, expected in zip(mha.project_kv(p.pack(memory), p), mha.project_kv(memory)):
        real = mask[:, None, :, None].repeat(HEADS, 1).repeat(D // HEADS, 3)
        np.testing.assert_allclose(got[real], expected[real], rtol=1e-12)
        assert got.shape == expected.shape
