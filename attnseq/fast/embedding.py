"""The embedding's backward by sorting: the book's ``Embedding`` with a faster scatter.

``np.add.at`` adds the rows of dout into dW one at a time. Sorted by id, the rows of each id
are one run, which one ``add.reduceat`` sums: a fraction of the time on a batch's worth of ids
(docs/performance.md), equal to the book's up to the order of float additions.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers import core as book


class FastEmbedding(book.Embedding):
    """``attnseq.layers.Embedding`` (same constructor, methods and results)."""

    def backward(self, dout):
        """Add ``dout`` (*S, D) into the rows of dW, each id's rows summed as one run."""
        (dW,) = self.grads
        dW[...] = 0
        ids = self.idx.ravel()
        if ids.shape[0] == 0:
            return None
        order = xp.argsort(ids, kind="stable")
        ids = ids[order]
        starts = xp.flatnonzero(xp.concatenate([xp.ones(1, dtype=bool), ids[1:] != ids[:-1]]))
        dW[ids[starts]] = xp.add.reduceat(dout.reshape(-1, dW.shape[1])[order], starts, axis=0)
        return None


class FastTimeEmbedding(FastEmbedding):
    """The fast ``TimeEmbedding``: over (N, T) ids, returning (N, T, D)."""
