"""The locale hint: how the numbers of ``03/04/2005`` are read, and the default without one.

A numeric date of three numbers names up to three dates, and nothing in ``03/04/2005`` says
which one its writer meant: 4 March in the US, 3 April in Britain and most of the world. The
answer is not guessed. It comes from a **hint**, a locale that the model is given as a leading
token (``<en_GB>``, ``attnseq.tasks.vocab.hint_token``), whose CLDR short date pattern fixes
the order of the three numbers (``numeric_order``: ``dd/MM/y`` -> ``"dmy"``).

Without a hint, the documented default (``default_order``):

* where the text's words name a locale other than English (``am 03.04.2005``, a German filler;
  ``mardi 03/04/2005``, a French weekday), that locale's own order;
* otherwise month first, as in the US (English words name no order: Britain and the US share
  them).

Whatever the order, a reading that is no date gives way to one that is: ``25/09/2003`` is 25
September under any hint, since no month 25 exists (``read_numbers``). So the hint changes the
answer of a numeric question whose numbers fit two orders, and nothing else (``relabel``).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from attnseq.core.errors import AttnseqError
from attnseq.tasks.cldr import babel_module, cldr_locale, pattern_pieces
from attnseq.tasks.dates import TWO_DIGIT_YEAR_MIN

US_ORDER = "mdy"  # the default order of a question without a hint and without locale words
ORDERS = ("mdy", "dmy", "ymd")


def language(locale: str) -> str:
    """The language part of a locale name: ``en_GB`` -> ``en``."""
    return locale.split("_")[0]


def check_locale(locale: str) -> str:
    """``locale`` when CLDR knows it (``en`` included), else the one-line ``AttnseqError``."""
    cldr_locale("en_US" if locale == "en" else locale)
    return locale


@cache
def numeric_order(locale: str) -> str:
    """The order of day, month and year in ``locale``'s CLDR short date format: "mdy" (en,
    which reads as en_US), "dmy" (en_GB, de, fr, ...) or "ymd" (ja, ko, zh, ...)."""
    check_locale(locale)
    pattern = babel_module().dates.get_date_format(
        "short", locale=cldr_locale("en_US" if locale == "en" else locale)).pattern
    return pattern_order(pattern) or US_ORDER


def pattern_order(pattern: str) -> str | None:
    """The order of a CLDR pattern's numeric fields, when it writes the year, the month and
    the day as three numbers with something between each two ("d.M.yy" -> "dmy"), or as
    digits of fixed widths with a four-digit year ("ddMMyyyy" -> "dmy", "yyyyMMdd" -> "ymd",
    whose numbers split one way only); None for any other pattern (names, a compact "yyMMdd",
    no year)."""
    pieces = pattern_pieces(pattern)
    fields = [(k, piece) for k, (kind, piece) in enumerate(pieces) if kind == "field"
              and piece[0] in "yMd"]
    letters = "".join(piece[0] for _, piece in fields)
    if sorted(letters) != sorted("yMd") or any(len(p) > 2 and p[0] == "M" for _, p in fields):
        return None
    fixed = sorted(p for _, p in fields) == ["MM", "dd", "yyyy"]
    if any(b - a < 2 for (a, _), (b, _) in zip(fields, fields[1:])) and not fixed:
        return None  # adjacent fields of varying widths: "yyMMdd" is read as it is written
    return letters.replace("M", "m")


def default_order(word_locale: str | None) -> str:
    """The order without a hint: the order of the locale the text's words name, when it is
    not English; month first otherwise (see the module docstring)."""
    if word_locale is None or language(word_locale) == "en":
        return US_ORDER
    return numeric_order(word_locale)


def reading_order(hint: str | None, word_locale: str | None) -> str:
    """The order a question is read in: its hint's, else the default."""
    return numeric_order(hint) if hint is not None else default_order(word_locale)


def _value(field: str, text: str) -> int | None:
    """A numeric field's value as read from ``text``: a year of 4 digits, or of 2 digits
    through the two-digit-year window; a month or day of 1-2 digits."""
    if field == "y":
        if len(text) == 4:
            return int(text)
        if len(text) == 2:
            yy = int(text)
            return yy + (1900 if yy >= TWO_DIGIT_YEAR_MIN % 100 else 2000)
        return None
    return int(text) if len(text) <= 2 else None


def read_numbers(numbers: tuple[str, str, str], order: str) -> dt.date | None:
    """The date three numbers name when read in ``order`` ("dmy": day, month, year), or None
    when that reading is no date."""
    values = {field: _value(field, text) for field, text in zip(order, numbers, strict=True)}
    if any(v is None for v in values.values()):
        return None
    try:
        return dt.date(values["y"], values["m"], values["d"])  # type: ignore[arg-type]
    except ValueError:
        return None


def written_numbers(date: dt.date, pattern: str) -> tuple[str, str, str]:
    """The three numbers a numeric pattern (``pattern_order`` not None) writes for ``date``,
    in the pattern's order, padded as its fields say (``yy``, ``MM``, ``d``)."""
    out = []
    for kind, piece in pattern_pieces(pattern):
        if kind == "field" and piece[0] in "yMd":
            value = {"y": date.year, "M": date.month, "d": date.day}[piece[0]]
            if piece == "yy":
                value %= 100
            out.append(f"{value:0{len(piece)}d}" if piece[0] != "y" or piece == "yy"
                       else str(value))
    if len(out) != 3:
        raise AttnseqError(f"{pattern!r} does not write a date as three numbers")
    return out[0], out[1], out[2]


def numeric_answer(date: dt.date, pattern: str, order: str) -> dt.date:
    """The date a reader in ``order`` takes ``date`` written in numeric ``pattern`` for: its
    reading in ``order`` when that is a date, else the pattern's own (the date itself)."""
    written = pattern_order(pattern)
    if written is None:
        return date
    return read_numbers(written_numbers(date, pattern), order) or date
