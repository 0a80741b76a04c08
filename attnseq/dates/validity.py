"""What a date normaliser may answer: a real calendar date, in ISO form, on the weekday that
the question names (if it names one).

A seq2seq model writes its answer one character at a time, so nothing stops it from writing
``2003-00-09`` or ``2015-15-15``; beam search keeps several answers per question, and
``attnseq.dates.normalise`` answers with the best of them that passes ``accepts``:

* the answer is ``YYYY-MM-DD`` with a year in ``YEARS`` (1000-2999) and names a day of the
  Gregorian calendar (``2021-02-29`` does not);
* a question of three numbers alone (``8/3/02``) is read in the order of its locale hint, or
  without one month first, as documented (``attnseq.tasks.wild.hints``): where that
  reading is a date, the answer is it, whatever the model preferred (``numeric_reading``);
* if the question names weekdays (``Tuesday``, ``dienstag``, ``火曜日``: English built in, every
  CLDR language with Babel, ``attnseq.tasks.cldr.weekday_names``), the date falls on one of
  them: ``Tue 3/2/21`` is 2021-03-02, a Tuesday, not 2021-02-03.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from attnseq.tasks.cldr import weekday_names
from attnseq.tasks.wild.hints import read_numbers

YEARS = (1000, 2999)  # the years a normalised date may have, both included

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_NUMBERS = re.compile(r"(\d{1,4})([./ -])(\d{1,2})\2(\d{1,4})", re.ASCII)  # 8/3/02
# A weekday name is a whole word: no letter right before or after it ("sun" is not in
# "sunny"). Names in scripts written without spaces (Han, kana, Hangul) match anywhere.
_NOT_LETTER_BEFORE, _NOT_LETTER_AFTER = r"(?<![^\W\d_])", r"(?![^\W\d_])"
_UNSPACED_SCRIPTS = 0x2E80  # from the CJK radicals on


def iso_date(text: str) -> dt.date | None:
    """The date ``text`` names in ISO form ``YYYY-MM-DD`` with a year in ``YEARS``, or None
    (another form, another year, or no such day)."""
    m = _ISO.fullmatch(text)
    if m is None or not YEARS[0] <= int(m[1]) <= YEARS[1]:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:  # month 13, 31 April, 29 February of a common year
        return None


def named_weekdays(question: str) -> frozenset[int]:
    """The weekdays (0 = Monday) that ``question`` names, by any name ``weekday_names``
    knows, in any case; empty when it names none. Only a question with a letter is searched,
    so numeric dates never read the names' table."""
    if not any(ch.isalpha() for ch in question):
        return frozenset()
    folded, names = question.casefold(), weekday_names()
    return frozenset(names[found] for pattern in _weekday_patterns()
                     for found in pattern.findall(folded))


def numeric_reading(question: str, order: str | None) -> dt.date | None:
    """The date that a question of three numbers alone (``8/3/02``, ``06.09.2034``) names when
    read in ``order`` ("mdy", "dmy" or "ymd", ``attnseq.tasks.wild.hints``); None for any other
    question, no order, or a reading that is no date (``25/09/2003`` month first), where
    the model's own reading stands."""
    m = _NUMBERS.fullmatch(question.strip())
    return None if m is None or order is None else read_numbers((m[1], m[3], m[4]), order)


def accepts(question: str, answer: str, order: str | None = None) -> bool:
    """Whether ``answer`` may stand for ``question``: a valid ISO date (``iso_date``) on a
    weekday that the question names, if it names any, and, for a question of three numbers
    alone, their reading in ``order`` where that is a date (``numeric_reading``)."""
    date = iso_date(answer)
    if date is None:
        return False
    reading = numeric_reading(question, order)
    if reading is not None and date != reading:
        return False
    days = named_weekdays(question)
    return not days or date.weekday() in days


@cache
def _weekday_patterns() -> tuple[re.Pattern, ...]:
    """Two patterns that find the names of ``weekday_names``: whole words, and names in
    scripts written without spaces, anywhere. One scan of a question per pattern, each an
    alternation in the shape of a trie (``_trie``), where a longer name is tried before its
    prefix (so that ``tuesday`` is found whole, not as ``tue``)."""
    names = weekday_names()
    unspaced = [n for n in names if max(map(ord, n)) >= _UNSPACED_SCRIPTS]
    spaced = [n for n in names if max(map(ord, n)) < _UNSPACED_SCRIPTS]
    return (re.compile(_NOT_LETTER_BEFORE + "(" + _trie(spaced) + ")" + _NOT_LETTER_AFTER),
            re.compile("(" + _trie(unspaced) + ")"))


def _trie(names: list[str]) -> str:
    """A regular expression that matches each of ``names`` and nothing else, shared prefixes
    written once: ``tue``, ``tuesday``, ``thu`` -> ``t(?:ue(?:sday)?|hu)``. A flat alternation
    of the thousands of names CLDR has would try each at every position of a question; this
    one reads a question's character once per branch it is on. At a position where several
    names match, one is a prefix of the other, and the longer is tried first."""
    if not names:
        return "(?!)"  # matches nothing
    branches: dict[str, list[str]] = {}
    ends = False
    for name in names:
        if name:
            branches.setdefault(name[0], []).append(name[1:])
        else:
            ends = True
    if not branches:
        return ""
    alternatives = [re.escape(ch) + _trie(rest) for ch, rest in sorted(branches.items())]
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return f"(?:{body})?" if ends else body
