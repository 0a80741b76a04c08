"""The fast Embedding (sorted runs summed by reduceat) against the book's (np.add.at)."""

import numpy as np
import pytest

from attnseq.fast.embedding import FastEmbedding
from attnseq.layers import Embedding


@pytest.mark.parametrize("shape", [(0,), (7,), (4, 9), (3, 2, 5)])
def test_equals_the_books_embedding_with_repeated_ids(shape):
    rng = np.random.default_rng(3)
    W = rng.standard_normal((6, 4))
    ids = rng.integers(0, 3, size=shape)  # few distinct ids: every one repeats
    dout = rng.standard_normal((*shape, 4))
    book, fast = Embedding(W.copy()), FastEmbedding(W.copy())
    np.testing.assert_array_equal(fast.forward(ids), book.forward(ids))
    assert fast.backward(dout) is None and book.backward(dout) is None
    np.testing.assert_allclose(fast.grads[0], book.grads[0], rtol=1e-12, atol=1e-14)
    expected = np.zeros_like(W)
    for index in np.ndindex(*shape):  # the plain loop: every id's rows added up
        expected[ids[index]] += dout[index]
    np.testing.assert_allclose(book.grads[0], expected, rtol=1e-12, atol=1e-14)


def test_backward_zeroes_the_gradient_first():
    W = np.ones((3, 2))
    layer = FastEmbedding(W)
    layer.forward(np.array([0, 0]))
    layer.backward(np.ones((2, 2)))
    layer.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(layer.grads[0], [[2, 2], [0, 0], [0, 0]])
