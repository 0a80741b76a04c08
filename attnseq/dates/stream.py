"""Lines in, lines out, in bounded memory: what ``attnseq convert`` does with standard input.

``stream`` reads its lines from any iterable (a file, ``sys.stdin``, a generator) a chunk at
a time (``CHUNK`` lines), converts the chunk in one batch and yields its output lines before
it reads the next: memory holds one chunk, whatever the input's length, and a consumer that
writes and flushes each chunk sees the first results while the rest is still being read.

A line can fail: refused (the model cannot read it: an empty line, a character outside its
vocabulary, too long) or abstained (a date normaliser found no valid date, or none likely
enough: ``attnseq.dates.normalise``). ``on_error`` says what then: ``fail`` raises the
line's one-line error (the lines of earlier chunks have been yielded); ``skip`` leaves the
line out; ``empty`` yields an empty line in its place, so that output line k still belongs to
input line k.

With ``field`` (1-based, as ``cut -f`` counts) only that field of each line is converted, the
line split and joined by the ``csv`` module with ``delimiter`` (quoted fields may hold the
delimiter; the other fields are written back as the module quotes them, minimally), and the
line is yielded with the field replaced (with ``empty``, the field emptied). Each line is one
record: a quoted field may not span lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import NamedTuple

import numpy

from attnseq.core.errors import AttnseqError, positive_int

CHUNK = 512  # lines converted per batch: large enough to batch well, small enough to stream
ON_ERROR = ("fail", "skip", "empty")
ONE_BY_ONE = 8  # a failing batch of this many texts or fewer is encoded text by text


class Outcome(NamedTuple):
    """What became of one input: ``output`` (None when refused or abstained); ``probability``
    of that output (P(Y | X), see ``attnseq.dates.normalise``; None where not computed, as in
    greedy decoding); ``reason`` a one-line reason when there is no output, else None."""

    output: str | None
    probability: float | None = None
    reason: str | None = None


Converts = Callable[[Sequence[str]], list[Outcome]]  # a batch of texts -> one Outcome each


def chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive lists of ``size`` lines (the last may be shorter), read lazily."""
    it = iter(lines)
    while chunk := list(islice(it, size)):
        yield chunk


def refusals(conv, texts: Sequence[str], locale: str | None = None) -> dict[int, str]:
    """{index: why} of the texts the converter ``conv`` cannot encode (empty, an unknown
    character, too long) with the hint ``locale``; {} when it can encode them all, found with
    one batch."""
    return encoded(conv, texts, locale)[1]


def encoded(conv, texts: Sequence[str], locale: str | None = None
            ) -> tuple[numpy.ndarray, dict[int, str]]:
    """The texts that ``conv`` can encode with the hint ``locale``, encoded, in order: xs (M,
    question_len); and {index: why} of the others (``refusals``). The texts are encoded in
    one batch, and a batch that fails in halves, so that a few bad texts among many cost a
    few batches each, not one per text; a failing batch of ``ONE_BY_ONE`` texts or fewer
    one text at a time (when most texts are bad, halving further would only add batches)."""
    found = {i: "empty input" for i, t in enumerate(texts) if not t.strip()}
    parts: list[numpy.ndarray] = [conv.encode_questions([], locale)]

    def encode(rows: list[int]) -> None:
        try:
            parts.append(conv.encode_questions([texts[i] for i in rows], locale))
        except AttnseqError as exc:
            if len(rows) == 1:
                found[rows[0]] = str(exc)
                return
            if len(rows) <= ONE_BY_ONE:
                for i in rows:
                    encode([i])
                return
            encode(rows[:len(rows) // 2])
            encode(rows[len(rows) // 2:])

    rows = [i for i in range(len(texts)) if i not in found]
    if rows:
        encode(rows)
    return numpy.concatenate(parts), found


def converted(conv, search=None, locale: str | None = None) -> Converts:
    """A ``Converts`` of a plain converter: its greedy (or ``search``'s best) output, with the
    hint ``locale``, for every text it can encode, a refusal for the others."""
    def convert(texts: Sequence[str]) -> list[Outcome]:
        xs, bad = encoded(conv, texts, locale)
        outputs = iter(conv.text(row) for row in conv.generate_ids(xs, search=search)) \
            if len(xs) else iter(())
        return [Outcome(None, None, bad[i]) if i in bad else Outcome(next(outputs))
                for i in range(len(texts))]
    return convert


class Fields:
    """Field ``field`` (1-based) of lines split by ``delimiter`` (one character)."""

    def __init__(self, field: int, delimiter: str = ","):
        self.field = positive_int("field", field)
        if len(delimiter) != 1 or delimiter in "\r\n\"":
            raise AttnseqError(f"the delimiter must be one character other than a quote or a "
                               f"line break, got {delimiter!r}")
        self.delimiter = delimiter

    def cells(self, line: str) -> list[str]:
        """The line's fields; a line with fewer than ``field`` raises the one-line error."""
        cells = next(csv.reader([line], delimiter=self.delimiter), [])
        if len(cells) < self.field:
            raise AttnseqError(f"has {len(cells)} field{'s' * (len(cells) != 1)}, "
                               f"not the field {self.field} to convert")
        return cells

    def joined(self, cells: list[str], value: str) -> str:
        """The line of ``cells`` with the field set to ``value``."""
        out = io.StringIO()
        cells[self.field - 1] = value
        csv.writer(out, delimiter=self.delimiter, lineterminator="").writerow(cells)
        return out.getvalue()


def stream(lines: Iterable[str], convert: Converts, *, on_error: str = "fail",
           fields: Fields | None = None, chunk_size: int = CHUNK,
           what: str = "line") -> Iterator[list[str]]:
    """Per chunk of ``lines`` its output lines (module docstring); a failure under ``fail``
    raises "WHAT K: reason", K counting the lines from 1."""
    if on_error not in ON_ERROR:
        raise AttnseqError(f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
    first = 1
    for chunk in chunks(lines, positive_int("chunk_size", chunk_size)):
        rows: list[list[str] | None] = []
        outcomes: dict[int, Outcome] = {}
        todo, texts = [], []
        for i, line in enumerate(chunk):
            row = None
            try:
                row = fields.cells(line) if fields is not None else None
            except AttnseqError as exc:
                outcomes[i] = Outcome(None, None, str(exc))
            else:
                todo.append(i)
                texts.append(line if fields is None or row is None
                             else row[fields.field - 1].strip())
            rows.append(row)
        outcomes.update(zip(todo, convert(texts) if texts else [], strict=True))
        out = []
        for i in range(len(chunk)):
            got, row = outcomes[i], rows[i]
            if got.output is None:
                if on_error == "fail":
                    raise AttnseqError(f"{what} {first + i}: {got.reason}")
                if on_error == "skip":
                    continue
            value = got.output or ""
            out.append(fields.joined(row, value) if fields and row is not None else value)
        first += len(chunk)
        yield out
