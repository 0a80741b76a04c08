"""benchmarks/data/dates_wild.tsv: the hand-written wild dates hold what the benchmark assumes.

Every answer was checked by hand; these tests check what a program can: the file's shape, real
ISO dates, the fixed vocabularies, and the answers against whatever the text says in digits
(the numeric date's day, month and year in the order its causes name, the compact run of
digits, the weekday named by Babel's names of the row's language), plus the causes that
follow from the text alone (long, year-range, unknown-char).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import Counter

import pytest

from benchmarks.dates_wild import (
    CAUSES,
    DATA,
    HINT_ORDERS,
    LANGUAGES,
    SOURCES,
    Row,
    is_iso_date,
    load_rows,
)

ROWS = load_rows(DATA)
ORDERS = {"year-first": "YMD", "day-first": "DMY", "month-first": "MDY"}
# a numeric date: three runs of digits joined by one repeated separator, not part of a longer
# run of numbers (an IP address, a time)
NUMERIC = re.compile(r"(?<![\d.:/-])(\d+)([./-])(\d+)\2(\d+)(?![\d:/-]|\.\d)")
COMPACT = re.compile(r"(?<!\d)(\d{8}|\d{6})(?!\d)")
PLAIN = frozenset(" .,/-:")


def order_of(row: Row) -> str:
    """The field order a row's causes give its digits: one of YMD, DMY, MDY."""
    orders = {ORDERS[c] for c in row.causes if c in ORDERS}
    assert len(orders) == 1, f"{row.text!r}: numeric, but its causes name no single order"
    return orders.pop()


def fields_agree(row: Row, groups: list[str], order: str) -> bool:
    """Do the digit groups, read in ``order``, give the row's answer?"""
    answer = datetime.date.fromisoformat(row.answer)
    want = {"Y": answer.year, "M": answer.month, "D": answer.day}
    for field, group in zip(order, groups, strict=True):
        if field == "Y" and len(group) == 2:
            if "two-digit-year" not in row.causes or int(group) != answer.year % 100:
                return False
        elif int(group) != want[field]:
            return False
    return True


def test_the_file_has_its_columns_and_enough_rows():
    header = DATA.read_text(encoding="utf-8").split("\n", 1)[0]
    assert header.split("\t") == ["text", "answer", "language", "hint", "source", "causes"]
    assert len(ROWS) >= 400


def test_every_language_is_present_and_known():
    counts = Counter(row.language for row in ROWS)
    assert set(counts) == set(LANGUAGES)
    assert min(counts.values()) >= 20


def test_answers_are_real_iso_dates_and_vocabularies_are_known():
    for row in ROWS:
        assert is_iso_date(row.answer), row
        assert row.source in SOURCES, row
        assert set(row.causes) <= set(CAUSES), row
        assert row.hint == "" or row.hint in HINT_ORDERS, row
        assert row.text == row.text.strip() and row.text, row


def test_no_input_is_there_twice():
    counts = Counter(row.text for row in ROWS)
    assert [text for text, n in counts.items() if n > 1] == []


def test_every_cause_and_source_is_represented():
    assert {c for row in ROWS for c in row.causes} == set(CAUSES)
    assert {row.source for row in ROWS} == set(SOURCES)


def test_causes_that_follow_from_the_text_are_labelled_exactly():
    for row in ROWS:
        year = int(row.answer[:4])
        assert ("long" in row.causes) == (len(row.text) > 29), row
        assert ("year-range" in row.causes) == (not 1970 <= year <= 2068), row
        odd = any(not (c.isalnum() or c in PLAIN or unicodedata.category(c).startswith("M"))
                  for c in row.text)
        assert ("unknown-char" in row.causes) == odd, row


def test_numeric_dates_agree_with_their_answers():
    checked = 0
    for row in ROWS:
        found = NUMERIC.findall(row.text)
        if len(found) == 1:
            first, _, second, third = found[0]
            assert fields_agree(row, [first, second, third], order_of(row)), row
            checked += 1
    assert checked >= 100


def test_compact_dates_agree_with_their_answers():
    compact = [row for row in ROWS if "compact" in row.causes]
    assert len(compact) >= 5
    for row in compact:
        digits = COMPACT.search(row.text)
        assert digits, row
        run = digits.group(1)
        order = order_of(row)
        sizes = {field: (4 if field == "Y" and len(run) == 8 else 2) for field in order}
        groups, at = [], 0
        for field in order:
            groups.append(run[at:at + sizes[field]])
            at += sizes[field]
        assert fields_agree(row, groups, order), row


def test_an_ambiguous_numeric_date_has_a_hint_that_reads_it_as_answered():
    for row in ROWS:
        found = NUMERIC.findall(row.text)
        if len(found) != 1:
            continue
        first, _, second, third = found[0]
        order = order_of(row)
        if row.hint:
            assert HINT_ORDERS[row.hint] == order, row
        elif order != "YMD" or len(first) == 2:
            day_month = [int(g) for f, g in zip(order, (first, second, third)) if f != "Y"]
            assert max(day_month) > 12 or day_month[0] == day_month[1], (
                f"{row.text!r} reads two ways: it needs a hint")


def test_a_named_weekday_is_the_answers_weekday():
    dates = pytest.importorskip("babel.dates", reason="the locales extra (Babel) checks this")
    rows = [row for row in ROWS if "weekday" in row.causes]
    assert len(rows) >= 60
    for row in rows:
        weekday = datetime.date.fromisoformat(row.answer).weekday()  # Monday 0, as Babel's
        names = {name.lower().rstrip(".")
                 for context in ("format", "stand-alone")
                 for width in ("wide", "abbreviated", "short")
                 for name in [dates.get_day_names(width, context, row.language)[weekday]]}
        assert any(name in row.text.lower() for name in names), (row, sorted(names))
