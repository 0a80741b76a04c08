"""Packed rows: pack and unpack against plain loops, and their errors. The attention layer
on packed rows is tested against the padded layer in test_multihead.py."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.fast.packing import Packing, maybe_pack, maybe_unpack, packing_of

N, T, D = 3, 5, 6


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
