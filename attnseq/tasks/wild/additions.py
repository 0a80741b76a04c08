"""What people add around a date: times, zones, weekdays, filler words, case, spacing, marks.

Each addition is a function ``(text, ctx) -> text | None`` that returns ``text`` with one
thing added or restyled, or None where it does not apply (a weekday where the pattern has one,
a case change that would lose letters); ``ADDITIONS`` names them. None of them changes which
date the text names: the date stays what the pattern wrote, and the generator's labels say
which additions a question has.

    numerals  ja/zh: a 年月日 date in CJK numerals (``二〇二〇年八月六日``, ``平成七年``)
    file      a compact yyyyMMdd date in a file's name: ``Kontoauszug_20221231.pdf``
    time      10:17  10:17:03  10:17 pm  10:17 p.m.  10h11  21時40分  21시 40분
              12 Uhr  17 h 45  (+ CLDR's own, e.g. ``오후 9:40``), at times behind a
              filler (``at``, ``um``, ``à``), then at times a zone: UTC, GMT, EST, CET,
              JST, ..., +0300, +03:00
    iso_time  an ISO date's T10:20:19, T10:20:19.532, then Z, +0000 or +03:00
    words     words of the language before or after it all (a letter's place, a reply
              line's "Marie a écrit :", a log's message): CLDR's names of places
    native_digits  every digit in the locale's native digits where CLDR's are not Latin
              (ar: ``٢٠٢٠``, hi: ``२०२०``), times included
    weekday   the locale's weekday name (wide or abbreviated) before or after the date
    filler    a word before the date: ``on``, ``the``, ``am``, ``le``, ``el``, ``dnia``, ...
    case      lower, UPPER or Title case, where the change loses no letter
    spacing   doubled spaces, a leading or a trailing space
    mark      a trailing period or comma
    stray     a symbol (U+2190-U+26FF: arrows, maths, dingbats) before or after it
    brackets  (...) [...] "..." «...» around it all
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import numpy as np

from attnseq.tasks.cldr import babel_module, cldr_locale
from attnseq.tasks.wild.hints import language
from attnseq.tasks.wild.numerals import CJK_DIGITS, cjk_date, native_digits, native_zero

ZONES = ("UTC", "GMT", "EST", "EDT", "PST", "CET", "CEST", "BST", "JST", "KST", "MSK", "IST")
AM_PM = (("am", "pm"), ("AM", "PM"), ("a.m.", "p.m."), ("A.M.", "P.M."))
# Words a language puts before a date ("on 3 May") and before a time ("at 10:17").
DATE_FILLERS = MappingProxyType({
    "en": ("on", "the", "dated", "as of"), "de": ("am", "vom", "den"), "fr": ("le", "du"),
    "es": ("el", "del"), "it": ("il", "del"), "pt": ("em", "dia", "de"), "nl": ("op", "van"),
    "pl": ("dnia", "w dniu"), "ru": ("от",), "tr": ("tarih",), "ko": ("날짜:",),
    "ja": ("日付:",), "zh": ("日期:",), "ar": ("بتاريخ",), "hi": ("दिनांक",),
})
TIME_FILLERS = MappingProxyType({
    "en": ("at", "@"), "de": ("um",), "fr": ("à",), "es": ("a las",), "it": ("alle",),
    "pt": ("às",), "nl": ("om",), "pl": ("o",), "ru": ("в",), "tr": ("saat",),
})
# Times as a language writes them with its own words or marks ("12 Uhr", "17 h 45", "18h30"),
# as str.format templates of the hour h and the minute m.
LOCAL_CLOCKS = MappingProxyType({
    "de": ("{h} Uhr", "{h}.{m:02d} Uhr", "{h}:{m:02d} Uhr"), "nl": ("{h}.{m:02d} uur", "{h} uur"),
    "fr": ("{h} h {m:02d}", "{h} h"), "pt": ("{h}h",),
    "es": ("{h}h", "{h}.{m:02d} h"), "it": ("ore {h}", "{h}.{m:02d}"),
    "pl": ("godz. {h}:{m:02d}", "{h}.{m:02d}"), "tr": ("{h:02d}.{m:02d}",),
    "ru": ("{h}:{m:02d} ч.", "{h} ч."),
})
BRACKETS = ("()", "[]", '""', "«»", "<>", "''")
STRAY = (0x2190, 0x26FF)  # the code points add_stray draws from
FILE_TYPES = ("pdf", "xlsx", "csv", "docx", "txt", "log", "zip", "tar.gz", "jpg", "png")


@dataclass(frozen=True)
class Context:
    """What an addition may look at: the date, the locale, the pattern's traits, the
    random stream; ``words`` gathers the locales whose words an addition wrote."""

    date: dt.date
    locale: str
    rng: np.random.Generator
    has_weekday: bool
    iso: bool  # the body is the ISO date, where a 'T' time belongs
    compact: bool  # the body is yyyyMMdd, as file names hold it
    timed: bool  # the body has its time already (a machine's form)
    words: list
    added: list  # the names of the additions made so far

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)


def _names(locale: str, what: str, width: str) -> list[str]:
    """Babel's month or weekday names of ``locale`` in the format context."""
    table = getattr(cldr_locale(locale), what)["format"][width]
    return [table[k] for k in (range(1, 13) if what == "months" else range(7))]


def _clock(ctx: Context) -> str:
    """A time of day as people write it in ``ctx.locale``'s language (or CLDR's own)."""
    rng = ctx.rng
    h, m, s = int(rng.integers(24)), int(rng.integers(60)), int(rng.integers(60))
    lang = language(ctx.locale)
    styles = ["hm", "hms", "ampm", "h_m", "cldr"]
    if lang in ("ja", "zh", "ko"):
        styles.append("cjk")
    if lang in LOCAL_CLOCKS:
        styles.append("local")
    style = ctx.pick(styles)
    if style == "hm":
        return f"{h:02d}:{m:02d}" if ctx.chance(0.7) else f"{h}:{m:02d}"
    if style == "hms":
        return f"{h:02d}:{m:02d}:{s:02d}"
    if style == "ampm":
        am, pm = ctx.pick(AM_PM)
        space = " " if ctx.chance(0.7) else ""
        clock = f"{(h % 12) or 12}:{m:02d}" if ctx.chance(0.8) else f"{(h % 12) or 12}"
        ctx.words.append("en")
        return f"{clock}{space}{pm if h >= 12 else am}"
    if style == "h_m":
        return f"{h}h{m:02d}"
    if style == "local":
        clock = ctx.pick(LOCAL_CLOCKS[lang]).format(h=h, m=m)
        # A word names the language (Uhr, uur, ore, ч.); a bare "h" (9h, 17 h 45) does not:
        # the style "h_m" writes 10h11 in every language.
        if re.search(r"[^\W\d_]{2,}|[^\W\d_h]", clock):
            ctx.words.append(ctx.locale)
        return clock
    if style == "cjk":
        ctx.words.append(ctx.locale)
        if lang == "ko":
            return f"{h}시 {m}분"
        return f"{h}{'時' if lang == 'ja' else ctx.pick(('时', '点'))}{m}分"
    clock = babel_module().dates.format_time(dt.time(h, m, s), ctx.pick(("short", "medium")),
                                             locale=cldr_locale(ctx.locale))
    if any(ch.isalpha() for ch in clock):  # CLDR's times may hold words: 오후, م, PM
        ctx.words.append(ctx.locale)
    return clock


def add_time(text: str, ctx: Context) -> str | None:
    if ctx.timed:
        return None
    clock = _clock(ctx)
    fillers = TIME_FILLERS.get(language(ctx.locale), ())
    if fillers and ctx.chance(0.3):
        clock = f"{ctx.pick(fillers)} {clock}"
        ctx.words.append(ctx.locale)
    elif language(ctx.locale) == "en" and ctx.chance(0.05):
        clock = ctx.pick(("at noon", "at midnight"))
        ctx.words.append("en")
    if ctx.chance(0.3) and clock[-1].isdigit():
        zone = ctx.pick(ZONES + ("+0300", "-0500", "+05:30", "+01:00"))
        clock += ("" if zone[0] in "+-" and ctx.chance(0.5) else " ") + zone
    return f"{text}{ctx.pick((' ', ' ', ', ', ' - '))}{clock}"


def add_iso_time(text: str, ctx: Context) -> str | None:
    if not ctx.iso or "time" in ctx.added:  # one time of day to a question
        return None
    rng = ctx.rng
    clock = f"T{int(rng.integers(24)):02d}:{int(rng.integers(60)):02d}"
    if ctx.chance(0.8):
        clock += f":{int(rng.integers(60)):02d}"
        if ctx.chance(0.3):
            clock += f".{int(rng.integers(1000)):03d}"
    zone = ctx.pick(("Z", "+0000", "+03:00", "-05:00", "+0300", ""))
    return text + clock + zone


def cjk_numerals(text: str, ctx: Context) -> str | None:
    lang = language(ctx.locale)
    if lang not in ("ja", "zh"):
        return None
    zero = "零" if lang == "zh" and ctx.chance(0.5) else CJK_DIGITS[0]
    return cjk_date(text, zero)


def to_native_digits(text: str, ctx: Context) -> str | None:
    zero = native_zero(ctx.locale)
    return None if zero is None or not any(ch.isdigit() for ch in text) \
        else native_digits(text, zero)


def add_weekday(text: str, ctx: Context) -> str | None:
    if ctx.has_weekday:
        return None
    name = _names(ctx.locale, "days", ctx.pick(("wide", "abbreviated")))[ctx.date.weekday()]
    ctx.words.append(ctx.locale)
    if ctx.chance(0.7):
        return f"{name}{ctx.pick((', ', ' ', ' '))}{text}"
    return f"{text} {ctx.pick((name, f'({name})'))}"


def add_filler(text: str, ctx: Context) -> str | None:
    words = DATE_FILLERS.get(language(ctx.locale))
    if not words:
        return None
    ctx.words.append(ctx.locale)
    return f"{ctx.pick(words)} {text}"


def title_case(text: str) -> str:
    """Each word's first letter upper, the rest lower (``3rd`` stays ``3rd``, unlike
    ``str.title``)."""
    return re.sub(r"(?:^|(?<=\s))(\w)", lambda m: m.group(1).upper(), text.lower())


def restyle_case(text: str, ctx: Context) -> str | None:
    styled = ctx.pick((str.lower, str.upper, title_case))(text)
    # a change that loses letters (Turkish ı -> I -> i) would change what the text says
    return styled if styled != text and styled.casefold() == text.casefold() else None


def restyle_spacing(text: str, ctx: Context) -> str | None:
    choice = int(ctx.rng.integers(3))
    if choice == 0:
        return text.replace(" ", "  ") if " " in text else None
    return f" {text}" if choice == 1 else f"{text} "


def add_stray(text: str, ctx: Context) -> str | None:
    """A symbol of the arrows, mathematical and miscellaneous blocks: each so rare in the data
    that the vocabulary leaves it out, so that models learn to read past UNK."""
    symbol = chr(int(ctx.rng.integers(STRAY[0], STRAY[1] + 1)))
    space = " " if ctx.chance(0.6) else ""
    return f"{symbol}{space}{text}" if ctx.chance(0.5) else f"{text}{space}{symbol}"


def add_mark(text: str, ctx: Context) -> str | None:
    return text + ctx.pick((".", ".", ","))


def add_brackets(text: str, ctx: Context) -> str | None:
    pair = ctx.pick(BRACKETS)
    return f"{pair[0]}{text}{pair[1]}"


@cache
def place_names(locale: str) -> tuple[str, ...]:
    """Names of places in ``locale``'s language (CLDR's names of the world's territories):
    words of its script that are no part of any date."""
    names = cldr_locale(locale).territories.values()
    return tuple(sorted(n for n in names if not any(ch.isdigit() for ch in n) and len(n) <= 16))


def add_words(text: str, ctx: Context) -> str | None:
    """Words of the locale's language before or after the date, as a letter's place
    (``Kraków, dnia ...``), a mail's reply line (``..., Marie a écrit :``) or a log's message
    (``... worker started``) put them. They name no locale for the default order: they are
    text beside the date, not the way it is written (and a model that had to tell each
    place's language to read ``03/04/2005`` read the book's dates worse: docs/dates.md)."""
    places = place_names(ctx.locale)
    if not places:  # a locale without CLDR's names of places
        return None
    words = " ".join(ctx.pick(places) for _ in range(1 + ctx.chance(0.4)))
    if ctx.chance(0.3):
        return f"{words}{ctx.pick((', ', ' '))}{text}"
    return f"{text}{ctx.pick((', ', ' ', ' - ', ' | '))}{words}{ctx.pick(('', ':', ' :'))}"


def add_file_name(text: str, ctx: Context) -> str | None:
    """A compact ``yyyyMMdd`` date in a file's name: ``Kontoauszug_20221231.pdf``."""
    if not ctx.compact or not place_names(ctx.locale):
        return None
    word = ctx.pick(place_names(ctx.locale)).replace(" ", "_")  # names no locale: add_words
    return f"{word}{ctx.pick(('_', '-', ' '))}{text}.{ctx.pick(FILE_TYPES)}"


# In the order they are applied: the body's numerals first, then words, times, the digits of
# it all, then styling and marks.
ADDITIONS: MappingProxyType[str, Callable[[str, Context], str | None]] = MappingProxyType({
    "numerals": cjk_numerals, "file": add_file_name, "weekday": add_weekday,
    "filler": add_filler, "time": add_time, "iso_time": add_iso_time, "words": add_words,
    "native_digits": to_native_digits, "case": restyle_case, "spacing": restyle_spacing,
    "stray": add_stray, "mark": add_mark, "brackets": add_brackets,
})
# How often each is tried on a question (it may then not apply).
RATES = MappingProxyType({"numerals": 0.3, "file": 0.3, "words": 0.08, "native_digits": 0.3,
                          "weekday": 0.15,
                          "filler": 0.12, "time": 0.25, "iso_time": 0.5, "case": 0.15,
                          "spacing": 0.1, "stray": 0.03, "mark": 0.08, "brackets": 0.06})
