"""Reading and writing the NTM's memory, against plain loops of the paper's equations (2)
(read), (3) (erase) and (4) (add); pure backward passes. (The central-difference checks are
rows of gradcases.py.)"""

import math

import numpy as np
import pytest

from attnseq.ntm.memory import MemoryRead, MemoryWrite

B, N, M = 3, 6, 4
rng = np.random.default_rng(1)


def weighting():
    w = rng.random((B, N))
    return w / w.sum(axis=1, keepdims=True)


def test_read_is_the_weighted_sum_of_rows():
    w, Mem = weighting(), rng.standard_normal((B, N, M))
    expected = np.zeros((B, M))
    for b in range(B):
        for i in range(N):
            expected[b] += w[b, i] * Mem[b, i]
    np.testing.assert_allclose(MemoryRead().forward(w, Mem), expected, rtol=1e-12)


def test_write_erases_then_adds():
    Mem, w = rng.standard_normal((B, N, M)), weighting()
    e_hat, a_hat = rng.standard_normal((B, M)), rng.standard_normal((B, M))
    expected = np.empty_like(Mem)
    for b in range(B):
        for i in range(N):
            for m in range(M):
                e = 1.0 / (1.0 + math.exp(-e_hat[b, m]))
                erased = Mem[b, i, m] * (1.0 - w[b, i] * e)
                expected[b, i, m] = erased + w[b, i] * math.tanh(a_hat[b, m])
    np.testing.assert_allclose(MemoryWrite().forward(Mem, w, e_hat, a_hat), expected,
                               rtol=1e-12)


def test_a_one_hot_write_with_full_erase_replaces_one_row_only():
    Mem = rng.standard_normal((B, N, M))
    w = np.zeros((B, N))
    w[:, 2] = 1.0
    a_hat = rng.standard_normal((B, M))
    out = MemoryWrite().forward(Mem, w, np.full((B, M), 50.0), a_hat)  # e = 1
    np.testing.assert_allclose(out[:, 2], np.tanh(a_hat), atol=1e-15)
    np.testing.assert_array_equal(np.delete(out, 2, axis=1), np.delete(Mem, 2, axis=1))


def test_write_leaves_the_memory_it_was_given():
    Mem = rng.standard_normal((B, N, M))
    before = Mem.copy()
    out = MemoryWrite().forward(Mem, weighting(), rng.standard_normal((B, M)),
                                rng.standard_normal((B, M)))
    assert out is not Mem
    np.testing.assert_array_equal(Mem, before)


@pytest.mark.parametrize("layer, args", [
    (MemoryRead, lambda: (weighting(), rng.standard_normal((B, N, M)))),
    (MemoryWrite, lambda: (rng.standard_normal((B, N, M)), weighting(),
                           rng.standard_normal((B, M)), rng.standard_normal((B, M)))),
], ids=["read", "write"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_is_pure_in_both_dtypes(backward_twice, layer, args, dtype):
    layer = layer()
    inputs = [a.astype(dtype) for a in args()]
    out = layer.forward(*inputs)
    assert out.dtype == dtype
    grads, _ = backward_twice(layer, inputs, (rng.standard_normal(out.shape).astype(dtype),))
    assert [(g.shape, g.dtype) for g in grads] == [(x.shape, dtype) for x in inputs]
