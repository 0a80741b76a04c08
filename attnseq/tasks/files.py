"""Loading and saving (question, answer) pairs: the book's fixed-width format, and TSV.

The book's format (``dataset/date.txt``, ``addition.txt``) has one pair a line; the answer
starts with '_' (the book's start-of-answer marker), and questions and answers are right-padded
with spaces to a fixed width:

    september 27, 1994           _1994-09-27
    16+75  _91

A line is split at its first '_' (the book's questions never contain one); trailing spaces are
stripped from both sides, and the '_' itself is not part of the answer.

TSV files have ``question<TAB>answer`` lines, kept exactly as written (no stripping), so that
leading or trailing spaces can be part of a question.

``load_pairs`` tells the two apart by the first non-blank line: a TAB there means TSV. Blank
lines at the end of a file are ignored; any other problem raises ``AttnseqError`` as
``FILE:LINE: message``, with 1-based line numbers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from attnseq.core.errors import AttnseqError

Pair = tuple[str, str]
PathLike = str | os.PathLike


def read_bytes(path: PathLike, what: str = "data file") -> bytes:
    """The bytes of the file at ``path``; a file that cannot be read is an ``AttnseqError``
    that calls it ``what`` ("no such data file: x")."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise AttnseqError(f"no such {what}: {name}") from None
    except IsADirectoryError:
        raise AttnseqError(f"not a {what} but a directory: {name}") from None
    except OSError as exc:
        raise AttnseqError(f"cannot read {what} {name}: {exc.strerror}") from None


def read_lines(path: PathLike) -> list[str]:
    """The file's lines decoded as UTF-8, without line endings ('\\n' or '\\r\\n') or a BOM."""
    name = os.fspath(path)
    raw = read_bytes(path)
    raw_lines = raw.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # the file's final newline ends the last line; it doesn't start a new one
    lines = []
    for number, raw_line in enumerate(raw_lines, start=1):
        if number == 1 and raw_line.startswith(b"\xef\xbb\xbf"):
            raw_line = raw_line[3:]  # a UTF-8 byte-order mark, as some Windows editors write
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AttnseqError(
                f"{name}:{number}: not valid UTF-8 (byte 0x{raw_line[exc.start]:02x} "
                f"at column {exc.start + 1})"
            ) from None
        lines.append(line[:-1] if line.endswith("\r") else line)
    return lines


def _parse_book(line: str) -> Pair | str:
    """A pair, or the error message for a line of the book's format."""
    question, sep, answer = line.partition("_")
    if not sep:
        return "expected 'question_answer' (no '_' found)"
    return question.rstrip(" "), answer.rstrip(" ")


def _parse_tsv(line: str) -> Pair | str:
    """A pair, or the error message for a TSV line."""
    fields = line.split("\t")
    if len(fields) == 1:
        return "expected 'question<TAB>answer' (no TAB found)"
    if len(fields) > 2:
        return f"expected 'question<TAB>answer' (found {len(fields) - 1} TABs)"
    return fields[0], fields[1]


def load_pairs(path: PathLike) -> list[Pair]:
    """The (question, answer) pairs of a data file in the book's format or TSV (detected)."""
    name = os.fspath(path)
    lines = read_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise AttnseqError(f"{name}: empty data file (no pairs)")
    first = next(i for i, line in enumerate(lines, start=1) if line.strip())
    is_tsv = "\t" in lines[first - 1]
    pairs: list[Pair] = []
    for number, line in enumerate(lines, start=1):
        where = f"{name}:{number}"
        if not line.strip():
            raise AttnseqError(f"{where}: blank line (only trailing blank lines are allowed)")
        if is_tsv and "\t" not in line and "_" in line:
            raise AttnseqError(
                f"{where}: mixed formats: a 'question_answer' line in a TSV file "
                f"(line {first} has a TAB)"
            )
        if not is_tsv and "\t" in line:
            raise AttnseqError(
                f"{where}: mixed formats: a TAB in a 'question_answer' file "
                f"(line {first} has none)"
            )
        parsed = _parse_tsv(line) if is_tsv else _parse_book(line)
        if isinstance(parsed, str):
            raise AttnseqError(f"{where}: {parsed}")
        question, answer = parsed
        if not question:
            raise AttnseqError(f"{where}: empty question")
        if not answer:
            raise AttnseqError(f"{where}: empty answer")
        pairs.append((question, answer))
    return pairs


def _check_text(text: object, what: str, index: int, forbidden: str) -> str:
    """Refuse a question/answer that would not load back unchanged."""
    if not isinstance(text, str) or not text:
        raise AttnseqError(f"pairs[{index}]: the {what} must be a non-empty string, got {text!r}")
    for ch in forbidden:
        if ch in text:
            raise AttnseqError(f"pairs[{index}]: the {what} {text!r} contains {ch!r}")
    return text


def _write(path: PathLike, lines: Iterable[str]) -> None:
    # newline="\n": the same bytes on every platform, so files can be compared and shared.
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(line + "\n")


def save_pairs_tsv(pairs: Iterable[Sequence[str]], path: PathLike) -> None:
    """Write ``question<TAB>answer`` lines (UTF-8, '\\n' endings). Extra fields of a pair (e.g.
    a ``DatePair``'s format name) are not written.
    """
    lines = []
    for i, pair in enumerate(pairs):
        question = _check_text(pair[0], "question", i, "\t\n\r")
        answer = _check_text(pair[1], "answer", i, "\t\n\r")
        lines.append(f"{question}\t{answer}")
    _write(path, lines)


def save_pairs_book(pairs: Iterable[Sequence[str]], path: PathLike) -> None:
    """Write the book's fixed-width format: questions padded with spaces to the longest one,
    then '_' and the answer, padded to the longest answer.

    Raises ``AttnseqError`` for a pair that would not load back the same: a question holding '_',
    a TAB or a line break, or a question or answer that is empty or ends in a space.
    """
    checked = []
    for i, pair in enumerate(pairs):
        question = _check_text(pair[0], "question", i, "_\t\n\r")
        answer = _check_text(pair[1], "answer", i, "\t\n\r")
        for what, text in (("question", question), ("answer", answer)):
            if text.endswith(" "):
                raise AttnseqError(f"pairs[{i}]: the {what} {text!r} ends in a space")
        checked.append((question, answer))
    q_width = max((len(q) for q, _ in checked), default=0)
    a_width = max((len(a) for _, a in checked), default=0)
    _write(path, (f"{q.ljust(q_width)}_{a.ljust(a_width)}" for q, a in checked))
