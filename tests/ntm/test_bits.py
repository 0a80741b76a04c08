"""The copy task's sequences: layout, bits, lengths, and the checks of their options."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.ntm.bits import copy_batch, draw_length


def test_layout_bits_then_delimiter_then_silence():
    xs, ts = copy_batch(np.random.default_rng(0), 5, 4)
    assert xs.shape == (5, 9, 9) and ts.shape == (5, 4, 8)
    assert xs.dtype == ts.dtype == np.float32
    np.testing.assert_array_equal(xs[:, :4, :8], ts)  # the bits, shown first
    np.testing.assert_array_equal(xs[:, :4, 8], 0.0)  # no delimiter among them
    np.testing.assert_array_equal(xs[:, 4], np.eye(9)[8][None].repeat(5, 0))  # delimiter only
    np.testing.assert_array_equal(xs[:, 5:], 0.0)  # nothing while the copy is asked for
    assert set(np.unique(ts)) == {0.0, 1.0}


def test_bits_are_fair_coins_and_seeded():
    a = copy_batch(np.random.default_rng(1), 200, 20, dtype=np.float64)[1]
    b = copy_batch(np.random.default_rng(1), 200, 20, dtype=np.float64)[1]
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float64
    assert abs(a.mean() - 0.5) < 0.02


def test_lengths_cover_the_range_and_nothing_else():
    rng = np.random.default_rng(2)
    assert {draw_length(rng, 1, 20) for _ in range(2000)} == set(range(1, 21))


@pytest.mark.parametrize("call, message", [
    (lambda r: copy_batch(r, 0, 3), "batch must be a positive integer, got 0"),
    (lambda r: copy_batch(r, 2, 3, width=0), "width must be a positive integer, got 0"),
    (lambda r: draw_length(r, 5, 4), "min length must be at most max length, got 5 > 4"),
    (lambda r: draw_length(r, 0, 4), "min length must be a positive integer, got 0"),
])
def test_bad_options_are_refused(call, message):
    with pytest.raises(AttnseqError, match=f"^{message}$"):
        call(np.random.default_rng(0))
