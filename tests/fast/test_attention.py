"""The fast set's attention (attnseq.fast.attention): g decoder rows per encoder row equal the
book's layers over the encoder's states copied g times; the decoding state without padding."""

import numpy as np
import pytest

from attnseq.fast import attention as fast
from attnseq.gradcheck.cases import random_score
from attnseq.layers import Attention

N, Te, H = 3, 6, 5


def padding_mask():
    """True at real positions; rows padded at the front (reversed inputs), one row unpadded."""
    mask = np.ones((N, Te), dtype=bool)
    mask[0, :2] = False
    mask[2, :4] = False
    return mask


def test_attention_state_keeps_the_span_some_row_may_attend_to():
    enc_hs = np.arange(2 * 6 * 3, dtype=np.float64).reshape(2, 6, 3)
    mask = np.array([[0, 0, 1, 1, 0, 0], [0, 0, 0, 1, 1, 0]], dtype=bool)
    state = fast.attention_state(enc_hs, mask)
    assert set(state) == {"enc_hs", "mask", "attention_columns"}
    assert np.array_equal(state["enc_hs"], enc_hs[:, 2:5]) and state["enc_hs"].flags.c_contiguous
    assert np.array_equal(state["mask"], mask[:, 2:5])
    assert np.array_equal(state["attention_columns"], [[2, 3, 4], [2, 3, 4]])
    for full_mask in (np.ones((2, 6), dtype=bool), np.zeros((2, 6), dtype=bool)):
        same = fast.attention_state(enc_hs, full_mask)
        assert set(same) == {"enc_hs", "mask"}
        assert same["enc_hs"] is enc_hs and same["mask"] is full_mask
    assert fast.attention_state(enc_hs, None) == {"enc_hs": enc_hs}


@pytest.mark.parametrize("g", [1, 3])
@pytest.mark.parametrize("score", ["dot", "general", "additive"])
@pytest.mark.parametrize("masked", [False, True])
def test_rows_per_input_equal_the_books_attention_over_copied_encoder_states(g, score, masked):
    """g decoder rows per encoder row (h (N·g, H)) give what the book's layer gives over hs
    copied g times, row by row; the encoder states' gradient is the copies' summed. g = 1 is
    the book's layer itself."""
    rng = np.random.default_rng(7)
    hs = rng.standard_normal((N, Te, H))
    h, dc = rng.standard_normal((N * g, H)), rng.standard_normal((N * g, H))
    mask = padding_mask() if masked else None
    grouped = fast.FastAttention(random_score(rng, score, H, H, 4))
    copied = Attention(grouped.score.shared())
    c = grouped.forward(hs, h, mask)
    c_ref = copied.forward(np.repeat(hs, g, axis=0), h,
                           None if mask is None else np.repeat(mask, g, axis=0))
    np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grouped.attention_weight, copied.attention_weight, rtol=1e-12,
                               atol=1e-15)
    dhs, dh = grouped.backward(dc)
    dhs_ref, dh_ref = copied.backward(dc)
    np.testing.assert_allclose(dh, dh_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dhs, dhs_ref.reshape(N, g, Te, H).sum(axis=1), rtol=1e-12,
                               atol=1e-14)
    for mine, ref in zip(grouped.score.grads, copied.score.grads, strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-14)


def test_rows_that_do_not_split_into_groups_are_refused():
    hs = np.zeros((N, Te, H))
    with pytest.raises(ValueError, match=f"{2 * N + 1} decoder rows do not split into groups "
                                         f"over {N} encoder rows"):
        fast.FastAttention().forward(hs, np.zeros((2 * N + 1, H)))
