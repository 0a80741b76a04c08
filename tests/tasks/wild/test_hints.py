"""The locale hint and the default order (attnseq.tasks.wild.hints): the hint changes the
reading of 03/04/2005 and nothing else."""

import datetime as dt

import pytest

pytest.importorskip("babel", reason="the locales extra (Babel) is not installed: "
                                    "pip install 'attnseq[locales]'")

from attnseq.core.errors import AttnseqError  # noqa: E402
from attnseq.tasks.locales import as_cldr  # noqa: E402
from attnseq.tasks.wild import WildPair, generate_wild_dates, relabel  # noqa: E402
from attnseq.tasks.wild.hints import (  # noqa: E402
    default_order,
    numeric_order,
    pattern_order,
    read_numbers,
    written_numbers,
)


def numeric(question, answer, pattern, locale="en_GB", hint="en_GB", words=None):
    return WildPair(question, answer, f"{locale}_short", locale, (), hint, question, pattern,
                    words)


@pytest.mark.parametrize(("locale", "order"), [
    ("en", "mdy"), ("en_US", "mdy"), ("en_GB", "dmy"), ("de", "dmy"), ("fr", "dmy"),
    ("ja", "ymd"), ("ko", "ymd"), ("zh", "ymd"), ("hi", "dmy"), ("nl", "dmy"),
])
def test_numeric_order_comes_from_cldrs_short_pattern(locale, order):
    assert numeric_order(locale) == order


@pytest.mark.parametrize(("pattern", "order"), [
    ("dd/MM/y", "dmy"), ("M/d/yy", "mdy"), ("y/MM/dd", "ymd"), ("E, d.M.y", "dmy"),
    ("yyyyMMdd", "ymd"), ("ddMMyyyy", "dmy"), ("MMddyyyy", "mdy"), ("yy/MM/dd", "ymd"),
    ("yyMMdd", None), ("ddMMyy", None), ("d MMM y", None), ("MMMM d, y", None),
])
def test_pattern_order(pattern, order):
    assert pattern_order(pattern) == order


def test_the_hint_changes_the_reading_of_03_04_2005():
    pair = numeric("03/04/2005", "2005-04-03", "dd/MM/y")
    assert relabel(pair, "en_GB").answer == "2005-04-03"
    assert relabel(pair, "de").answer == "2005-04-03"
    assert relabel(pair, "en_US").answer == "2005-03-04"
    assert relabel(pair, "en").answer == "2005-03-04"
    assert relabel(pair, None).answer == "2005-03-04"  # the default: month first
    assert relabel(pair, "ja").answer == "2005-04-03"  # ymd cannot read 03 as a year: own


def test_a_two_digit_year_first_is_read_year_first_under_its_hint_alone():
    pair = WildPair("01/04/05", "2001-04-05", "ko_yy_mm_dd.slash", "ko", (), "ko", "01/04/05",
                    "yy/MM/dd", None)
    assert relabel(pair, "ko").answer == relabel(pair, "ja").answer == "2001-04-05"
    assert relabel(pair, None).answer == "2005-01-04"  # the default: month first
    assert relabel(pair, "en_GB").answer == "2005-04-01"
    late = pair._replace(question="19/04/30", answer="2019-04-30", body="19/04/30")
    assert relabel(late, None).answer == "2019-04-30"  # no month 19: one reading


def test_compact_digits_are_read_in_their_order_by_the_hint():
    pair = WildPair("01021989", "1989-02-01", "de_compact", "de", (), "de", "01021989",
                    "ddMMyyyy", None)
    assert relabel(pair, "de").answer == "1989-02-01"
    assert relabel(pair, None).answer == relabel(pair, "en").answer == "1989-01-02"
    assert relabel(pair, "ja").answer == "1989-02-01"  # a year first cannot read 01021989
    late = pair._replace(question="14071989", answer="1989-07-14", body="14071989")
    assert relabel(late, None).answer == "1989-07-14"


def test_words_of_a_locale_set_the_default_order():
    pair = numeric("am 03.04.2005", "2005-04-03", "dd.MM.y", "de", None, words="de")
    assert relabel(pair, None).answer == "2005-04-03"
    english = numeric("Monday 03/04/2005", "2005-04-03", "dd/MM/y", words="en_GB")
    assert relabel(english, None).answer == "2005-03-04"  # English words name no order
    assert default_order("de") == "dmy" and default_order("en_GB") == "mdy"
    assert default_order(None) == "mdy"


def test_a_date_with_one_reading_keeps_it_under_every_hint():
    pair = numeric("25/09/2003", "2003-09-25", "dd/MM/y")
    for hint in (None, "en", "en_GB", "ja"):
        assert relabel(pair, hint).answer == "2003-09-25"
    same = numeric("04/04/2005", "2005-04-04", "dd/MM/y")
    assert {relabel(same, h).answer for h in (None, "en", "de")} == {"2005-04-04"}


def cldr_pattern(pair):
    """The pair's pattern as CLDR writes it (the book's numeric strftime ones translated)."""
    if not pair.fmt.startswith("en_book_"):
        return pair.pattern
    return None if "%b" in pair.pattern or "%B" in pair.pattern else as_cldr(pair.pattern)


def test_the_hint_changes_nothing_else():
    """Only a date written as three separate numbers changes, and only to another reading
    of the same three numbers."""
    changed = 0
    for p in generate_wild_dates(1500, seed=21):
        pattern = cldr_pattern(p)
        for hint in (None, "en", "en_GB", "ja"):
            other = relabel(p, hint)
            assert other._replace(answer=p.answer, hint=p.hint) == p
            if other.answer == p.answer:
                continue
            changed += 1
            assert pattern is not None and pattern_order(pattern) is not None, p
            numbers = written_numbers(dt.date.fromisoformat(p.answer), pattern)
            readings = {read_numbers(numbers, order) for order in ("dmy", "mdy", "ymd")}
            assert dt.date.fromisoformat(other.answer) in readings
    assert changed > 20


def test_an_unknown_hint_is_a_one_line_error():
    pair = numeric("03/04/2005", "2005-04-03", "dd/MM/y")
    with pytest.raises(AttnseqError) as err:
        relabel(pair, "xx")
    assert str(err.value) == ("unknown locale 'xx': CLDR has no such locale "
                              "(e.g. en, ko, ja, de, fr, es)")
