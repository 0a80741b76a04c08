"""The two layer sets a model is built from, by name: ``IMPLS["book"]`` and ``IMPLS["fast"]``.

A ``LayerSet`` names the layer classes a model takes from a set, so that a model has one code
path whichever set it runs. The book's set is the paper's and the chapter's layers
(``attnseq.layers``); the fast set holds their speed-ups (``attnseq.fast``), each with the
same contract, the same params in the same order, and tested equal to its twin: a model's
weights load into either.

``pack``/``unpack`` are how a Transformer encoder gives its position-wise layers its rows:
the book's keeps the padded (N, T, D) batch; the fast set packs the real positions into one
(M, D) block (``attnseq.fast.packing``), which its attention reads by the key mask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from attnseq import fast as F
from attnseq import layers as L
from attnseq.core.registry import ONE_OF, Registry
from attnseq.fast.packing import pack_real, unpack_real


def padded(key_mask, x):
    """The book's rows: the padded batch x itself, whatever the mask."""
    return x


@dataclass(frozen=True)
class LayerSet:
    """The layers of one set, for the Transformer: attention, normalisation, the
    feed-forward net, the output projection, and the encoder's rows (module docstring)."""

    MultiHeadAttention: type
    LayerNorm: type
    FeedForward: type
    Affine: type
    pack: Callable
    unpack: Callable


BOOK = LayerSet(MultiHeadAttention=L.MultiHeadAttention, LayerNorm=L.LayerNorm,
                FeedForward=L.FeedForward, Affine=L.TimeAffine, pack=padded, unpack=padded)
FAST = LayerSet(MultiHeadAttention=F.FastMultiHeadAttention, LayerNorm=F.FastLayerNorm,
                FeedForward=F.FastFeedForward, Affine=F.FastAffine, pack=pack_real,
                unpack=unpack_real)

IMPLS = Registry("impl", {"book": BOOK, "fast": FAST}, default="fast", message=ONE_OF)
