"""Accuracy broken down by date format (and locale), and the token error rate.

One overall number hides where a model fails. The date generator labels every pair with the
name of the format its question was written in (``DatePair.fmt``), so a test split can be
grouped by format and the formats sorted worst first, each failing one with a few of its
wrong conversions::

    rows = per_format(correct, pairs, predictions)
    print("\\n".join(format_rows(rows)))

Pairs without a format (plain ``(question, answer)`` tuples, e.g. from a file) cannot be
grouped; ``has_formats`` says whether a list of pairs can. Multilingual dates
(``LocaleDatePair``) also carry their locale: ``per_format(..., by="locale")`` groups by that.
Dates as people write them (``WildPair``) carry what was added to them as a tuple of names
(``added``): ``per_format(..., by="added")`` counts a pair in the row of each of its additions
("none" for a pair without any), and ``by="hint"`` groups by the locale hint ("none": no hint).

For answers of several tokens (phonemes) exact match is harsh: ``error_rate`` is the token
error rate, edit distance over reference length (the phoneme error rate of g2p). Where a
question has several right answers (a word's listed pronunciations), ``nearest_answers``
picks the one each prediction is scored against, as the published g2p results are scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy

from attnseq.core.errors import AttnseqError

MAX_EXAMPLES = 3  # wrong conversions kept per format: enough to see the pattern, short to read


@dataclass(frozen=True)
class Mistake:
    """One wrong conversion: the question, the expected answer and what the model said."""

    question: str
    expected: str
    predicted: str


@dataclass(frozen=True)
class FormatRow:
    """The results on one format: ``right`` of ``total`` pairs converted exactly, and up to
    ``MAX_EXAMPLES`` of the wrong ones, in the order the pairs came.
    """

    fmt: str
    total: int
    right: int
    mistakes: tuple[Mistake, ...]

    @property
    def accuracy(self) -> float:
        return self.right / self.total

    @property
    def wrong(self) -> int:
        return self.total - self.right


NONE = "none"  # the group of pairs without an addition, or without a hint


def has_formats(pairs: Sequence, by: str = "fmt") -> bool:
    """True when every pair carries a format name (``DatePair``s do; file pairs do not), or
    with ``by="locale"`` a locale (``LocaleDatePair``s do); ``by="added"`` and ``by="hint"``:
    when every pair carries that field (``WildPair``s do)."""
    if by in ("added", "hint"):
        return len(pairs) > 0 and all(by in getattr(p, "_fields", ()) for p in pairs)
    return len(pairs) > 0 and all(isinstance(getattr(p, by, None), str) for p in pairs)


def _groups(pair, by: str) -> tuple[str, ...]:
    """The groups ``pair`` counts in: its ``by`` attribute, each of its additions."""
    value = getattr(pair, by)
    if isinstance(value, tuple):
        return value or (NONE,)
    return (NONE,) if value is None else (value,)


def per_format(correct, pairs: Sequence, predictions: Sequence[str], *,
               max_examples: int = MAX_EXAMPLES, by: str = "fmt") -> list[FormatRow]:
    """Group exact-match results by the pairs' formats (or their ``by`` attribute, e.g.
    "locale"), worst first; a row's ``fmt`` is then the group's name.

    correct: bool (N,), whether pair n was converted exactly; pairs: N pairs with ``.fmt``
    (question, answer, format name); predictions: the N answers the model gave.
    Formats are sorted by accuracy, lowest first; ties by name, so the order is stable.
    """
    correct = numpy.asarray(correct, dtype=bool)
    if not (correct.ndim == 1 and len(correct) == len(pairs) == len(predictions)):
        raise AttnseqError(f"need one result and one prediction per pair; got {correct.shape} "
                           f"results, {len(predictions)} predictions and {len(pairs)} pairs")
    if not has_formats(pairs, by):
        raise AttnseqError("these pairs carry no date format to group by" if by == "fmt" else
                           f"these pairs carry no {by} to group by")
    # Dicts keep insertion order, so the mistakes kept are the first ones in the data.
    totals: dict[str, int] = {}
    rights: dict[str, int] = {}
    mistakes: dict[str, list[Mistake]] = {}
    for ok, pair, guess in zip(correct.tolist(), pairs, predictions, strict=True):
        for fmt in _groups(pair, by):
            totals[fmt] = totals.get(fmt, 0) + 1
            rights[fmt] = rights.get(fmt, 0) + int(ok)
            kept = mistakes.setdefault(fmt, [])
            if not ok and len(kept) < max_examples:
                kept.append(Mistake(pair[0], pair[1], guess))
    rows = [FormatRow(fmt, totals[fmt], rights[fmt], tuple(mistakes[fmt])) for fmt in totals]
    return sorted(rows, key=lambda r: (r.accuracy, r.fmt))


def format_rows(rows: Sequence[FormatRow], heading: str = "format") -> list[str]:
    """The breakdown as text lines under ``heading``: one per format, each failing format
    followed by its wrong conversions, indented.
    """
    if not rows:
        return []
    width = max(len(heading), *(len(r.fmt) for r in rows))
    lines = [f"{heading:<{width}}  {'right':>13}  accuracy"]
    for r in rows:
        count = f"{r.right}/{r.total}"
        lines.append(f"{r.fmt:<{width}}  {count:>13}  {100 * r.accuracy:7.2f}%")
        for m in r.mistakes:
            lines.append(f"    {m.question!r} -> {m.predicted!r} (expected {m.expected!r})")
    return lines


def edit_distance(hypothesis: Sequence[str], reference: Sequence[str]) -> int:
    """Levenshtein distance between two token sequences: the fewest insertions, deletions and
    substitutions turning ``hypothesis`` into ``reference`` (one row of the table kept:
    ``row[j]`` = distance between the prefix read so far and ``reference[:j]``)."""
    row = list(range(len(reference) + 1))
    for i, h in enumerate(hypothesis, 1):
        diagonal, row[0] = row[0], i
        for j, r in enumerate(reference, 1):
            diagonal, row[j] = row[j], min(row[j] + 1,           # delete h
                                           row[j - 1] + 1,       # insert r
                                           diagonal + (h != r))  # substitute (or keep)
    return row[-1]


def error_rate(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Token error rate over a corpus: the summed edit distances of the whitespace-split
    predictions to their references, over the summed reference lengths (the phoneme error
    rate of g2p, the word error rate of speech recognition). 0 is perfect; it can pass 1."""
    if len(predictions) != len(references):
        raise AttnseqError(f"need one prediction per reference; got {len(predictions)} "
                           f"predictions and {len(references)} references")
    total = sum(len(ref.split()) for ref in references)
    if total == 0:
        raise AttnseqError("the references hold no tokens")
    return sum(edit_distance(p.split(), r.split())
               for p, r in zip(predictions, references, strict=True)) / total


def nearest_answers(predictions: Sequence[str], pairs: Sequence, accepted) -> list[str]:
    """The answer each prediction is scored against when a question may have several: of the
    answers ``accepted[question]`` (the pair's own answer alone for a question not in it),
    the one nearest the prediction in edit distance, the first listed on a tie. Exact match
    against the result is "right if it matches any accepted answer"; ``error_rate`` against
    it is the token error rate to the nearest accepted answer."""
    if len(predictions) != len(pairs):
        raise AttnseqError(f"need one prediction per pair; got {len(predictions)} "
                           f"predictions and {len(pairs)} pairs")
    nearest = []
    for guess, pair in zip(predictions, pairs, strict=True):
        answers = accepted.get(pair[0], (pair[1],))
        if guess in answers:
            nearest.append(guess)
        elif len(answers) == 1:  # most questions: no distance to compute
            nearest.append(answers[0])
        else:
            tokens = guess.split()
            nearest.append(min(answers, key=lambda a: edit_distance(tokens, a.split())))
    return nearest


def accepted_scores(predictions: Sequence[str], pairs: Sequence, accepted
                    ) -> tuple[int, float]:
    """(how many predictions match an accepted answer, the token error rate to the nearest
    accepted answer): the scores of ``nearest_answers``, for ``eval`` and the epoch report."""
    nearest = nearest_answers(predictions, pairs, accepted)
    right = sum(p == a for p, a in zip(predictions, nearest, strict=True))
    return right, error_rate(predictions, nearest)
