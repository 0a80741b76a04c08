"""attnseq.training.batches: the epoch's batches, checked against plain loops, and trim_answers."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.training.batches import (
    BATCHINGS,
    POOL_BATCHES,
    answer_lengths,
    epoch_batches,
    trim_answers,
)

PAD = 0


def plain_length_batches(n, batch_size, rng, lengths):
    """The "length" batching written out with lists: pools of the permutation, each sorted
    by length (ties in pool order), cut into batches; the batches in a random order."""
    order = list(rng.permutation(n))
    pool = batch_size * POOL_BATCHES
    batches = []
    for start in range(0, n, pool):
        members = order[start:start + pool]
        members = sorted(members, key=lambda i: lengths[i])  # sorted() is stable
        for b in range(0, len(members), batch_size):
            batches.append(members[b:b + batch_size])
    shuffled = rng.permutation(len(batches))
    return [batches[i] for i in shuffled]


def test_random_batching_is_slices_of_one_permutation():
    got = epoch_batches(23, 5, np.random.default_rng(4))
    order = np.random.default_rng(4).permutation(23)
    assert [b.tolist() for b in got] == [order[lo:lo + 5].tolist() for lo in range(0, 23, 5)]


@pytest.mark.parametrize("n,batch_size", [(1000, 7), (30, 4), (5, 8)])
def test_length_batching_matches_the_plain_loop_and_covers_every_pair_once(n, batch_size):
    lengths = np.random.default_rng(1).integers(1, 12, n)
    got = epoch_batches(n, batch_size, np.random.default_rng(2), "length", lengths)
    want = plain_length_batches(n, batch_size, np.random.default_rng(2), lengths)
    assert [b.tolist() for b in got] == [list(map(int, b)) for b in want]
    assert sorted(np.concatenate(got).tolist()) == list(range(n))
    assert sum(len(b) < batch_size for b in got) <= 1  # only the last pool's last batch


def test_length_batches_hold_similar_lengths_and_are_drawn_anew_each_epoch():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 16, 20_000)
    batched = epoch_batches(20_000, 64, rng, "length", lengths)
    spread = np.mean([np.ptp(lengths[b]) for b in batched])
    at_random = np.mean([np.ptp(lengths[b]) for b in epoch_batches(20_000, 64, rng)])
    assert spread < 0.1 * at_random  # nearly every batch holds one length
    again = epoch_batches(20_000, 64, rng, "length", lengths)
    assert [b.tolist() for b in again] != [b.tolist() for b in batched]


def test_bad_batching_and_missing_lengths_are_one_line_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(AttnseqError) as info:
        epoch_batches(10, 2, rng, "bucket")
    assert str(info.value) == "batching must be one of random, length, got 'bucket'"
    with pytest.raises(AttnseqError) as info:
        epoch_batches(10, 2, rng, "length")
    assert str(info.value) == "batching 'length' needs one length per pair (10), got none"
    with pytest.raises(AttnseqError) as info:
        epoch_batches(10, 2, rng, "length", np.ones(9))
    assert str(info.value) == "batching 'length' needs one length per pair (10), got 9"
    assert list(BATCHINGS) == ["random", "length"] and BATCHINGS.default == "random"


def test_trim_answers_keeps_the_longest_answers_end():
    ts = np.array([[1, 5, 6, 2, PAD, PAD, PAD],
                   [1, 5, 2, PAD, PAD, PAD, PAD]])
    np.testing.assert_array_equal(trim_answers(ts, PAD), ts[:, :4])
    np.testing.assert_array_equal(answer_lengths(ts, PAD), [4, 3])
    np.testing.assert_array_equal(trim_answers(ts[:, :4], PAD), ts[:, :4])  # nothing to drop
    assert trim_answers(ts, None) is ts  # without a pad id nothing is padding
    only_pad = np.full((2, 3), PAD)
    assert trim_answers(only_pad, PAD).shape == (2, 1)
