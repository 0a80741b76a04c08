"""FastFeedForward against the book's FeedForward (float64): outputs and every gradient."""

import numpy as np
import pytest

from attnseq.fast import FastAffine, FastFeedForward
from attnseq.layers import FeedForward


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_equals_the_books_feed_forward(activation):
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(s) for s in ((4, 7), 7, (7, 4), 4)]
    book = FeedForward(*(w.copy() for w in weights), activation)
    fast = FastFeedForward(*(w.copy() for w in weights), activation)
    assert isinstance(fast.inner, FastAffine) and not isinstance(book.inner, FastAffine)
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(fast.forward(x), book.forward(x), rtol=1e-13)
    dy = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(fast.backward(dy), book.backward(dy), rtol=1e-13)
    for mine, theirs in zip(fast.grads, book.grads, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
