"""What a normalised date may be: ISO, real, years 1000-2999, on the weekday named."""

import re

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.dates import accepts, iso_date, named_weekdays
from attnseq.dates.validity import _trie, _weekday_patterns, numeric_reading
from attnseq.tasks import cldr
from attnseq.tasks.cldr import weekday_names


@pytest.mark.parametrize("text, ok", [
    ("1984-09-25", True), ("2024-02-29", True), ("1000-01-01", True), ("2999-12-31", True),
    ("2023-02-29", False), ("2003-00-09", False), ("2015-15-15", False), ("2021-04-31", False),
    ("0999-12-31", False), ("3000-01-01", False), ("1984-9-25", False), ("84-09-25", False),
    ("1984-09-25 ", False), ("1984/09/25", False), ("", False), ("１９８４-09-25", False)])
def test_iso_date(text, ok):
    assert (iso_date(text) is not None) == ok
    if ok:
        assert iso_date(text).isoformat() == text


@pytest.mark.parametrize("question, days", [
    ("TUESDAY, SEPTEMBER 25, 1984", {1}), ("tue, sep 25, 1984", {1}), ("Thurs 3/2/21", {3}),
    ("9/25/84", set()), ("sept 25 1984", set()), ("sunny sunday", {6}),
    ("Mon or Fri?", {0, 4}), ("tuesdays", set())])
def test_english_weekdays_are_whole_words_in_any_case(question, days):
    assert named_weekdays(question) == days


def test_weekdays_of_other_languages_with_babel():
    pytest.importorskip("babel")
    assert named_weekdays("Dienstag, 25. September 1984") == {1}
    assert named_weekdays("mardi 25 septembre 1984") == {1}
    assert named_weekdays("1984年9月25日火曜日") == {1}  # no spaces in Japanese
    assert named_weekdays("1984년 9월 25일 화요일") == {1}
    assert named_weekdays("martes, 25 de septiembre de 1984") == {1}


def test_the_names_table_leaves_out_what_is_no_evidence():
    pytest.importorskip("babel")
    names = weekday_names()
    assert names["tuesday"] == 1 and names["dienstag"] == 1 and names["火曜日"] == 1
    assert all(len(n) >= 3 for n in names)
    assert "sabato" not in names  # Saturday in Italian, Sunday elsewhere: two weekdays
    with pytest.raises(TypeError):
        names["x"] = 0  # read-only


def test_accepts_needs_a_valid_date_on_a_named_weekday():
    assert accepts("tue 25/9/84", "1984-09-25")      # a Tuesday
    assert not accepts("wed 25/9/84", "1984-09-25")
    assert accepts("25/9/84", "1984-09-25")          # no weekday named: any
    assert not accepts("25/9/84", "1984-09-31")
    assert accepts("Tue or Wed, 25/9/84", "1984-09-25")


def test_without_babel_english_names_are_built_in(monkeypatch):
    def no_babel():
        raise AttnseqError("no Babel here")

    monkeypatch.setattr(cldr, "babel_module", no_babel)
    names = cldr.weekday_names.__wrapped__()  # the table computed afresh, not the cached one
    assert dict(names) == {
        "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
        "sunday": 6, "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
        "tues": 1, "thur": 3, "thurs": 3}


def test_the_trie_pattern_matches_the_names_and_nothing_else():
    names = ["tue", "tuesday", "thu", "thursday", "t", "sun", "s.", "dim."]
    pattern = re.compile(_trie(names))
    for name in names:
        assert pattern.fullmatch(name)
    for other in ["tu", "tues", "thurs", "su", "s", "dim", "wed", "", "tuesdays"]:
        assert not pattern.fullmatch(other)
    assert pattern.match("tuesday!")[0] == "tuesday"  # the longer name first
    assert pattern.match("tuesdax")[0] == "tue"
    assert re.compile(_trie([])).search("anything") is None


def test_weekday_patterns_find_what_a_flat_alternation_finds():
    """The trie patterns against the flat alternation of every name, longest first, on
    questions with a name at each place a name can be."""
    names = sorted(weekday_names(), key=len, reverse=True)
    flat = "(" + "|".join(map(re.escape, names)) + ")"
    slow = re.compile(r"(?<![^\W\d_])" + flat + r"(?![^\W\d_])")
    fast, unspaced = _weekday_patterns()
    questions = [f"{n} 3/2/21" for n in names] + [f"x{n}" for n in names] + \
        [f"3/2/21 ({n}), {n}s" for n in names[::7]]
    for q in questions:
        found = fast.findall(q) + unspaced.findall(q)
        want = [m for m in slow.findall(q) if max(map(ord, m)) < 0x2E80]
        want += [m for m in re.findall(flat, q) if max(map(ord, m)) >= 0x2E80]
        assert sorted(found) == sorted(want), q


@pytest.mark.parametrize(("question", "order", "reading"), [
    ("3/2/21", "mdy", "2021-03-02"), ("3/2/21", "dmy", "2021-02-03"),
    (" 06.09.2034 ", "mdy", "2034-06-09"), ("19/04/01", "ymd", "2019-04-01"),
    ("07-03-86", "dmy", "1986-03-07"), ("3 2 21", "mdy", "2021-03-02"),
    ("25/09/2003", "mdy", None),  # no month 25: no reading, the model's stands
    ("3/2/21", None, None), ("3/2-21", "mdy", None), ("on 3/2/21", "mdy", None),
    ("2005/03/04", "mdy", None), ("1/1/999", "mdy", None),
])
def test_the_numeric_reading_of_three_numbers_alone(question, order, reading):
    assert numeric_reading(question, order) == (None if reading is None
                                                else iso_date(reading))


def test_accepts_only_the_numeric_reading_where_there_is_one():
    assert accepts("3/2/21", "2021-03-02", "mdy") and not accepts("3/2/21", "2021-02-03", "mdy")
    assert accepts("3/2/21", "2021-02-03", "dmy") and accepts("3/2/21", "2021-02-03")
    assert accepts("25/09/2003", "2003-09-25", "mdy")
