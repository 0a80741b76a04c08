"""Dates written the way other languages write them, from CLDR through Babel.

The book's task reads US-English dates (``dates.py``). This module adds the dates of any locale
that the Unicode CLDR describes, with the locale's own month and weekday names and its own
patterns, read from Babel's copy of CLDR (the ``locales`` extra: ``pip install attnseq[locales]``)
rather than from tables written here::

    ko  1994년 9월 27일 화요일   94. 9. 27.   2013년 6월 17일
    ja  1994年9月27日火曜日      1994/9/27(火)
    de  Dienstag, 27. September 1994    27.09.94
    fr  mardi 27 septembre 1994         mar. 27/09/1994
    es  martes, 27 de septiembre de 1994    27/9/94

A locale's formats are CLDR's four standard date formats (``full``, ``long``, ``medium``,
``short``) and three of its "available formats" skeletons that add abbreviated names and
unpadded numbers (``yMd``, ``yMEd``, ``yMMMEd``), each named ``<locale>_<name>``; a pattern that
repeats an earlier one of the same locale (Japanese ``short`` is its ``medium``) is kept once.
The answer is ISO ``YYYY-MM-DD`` as in the book.

``en`` is not drawn from CLDR: it stays the book's 34 hand-written US formats (``dates.py``),
which include all of CLDR's English ones, so that ``--locales en`` is exactly the old task.

Two-digit years (CLDR ``yy``, e.g. Korean and German ``short``) follow the POSIX window of
``dates.py``: 69-99 are 19xx and 00-68 are 20xx. The years drawn, 1970-2068, lie inside it, so
every question names exactly one date. (Babel's own ``parse_date`` guesses the century from
today's year instead; the answers here do not depend on the day they were generated.)

Locales disagree on numeric dates: ``08.09.1997`` is 9 August in the book's ``%m.%d.%Y`` and
8 September in German ``dd.MM.y``, and nothing in the question says which locale wrote it. So
that every question has one answer, a numeric question that a format of another chosen locale
reads as a different date is not generated (it is drawn again): with ``en`` and ``de``
together, ``08.09.1997`` appears in neither, ``27.09.1997`` in German. ``ambiguous`` is the test.

Babel's parser reads numeric dates only; ``attnseq.tasks.cldr.parse_locale_question`` reads any
question back by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

import numpy as np

from attnseq.core.errors import AttnseqError, non_negative_int
from attnseq.tasks.cldr import (
    LocaleFormat,
    babel_module,
    cldr_locale,
    pattern_fields,
    reads_as,
)
from attnseq.tasks.dates import (
    FORMATS,
    TWO_DIGIT_YEAR_MAX,
    TWO_DIGIT_YEAR_MIN,
    date_alphabet,
    generate_dates,
)

ENGLISH = "en"  # the book's hand-written formats, not CLDR's
STANDARD = ("full", "long", "medium", "short")  # CLDR's date formats, longest first
SKELETONS = ("yMd", "yMEd", "yMMMEd")  # CLDR "available formats" that add variety
START_YEAR, END_YEAR = 1970, 2068  # inside the two-digit-year window (module docstring)


class LocaleDatePair(NamedTuple):
    """A question, its ``YYYY-MM-DD`` answer, its format's name and its locale."""

    question: str
    answer: str
    fmt: str
    locale: str


def parse_locales(text: str | Sequence[str], example: str = "en,ko") -> tuple[str, ...]:
    """'en,ko' (or a list) -> ('en', 'ko'): each a locale CLDR knows, each once, at least one
    (``example`` is the list that the error for none suggests).

    Names are kept as written (``ko``, ``pt_BR``) so that a saved task rebuilds the same.
    """
    names = text.split(",") if isinstance(text, str) else list(text)
    for name in names:  # a saved task's list is read from a file: it may hold anything
        if not isinstance(name, str):
            raise AttnseqError(f"a locale is a name such as 'ko', got {name!r}")
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise AttnseqError(f"no locales given, e.g. --locales {example}")
    for name in names:
        if name != ENGLISH:
            cldr_locale(name)
    twice = [n for k, n in enumerate(names) if n in names[:k]]
    if twice:
        raise AttnseqError(f"locale {twice[0]!r} is listed twice")
    return tuple(names)


@cache
def locale_formats(locale: str) -> tuple[LocaleFormat, ...]:
    """The CLDR formats of ``locale`` (not ``en``; see the module docstring), in the order
    ``STANDARD`` then ``SKELETONS``, each distinct pattern once."""
    if locale == ENGLISH:
        raise AttnseqError("'en' uses the book's formats (attnseq.tasks.dates), not CLDR's")
    babel = babel_module()
    loc = cldr_locale(locale)
    found: dict[str, str] = {}
    for name in STANDARD:
        found.setdefault(babel.dates.get_date_format(name, locale=loc).pattern, name)
    for name in SKELETONS:
        if name in loc.datetime_skeletons:
            found.setdefault(loc.datetime_skeletons[name].pattern, name)
    return tuple(LocaleFormat(f"{locale}_{name}", locale, pattern)
                 for pattern, name in found.items())


def format_locale_date(date: dt.date, fmt: LocaleFormat) -> str:
    """``date`` written in ``fmt`` by Babel."""
    in_window = TWO_DIGIT_YEAR_MIN <= date.year <= TWO_DIGIT_YEAR_MAX
    if "yy" in pattern_fields(fmt.pattern) and not in_window:
        raise AttnseqError(f"{date.isoformat()} has no two-digit year (format {fmt.name!r})")
    return babel_module().dates.format_date(date, fmt.pattern,
                                            locale=cldr_locale(fmt.locale))


def generate_locale_dates(n: int, locales: Sequence[str], *,
                          seed: int | np.random.Generator = 0) -> list[LocaleDatePair]:
    """``n`` pairs, each of a locale drawn uniformly from ``locales``; within a locale, dates
    and formats as ``dates.generate_dates`` draws them (1970-2068, formats uniform).

    The same seed gives the same pairs wherever the same Babel (CLDR) version is installed.
    """
    n = non_negative_int("the number of dates", n)
    locales = parse_locales(locales)
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(locales), size=n)
    readers = numeric_readers(locales) if len(locales) > 1 else ()
    pairs: list[LocaleDatePair | None] = [None] * n
    for k, locale in enumerate(locales):
        slots = np.flatnonzero(which == k).tolist()
        made = _draw(len(slots), locale, rng)
        for slot, pair in zip(slots, made, strict=True):
            while ambiguous(pair, readers):  # rare: redraw until one reading is left
                pair = _draw(1, locale, rng)[0]
            pairs[slot] = pair
    return pairs  # type: ignore[return-value]  # no None is left: `which` gives each slot a locale


def _draw(n: int, locale: str, rng: np.random.Generator) -> list[LocaleDatePair]:
    """``n`` pairs of one locale: uniform dates in START_YEAR..END_YEAR, uniform formats."""
    if locale == ENGLISH:
        return [LocaleDatePair(*p, ENGLISH) for p in
                generate_dates(n, seed=rng, start_year=START_YEAR, end_year=END_YEAR)]
    formats = locale_formats(locale)
    first, last = dt.date(START_YEAR, 1, 1).toordinal(), dt.date(END_YEAR, 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=n).tolist()
    picks = rng.integers(0, len(formats), size=n).tolist()
    made = []
    for day, pick in zip(days, picks, strict=True):
        date, f = dt.date.fromordinal(day), formats[pick]
        made.append(LocaleDatePair(format_locale_date(date, f), date.isoformat(), f.name, locale))
    return made


def numeric_readers(locales: Sequence[str]) -> tuple[LocaleFormat, ...]:
    """The formats of ``locales`` that write the month as a number, as CLDR patterns (the
    book's numeric English formats translated: ``%-m/%-d/%y`` -> ``M/d/yy``): the ones that
    can read one question as two dates."""
    readers = []
    for locale in parse_locales(locales):
        if locale == ENGLISH:
            for f in FORMATS:
                if "%b" not in f.pattern and "%B" not in f.pattern and "%a" not in f.pattern \
                        and "%A" not in f.pattern:
                    readers.append(LocaleFormat(f.name, ENGLISH, as_cldr(f.pattern)))
        else:
            readers += [f for f in locale_formats(locale) if not any(
                piece[0] in "ML" and len(piece) >= 3 for piece in pattern_fields(f.pattern))]
    return tuple(readers)


def as_cldr(pattern: str) -> str:
    """A numeric strftime pattern of dates.py as the CLDR pattern that reads the same."""
    fields = {"%Y": "y", "%y": "yy", "%m": "MM", "%-m": "M", "%d": "dd", "%-d": "d"}
    out, i = [], 0
    while i < len(pattern):
        step = 3 if pattern.startswith("%-", i) else 2 if pattern[i] == "%" else 1
        piece = pattern[i:i + step]
        out.append(fields[piece] if step > 1 else piece)
        i += step
    return "".join(out)


def ambiguous(pair: LocaleDatePair, readers: Sequence[LocaleFormat]) -> bool:
    """Whether one of ``readers`` (of another locale than the pair's) reads the pair's question
    as another date than its answer."""
    return any(f.locale != pair.locale and reads_as(pair.question, f) not in (None, pair.answer)
               for f in readers)


def locale_alphabet(locales: Sequence[str]) -> str:
    """Every character a question of ``locales`` or an answer can contain, sorted: the book's
    alphabet for ``en``, and for a CLDR locale what its formats write over a whole year (every
    month and weekday name) plus the ten digits."""
    chars = set("0123456789-")
    year = [dt.date(2000, 1, 1) + dt.timedelta(days=k) for k in range(366)]
    for locale in parse_locales(locales):
        if locale == ENGLISH:
            chars.update(date_alphabet())
            continue
        for f in locale_formats(locale):
            for date in year:
                chars.update(format_locale_date(date, f))
    return "".join(sorted(chars))
