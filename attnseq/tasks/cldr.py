"""CLDR date patterns: Babel, the patterns' pieces, and reading a question back.

Babel (the ``locales`` extra) gives each locale's names and patterns; ``attnseq.tasks.locales``
writes dates with them. Babel's own ``parse_date`` reads numeric dates only, so this module
reads any question back by construction: a CLDR pattern (``y년 MMMM d일 EEEE``) becomes a
regular expression whose named groups are the year, the month (a number or one of the locale's
names), the day and the weekday, and the match becomes a date, its weekday checked.

Two-digit years (``yy``) follow the POSIX window of ``attnseq.tasks.dates``: 69-99 are 19xx and
00-68 are 20xx.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import NamedTuple

from attnseq.core.errors import AttnseqError
from attnseq.tasks.dates import TWO_DIGIT_YEAR_MIN, WEEKDAYS

# English weekday names beside the book's (tasks/dates.py): its 3-letter abbreviations and the
# longer ones people also write.
_ENGLISH_WEEKDAYS = (*((name.casefold(), day) for day, name in enumerate(WEEKDAYS)),
                     *((name[:3].casefold(), day) for day, name in enumerate(WEEKDAYS)),
                     ("tues", 1), ("thur", 3), ("thurs", 3))


class LocaleFormat(NamedTuple):
    """One CLDR date pattern of one locale, e.g. ``("ko_short", "ko", "yy. M. d.")``."""

    name: str
    locale: str
    pattern: str


def babel_module():
    """The ``babel`` package, or the one-line error that says how to install it."""
    try:
        import babel.dates  # noqa: PLC0415 - optional: only non-English dates need it
    except ImportError:
        raise AttnseqError("dates in locales other than 'en' need Babel: "
                           "pip install 'attnseq[locales]'") from None
    return babel


@cache
def cldr_locale(name: str):
    """Babel's ``Locale`` of ``name``, or the one-line error for a name CLDR does not know."""
    babel = babel_module()
    try:
        return babel.Locale.parse(name)
    except (babel.UnknownLocaleError, ValueError, TypeError):
        raise AttnseqError(f"unknown locale {name!r}: CLDR has no such locale "
                           "(e.g. en, ko, ja, de, fr, es)") from None


def pattern_fields(pattern: str) -> list[str]:
    """The field runs of a CLDR pattern ('yy', 'MMMM', 'E'), quoted literals skipped."""
    return [piece for kind, piece in pattern_pieces(pattern) if kind == "field"]


def pattern_pieces(pattern: str) -> list[tuple[str, str]]:
    """A CLDR pattern as ("field", 'MMMM') and ("text", literal) pieces; in the pattern, text
    between single quotes is literal and '' is a quote."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            out.append(("text", pattern[i + 1:end] or "'"))
            i = end + 1
        elif ch.isascii() and ch.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == ch:
                j += 1
            out.append(("field", pattern[i:j]))
            i = j
        else:
            out.append(("text", ch))
            i += 1
    return out


def _names(locale: str, what: str, width: str) -> list[str]:
    """Month (1-12) or weekday (Monday-Sunday) names of ``locale`` in the format context."""
    table = getattr(cldr_locale(locale), what)["format"][width]
    return [table[k] for k in (range(1, 13) if what == "months" else range(7))]


def _field_regex(field: str, locale: str) -> str:
    """A named group for one field: y/yy year, M.. month, d day, E.. weekday."""
    letter, width = field[0], len(field)
    if letter in "MLEc" and (width >= 3 or letter in "Ec"):
        what = "months" if letter in "ML" else "days"
        names = _names(locale, what, "wide" if width == 4 else "abbreviated")
        alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
        return f"(?P<{'month_name' if what == 'months' else 'weekday'}>{alternatives})"
    digits = {"y": r"\d{2}" if width == 2 else r"\d{4}", "M": r"\d{1,2}", "L": r"\d{1,2}",
              "d": r"\d{1,2}"}
    if letter not in digits:
        raise AttnseqError(f"unsupported CLDR field {field!r} in a date pattern")
    group = {"y": "year2" if width == 2 else "year", "M": "month", "L": "month", "d": "day"}
    return f"(?P<{group[letter]}>{digits[letter]})"


@cache
def _compiled(fmt: LocaleFormat) -> re.Pattern:
    """The regular expression of ``fmt``'s pattern (named groups: ``_field_regex``)."""
    return re.compile("".join(_field_regex(piece, fmt.locale) if kind == "field"
                              else re.escape(piece)
                              for kind, piece in pattern_pieces(fmt.pattern)))


def parse_locale_question(question: str, fmt: LocaleFormat) -> dt.date:
    """The date ``question`` names when read as ``fmt``; raises ``AttnseqError`` when it does
    not match the pattern, names an invalid date, or its weekday is not the date's."""
    m = _compiled(fmt).fullmatch(question)
    if m is None:
        raise AttnseqError(f"{question!r} does not match {fmt.name!r} ({fmt.pattern!r})")
    g = m.groupdict()
    if g.get("year2") is not None:
        yy = int(g["year2"])
        year = yy + (1900 if yy >= TWO_DIGIT_YEAR_MIN % 100 else 2000)
    else:
        year = int(g["year"])
    month = (_names(fmt.locale, "months", "wide" if "MMMM" in fmt.pattern else "abbreviated")
             .index(g["month_name"]) + 1) if g.get("month_name") else int(g["month"])
    try:
        date = dt.date(year, month, int(g["day"]))
    except ValueError as exc:
        raise AttnseqError(f"{question!r} is no date: {exc}") from None
    if g.get("weekday") is not None:
        width = "wide" if "EEEE" in fmt.pattern else "abbreviated"
        if _names(fmt.locale, "days", width).index(g["weekday"]) != date.weekday():
            raise AttnseqError(f"{question!r}: {g['weekday']!r} is not {date.isoformat()}'s "
                               "weekday")
    return date


def reads_as(question: str, fmt: LocaleFormat) -> str | None:
    """The ISO date ``fmt`` reads ``question`` as, or None when it does not read it."""
    if _compiled(fmt).fullmatch(question) is None:  # the common case, without an exception
        return None
    try:
        return parse_locale_question(question, fmt).isoformat()
    except AttnseqError:  # it matched the pattern but names no date
        return None


@cache
def weekday_names() -> Mapping[str, int]:
    """{casefolded weekday name: weekday, 0 = Monday}: English (built in), and with Babel
    installed every CLDR language's wide names (format context; one locale per language, as
    territories rarely rename weekdays). A CLDR name is left out when it is shorter than three
    characters, names two weekdays in two languages, or is a month name (wide or abbreviated)
    in any language: such a word in a date is no evidence of its weekday. The first call
    reads every language of CLDR (seconds); later calls reuse the table."""
    names = dict(_ENGLISH_WEEKDAYS)
    try:
        babel = babel_module()
    except AttnseqError:  # no Babel: English alone
        return MappingProxyType(names)
    languages = [x for x in babel.localedata.locale_identifiers() if "_" not in x]
    found: dict[str, set[int]] = {}
    months: set[str] = set()
    for language in languages:
        for day, name in enumerate(_names(language, "days", "wide")):
            found.setdefault(name.casefold(), set()).add(day)
        for width in ("wide", "abbreviated"):
            months.update(name.casefold() for name in _names(language, "months", width))
    for name, days in found.items():
        if len(days) == 1 and len(name) >= 3 and name not in months and name not in names:
            names[name] = days.pop()
    return MappingProxyType(names)
