"""The wild date generator: dates as people write them, in many locales, each pair labelled.

``generate_wild_dates(n, locales, seed=...)`` draws, for each pair, a locale (uniformly from
``locales``), a date, one of the locale's patterns (``patterns.wild_patterns``, uniformly),
then tries each addition of ``additions.ADDITIONS`` at its rate. Dates: seven in ten from
1900-2099, the rest from 1000-2999; a pattern with a two-digit year is drawn for dates of the
window 1969-2068 only (``attnseq.tasks.dates``: 69-99 are 19xx, 00-68 are 20xx), the stated
pivot. Questions are at most ``MAX_QUESTION`` characters (a longer one is drawn again
without additions). A share ``book_share`` of the pairs is drawn from the book's formats
(``en``'s kind ``book``) when ``en`` is one of the locales, so that the no-hint default on the
book's numeric dates is well taught, and a share ``era_share`` of the others from the
Japanese eras (``ja``'s kind ``era``) when ``ja`` is, so that each era's arithmetic (平成7年
is 1988 + 7) is too: drawn as the others, they would be 1 in 200 pairs.

The locale hint (``hints``): a share ``hint_share`` of the questions carries its writer's
locale as a hint; a question without one must be read right by the default, so a numeric one
that the default would read as another date gets its hint too (and a pattern whose own order
disagrees with its locale's, so that even the hint would misread it, is drawn again). So the
answer is always the date the pattern wrote, and the hint decides only where two readings
exist.

Every pair says where it came from: ``locale``, ``fmt`` (the pattern's name), ``added`` (the
additions it got, in order), ``hint``, and the pattern's own text (``body``, written by
``pattern``) with the locale its words name (``words``), from which it was built.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

import numpy as np

from attnseq.core.errors import AttnseqError, non_negative_int
from attnseq.tasks.locales import parse_locales
from attnseq.tasks.vocab import Vocab, hint_token
from attnseq.tasks.wild.additions import ADDITIONS, RATES, STRAY, Context
from attnseq.tasks.wild.hints import check_locale, numeric_answer, reading_order
from attnseq.tasks.wild.patterns import (
    BOOK,
    ERA,
    MACHINE,
    WildPattern,
    has_names,
    has_weekday,
    numeric_pattern,
    pattern_for,
    pattern_named,
    wild_patterns,
    write,
)

MAX_QUESTION = 64  # characters of a question, the hint not counted
MIN_COUNT = 10  # occurrences that earn a character its place in the vocabulary
HINT_SHARE = 0.5  # of the questions that carry a hint though the default reads them right
BOOK_SHARE = 0.1  # of the pairs drawn from the book's formats (en), when en is a locale
ERA_SHARE = 0.03  # of the pairs drawn from the Japanese eras (ja), when ja is a locale
# The locales of the task when none are named: the fifteen, and British English.
WILD_LOCALES = ("en", "en_GB", "ko", "ja", "zh", "de", "fr", "es", "it", "pt", "ru", "nl",
                "pl", "tr", "ar", "hi")
MODERN = (1900, 2099)
EVER = (1000, 2999)


class WildPair(NamedTuple):
    """A question, its ``YYYY-MM-DD`` answer, and its labels (the module docstring)."""

    question: str
    answer: str
    fmt: str
    locale: str
    added: tuple[str, ...]
    hint: str | None
    body: str
    pattern: str
    words: str | None


def parse_wild_locales(text: str | Sequence[str]) -> tuple[str, ...]:
    """'en,de' or a list -> locales CLDR knows, each once (``parse_locales``); "all" -> every
    locale Babel ships whose patterns the generator can write (``all_locales``)."""
    names = text.split(",") if isinstance(text, str) else list(text)
    if [n.strip() for n in names if isinstance(n, str) and n.strip()] == ["all"]:
        return all_locales()
    return parse_locales(names, example="en,de,ja")


def all_locales() -> tuple[str, ...]:
    """Every locale Babel ships ("en" for en_US's patterns and the book's), sorted; CLDR's date
    data in Babel is the Gregorian calendar's throughout."""
    from babel.localedata import locale_identifiers  # noqa: PLC0415 - an optional extra

    return tuple(sorted({"en"} | {n for n in locale_identifiers()
                                  if n not in ("en", "en_US", "root")}))


def _draw_date(rng: np.random.Generator) -> dt.date:
    first, last = MODERN if rng.random() < 0.7 else EVER
    lo, hi = dt.date(first, 1, 1).toordinal(), dt.date(last, 12, 31).toordinal()
    return dt.date.fromordinal(int(rng.integers(lo, hi + 1)))


def word_locale(words: Sequence[str], locale: str) -> str | None:
    """The locale whose words a question holds, for the default order: its own locale's
    when any of its words are there, else English's when English ones are, else none."""
    if locale in words:
        return locale
    return "en" if "en" in words else None


def _answer(date: dt.date, numeric: str | None, order: str) -> dt.date:
    """The date a reader in ``order`` takes ``date`` for, written by a pattern whose numbers
    are ``numeric`` (None: numbers of one reading)."""
    return date if numeric is None else numeric_answer(date, numeric, order)


@cache
def patterns_of_kind(locale: str, kind: str) -> tuple[WildPattern, ...]:
    """``locale``'s patterns of ``kind``: en's of the book's formats, ja's of the eras."""
    return tuple(p for p in wild_patterns(locale) if p.kind == kind)


def draw_pair(locale: str, rng: np.random.Generator, hint_share: float = HINT_SHARE,
              patterns: Sequence[WildPattern] | None = None) -> WildPair:
    """One pair of ``locale`` (the module docstring), of one of ``patterns`` (default: all
    of the locale's)."""
    patterns = wild_patterns(locale) if patterns is None else patterns
    while True:
        date = _draw_date(rng)
        pattern = patterns[int(rng.integers(len(patterns)))]
        concrete = pattern_for(pattern, date)
        if concrete is None:
            continue
        body = write(pattern, concrete, date, rng)
        named_by_pattern = [locale] if has_names(pattern, concrete) else []
        words = list(named_by_pattern)
        added: list[str] = []
        ctx = Context(date, locale, rng, has_weekday(pattern, concrete),
                      concrete in ("y-MM-dd", "%Y-%m-%d"), concrete == "yyyyMMdd",
                      pattern.kind == MACHINE, words, added)
        text = body
        for name, add in ADDITIONS.items():
            if rng.random() < RATES[name]:
                changed = add(text, ctx)
                if changed is not None:
                    text = changed
                    added.append(name)
        if len(text) > MAX_QUESTION or not text.strip():
            text, added[:], words[:] = body, [], named_by_pattern  # the additions' words go
        named = word_locale(words, locale)
        numeric = numeric_pattern(pattern, concrete)
        hint = locale if rng.random() < hint_share else None
        if _answer(date, numeric, reading_order(hint, named)) != date:
            hint = locale  # the default would misread it: it needs its hint
        if _answer(date, numeric, reading_order(hint, named)) != date:
            continue  # even the hint misreads it (a pattern against its locale's order)
        return WildPair(text, date.isoformat(), pattern.name, locale, tuple(added), hint,
                        body, concrete, named)


def generate_wild_dates(n: int, locales: Sequence[str] = WILD_LOCALES, *,
                        seed: int | np.random.Generator = 0,
                        hint_share: float = HINT_SHARE,
                        book_share: float = BOOK_SHARE,
                        era_share: float = ERA_SHARE) -> list[WildPair]:
    """``n`` pairs, each of a locale drawn uniformly from ``locales``, but a share
    ``book_share`` drawn from the book's formats (locale ``en``) when ``en`` is one of
    ``locales``, and a share ``era_share`` of the others from the Japanese era forms when
    ``ja`` is. The same seed gives the same pairs wherever the same Babel (CLDR) version is
    installed."""
    n = non_negative_int("the number of dates", n)
    for what, share in (("hint", hint_share), ("book", book_share), ("era", era_share)):
        if not 0.0 <= share <= 1.0:
            raise AttnseqError(f"the {what} share must be in [0, 1], got {share!r}")
    locales = parse_wild_locales(locales)
    if "en" not in locales:
        book_share = 0.0  # the book's dates are en's, and en has no hint token here
    if "ja" not in locales:
        era_share = 0.0
    rng = np.random.default_rng(seed)

    def one() -> WildPair:
        u = rng.random()
        if u < book_share:
            return draw_pair("en", rng, hint_share, patterns_of_kind("en", BOOK))
        if u < book_share + era_share * (1.0 - book_share):
            return draw_pair("ja", rng, hint_share, patterns_of_kind("ja", ERA))
        return draw_pair(locales[int(rng.integers(len(locales)))], rng, hint_share)

    return [one() for _ in range(n)]


def relabel(pair: WildPair, hint: str | None) -> WildPair:
    """``pair`` asked with ``hint`` instead of its own (None: no hint), and the answer that
    question has: the hint changes the answer of a numeric date that two orders read, and
    nothing else."""
    date = dt.date.fromisoformat(pair.answer)
    pattern = pattern_named(pair.locale, pair.fmt)
    if hint is not None:
        check_locale(hint)
    answer = _answer(date, numeric_pattern(pattern, pair.pattern),
                     reading_order(hint, pair.words))
    return pair._replace(hint=hint, answer=answer.isoformat())


def wild_vocab(pairs: Sequence[WildPair], locales: Sequence[str],
               min_count: int = MIN_COUNT) -> Vocab:
    """The characters seen at least ``min_count`` times in ``pairs`` (questions and answers),
    sorted, but the stray symbols (``additions.STRAY``), and the hint token of each of
    ``locales``; unknown characters encode as UNK. Rare and stray characters are left out on
    purpose: they are UNK in training too, so that a model learns to read past a character
    it does not know, however much data it is trained on."""
    counts: Counter[str] = Counter()
    for pair in pairs:
        counts.update(pair.question)
        counts.update(pair.answer)
    chars = sorted(ch for ch, k in counts.items()
                   if k >= min_count and not STRAY[0] <= ord(ch) <= STRAY[1])
    return Vocab([*chars, *(hint_token(loc) for loc in locales)], unknown="unk")
