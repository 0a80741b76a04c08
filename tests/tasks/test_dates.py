"""Tests for attnseq.tasks.dates."""

import datetime as dt
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attnseq.core.errors import AttnseqError
from attnseq.tasks.dates import (
    FORMAT_NAMES,
    FORMATS,
    DatePair,
    date_alphabet,
    format_date,
    generate_dates,
    get_format,
    parse_question,
)

TWO_DIGIT = [f.name for f in FORMATS if f.two_digit_year]


def test_registry_is_immutable_and_names_are_unique():
    assert isinstance(FORMATS, tuple) and isinstance(FORMAT_NAMES, tuple)
    assert 30 <= len(FORMATS) <= 40
    assert len(set(FORMAT_NAMES)) == len(FORMAT_NAMES)
    assert FORMAT_NAMES == tuple(f.name for f in FORMATS)


@pytest.mark.parametrize(
    "date, text",
    [
        (dt.date(1984, 9, 25), "TUESDAY, SEPTEMBER 25, 1984"),
        (dt.date(1997, 9, 8), "9/8/97"),
        (dt.date(2013, 6, 17), "jun 17, 2013"),
    ],
)
def test_book_examples_are_produced_by_some_format(date, text):
    written = {name: format_date(date, name) for name in FORMAT_NAMES}
    assert text in written.values()
    name = next(n for n, t in written.items() if t == text)
    assert parse_question(text, name) == date


def test_named_examples():
    book = format_date(dt.date(1984, 9, 25), "weekday_month_d_yyyy_upper")
    assert book == "TUESDAY, SEPTEMBER 25, 1984"
    assert format_date(dt.date(1997, 9, 8), "m_d_yy") == "9/8/97"
    assert format_date(dt.date(1997, 9, 8), "mm_dd_yy") == "09/08/97"
    assert format_date(dt.date(2013, 6, 17), "mon_d_yyyy_lower") == "jun 17, 2013"
    assert format_date(dt.date(2001, 1, 5), "d_month_yyyy_title") == "5 January 2001"
    assert format_date(dt.date(2001, 1, 5), "wkd_mon_d_yyyy_nocomma_upper") == "FRI JAN 5 2001"
    assert format_date(dt.date(2001, 1, 5), "yyyymmdd") == "20010105"


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_every_question_parses_back_to_its_answer(seed):
    for q, a, fmt in generate_dates(40, seed=seed):
        assert parse_question(q, fmt) == dt.date.fromisoformat(a)
        assert format_date(dt.date.fromisoformat(a), fmt) == q  # the case is right too


@settings(max_examples=200, deadline=None)
@given(
    date=st.dates(min_value=dt.date(1969, 1, 1), max_value=dt.date(2068, 12, 31)),
    name=st.sampled_from(FORMAT_NAMES),
)
def test_format_then_strptime_is_identity(date, name):
    text = format_date(date, name)
    assert parse_question(text, name) == date
    assert set(text) <= set(date_alphabet([name]))


def test_every_format_appears_when_n_is_large():
    counts = Counter(p.fmt for p in generate_dates(5000, seed=7))
    assert set(counts) == set(FORMAT_NAMES)
    assert min(counts.values()) > 5000 / len(FORMAT_NAMES) / 2  # roughly uniform


def test_years_cover_the_range_and_answers_are_iso():
    pairs = generate_dates(3000, seed=1)
    years = [int(p.answer[:4]) for p in pairs]
    assert min(years) == 1970 and max(years) == 2068
    assert all(isinstance(p, DatePair) and len(p.answer) == 10 for p in pairs)
    assert all(p.answer[4] == p.answer[7] == "-" for p in pairs)


def test_same_seed_same_pairs_and_generator_seed():
    assert generate_dates(100, seed=42) == generate_dates(100, seed=42)
    assert generate_dates(100, seed=42) != generate_dates(100, seed=43)
    assert generate_dates(100, seed=np.random.default_rng(42)) == generate_dates(100, seed=42)
    rng = np.random.default_rng(5)
    assert generate_dates(10, seed=rng) != generate_dates(10, seed=rng)  # the generator advances


def test_formats_restricts_the_choice():
    pairs = generate_dates(200, seed=0, formats=["m_d_yy", "yyyy_mm_dd_iso"])
    assert {p.fmt for p in pairs} == {"m_d_yy", "yyyy_mm_dd_iso"}
    assert {p.fmt for p in generate_dates(20, seed=0, formats="m_d_yyyy")} == {"m_d_yyyy"}


def test_bad_format_name():
    with pytest.raises(AttnseqError) as err:
        generate_dates(5, formats=["m_d_yy", "dd/mm/yy"])
    assert str(err.value) == "unknown date format 'dd/mm/yy'; known formats: " + ", ".join(
        FORMAT_NAMES
    )
    with pytest.raises(AttnseqError, match=r"^no date formats given$"):
        generate_dates(5, formats=[])


def test_two_digit_years_follow_posix_rule():
    assert format_date(dt.date(1969, 7, 20), "m_d_yy") == "7/20/69"
    assert format_date(dt.date(2068, 1, 2), "mm_dd_yy") == "01/02/68"
    assert parse_question("7/20/69", "m_d_yy") == dt.date(1969, 7, 20)
    assert parse_question("12/31/99", "m_d_yy") == dt.date(1999, 12, 31)
    assert parse_question("1/1/00", "m_d_yy") == dt.date(2000, 1, 1)
    assert parse_question("01-02-68", "mm_dd_yy_dash") == dt.date(2068, 1, 2)
    with pytest.raises(AttnseqError) as err:
        format_date(dt.date(1968, 12, 31), "m_d_yy")
    assert str(err.value) == "1968-12-31 has no two-digit year (format 'm_d_yy')"


def test_two_digit_formats_outside_their_window():
    # Asked for by name: an error. Not asked for: left out.
    with pytest.raises(AttnseqError) as err:
        generate_dates(5, start_year=1900, formats=["m_d_yyyy", "m_d_yy"])
    assert str(err.value) == (
        "format 'm_d_yy' writes two-digit years, which only name 1969-2068; "
        "years 1900-2068 fall outside"
    )
    pairs = generate_dates(3000, seed=0, start_year=1900, end_year=2100)
    used = {p.fmt for p in pairs}
    assert used == set(FORMAT_NAMES) - set(TWO_DIGIT)
    assert {int(p.answer[:4]) for p in pairs} & {1900, 2100}  # edges reachable
    # Inside the window, two-digit formats are fine even at its edges.
    assert generate_dates(10, start_year=1969, end_year=2068, formats=TWO_DIGIT)


def test_bad_arguments():
    with pytest.raises(AttnseqError, match="bad year range 2000-1990"):
        generate_dates(5, start_year=2000, end_year=1990)
    with pytest.raises(AttnseqError, match="non-negative integer, got -1"):
        generate_dates(-1)
    assert generate_dates(0) == []


def test_parse_question_rejects_mismatches():
    with pytest.raises(AttnseqError) as err:
        parse_question("9/8/97", "mon_d_yyyy_lower")
    assert str(err.value) == "'9/8/97' is not a date in format 'mon_d_yyyy_lower'"
    # 1984-09-25 was a Tuesday; strptime alone would not notice.
    with pytest.raises(AttnseqError, match="the weekday does not match 1984-09-25"):
        parse_question("MONDAY, SEPTEMBER 25, 1984", "weekday_month_d_yyyy_upper")
    assert get_format("m_d_yy").strptime_pattern == "%m/%d/%y"


def test_alphabet_covers_questions_and_answers():
    alphabet = set(date_alphabet())
    for q, a, _ in generate_dates(2000, seed=3):
        assert set(q) <= alphabet and set(a) <= alphabet
    assert "k" not in alphabet  # no English month or weekday name has a 'k'
