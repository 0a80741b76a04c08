"""The copy and reverse tasks (attnseq.tasks.sequences)."""

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.tasks.sequences import ALPHABET, MAX_LEN, MIN_LEN, distinct_strings, generate_sequences


@pytest.mark.parametrize("task", ["copy", "reverse"])
def test_answers_lengths_alphabet_and_distinct_questions(task):
    pairs = generate_sequences(2000, task, seed=1)
    assert len(pairs) == 2000
    assert len({q for q, _ in pairs}) == 2000  # each string once: no question in train and test
    for q, a in pairs:
        assert MIN_LEN <= len(q) <= MAX_LEN
        assert set(q) <= set(ALPHABET)
        assert a == (q if task == "copy" else q[::-1])
    assert {len(q) for q, _ in pairs} == set(range(MIN_LEN, MAX_LEN + 1))


def test_seeded_and_shared_between_the_tasks():
    copy = generate_sequences(300, "copy", seed=4)
    assert generate_sequences(300, "copy", seed=4) == copy
    assert generate_sequences(300, "copy", seed=5) != copy
    assert [q for q, _ in generate_sequences(300, "reverse", seed=4)] == [q for q, _ in copy]


def test_bounds_are_honoured_even_when_short_strings_run_out():
    pairs = generate_sequences(110, "copy", seed=0, min_len=1, max_len=2)
    assert len(pairs) == distinct_strings(2) == 110  # every string of 1-2 letters, once
    assert {len(q) for q, _ in pairs} == {1, 2}


@pytest.mark.parametrize("kwargs, message", [
    ({"task": "sort"}, "unknown sequence task 'sort'; known: copy, reverse"),
    ({"n": 111, "max_len": 2}, "there are fewer than 111 distinct strings of length 1-2"),
    ({"min_len": 0}, "min_len must be"),
])
def test_bad_arguments(kwargs, message):
    args = {"n": 10, "task": "copy", **kwargs}
    with pytest.raises(AttnseqError) as info:
        generate_sequences(args.pop("n"), args.pop("task"), **args)
    assert str(info.value).startswith(message)
