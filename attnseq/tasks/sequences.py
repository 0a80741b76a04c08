"""The copy and reverse tasks: seeded random strings, answered as they are or reversed.

    copy     hcfjab  ->  hcfjab
    reverse  hcfjab  ->  bajfch

They are the sanity checks of a sequence model (the Annotated Transformer checks itself on the
copy task): nothing to know about the world, every output token is one input token, and which
one is fixed by position, so a model that cannot learn them has a bug. Copy needs the model to
carry the whole string across to the decoder in order; reverse tests whether attention (or the
reversed input of the book's encoder) can find position ``T - 1 - t`` at step ``t``.

Strings are drawn from ``ALPHABET`` (ten letters, as the Annotated Transformer's ten symbols)
with a length uniform in ``[min_len, max_len]`` (default 1-12), each distinct string once, so
that a train/test split never puts the same question on both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

import numpy as np

from attnseq.core.errors import AttnseqError, integer_at_least, non_negative_int

ALPHABET = "abcdefghij"
MIN_LEN, MAX_LEN = 1, 12

# The answer of each task as a function of its question.
ANSWERS: MappingProxyType[str, Callable[[str], str]] = MappingProxyType({
    "copy": lambda s: s,
    "reverse": lambda s: s[::-1],
})


def distinct_strings(max_len: int) -> int:
    """How many different strings of length 1..``max_len`` the alphabet has."""
    return sum(len(ALPHABET) ** k for k in range(1, max_len + 1))


def generate_sequences(n: int, task: str, *, seed: int | np.random.Generator = 0,
                       min_len: int = MIN_LEN, max_len: int = MAX_LEN) -> list[tuple[str, str]]:
    """``n`` distinct (string, answer) pairs of ``task`` ("copy" or "reverse").

    Each draw picks a length uniformly in [min_len, max_len], then each letter uniformly; a
    string drawn before is drawn again (so the shortest lengths, which have few strings, are
    rarer than uniform once used up). The same seed gives the same pairs on every platform.
    """
    if task not in ANSWERS:
        raise AttnseqError(f"unknown sequence task {task!r}; known: {', '.join(ANSWERS)}")
    n = non_negative_int("the number of strings", n)
    min_len = integer_at_least("min_len", min_len, 1)
    max_len = integer_at_least("max_len", max_len, min_len)
    if n > distinct_strings(max_len) - distinct_strings(min_len - 1):
        raise AttnseqError(f"there are fewer than {n} distinct strings of length "
                           f"{min_len}-{max_len}")
    rng = np.random.default_rng(seed)
    answer = ANSWERS[task]
    seen: dict[str, None] = {}  # insertion-ordered set
    while len(seen) < n:
        # Draw in blocks (vectorised), keep the new strings in the order drawn.
        want = n - len(seen)
        lengths = rng.integers(min_len, max_len + 1, size=want)
        letters = rng.integers(0, len(ALPHABET), size=(want, max_len))
        for length, row in zip(lengths.tolist(), letters.tolist(), strict=True):
            text = "".join(ALPHABET[i] for i in row[:length])
            if text not in seen and len(seen) < n:
                seen[text] = None
    return [(text, answer(text)) for text in seen]
