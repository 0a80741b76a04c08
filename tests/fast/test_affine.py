"""FastAffine against the book's Affine: the same outputs and gradients; apply caches nothing."""

import numpy as np

from attnseq.fast import FastAffine
from attnseq.layers import Affine


def test_apply_is_forward_without_a_cache():
    rng = np.random.default_rng(9)
    layer = FastAffine(rng.standard_normal((4, 3)), rng.standard_normal(3))
    x = rng.standard_normal((2, 5, 4))
    out = layer.apply(x)
    assert layer.x2 is None  # nothing kept for a backward pass
    np.testing.assert_array_equal(out, layer.forward(x))
    np.testing.assert_allclose(layer.apply(x[:, :1]), x[:, :1] @ layer.params[0]
                               + layer.params[1], rtol=1e-13)  # an (N, 1, I) step


def test_equals_the_books_affine_outputs_and_gradients():
    rng = np.random.default_rng(12)
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    x, dout = rng.standard_normal((5, 7, 4)), rng.standard_normal((5, 7, 3))
    book, fast = Affine(W, b), FastAffine(W, b)
    np.testing.assert_array_equal(fast.forward(x), book.forward(x))
    dx_book, dx_fast = book.backward(dout), fast.backward(dout)
    np.testing.assert_array_equal(dx_fast, dx_book)
    np.testing.assert_allclose(fast.grads[1], dout.sum(axis=(0, 1)), rtol=1e-13)
    np.testing.assert_allclose(fast.grads[1], book.grads[1], rtol=1e-13)
    np.testing.assert_array_equal(fast.grads[0], book.grads[0])
