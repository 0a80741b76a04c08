"""Japanese eras and machines' forms (attnseq.tasks.wild.forms)."""

import datetime as dt
import re

import numpy as np
import pytest

pytest.importorskip("babel", reason="the locales extra (Babel) is not installed: "
                                    "pip install 'attnseq[locales]'")

from attnseq.tasks.wild.forms import (  # noqa: E402
    MACHINE_FORMS,
    japanese_era,
    write_era,
    write_machine,
    writes_era,
)


@pytest.mark.parametrize(("date", "era"), [
    (dt.date(2019, 5, 1), ("令和", 1)), (dt.date(2019, 4, 30), ("平成", 31)),
    (dt.date(1989, 1, 7), ("昭和", 64)), (dt.date(1989, 1, 8), ("平成", 1)),
    (dt.date(1926, 12, 25), ("昭和", 1)), (dt.date(1926, 12, 24), ("大正", 15)),
    (dt.date(1912, 7, 30), ("大正", 1)), (dt.date(1912, 7, 29), ("明治", 45)),
    (dt.date(1873, 1, 1), ("明治", 6)), (dt.date(2999, 12, 31), ("令和", 981)),
])
def test_each_date_has_its_era_and_year(date, era):
    assert japanese_era(date) == era


def test_no_era_before_meiji():
    # 明治 began 1868-10-23; its months and days are Gregorian from 明治6年 (1873) on only
    assert japanese_era(dt.date(1872, 12, 31)) is None
    assert japanese_era(dt.date(1868, 10, 23)) is None
    with pytest.raises(ValueError, match=r"^1800-01-01 is before the era dates written$"):
        write_era("era", dt.date(1800, 1, 1), np.random.default_rng(0))


def test_an_eras_first_year_is_written_gannen_or_1nen():
    rng = np.random.default_rng(0)
    written = {write_era("era", dt.date(2019, 5, 1), rng) for _ in range(40)}
    assert written == {"令和元年5月1日", "令和1年5月1日"}
    assert write_era("era", dt.date(2019, 4, 30), rng) == "平成31年4月30日"
    assert write_era("era_weekday", dt.date(2019, 4, 30), rng) == "平成31年4月30日(火)"


def test_the_initial_form_writes_the_eras_letter_and_numbers():
    rng = np.random.default_rng(3)
    written = {write_era("era_initial", dt.date(1995, 1, 17), rng) for _ in range(60)}
    assert written == {"H7.1.17", "H07.01.17", "H7/1/17", "H07/01/17"}
    assert write_era("era_initial", dt.date(1912, 7, 29), rng) in (
        "M45.7.29", "M45.07.29", "M45/7/29", "M45/07/29")
    assert write_era("era", dt.date(1873, 1, 1), rng) == "明治6年1月1日"


def test_era_forms_stop_at_the_99th_year_of_an_era():
    assert writes_era(dt.date(2117, 12, 31)) and not writes_era(dt.date(2118, 1, 1))
    assert not writes_era(dt.date(1872, 12, 31)) and writes_era(dt.date(1873, 1, 1))


def test_machine_forms_read_back_with_their_strptime_format():
    rng = np.random.default_rng(1)
    date = dt.date(2012, 9, 5)
    ctime = write_machine("ctime", date, rng)
    assert re.fullmatch(r"Wed Sep  5 \d\d:\d\d:\d\d 2012", ctime)
    apache = write_machine("apache", dt.date(2000, 10, 10), rng)
    assert re.fullmatch(r"\[10/Oct/2000:\d\d:\d\d:\d\d [+-]\d{4}\]", apache)
    basic = write_machine("iso_basic", dt.date(2016, 1, 1), rng)
    assert re.fullmatch(r"20160101T\d{6}Z", basic)
    for form, text in (("ctime", ctime), ("iso_basic", basic)):
        assert dt.datetime.strptime(text, MACHINE_FORMS[form]).date() == \
            (date if form == "ctime" else dt.date(2016, 1, 1))
    with pytest.raises(ValueError, match=r"^no machine form 'syslog'$"):
        write_machine("syslog", date, rng)
