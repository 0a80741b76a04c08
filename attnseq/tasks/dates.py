"""A seeded generator of the book's date-conversion task.

The task (chapter 8 of *Deep Learning from Scratch 2*): read a date the way people write it in US
English and answer it in ISO form, character by character:

    TUESDAY, SEPTEMBER 25, 1984   ->  1984-09-25
    9/8/97                        ->  1997-09-08
    jun 17, 2013                  ->  2013-06-17

It suits attention well: every output character depends on a few input characters (the year
digits, the month name, the day), and which ones depends on the format, so a model must learn to
look in the right place. ``FORMATS`` lists the formats; each generated ``DatePair`` carries the
name of the format its question was written in, so that accuracy can be broken down per format
(which formats a model gets wrong says more than one overall number).

Patterns use strftime's directives ``%Y %y %m %d %B %b %A %a`` plus ``%-m``/``%-d`` (no leading
zero). They are rendered by this module, with fixed English month and weekday names, rather than
by ``time.strftime``: the platform's ``%-d`` is a glibc extension, and its names follow the locale.

Two-digit years (``%y``) follow the POSIX ``strptime`` rule: 69-99 are 1969-1999 and 00-68 are
2000-2068. The default years, 1970-2068, lie inside that window, so a two-digit year always names
one date. For a wider range ``generate_dates`` leaves the two-digit formats out, or raises
``AttnseqError`` if the caller asked for one of them by name.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator, Sequence
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from attnseq.core.errors import AttnseqError, non_negative_int

MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# The window of years that strptime's %y can name (POSIX: 69-99 -> 19xx, 00-68 -> 20xx).
TWO_DIGIT_YEAR_MIN = 1969
TWO_DIGIT_YEAR_MAX = 2068

CASES = ("lower", "title", "upper", "none")


class DateFormat(NamedTuple):
    """One way of writing a date.

    ``pattern`` uses the directives listed in the module docstring; ``case`` is how letters are
    written: ``"lower"``, ``"title"`` (as in ``MONTHS``), ``"upper"``, or ``"none"`` for formats
    without letters.
    """

    name: str
    pattern: str
    case: str

    @property
    def strptime_pattern(self) -> str:
        """The pattern for ``time.strptime``, which reads '9' as well as '09' for ``%m``/``%d``."""
        return self.pattern.replace("%-", "%")

    @property
    def two_digit_year(self) -> bool:
        return "%y" in self.pattern

    @property
    def has_weekday(self) -> bool:
        return "%A" in self.pattern or "%a" in self.pattern


def _cased(name: str, pattern: str) -> tuple[DateFormat, ...]:
    """The same pattern in lower, Title and UPPER case, named ``<name>_<case>``."""
    cases = ("lower", "title", "upper")
    return tuple(DateFormat(f"{name}_{case}", pattern, case) for case in cases)


# Naming: weekday/wkd = full/3-letter weekday, month/mon = full/3-letter month, d/dd and m/mm =
# day/month without/with leading zero, yy/yyyy = year digits; numeric formats use '/' unless the
# name says _dash or _dot; named-month formats have the US commas unless the name says _nocomma.
FORMATS: tuple[DateFormat, ...] = (
    *_cased("month_d_yyyy", "%B %-d, %Y"),                  # September 25, 1984
    *_cased("mon_d_yyyy", "%b %-d, %Y"),                    # jun 17, 2013
    *_cased("weekday_month_d_yyyy", "%A, %B %-d, %Y"),      # TUESDAY, SEPTEMBER 25, 1984
    *_cased("wkd_mon_d_yyyy", "%a, %b %-d, %Y"),            # Tue, Sep 25, 1984
    *_cased("wkd_mon_d_yyyy_nocomma", "%a %b %-d %Y"),      # Tue Sep 25 1984 (JS toDateString)
    *_cased("d_month_yyyy", "%-d %B %Y"),                   # 25 September 1984
    *_cased("d_mon_yyyy", "%-d %b %Y"),                     # 25 Sep 1984
    DateFormat("month_d_yyyy_nocomma_title", "%B %-d %Y", "title"),   # September 25 1984
    DateFormat("mon_d_yyyy_nocomma_title", "%b %-d %Y", "title"),     # Sep 25 1984
    DateFormat("dd_mon_yyyy_dash_upper", "%d-%b-%Y", "upper"),        # 25-SEP-1984 (Oracle)
    DateFormat("m_d_yy", "%-m/%-d/%y", "none"),             # 9/8/97
    DateFormat("mm_dd_yy", "%m/%d/%y", "none"),             # 09/08/97
    DateFormat("m_d_yyyy", "%-m/%-d/%Y", "none"),           # 9/8/1997
    DateFormat("mm_dd_yyyy", "%m/%d/%Y", "none"),           # 09/08/1997
    DateFormat("mm_dd_yy_dash", "%m-%d-%y", "none"),        # 09-08-97
    DateFormat("mm_dd_yyyy_dash", "%m-%d-%Y", "none"),      # 09-08-1997
    DateFormat("mm_dd_yyyy_dot", "%m.%d.%Y", "none"),       # 09.08.1997
    DateFormat("yyyy_mm_dd_iso", "%Y-%m-%d", "none"),       # 1997-09-08 (the answer itself)
    DateFormat("yyyy_mm_dd_slash", "%Y/%m/%d", "none"),     # 1997/09/08
    DateFormat("yyyymmdd", "%Y%m%d", "none"),               # 19970908
)
FORMAT_NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS)
# Read-only view, so the registry stays immutable at module level.
_BY_NAME = MappingProxyType({f.name: f for f in FORMATS})


class DatePair(NamedTuple):
    """A question, its ``YYYY-MM-DD`` answer, and the name of the question's format."""

    question: str
    answer: str
    fmt: str


def get_format(fmt: str | DateFormat) -> DateFormat:
    """The registered format of that name (a ``DateFormat`` is returned unchanged)."""
    if isinstance(fmt, DateFormat):
        return fmt
    try:
        return _BY_NAME[fmt]
    except (KeyError, TypeError):
        raise AttnseqError(
            f"unknown date format {fmt!r}; known formats: {', '.join(FORMAT_NAMES)}"
        ) from None


def _directives(pattern: str) -> Iterator[tuple[str, str, bool]]:
    """Split a pattern into ``("lit", text, _)`` and ``("dir", letter, zero_padded)`` pieces."""
    i = 0
    while i < len(pattern):
        if pattern[i] != "%":
            yield "lit", pattern[i], True
            i += 1
            continue
        padded = pattern[i + 1 : i + 2] != "-"
        j = i + 1 if padded else i + 2
        letter = pattern[j : j + 1]
        if letter == "%":
            yield "lit", "%", True
        elif letter and letter in "YymdBbAa":
            yield "dir", letter, padded
        else:
            raise ValueError(f"unsupported directive in date pattern {pattern!r}")
        i = j + 1


def _apply_case(text: str, case: str) -> str:
    if case == "lower":
        return text.lower()
    if case == "upper":
        return text.upper()
    return text


def format_date(date: dt.date, fmt: str | DateFormat) -> str:
    """``date`` written in format ``fmt`` (a name from ``FORMAT_NAMES`` or a ``DateFormat``)."""
    f = get_format(fmt)
    if f.two_digit_year and not TWO_DIGIT_YEAR_MIN <= date.year <= TWO_DIGIT_YEAR_MAX:
        raise AttnseqError(f"{date.isoformat()} has no two-digit year (format {f.name!r})")
    out: list[str] = []
    for kind, value, padded in _directives(f.pattern):
        if kind == "lit":
            out.append(value)
        elif value == "Y":
            out.append(f"{date.year:04d}")
        elif value == "y":
            out.append(f"{date.year % 100:02d}")
        elif value in "md":
            number = date.month if value == "m" else date.day
            out.append(f"{number:02d}" if padded else str(number))
        elif value in "Bb":
            name = MONTHS[date.month - 1]
            out.append(name if value == "B" else name[:3])
        else:
            name = WEEKDAYS[date.weekday()]
            out.append(name if value == "A" else name[:3])
    return _apply_case("".join(out), f.case)


def parse_question(question: str, fmt: str | DateFormat) -> dt.date:
    """Read ``question`` back with the standard library's ``strptime``, an implementation
    independent of ``format_date`` (month and weekday names are matched case-insensitively; the
    process's LC_TIME locale must be English or "C", Python's default). A weekday that does not
    match the date is an error, because strptime itself ignores it.
    """
    f = get_format(fmt)
    try:
        parsed = time.strptime(question, f.strptime_pattern)
        date = dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    except ValueError:
        raise AttnseqError(f"{question!r} is not a date in format {f.name!r}") from None
    if f.has_weekday and parsed.tm_wday != date.weekday():
        raise AttnseqError(f"{question!r}: the weekday does not match {date.isoformat()}")
    return date


def _choose_formats(
    formats: Iterable[str] | None, start_year: int, end_year: int
) -> list[DateFormat]:
    """The formats to draw from, honouring the two-digit-year window (see module docstring)."""
    in_window = TWO_DIGIT_YEAR_MIN <= start_year and end_year <= TWO_DIGIT_YEAR_MAX
    if formats is None:
        return [f for f in FORMATS if in_window or not f.two_digit_year]
    if isinstance(formats, str):
        formats = [formats]  # one name, not a sequence of one-letter names
    chosen = [get_format(name) for name in formats]
    if not chosen:
        raise AttnseqError("no date formats given")
    for f in chosen:
        if f.two_digit_year and not in_window:
            raise AttnseqError(
                f"format {f.name!r} writes two-digit years, which only name "
                f"{TWO_DIGIT_YEAR_MIN}-{TWO_DIGIT_YEAR_MAX}; years {start_year}-{end_year} "
                "fall outside"
            )
    return chosen


def generate_dates(
    n: int,
    *,
    seed: int | np.random.Generator = 0,
    start_year: int = 1970,
    end_year: int = 2068,
    formats: Sequence[str] | None = None,
) -> list[DatePair]:
    """``n`` pairs: dates drawn uniformly from Jan 1 ``start_year`` .. Dec 31 ``end_year``
    (inclusive), each written in a format drawn uniformly from ``formats`` (default: all of
    ``FORMATS``, less the two-digit-year ones when the years leave their window).

    ``seed`` is an int or a ``numpy.random.Generator`` (which is advanced); the same int gives
    the same pairs on every platform.
    """
    n = non_negative_int("the number of dates", n)
    if not 1 <= start_year <= end_year <= 9999:
        raise AttnseqError(
            f"bad year range {start_year}-{end_year}; need 1 <= start <= end <= 9999"
        )
    chosen = _choose_formats(formats, start_year, end_year)
    rng = np.random.default_rng(seed)
    first = dt.date(start_year, 1, 1).toordinal()
    last = dt.date(end_year, 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=int(n))
    picks = rng.integers(0, len(chosen), size=int(n))
    pairs = []
    for day, pick in zip(days.tolist(), picks.tolist()):
        date = dt.date.fromordinal(day)
        f = chosen[pick]
        pairs.append(DatePair(format_date(date, f), date.isoformat(), f.name))
    return pairs


def date_alphabet(formats: Iterable[str | DateFormat] | None = None) -> str:
    """Every character that a question in ``formats`` (default: all) or an answer can contain,
    sorted. A vocabulary built from it does not depend on which dates were sampled.
    """
    chars = set("0123456789-")
    for f in map(get_format, FORMATS if formats is None else formats):
        for kind, value, _ in _directives(f.pattern):
            if kind == "lit":
                chars.add(value)
            elif value in "BbAa":
                for name in MONTHS if value in "Bb" else WEEKDAYS:
                    chars.update(_apply_case(name if value in "BA" else name[:3], f.case))
    return "".join(sorted(chars))
