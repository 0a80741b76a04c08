"""Dates as people write them: a generator of labelled pairs in every CLDR locale (Babel).

    patterns.py   the patterns: CLDR's (through attnseq.tasks.locales), their separators,
                  year-first and compact forms, ordinals, forms.py's, Levantine month names
                  for ar, and the book's formats for en
    forms.py      forms beyond CLDR's patterns: Japanese eras, ctime, Apache's log, ISO basic
    numerals.py   CJK numerals (二〇二〇年八月六日) and a locale's native digits (ar, hi)
    additions.py  what people add: times, zones, weekdays, filler words, case, spacing, marks,
                  CJK numerals, native digits
    hints.py      the locale hint and the default order of a numeric date's numbers
    generator.py  WildPair, generate_wild_dates (seeded), relabel, wild_vocab

docs/dates-wild.md tells the whole story; Babel is the ``locales`` extra.
"""

from attnseq.tasks.wild.generator import (
    MAX_QUESTION,
    WILD_LOCALES,
    WildPair,
    all_locales,
    generate_wild_dates,
    parse_wild_locales,
    relabel,
    wild_vocab,
)
from attnseq.tasks.wild.hints import default_order, numeric_order, reading_order

__all__ = [
    "MAX_QUESTION",
    "WILD_LOCALES",
    "WildPair",
    "all_locales",
    "default_order",
    "generate_wild_dates",
    "numeric_order",
    "parse_wild_locales",
    "reading_order",
    "relabel",
    "wild_vocab",
]
