"""``FastTimeInputFeeding`` equals the book's ``TimeInputFeeding``: outputs, attention
weights, every input gradient and every parameter gradient, in float64, over twice-called
forwards of different lengths (its per-step layers are kept between calls)."""

import numpy as np
import pytest

from attnseq.fast import FastAttention, FastTimeInputFeeding
from attnseq.layers import AdditiveScore, Attention, TimeInputFeeding

N, TE, D, H = 3, 5, 2, 4
TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def pair(rng, additive):
    Wx, Wh, b = (0.5 * rng.standard_normal(s) for s in [(D + H, 4 * H), (H, 4 * H), (4 * H,)])
    score = [rng.standard_normal(s) for s in [(H, H), (H, H), (H,)]] if additive else None

    def attention(cls):
        return cls(None if score is None else AdditiveScore(*[a.copy() for a in score]))

    book = TimeInputFeeding(Wx.copy(), Wh.copy(), b.copy(), attention(Attention))
    fast = FastTimeInputFeeding(Wx.copy(), Wh.copy(), b.copy(), attention(FastAttention))
    return book, fast


@pytest.mark.parametrize("additive", [False, True])
def test_fast_equals_book(additive):
    rng = np.random.default_rng(9)
    book, fast = pair(rng, additive)
    mask = np.ones((N, TE), dtype=bool)
    mask[1, :3] = False
    for T in (4, 2, 0):  # a longer call first: the fast layer keeps its step layers
        es, hs = rng.standard_normal((N, T, D)), rng.standard_normal((N, TE, H))
        h0 = rng.standard_normal((N, H))
        for got, want in zip(fast.forward(es, hs, h0, mask), book.forward(es, hs, h0, mask),
                             strict=True):
            np.testing.assert_allclose(got, want, **TIGHT)
        np.testing.assert_allclose(fast.attention_weights, book.attention_weights, **TIGHT)
        douts = rng.standard_normal((N, T, H)), rng.standard_normal((N, T, H))
        for got, want in zip(fast.backward(*douts), book.backward(*douts), strict=True):
            np.testing.assert_allclose(got, want, **TIGHT)
        assert len(fast.grads) == len(book.grads) == (6 if additive else 3)
        for got, want in zip(fast.grads, book.grads, strict=True):
            np.testing.assert_allclose(got, want, **TIGHT)


def test_fast_step_equals_book_step():
    rng = np.random.default_rng(4)
    book, fast = pair(rng, False)
    e, h, c, ctx = (rng.standard_normal((N, s)) for s in (D, H, H, H))
    hs = rng.standard_normal((N, TE, H))
    for got, want in zip(fast.step(e, h, c, ctx, hs), book.step(e, h, c, ctx, hs),
                         strict=True):
        np.testing.assert_allclose(got, want, **TIGHT)
