"""``FastTimeStackedLSTM``: the book's ``TimeStackedLSTM`` over the fast set's LSTMs.

Two things set it apart from the book's stack, and nothing else:

* its bottom layer may read token ids itself (an ``EmbeddingLSTM``: the embedding and the
  first LSTM in one, which runs a prefix that rows share once), so ``forward`` takes
  (N, T) ids as well as (N, T, D) vectors, and ``backward`` then returns None for them;
* ``step`` passes ``equal_rows`` (rows that beam search copied from one parent,
  ``attnseq.decoding.protocol``) to every layer, whose recurrent product then runs once for
  each group of equal rows (``FastTimeLSTM.step``).

Outputs and gradients equal the book's stack over the book's layers
(tests/fast/test_stacked.py).
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.fast.lstm import EmbeddingLSTM
from attnseq.layers.stacked import TimeStackedLSTM


class FastTimeStackedLSTM(TimeStackedLSTM):
    """FastTimeStackedLSTM(layers, *, residual=False, dropout=0.0, rng=None, residual_from=2):
    a ``TimeStackedLSTM`` whose bottom layer may be an ``EmbeddingLSTM`` (then forward(ids
    (N, T)) and no side input). step(x, h, c, side=None, equal_rows=None) -> (out (N, H), h,
    c), with x (N, D) vectors or (N,) ids, h and c (N, L, H), equal_rows (N,) ints or None.
    """

    def __init__(self, layers, **options):
        layers = list(layers)
        if any(isinstance(layer, EmbeddingLSTM) for layer in layers[1:]):
            raise ValueError("only the bottom layer of a stack may read ids")
        super().__init__(layers, **options)

    @property
    def reads_ids(self) -> bool:
        """Does the bottom layer read token ids rather than vectors?"""
        return isinstance(self.layers[0], EmbeddingLSTM)

    def forward(self, xs, side=None):
        if side is not None and self.reads_ids:
            raise ValueError("a side input needs a bottom layer that reads vectors")
        return super().forward(xs, side)

    def step(self, x, h, c, side=None, equal_rows=None):
        h_new, c_new = xp.empty_like(h), xp.empty_like(c)
        for l, layer in enumerate(self.layers):
            inp = x if side is None else xp.concatenate([x, side], axis=1)
            h_new[:, l], c_new[:, l] = layer.step(inp, h[:, l], c[:, l],
                                                  equal_rows=equal_rows)
            x = h_new[:, l] + x if self.skips(l) else h_new[:, l]
        return x, h_new, c_new
