"""The date patterns of the wild generator: CLDR's, the book's, and the forms people add.

Each locale writes its dates in:

* CLDR's patterns, as ``attnseq.tasks.locales.locale_formats`` reads them from Babel (English,
  ``en``, takes en_US's), and their numeric ones with the other separators people use
  (``de_short.slash``: ``03/04/2005`` beside ``03.04.2005``);
* year-first patterns with the locale's month names (``2003 Sep 25``, ``2003-Sep-25``), the ISO
  form ``2003-09-25`` and ``2003/09/25``, and compact digits (``20030925``, ``030925``);
* ordinals as the language writes them (``3rd of May 2001``, ``July 12th, 2014``, ``1er mai``,
  ``1º de maio``): a literal suffix after CLDR's day field, chosen for the day being written;
* for ``en``, the book's 34 formats (``attnseq.tasks.dates``) besides, so that a model of this
  task still reads the book's own dates;
* year-first numbers with a two-digit year (``19/04/01``) where the locale reads year first
  (ja, ko, zh); ``d-MMM-yy`` and upper-case-ready ``MMMM dd y`` in English; the compact
  ``ddMMyyyy`` (``MMddyyyy`` in English) in the locale's own order;
* the forms of ``forms.py``: Japanese eras (ja), C's ``ctime`` and Apache's log (English),
  ISO's basic form (everywhere);
* for ``ar``, its name patterns again with the month names of Syria (``NAMES_FROM``:
  ``كانون الثاني``, ``شباط``, ...), as the Levant writes them.

A ``WildPattern`` is one of them; ``pattern_for`` gives the concrete pattern for one date (its
ordinal), or None when the pattern cannot write that date (a two-digit year outside the
window of ``attnseq.tasks.dates``).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from attnseq.core.errors import AttnseqError
from attnseq.tasks.cldr import LocaleFormat, pattern_fields, pattern_pieces
from attnseq.tasks.dates import FORMATS, TWO_DIGIT_YEAR_MAX, TWO_DIGIT_YEAR_MIN, format_date
from attnseq.tasks.locales import as_cldr, format_locale_date, locale_formats
from attnseq.tasks.wild.forms import (
    ERA_FORMS,
    MACHINE_FORMS,
    MACHINE_NAMES,
    MACHINE_WEEKDAYS,
    write_era,
    write_machine,
    writes_era,
)
from attnseq.tasks.wild.hints import language, numeric_order

BOOK = "book"  # a WildPattern of the book's formats (its pattern is strftime's)
CLDR = "cldr"
ERA = "era"  # a Japanese era date (forms.py); its template is the form's name
MACHINE = "machine"  # a machine's form (forms.py); its template is the form's name
# Locales that write, besides their own month names, those of another locale (its name and
# the label of its patterns): Arabic as the Levant writes it.
NAMES_FROM = MappingProxyType({"ar": ("ar_SY", "levant")})
ORDINAL = "{o}"  # where a template writes the day's ordinal suffix
READABLE = "yMdEc"  # the CLDR fields a pattern may have: those attnseq.tasks.cldr reads
SEPARATORS = MappingProxyType({"slash": "/", "dash": "-", "dot": ".", "space": " "})


def english_suffix(day: int) -> str:
    """1st 2nd 3rd 4th ... 11th 12th 13th ... 21st 22nd 23rd ... 31st."""
    if day % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


# The ordinal suffix of a day in each language that writes one after the number; the
# templates that use it, as CLDR patterns with ORDINAL after the day field. (German, Polish,
# Turkish and the rest write "3." or nothing, which CLDR's own patterns already hold.)
ORDINAL_TEMPLATES = MappingProxyType({
    "en": ("MMMM d{o}, y", "MMM d{o}, y", "d{o} MMMM y", "'the' d{o} 'of' MMMM y",
           "d{o} 'of' MMMM y", "EEEE, MMMM d{o}, y", "EEEE 'the' d{o} 'of' MMMM y"),
    "fr": ("d{o} MMMM y", "EEEE d{o} MMMM y"),
    "es": ("d{o} 'de' MMMM 'de' y",),
    "pt": ("d{o} 'de' MMMM 'de' y",),
    "it": ("d{o} MMMM y",),
})


def ordinal_suffix(language: str, day: int) -> str:
    """The suffix ``language`` writes after day ``day`` in an ordinal date ('' for none)."""
    if language == "en":
        return english_suffix(day)
    if day != 1:  # the Romance languages mark the first of the month only
        return ""
    return {"fr": "er", "es": ".º", "pt": "º", "it": "º"}.get(language, "")


class WildPattern(NamedTuple):
    """A way of writing dates: ``name`` (``de_short``, ``en_book_m_d_yy``, ``en_ordinal3``),
    its ``locale``, its ``template`` (a CLDR pattern, perhaps with ``{o}``; for ``kind``
    ``"book"``, one of the book's format names; for ``"era"`` and ``"machine"``, a form of
    ``forms.py``), and ``names``, the locale whose month and weekday names it writes (its
    own when empty)."""

    name: str
    locale: str
    template: str
    kind: str = CLDR
    names: str = ""


def _cldr_locale(locale: str) -> str:
    """The locale whose CLDR patterns ``locale`` takes: en_US's for ``en``."""
    return "en_US" if locale == "en" else locale


def _separated(pattern: str, sep: str) -> str | None:
    """A numeric pattern with each separator between its number fields replaced by ``sep``
    ("dd.MM.y" -> "dd/MM/y"), or None when it is not numbers and one separator each."""
    pieces = pattern_pieces(pattern)
    if [kind for kind, _ in pieces] != ["field", "text", "field", "text", "field"]:
        return None
    if any(piece[0] not in "yMd" or (piece[0] == "M" and len(piece) > 2)
           for kind, piece in pieces if kind == "field"):
        return None
    out = [piece if kind == "field" else sep for kind, piece in pieces]
    return "".join(out)


@cache
def wild_patterns(locale: str) -> tuple[WildPattern, ...]:
    """Every pattern of ``locale`` (see the module docstring), each distinct one once."""
    found: dict[tuple[str, str], WildPattern] = {}

    def add(name: str, template: str, kind: str = CLDR, names: str = "") -> None:
        if kind == CLDR and any(piece[0] not in READABLE for piece in pattern_fields(
                template.replace(ORDINAL, ""))):
            return  # an era (G) or a stand-alone month (L): beyond reading back
        found.setdefault((template, names),
                         WildPattern(f"{locale}_{name}", locale, template, kind, names))

    source = _cldr_locale(locale)
    cldr = [(f.name[len(source) + 1:], f.pattern) for f in locale_formats(source)]
    for name, template in cldr:
        add(name, template)
    for name, template in cldr:
        for sep_name, sep in SEPARATORS.items():
            other = _separated(template, sep)
            if other is not None:
                add(f"{name}.{sep_name}", other)
    for name, template in (("y_mmm_d", "y MMM d"), ("y-mmm-dd", "y-MMM-dd"),
                           ("y_mmmm_d", "y MMMM d"), ("iso", "y-MM-dd"),
                           ("y/mm/dd", "y/MM/dd"), ("yyyymmdd", "yyyyMMdd"),
                           ("yymmdd", "yyMMdd")):
        add(name, template)
    lang, order = language(locale), numeric_order(locale)
    for k, template in enumerate(ORDINAL_TEMPLATES.get(lang, ())):
        add(f"ordinal{k + 1}", template)
    if order == "ymd":
        for sep_name, sep in SEPARATORS.items():
            if sep != " ":
                add(f"yy_mm_dd.{sep_name}", f"yy{sep}MM{sep}dd")
    else:
        add("compact", "ddMMyyyy" if order == "dmy" else "MMddyyyy")
    if lang == "en":
        for name, template in (("d-mmm-yy", "d-MMM-yy"), ("mmmm_dd_y", "MMMM dd y"),
                               ("mmm_dd_y", "MMM dd y"), ("mmm_d_'yy", "MMM d ''yy"),
                               ("d_mmm_'yy", "d MMM ''yy")):
            add(name, template)
        for form in ("ctime", "apache", "rfc2822", "js", "screenshot"):
            add(form, form, MACHINE)
    if lang == "ko":  # '21년 11월 11일: the year's century left out
        add("'yy_m_d", "''yy년 MMMM d일")  # MMMM: ko's month names, 11월
    for form in ("iso_basic", "camera"):
        add(form, form, MACHINE)
    if locale == "ja":
        for form in ERA_FORMS:
            add(form, form, ERA)
    if locale in NAMES_FROM:
        other, label = NAMES_FROM[locale]
        for pattern in list(found.values()):
            if pattern.kind == CLDR and has_names(pattern, pattern.template):
                add(f"{pattern.name[len(locale) + 1:]}.{label}", pattern.template, CLDR, other)
    if locale == "en":
        for f in FORMATS:
            add(f"book_{f.name}", f.name, BOOK)
    return tuple(found.values())


@cache
def _named(locale: str) -> MappingProxyType[str, WildPattern]:
    return MappingProxyType({p.name: p for p in wild_patterns(locale)})


def pattern_named(locale: str, name: str) -> WildPattern:
    """``locale``'s pattern called ``name`` (a pair's ``fmt``)."""
    found = _named(locale).get(name)
    if found is None:
        raise AttnseqError(f"locale {locale!r} has no date pattern {name!r}")
    return found


def pattern_for(pattern: WildPattern, date: dt.date) -> str | None:
    """The concrete pattern that writes ``date`` (the ordinal suffix of its day filled in; a
    machine form's ``strptime`` format; an era form's name), or None when it cannot (a
    two-digit year outside the window, an era date before 明治)."""
    in_window = TWO_DIGIT_YEAR_MIN <= date.year <= TWO_DIGIT_YEAR_MAX
    if pattern.kind == MACHINE:
        return MACHINE_FORMS[pattern.template]
    if pattern.kind == ERA:
        return pattern.template if writes_era(date) else None
    if pattern.kind == BOOK:
        book = next(f for f in FORMATS if f.name == pattern.template)
        return book.pattern if in_window or not book.two_digit_year else None
    if not in_window and "yy" in pattern_fields(pattern.template.replace(ORDINAL, "")):
        return None
    suffix = ordinal_suffix(pattern.locale.split("_")[0], date.day)
    return pattern.template.replace(ORDINAL, f"'{suffix}'" if suffix else "")


def write(pattern: WildPattern, concrete: str, date: dt.date, rng: np.random.Generator) -> str:
    """``date`` written in ``concrete`` (what ``pattern_for`` gave for it); ``rng`` draws what
    a form writes besides the date (a machine's time, 元年 or 1年)."""
    if pattern.kind == BOOK:
        return format_date(date, pattern.template)
    if pattern.kind == MACHINE:
        return write_machine(pattern.template, date, rng)
    if pattern.kind == ERA:
        return write_era(pattern.template, date, rng)
    return format_locale_date(date, LocaleFormat(pattern.name, pattern.names or pattern.locale,
                                                 concrete))


def numeric_pattern(pattern: WildPattern, concrete: str) -> str | None:
    """The CLDR pattern whose numbers a reader orders (``hints.numeric_answer``): the book's
    numeric ones translated, CLDR's as they are; None for the forms of ``forms.py``, whose
    numbers have one reading."""
    if pattern.kind in (ERA, MACHINE):
        return None
    if pattern.kind != BOOK or has_names(pattern, concrete):
        return concrete
    return as_cldr(concrete)


def has_names(pattern: WildPattern, concrete: str) -> bool:
    """Whether the pattern writes words (month or weekday names, an era)."""
    if pattern.kind == MACHINE:
        return pattern.template in MACHINE_NAMES
    if pattern.kind == ERA:
        return pattern.template != "era_initial"
    if pattern.kind == BOOK:
        return any(d in concrete for d in ("%B", "%b", "%A", "%a"))
    return any(piece[0] in "EcL" or (piece[0] == "M" and len(piece) > 2)
               for piece in pattern_fields(concrete))


def has_weekday(pattern: WildPattern, concrete: str) -> bool:
    if pattern.kind in (ERA, MACHINE):
        return pattern.template in ("era_weekday", *MACHINE_WEEKDAYS)
    if pattern.kind == BOOK:
        return "%A" in concrete or "%a" in concrete
    return any(piece[0] in "Ec" for piece in pattern_fields(concrete))
