"""Dates in forms that CLDR's patterns cannot write: Japanese eras and machines' logs.

* Japanese eras (ja): ``令和元年5月1日``, ``平成31年4月30日``, ``昭和64年1月7日``, at times with
  the weekday ``(火)``, and as forms write them, the era's initial and numbers (``H7.1.17``,
  ``R01/05/01``). An era's year counts from 1 on the day it began (``ERAS``), and its
  first year is written ``元年`` as often as ``1年``. 明治 (from 1868-10-23) is written from
  1873-01-01 on, when Japan took up the Gregorian calendar (明治6年: before it, months and
  days were the old calendar's); no date before it is written in an era, nor one of an era's
  year over
  ``ERA_YEAR_MAX`` (令和 99 is 2117: later dates are written in years).
* Machines (``MACHINE_FORMS``): C's ``ctime`` (``Wed Sep  5 13:45:10 2012``, the day padded
  with a space), Apache's access log (``[10/Oct/2000:13:55:36 -0700]``), ISO 8601's basic
  form (``20160101T000000Z``), e-mail's RFC 2822 (``Tue, 1 Jul 2003 10:52:37 +0200``),
  JavaScript's ``Date.toString`` without the zone's name (``Wed Sep 05 2012 13:45:10
  GMT+0200``), and the names cameras and screenshots give their files
  (``IMG_20190812_143015.jpg``, ``Screenshot 2019-08-12 at 14.30.15.png``), each with a time
  of day drawn for it. Their names are C's
  English ones whatever the locale. Each form is named by the ``strptime`` format that reads
  it, which the tests use to read it back.
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

import numpy as np

from attnseq.tasks.cldr import cldr_locale

# Each era and the day it began (facts); its dates are Gregorian from 明治6年 on only.
GREGORIAN_FROM = dt.date(1873, 1, 1)
ERAS = (("明治", dt.date(1868, 10, 23)), ("大正", dt.date(1912, 7, 30)),
        ("昭和", dt.date(1926, 12, 25)), ("平成", dt.date(1989, 1, 8)),
        ("令和", dt.date(2019, 5, 1)))
FIRST_YEAR = "元"  # 元年: the first year of an era
ERA_INITIALS = MappingProxyType({"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"})
ERA_YEAR_MAX = 99
C_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
C_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LOG_ZONES = ("-0700", "+0000", "+0100", "+0200", "-0500", "+0530", "+0900")
# Each machine form by name: the strptime format that reads it back.
MACHINE_FORMS = MappingProxyType({
    "ctime": "%a %b %d %H:%M:%S %Y",
    "apache": "[%d/%b/%Y:%H:%M:%S %z]",
    "iso_basic": "%Y%m%dT%H%M%SZ",
    "rfc2822": "%a, %d %b %Y %H:%M:%S %z",
    "js": "%a %b %d %Y %H:%M:%S GMT%z",
    "camera": "IMG_%Y%m%d_%H%M%S.jpg",
    "screenshot": "Screenshot %Y-%m-%d at %H.%M.%S.png",
})
# The machine forms that write the weekday, and those that write English words.
MACHINE_WEEKDAYS = ("ctime", "rfc2822", "js")
MACHINE_NAMES = ("ctime", "apache", "rfc2822", "js", "screenshot")
ERA_FORMS = ("era", "era_weekday", "era_initial")


def japanese_era(date: dt.date) -> tuple[str, int] | None:
    """(era, year of the era) of ``date``, or None before ``GREGORIAN_FROM`` (明治6年)."""
    if date < GREGORIAN_FROM:
        return None
    found = None
    for name, start in ERAS:
        if date >= start:
            found = (name, date.year - start.year + 1)
    return found


def writes_era(date: dt.date) -> bool:
    """Whether an era form writes ``date``: from 明治 on, in an era's year 1-``ERA_YEAR_MAX``."""
    era = japanese_era(date)
    return era is not None and era[1] <= ERA_YEAR_MAX


def write_era(form: str, date: dt.date, rng: np.random.Generator) -> str:
    """``date`` as a Japanese era date (``form`` of ``ERA_FORMS``); the caller has checked
    that ``japanese_era(date)`` is not None."""
    era = japanese_era(date)
    if era is None:
        raise ValueError(f"{date.isoformat()} is before the era dates written")
    name, year = era
    if form == "era_initial":  # H7.1.17, H07/01/17
        sep = "./"[int(rng.integers(2))]
        width = 2 if rng.random() < 0.5 else 1
        return sep.join([f"{ERA_INITIALS[name]}{year:0{width}d}", f"{date.month:0{width}d}",
                         f"{date.day:0{width}d}"])
    number = FIRST_YEAR if year == 1 and rng.random() < 0.5 else str(year)
    text = f"{name}{number}年{date.month}月{date.day}日"
    if form == "era_weekday":
        text += f"({cldr_locale('ja').days['format']['abbreviated'][date.weekday()]})"
    return text


def write_machine(form: str, date: dt.date, rng: np.random.Generator) -> str:
    """``date`` in machine form ``form`` (a name of ``MACHINE_FORMS``), at a drawn time."""
    h, m, s = int(rng.integers(24)), int(rng.integers(60)), int(rng.integers(60))
    clock = f"{h:02d}:{m:02d}:{s:02d}"
    zone = LOG_ZONES[int(rng.integers(len(LOG_ZONES)))]
    month = C_MONTHS[date.month - 1]
    if form == "ctime":
        return f"{C_DAYS[date.weekday()]} {month} {date.day:2d} {clock} {date.year}"
    if form == "apache":
        return f"[{date.day:02d}/{month}/{date.year}:{clock} {zone}]"
    ymd = f"{date.year:04d}{date.month:02d}{date.day:02d}"
    if form == "iso_basic":
        return f"{ymd}T{clock.replace(':', '')}Z"
    if form == "rfc2822":  # e-mail headers: the day unpadded, as mail programs write it
        return f"{C_DAYS[date.weekday()]}, {date.day} {month} {date.year} {clock} {zone}"
    if form == "js":  # JavaScript's Date.toString, without the zone's name
        return f"{C_DAYS[date.weekday()]} {month} {date.day:02d} {date.year} {clock} GMT{zone}"
    if form == "camera":
        return f"IMG_{ymd}_{clock.replace(':', '')}.jpg"
    if form == "screenshot":
        return f"Screenshot {date.isoformat()} at {clock.replace(':', '.')}.png"
    raise ValueError(f"no machine form {form!r}")
