"""Numbers as some writers write them: CJK numerals and a locale's native digits.

* CJK numerals (ja, zh): a year digit by digit (``二〇二〇年``; Chinese also with ``零`` for
  zero, ``二零零八年``), a month, a day or an era's year as counted (``十月``, ``十二日``,
  ``二十一日``, ``平成七年``): ``cjk_date`` rewrites the numbers of a ``年月日`` date.
* Native digits: a locale whose CLDR native numbering system is not Latin (Babel's
  ``other_numbering_systems["native"]``: ``arab`` for ar, ``deva`` for hi) writes its digits
  natively at times: ``native_digits`` maps ASCII digits to that system's ten code points.
"""

from __future__ import annotations

import re
from functools import cache
from types import MappingProxyType

from attnseq.tasks.cldr import cldr_locale

CJK_DIGITS = "〇一二三四五六七八九"
TEN = "十"
# The numbering systems whose digits are ten consecutive code points (Unicode's decimal
# digits), by the code point of their zero. Chinese ``hanidec`` is left to ``cjk_date``.
DIGIT_ZERO = MappingProxyType({
    "arab": 0x0660, "arabext": 0x06F0, "deva": 0x0966, "beng": 0x09E6, "guru": 0x0A66,
    "gujr": 0x0AE6, "orya": 0x0B66, "tamldec": 0x0BE6, "telu": 0x0C66, "knda": 0x0CE6,
    "mlym": 0x0D66, "thai": 0x0E50, "laoo": 0x0ED0, "tibt": 0x0F20, "mymr": 0x1040,
    "khmr": 0x17E0,
})
# A 年月日 date: a year of four digits (or an era's of one or two, or 元), a month, a day.
CJK_DATE = re.compile(r"(?<!\d)(\d{4}|\d{1,2}|元)年(\d{1,2})月(\d{1,2})日")


def counted(n: int) -> str:
    """1-99 as counted in Chinese and Japanese: 七, 十, 十二, 二十, 二十一, 三十一."""
    if not 1 <= n <= 99:
        raise ValueError(f"{n} is not counted here (1-99)")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else TEN if tens == 1 else CJK_DIGITS[tens] + TEN
    return head + (CJK_DIGITS[ones] if ones else "")


def digit_by_digit(number: str, zero: str = CJK_DIGITS[0]) -> str:
    """'2008' -> '二〇〇八' (or '二零零八' with ``zero`` 零)."""
    return "".join(zero if d == "0" else CJK_DIGITS[int(d)] for d in number)


def cjk_date(text: str, zero: str = CJK_DIGITS[0]) -> str | None:
    """``text``'s first 年月日 date in CJK numerals: a year of four digits digit by digit, an
    era's year, the month and the day as counted; None when ``text`` has no such date."""
    m = CJK_DATE.search(text)
    if m is None:
        return None
    year, month, day = m.groups()
    if len(year) == 4:
        year = digit_by_digit(year, zero)
    elif year.isdigit():
        year = counted(int(year))
    written = f"{year}年{counted(int(month))}月{counted(int(day))}日"
    return text[:m.start()] + written + text[m.end():]


@cache
def native_zero(locale: str) -> int | None:
    """The code point of the zero of ``locale``'s native digits, or None when they are Latin
    (or not ten consecutive code points)."""
    name = "en_US" if locale == "en" else locale
    system = dict(cldr_locale(name).other_numbering_systems).get("native", "latn")
    return DIGIT_ZERO.get(system)


def native_digits(text: str, zero: int) -> str:
    """``text`` with each ASCII digit written in the system whose zero is ``zero``."""
    return text.translate({ord("0") + k: zero + k for k in range(10)})
