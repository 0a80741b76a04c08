"""CJK numerals and native digits (attnseq.tasks.wild.numerals)."""

import unicodedata

import pytest

pytest.importorskip("babel", reason="the locales extra (Babel) is not installed: "
                                    "pip install 'attnseq[locales]'")

from attnseq.tasks.wild.numerals import (  # noqa: E402
    DIGIT_ZERO,
    cjk_date,
    counted,
    digit_by_digit,
    native_digits,
    native_zero,
)


@pytest.mark.parametrize(("n", "text"), [
    (1, "一"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"), (21, "二十一"), (31, "三十一"),
    (64, "六十四"),
])
def test_numbers_are_counted(n, text):
    assert counted(n) == text


def test_only_1_to_99_are_counted():
    for n in (0, 100):
        with pytest.raises(ValueError, match=rf"^{n} is not counted here \(1-99\)$"):
            counted(n)


def test_years_go_digit_by_digit_with_either_zero():
    assert digit_by_digit("2020") == "二〇二〇"
    assert digit_by_digit("2008", "零") == "二零零八"


@pytest.mark.parametrize(("text", "zero", "written"), [
    ("2020年8月6日", "〇", "二〇二〇年八月六日"),
    ("2008年5月12日", "零", "二零零八年五月十二日"),
    ("1999年10月31日星期日", "〇", "一九九九年十月三十一日星期日"),
    ("平成7年12月21日(木)", "〇", "平成七年十二月二十一日(木)"),
    ("令和元年5月1日", "〇", "令和元年五月一日"),
    ("日付: 2020年8月6日 21時40分", "〇", "日付: 二〇二〇年八月六日 21時40分"),
])
def test_a_date_of_nen_gatsu_nichi_is_written_in_cjk_numerals(text, zero, written):
    assert cjk_date(text, zero) == written


@pytest.mark.parametrize("text", ["2003 9月 25", "2003/09/25", "9月25日", "令和981年1月1日"])
def test_text_without_such_a_date_is_left_alone(text):
    assert cjk_date(text) is None


def test_each_numbering_system_is_ten_consecutive_digits():
    for system, zero in DIGIT_ZERO.items():
        assert [unicodedata.digit(chr(zero + k)) for k in range(10)] == list(range(10)), system


def test_native_digits_are_cldrs_native_numbering():
    assert native_zero("ar") == 0x0660 and native_zero("hi") == 0x0966
    assert native_zero("fa") == 0x06F0
    assert native_zero("en") is None and native_zero("de") is None
    assert native_zero("zh") is None  # hanidec: CJK numerals are written by cjk_date
    assert native_digits("2020-03-05 10:17", 0x0660) == "٢٠٢٠-٠٣-٠٥ ١٠:١٧"
    assert native_digits("2020", 0x0966) == "२०२०"
