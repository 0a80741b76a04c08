"""FastLayerNorm against the book's LayerNorm (float64): outputs and every gradient."""

import numpy as np

from attnseq.fast import FastLayerNorm
from attnseq.layers import LayerNorm


def test_equals_the_books_layer_norm(backward_twice):
    rng = np.random.default_rng(0)
    g, b = rng.standard_normal(5), rng.standard_normal(5)
    x = rng.standard_normal((2, 3, 5)) * 3 + 1
    book, fast = LayerNorm(g.copy(), b.copy()), FastLayerNorm(g.copy(), b.copy())
    np.testing.assert_allclose(fast.forward(x), book.forward(x), rtol=1e-12, atol=1e-14)
    dy = rng.standard_normal(x.shape)
    np.testing.assert_allclose(fast.backward(dy), book.backward(dy), rtol=1e-11, atol=1e-13)
    for mine, theirs in zip(fast.grads, book.grads, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    backward_twice(FastLayerNorm(g, b), [x], [dy])
