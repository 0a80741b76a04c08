"""Dates of CLDR locales (attnseq.tasks.locales): written by Babel, read back, labelled."""

import datetime as dt
from collections import Counter

import pytest

pytest.importorskip("babel", reason="the locales extra (Babel) is not installed: "
                                    "pip install 'attnseq[locales]'")

from babel.dates import parse_date  # noqa: E402 - after the skip

from attnseq.core.errors import AttnseqError  # noqa: E402
from attnseq.tasks.cldr import LocaleFormat, parse_locale_question  # noqa: E402
from attnseq.tasks.dates import FORMAT_NAMES, parse_question  # noqa: E402
from attnseq.tasks.locales import (  # noqa: E402
    LocaleDatePair,
    ambiguous,
    format_locale_date,
    generate_locale_dates,
    locale_alphabet,
    locale_formats,
    numeric_readers,
    parse_locales,
)

SIX = ("en", "ko", "ja", "de", "fr", "es")
CLDR = SIX[1:]


def by_name(locale):
    return {f.name: f for f in locale_formats(locale)}


@pytest.fixture(scope="module")
def pairs():
    return generate_locale_dates(3000, SIX, seed=7)


def test_korean_examples_of_the_issue():
    ko = by_name("ko")
    assert format_locale_date(dt.date(1994, 9, 27), ko["ko_full"]) == "1994년 9월 27일 화요일"
    assert format_locale_date(dt.date(1994, 9, 27), ko["ko_short"]) == "94. 9. 27."
    assert format_locale_date(dt.date(2013, 6, 17), ko["ko_long"]) == "2013년 6월 17일"


def test_every_question_of_every_locale_parses_back_to_its_answer(pairs):
    formats = {name: f for loc in CLDR for name, f in by_name(loc).items()}
    for p in pairs:
        if p.locale == "en":
            assert parse_question(p.question, p.fmt).isoformat() == p.answer
        else:
            assert parse_locale_question(p.question, formats[p.fmt]).isoformat() == p.answer


@pytest.mark.parametrize("locale", CLDR)
def test_babels_own_parser_agrees_on_the_numeric_formats(locale):
    """Babel's parse_date reads numbers only, and guesses a two-digit year's century from
    today: month and day must agree, and the year modulo 100."""
    day = dt.date(1994, 9, 27)
    checked = 0
    for f in locale_formats(locale):
        if any(c.isalpha() for c in format_locale_date(day, f)):
            continue  # names: beyond Babel's parser
        for date in (day, dt.date(2061, 2, 8), dt.date(1970, 12, 1)):
            back = parse_date(format_locale_date(date, f), locale=locale, format=f.pattern)
            assert (back.month, back.day, back.year % 100) == (date.month, date.day,
                                                               date.year % 100)
            checked += 1
    assert checked > 0


def test_a_wrong_weekday_or_pattern_is_refused():
    ko = by_name("ko")
    with pytest.raises(AttnseqError, match="is not 1994-09-27's weekday"):
        parse_locale_question("1994년 9월 27일 수요일", ko["ko_full"])
    with pytest.raises(AttnseqError, match="does not match 'ko_long'"):
        parse_locale_question("27 September 1994", ko["ko_long"])


def test_two_digit_years_follow_the_posix_window():
    de_short = by_name("de")["de_short"]
    assert parse_locale_question("01.02.69", de_short) == dt.date(1969, 2, 1)
    assert parse_locale_question("01.02.68", de_short) == dt.date(2068, 2, 1)
    with pytest.raises(AttnseqError, match="has no two-digit year"):
        format_locale_date(dt.date(2070, 1, 1), de_short)


def test_each_locale_and_each_format_appears(pairs):
    locales = Counter(p.locale for p in pairs)
    assert set(locales) == set(SIX)
    assert min(locales.values()) > len(pairs) / len(SIX) * 0.8  # drawn uniformly
    fmts = {p.fmt for p in pairs}
    expected = set(FORMAT_NAMES) | {f.name for loc in CLDR for f in locale_formats(loc)}
    assert fmts == expected
    assert all(isinstance(p, LocaleDatePair) for p in pairs)
    assert all(p.fmt.startswith(p.locale + "_") for p in pairs if p.locale != "en")


def test_seeded_output_is_reproducible(pairs):
    assert generate_locale_dates(3000, SIX, seed=7) == pairs
    assert generate_locale_dates(300, SIX, seed=8) != pairs[:300]


def test_english_is_the_books_generator():
    from attnseq.tasks.dates import generate_dates

    english = generate_locale_dates(50, ["en"], seed=3)
    assert [tuple(p[:3]) for p in english] == [tuple(p) for p in
                                                generate_dates(50, seed=_after_pick(3, 50))]


def _after_pick(seed, n):
    """The generator state after drawing the n locale picks, as generate_locale_dates does."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rng.integers(0, 1, size=n)
    return rng


def test_formats_are_cldrs_standard_and_skeleton_patterns_each_once():
    ja = locale_formats("ja")
    assert [f.name for f in ja][:3] == ["ja_full", "ja_long", "ja_medium"]
    assert "ja_short" not in {f.name for f in ja}  # the same pattern as ja_medium
    assert len({f.pattern for f in ja}) == len(ja)
    assert by_name("es")["es_full"] == LocaleFormat("es_full", "es", "EEEE, d 'de' MMMM 'de' y")


def test_the_alphabet_covers_every_question(pairs):
    alphabet = set(locale_alphabet(SIX))
    assert {c for p in pairs for c in p.question + p.answer} <= alphabet
    assert {"년", "曜", "é"} <= alphabet


@pytest.mark.parametrize("text, message", [
    ("en,xx", "unknown locale 'xx': CLDR has no such locale (e.g. en, ko, ja, de, fr, es)"),
    ("ko,ko", "locale 'ko' is listed twice"),
    (" , ", "no locales given, e.g. --locales en,ko"),
])
def test_bad_locales(text, message):
    with pytest.raises(AttnseqError) as info:
        parse_locales(text)
    assert str(info.value) == message


def test_no_question_reads_as_another_date_in_another_chosen_locale(pairs):
    readers = numeric_readers(SIX)
    assert not any(ambiguous(p, readers) for p in pairs)
    numeric = {p.fmt for p in pairs if not any(c.isalpha() for c in p.question)}
    assert {"de_medium", "fr_short", "es_short", "mm_dd_yyyy"} <= numeric  # still there


def test_ambiguous_numeric_dates():
    readers = numeric_readers(["en", "de"])
    assert ambiguous(LocaleDatePair("08.09.1997", "1997-09-08", "de_medium", "de"), readers)
    assert ambiguous(LocaleDatePair("08.09.1997", "1997-08-09", "mm_dd_yyyy_dot", "en"),
                     readers)
    assert not ambiguous(LocaleDatePair("27.09.1997", "1997-09-27", "de_medium", "de"), readers)
    assert not ambiguous(LocaleDatePair("09.09.1997", "1997-09-09", "de_medium", "de"), readers)
    # Japanese and the book's English agree on year/month/day
    assert not ambiguous(LocaleDatePair("1997/09/08", "1997-09-08", "ja_medium", "ja"),
                         numeric_readers(["en", "ja"]))
