"""Turning (question, answer) pairs into the integer arrays a seq2seq model trains on.

Encoding, for a question ``q`` and an answer ``a`` (ids from a ``Vocab``, ``P`` = PAD):

    xs[n] = reversed(q + P * (question_len - len(q)))        (N, T_in)      T_in = question_len
    ts[n] = START + a + END + P * (answer_len - len(a))      (N, 1 + T_out) T_out = answer_len + 1

The decoder reads ``ts[:, :-1]`` and is trained to predict ``ts[:, 1:]``: both have T_out steps,
one more than the longest answer so that END is always predicted. Padding is masked in the loss.
A question with a locale hint (``Vocab.encode(..., hint=)``) starts with the hint's token, so
``q`` is then one token longer than its text: reversed, the hint is the last token the encoder
reads before the decoder starts.

Why the question is reversed (as the book does, ``x[:, ::-1]``): the first characters of the
answer depend mostly on the first characters of the question. Read forwards, the encoder sees
those first, and the information must survive every later step before the decoder starts;
reversed, they are the last steps the encoder reads, right next to the decoder's first steps,
so gradients between them travel a short path. Padding is added before reversing, so it comes
first, where the encoder reads it before the real characters -- like the book's space-padded
questions after ``[:, ::-1]``. (With attention the path is short anyway; reversal still helps a
little and is kept for every model, as in the book's experiment.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from attnseq.core.errors import AttnseqError, non_negative_int
from attnseq.tasks.dates import DatePair, date_alphabet, generate_dates
from attnseq.tasks.vocab import Vocab, quote_text, token_noun

P = TypeVar("P")


def encode_pairs(
    pairs: Sequence[Sequence[str]],
    vocab: Vocab,
    *,
    reverse: bool = True,
    question_len: int | None = None,
    answer_len: int | None = None,
    unknown: str | None = None,
    hints: Sequence[str | None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Encode pairs as ``xs`` (N, question_len) and ``ts`` (N, answer_len + 2), both int32.

    ``pairs`` holds (question, answer) tuples or anything whose first two items are those (a
    ``DatePair``). ``question_len``/``answer_len`` default to the longest question/answer, in
    tokens; a trained model passes its own, and a longer question or answer raises
    ``AttnseqError``. ``unknown`` is passed to ``Vocab.encode`` (None: the vocabulary's
    policy). ``hints`` gives each question's locale hint (None: no hint); without it, a pair's
    own ``hint`` attribute (``WildPair.hint``) when it has one.
    """
    for name, value in (("question_len", question_len), ("answer_len", answer_len)):
        if value is not None:
            non_negative_int(name, value)
    if hints is None:
        hints = [getattr(pair, "hint", None) for pair in pairs]
    elif len(hints) != len(pairs):
        raise AttnseqError(f"need one hint per pair; got {len(hints)} for {len(pairs)} pairs")
    questions = [vocab.encode(pair[0], unknown=unknown, part="question", hint=hint)
                 for pair, hint in zip(pairs, hints, strict=True)]
    answers = [vocab.encode(pair[1], unknown=unknown) for pair in pairs]
    q_len = max(map(len, questions), default=0) if question_len is None else int(question_len)
    a_len = max(map(len, answers), default=0) if answer_len is None else int(answer_len)

    xs = np.full((len(pairs), q_len), vocab.pad_id, dtype=np.int32)      # (N, T_in)
    ts = np.full((len(pairs), a_len + 2), vocab.pad_id, dtype=np.int32)  # (N, 1 + T_out)
    ts[:, 0] = vocab.start_id
    for n, (pair, q, a) in enumerate(zip(pairs, questions, answers)):
        if len(q) > q_len:
            noun = token_noun(vocab.question_level, len(q))
            raise AttnseqError(
                f"input {quote_text(pair[0])} is {len(q)} {noun}; "
                f"this model accepts at most {q_len}"
            )
        if len(a) > a_len:
            raise AttnseqError(
                f"answer {quote_text(pair[1])} is {len(a)} {token_noun(vocab.level, len(a))}; "
                f"this model produces at most {a_len}"
            )
        xs[n, : len(q)] = q
        ts[n, 1 : 1 + len(a)] = a
        ts[n, 1 + len(a)] = vocab.end_id
    if reverse:
        xs = np.ascontiguousarray(xs[:, ::-1])  # a copy, so later in-place edits stay local
    return xs, ts


def split_pairs(
    pairs: Sequence[P], test_fraction: float = 0.1, *, seed: int | np.random.Generator
) -> tuple[list[P], list[P]]:
    """Shuffle ``pairs`` with ``seed`` and split them into (train, test); the test part has
    ``round(len(pairs) * test_fraction)`` items (the book: 90/10). Items keep their type.

    With a ``test_fraction`` above 0, too few pairs to give both parts at least one item is
    an ``AttnseqError`` that names the minimum (6 for 90/10): an empty test split would make
    every accuracy 0/0, a NaN in the reports and the saved config.
    """
    if not 0.0 <= test_fraction < 1.0:
        raise AttnseqError(f"test_fraction must be in [0, 1), got {test_fraction!r}")
    n_test = _test_size(len(pairs), test_fraction)
    if test_fraction > 0 and not 0 < n_test < len(pairs):
        need = minimum_pairs(test_fraction)
        raise AttnseqError(f"too few pairs to split {100 - 100 * test_fraction:g}/"
                           f"{100 * test_fraction:g} into train and test: got {len(pairs)}, "
                           f"need at least {need}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pairs))
    shuffled = [pairs[i] for i in order.tolist()]
    return shuffled[: len(pairs) - n_test], shuffled[len(pairs) - n_test :]


def _test_size(n: int, test_fraction: float) -> int:
    return int(round(n * test_fraction))


def minimum_pairs(test_fraction: float) -> int:
    """The fewest pairs ``split_pairs`` splits with ``test_fraction`` (in (0, 1)) into a
    train and a test part of at least one pair each."""
    n = max(2, int(0.5 / test_fraction))  # round(n * f) >= 1 needs n * f > 0.5 or so
    while not 0 < _test_size(n, test_fraction) < n:
        n += 1
    return n


def date_vocab() -> Vocab:
    """The character vocabulary of the date task: every character any format or answer can
    contain, so it is the same whatever dates were sampled (and a saved model can read any
    date format, even one missing from its training sample).
    """
    return Vocab.from_texts([date_alphabet()], level="char")


@dataclass(frozen=True)
class DateData:
    """The book's date experiment: ``train`` and ``test`` lists of ``DatePair`` (question,
    answer, format name) and the character ``vocab`` to encode them with.
    """

    train: list[DatePair]
    test: list[DatePair]
    vocab: Vocab


def date_dataset(
    n: int = 50_000,
    *,
    seed: int | np.random.Generator = 1984,
    test_fraction: float = 0.1,
    start_year: int = 1970,
    end_year: int = 2068,
    formats: Sequence[str] | None = None,
) -> DateData:
    """``n`` generated date pairs split into train/test (default: the book's 50 000, 90/10).

    One random stream drives both generation and the split, so ``seed`` fixes everything.
    """
    rng = np.random.default_rng(seed)
    pairs = generate_dates(n, seed=rng, start_year=start_year, end_year=end_year, formats=formats)
    train, test = split_pairs(pairs, test_fraction, seed=rng)
    return DateData(train=train, test=test, vocab=date_vocab())
