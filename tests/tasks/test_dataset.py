"""Tests for attnseq.tasks.dataset."""

from typing import NamedTuple

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.tasks.dataset import (
    DateData,
    date_dataset,
    date_vocab,
    encode_pairs,
    minimum_pairs,
    split_pairs,
)
from attnseq.tasks.dates import DatePair
from attnseq.tasks.vocab import Vocab, hint_token


class HintedPair(NamedTuple):
    question: str
    answer: str
    hint: str | None

PAIRS = [("ab", "x"), ("abca", "xyz"), ("c", "zz")]
VOCAB = Vocab("abcxyz")  # a=4 b=5 c=6 x=7 y=8 z=9


def test_shapes_and_dtypes():
    xs, ts = encode_pairs(PAIRS, VOCAB)
    assert xs.shape == (3, 4) and ts.shape == (3, 1 + 3 + 1)  # T_out = longest answer + END
    assert xs.dtype == np.int32 and ts.dtype == np.int32
    assert xs.flags.c_contiguous


def test_reversal_puts_padding_first():
    xs, _ = encode_pairs(PAIRS, VOCAB)
    np.testing.assert_array_equal(xs, [[0, 0, 5, 4], [4, 6, 5, 4], [0, 0, 0, 6]])
    xs_fwd, _ = encode_pairs(PAIRS, VOCAB, reverse=False)
    np.testing.assert_array_equal(xs_fwd, [[4, 5, 0, 0], [4, 5, 6, 4], [6, 0, 0, 0]])
    assert VOCAB.decode(xs[1][::-1]) == "abca"


def test_targets_have_start_end_and_padding():
    _, ts = encode_pairs(PAIRS, VOCAB)
    np.testing.assert_array_equal(ts, [[1, 7, 2, 0, 0], [1, 7, 8, 9, 2], [1, 9, 9, 2, 0]])
    assert [VOCAB.decode(row) for row in ts] == ["x", "xyz", "zz"]


def test_explicit_lengths_pad_further():
    xs, ts = encode_pairs(PAIRS, VOCAB, question_len=6, answer_len=5)
    assert xs.shape == (3, 6) and ts.shape == (3, 7)
    np.testing.assert_array_equal(xs[0], [0, 0, 0, 0, 5, 4])
    np.testing.assert_array_equal(ts[0], [1, 7, 2, 0, 0, 0, 0])


def test_too_long_question_or_answer():
    with pytest.raises(AttnseqError) as err:
        encode_pairs([("a" * 40, "x")], VOCAB, question_len=29)
    assert str(err.value) == f"input '{'a' * 40}' is 40 characters; this model accepts at most 29"
    with pytest.raises(AttnseqError) as err:
        encode_pairs(PAIRS, VOCAB, answer_len=2)
    assert str(err.value) == "answer 'xyz' is 3 characters; this model produces at most 2"
    words = Vocab(["a"], level="word")
    with pytest.raises(AttnseqError) as err:
        encode_pairs([("a a", "a")], words, question_len=1)
    assert str(err.value) == "input 'a a' is 2 words; this model accepts at most 1"


def test_unknown_characters_raise_the_vocab_error():
    with pytest.raises(AttnseqError) as err:
        encode_pairs([("ab", "x"), ("a€", "x")], VOCAB)
    assert str(err.value) == "unknown character '€' in input 'a€'"
    xs, _ = encode_pairs([("a€", "x")], VOCAB, unknown="unk", reverse=False)
    np.testing.assert_array_equal(xs, [[4, 3]])


def test_bad_lengths_and_empty_input():
    with pytest.raises(AttnseqError, match="question_len must be a non-negative integer, got -1"):
        encode_pairs(PAIRS, VOCAB, question_len=-1)
    xs, ts = encode_pairs([], VOCAB, question_len=5, answer_len=3)
    assert xs.shape == (0, 5) and ts.shape == (0, 5)


def test_split_is_seeded_and_complete():
    pairs = [(str(i), str(i)) for i in range(100)]
    train, test = split_pairs(pairs, seed=0)
    assert len(train) == 90 and len(test) == 10
    assert sorted(train + test) == sorted(pairs)
    assert (train, test) == split_pairs(pairs, seed=0)
    assert (train, test) != split_pairs(pairs, seed=1)
    assert split_pairs(pairs, 0.0, seed=0)[1] == []
    with pytest.raises(AttnseqError, match=r"test_fraction must be in \[0, 1\), got 1.0"):
        split_pairs(pairs, 1.0, seed=0)


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5, 0.9, 0.01, 0.37])
def test_the_minimum_is_the_fewest_pairs_that_give_both_parts(fraction):
    """Checked against splitting every count below it, by the split itself."""
    need = minimum_pairs(fraction)
    train, test = split_pairs(list(range(need)), fraction, seed=0)
    assert train and test
    for n in range(need):
        with pytest.raises(AttnseqError) as info:
            split_pairs(list(range(n)), fraction, seed=0)
        assert str(info.value).endswith(f"got {n}, need at least {need}")


def test_too_few_pairs_for_a_test_split_is_one_line():
    with pytest.raises(AttnseqError) as info:
        split_pairs([("a", "b")] * 5, 0.1, seed=0)
    assert str(info.value) == ("too few pairs to split 90/10 into train and test: got 5, "
                               "need at least 6")
    assert split_pairs([("a", "b")] * 2, 0.0, seed=0)[1] == []  # no test split: no minimum


def test_date_dataset_is_the_books_experiment():
    data = date_dataset(2000, seed=1984)
    assert isinstance(data, DateData)
    assert len(data.train) == 1800 and len(data.test) == 200
    assert all(isinstance(p, DatePair) for p in data.train + data.test)
    assert data == date_dataset(2000, seed=1984)
    assert data.train != date_dataset(2000, seed=1985).train
    xs, ts = encode_pairs(data.train, data.vocab)
    assert xs.shape[0] == 1800 and ts.shape[1] == 10 + 2  # answers are YYYY-MM-DD
    assert data.vocab == date_vocab() and data.vocab.level == "char"


def test_hints_come_first_then_reversal_puts_them_last():
    v = Vocab(["1", "2", hint_token("de")])
    pairs = [HintedPair("12", "1", "de"), HintedPair("21", "2", None)]
    xs, _ = encode_pairs(pairs, v, question_len=3)
    de, one, two = v.hint_id("de"), v.token_to_id("1"), v.token_to_id("2")
    assert xs.tolist() == [[two, one, de], [v.pad_id, one, two]]
    xs, _ = encode_pairs(pairs, v, question_len=3, hints=[None, "de"])  # given: they win
    assert xs.tolist() == [[v.pad_id, two, one], [one, two, de]]
    with pytest.raises(AttnseqError, match=r"^need one hint per pair; got 1 for 2 pairs$"):
        encode_pairs(pairs, v, hints=["de"])
