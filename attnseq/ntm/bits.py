"""The copy task of the Neural Turing Machine paper (Graves et al. 2014, section 4.1).

A sequence of L random binary vectors of ``width`` bits (8 in the paper) is shown one vector
a step, followed by a delimiter; the network must then output the same L vectors, with no
more input. With ``width + 1`` input channels, the last being the delimiter's::

    step      0 .. L−1           L                 L+1 .. 2L
    input     bits, delimiter 0   zeros, delim 1    all zeros
    target    (none)             (none)            the bits of steps 0 .. L−1

so ``xs`` is (B, 2L + 1, width + 1) and ``ts`` (B, L, width) holds the targets of the last L
steps: a model's loss compares its last ``ts.shape[1]`` outputs with ``ts``. The delimiter has
a channel of its own so that it can never be mistaken for data. Every sequence of one batch
has the same length (a training run draws a length per batch), so nothing is padded.
"""

from __future__ import annotations

import numpy

from attnseq.core.backend import float_dtype
from attnseq.core.errors import AttnseqError, positive_int

BITS = 8  # the paper's vector width
MIN_LENGTH, MAX_LENGTH = 1, 20  # the paper's training lengths


def copy_batch(rng: numpy.random.Generator, batch: int, length: int, width: int = BITS,
               dtype=None) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``batch`` copy sequences of ``length`` vectors: (xs (B, 2L + 1, width + 1),
    ts (B, L, width)); bits are 0 or 1, each with probability one half."""
    batch, length = positive_int("batch", batch), positive_int("length", length)
    width = positive_int("width", width)
    dt = float_dtype(dtype)
    bits = rng.integers(0, 2, (batch, length, width)).astype(dt)
    xs = numpy.zeros((batch, 2 * length + 1, width + 1), dtype=dt)
    xs[:, :length, :width] = bits
    xs[:, length, width] = 1.0  # the delimiter
    return xs, bits


def draw_length(rng: numpy.random.Generator, low: int = MIN_LENGTH,
                high: int = MAX_LENGTH) -> int:
    """A training length, uniform on [low, high] (both included)."""
    low, high = positive_int("min length", low), positive_int("max length", high)
    if low > high:
        raise AttnseqError(f"min length must be at most max length, got {low} > {high}")
    return int(rng.integers(low, high + 1))
