"""``FastTimeStackedLSTM`` against the book's ``TimeStackedLSTM``: an ``EmbeddingLSTM`` bottom
layer over ids equals an ``Embedding`` in front of a stack of ``TimeLSTM``s, in outputs, final
states and every gradient; its ``step`` with equal rows equals the book's ``step``."""

import numpy as np
import pytest

from attnseq.fast import EmbeddingLSTM, FastTimeLSTM, FastTimeStackedLSTM
from attnseq.layers import Embedding, TimeLSTM, TimeStackedLSTM

V, D, H, L = 7, 3, 4, 3
TIGHT = {"rtol": 1e-11, "atol": 1e-13}


def weights(rng, d):
    return [rng.standard_normal(s) for s in [(d, 4 * H), (H, 4 * H), (4 * H,)]]


def pair(seed, residual=True):
    """(fast stack over ids, (book embedding, book stack)) on the same float64 weights."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((V, D))
    layers = [weights(rng, D)] + [weights(rng, H) for _ in range(L - 1)]
    fast = FastTimeStackedLSTM(
        [EmbeddingLSTM(W.copy(), *[a.copy() for a in layers[0]], stateful=True)]
        + [FastTimeLSTM(*[a.copy() for a in w], stateful=True) for w in layers[1:]],
        residual=residual)
    book = TimeStackedLSTM([TimeLSTM(*[a.copy() for a in w], stateful=True) for w in layers],
                           residual=residual)
    return fast, (Embedding(W.copy()), book)


@pytest.mark.parametrize("residual", [False, True])
def test_fast_stack_over_ids_equals_embedding_and_book_stack(residual):
    rng = np.random.default_rng(3)
    fast, (embed, book) = pair(5, residual)
    N, T = 5, 6
    ids = rng.integers(0, V, (N, T))
    ids[:3, :2] = 0  # a shared prefix, which the EmbeddingLSTM runs once
    h0 = rng.standard_normal((N, L, H))
    fast.set_state(h0)
    book.set_state(h0)
    out = fast.forward(ids)
    expected = book.forward(embed.params[0][ids])
    np.testing.assert_allclose(out, expected, **TIGHT)
    np.testing.assert_allclose(fast.final_h, book.final_h, **TIGHT)
    dout, dh_final = rng.standard_normal((N, T, H)), rng.standard_normal((N, L, H))
    assert fast.backward(dout, dh_final) is None  # ids have no gradient
    dxs = book.backward(dout, dh_final)
    dW = np.zeros_like(embed.params[0])
    np.add.at(dW, ids, dxs)
    np.testing.assert_allclose(fast.grads[0], dW, **TIGHT)
    for g_fast, g_book in zip(fast.grads[1:], book.grads, strict=True):
        np.testing.assert_allclose(g_fast, g_book, **TIGHT)
    np.testing.assert_allclose(fast.dh, book.dh, **TIGHT)


def test_step_with_equal_rows_equals_the_book_step():
    rng = np.random.default_rng(8)
    fast, (embed, book) = pair(9)
    parents = np.array([0, 0, 1, 1, 1, 2] * 6)  # beam search's copies: equal rows
    ids = rng.integers(0, V, 3)[parents]
    h, c = rng.standard_normal((3, L, H))[parents], rng.standard_normal((3, L, H))[parents]
    expected = book.step(embed.params[0][ids], h, c)
    for got, want in zip(fast.step(ids, h, c, equal_rows=parents), expected, strict=True):
        np.testing.assert_allclose(got, want, **TIGHT)


def test_only_the_bottom_layer_reads_ids():
    rng = np.random.default_rng(0)
    bottom = EmbeddingLSTM(rng.standard_normal((V, D)), *weights(rng, D))
    upper = EmbeddingLSTM(rng.standard_normal((V, H)), *weights(rng, H))
    with pytest.raises(ValueError, match="^only the bottom layer of a stack may read ids$"):
        FastTimeStackedLSTM([bottom, upper])
    stack = FastTimeStackedLSTM([bottom])
    assert stack.reads_ids
    with pytest.raises(ValueError, match="^a side input needs a bottom layer that reads "
                                         "vectors$"):
        stack.forward(np.zeros((2, 3), dtype=int), side=np.zeros((2, 3, 1)))
