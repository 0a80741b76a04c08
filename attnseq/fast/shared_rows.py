"""Work that the rows of a batch share, done once: common prefixes and repeated tokens.

``EmbeddingLSTM`` (``attnseq.fast.lstm``) reads token ids, and uses the two ideas here:

* ``PrefixPlan.for_keys``: rows whose first t + 1 tokens agree walk the same LSTM states up to
  step t (from a zero start). Sorted by their tokens, such rows are neighbours, and each step
  computes one row of each group and copies its state to the others. Reversed inputs all
  begin with padding, and a batch of like questions also shares first characters.
* ``input_projection``: the projection ``x @ Wx + b`` of each distinct token once, copied out
  to the rows, instead of a matmul over every row with only D terms to sum; gate-major, as the
  LSTM cell takes its gates.
"""

from __future__ import annotations

from dataclasses import dataclass

from attnseq.core.backend import xp
from attnseq.fast.cell import gate_major

# Repeated rows are looked for from this many rows on: below it, finding them costs more than
# it saves.
MIN_ROWS_TO_DEDUPLICATE = 32
# A step gathers the first rows of scattered runs only when that computes at most this share of
# the rows that the contiguous plan would (see ``PrefixPlan.for_keys``); else it computes
# rows :last + 1, which gathers and scatters nothing.
SHARE_AT_MOST = 0.9


# A product of each distinct row once is worth its gather and scatter while at most this share
# of the rows is distinct: half for the input projection (D terms to sum per output), nearly
# all for the recurrent product (H·4H multiply-adds per row against 5H values moved).
INPUT_SHARE = 0.5
RECURRENT_SHARE = 0.9


def distinct_rows(keys, share: float = INPUT_SHARE):
    """(first, inverse) for rows that ``keys`` (R,) ints say are equal: ``first`` (U,) one row
    of each distinct key, ``inverse`` (R,) the position in ``first`` of every row's key; or
    None when looking is not worth it (fewer than ``MIN_ROWS_TO_DEDUPLICATE`` rows, or more
    than ``share`` of them distinct, or no keys)."""
    if keys is None or keys.shape[0] < MIN_ROWS_TO_DEDUPLICATE:
        return None
    uniq, first, inverse = xp.unique(keys, return_index=True, return_inverse=True)
    if uniq.shape[0] > share * keys.shape[0]:
        return None
    return first, inverse.reshape(-1)


def input_projection(x, Wx, b, equal_inputs=None):
    """``x @ Wx + b`` for x (R, D), gate-major: (4, R, H), gate k being the columns kH:(k+1)H
    of the product (see ``attnseq.layers.recurrent``). Each distinct input is projected once.

    equal_inputs (R,) ints, when given, are equal where rows of x are equal (token ids of
    embedded inputs). A vocabulary has far fewer distinct tokens than a batch has rows, and a matmul
    with only D columns to sum over runs far below the BLAS's peak, so projecting each
    distinct row and copying the results out is cheaper than projecting every row.
    """
    Wx4 = gate_major(Wx)  # (4, D, H): gate k's columns
    b4 = b.reshape(4, 1, -1)
    rows = distinct_rows(equal_inputs)
    if rows is not None:
        first, inverse = rows
        table = xp.matmul(x[first], Wx4)  # (4, U, H)
        table += b4
        return xp.take(table, inverse, axis=1)
    out = xp.matmul(x, Wx4)  # (4, R, H), one gate after the other
    out += b4
    return out


def recurrent_product(h, Wh, equal_rows=None):
    """``h @ Wh`` for h (N, H), each distinct row once when ``equal_rows`` (N,) ints are equal
    where rows of h are (the rows a decoding algorithm copied from one parent state; see
    ``attnseq.decoding.protocol.select``)."""
    rows = distinct_rows(equal_rows, RECURRENT_SHARE)
    if rows is None:
        return h @ Wh
    first, inverse = rows
    return xp.take(h[first] @ Wh, inverse, axis=0)


def prefix_order(keys):
    """The order that puts rows with a common prefix next to each other.

    keys (N, T) ints -> order (N,): the rows sorted lexicographically, largest first (so
    padding, the smallest id in attnseq's vocabularies, sorts last), equal rows in the order
    they came. A batch already in this order gets ``arange(N)`` back.
    """
    # lexsort sorts ascending and its last key is the primary one; on -keys ascending is our
    # descending, and lexsort is stable, so equal rows keep their order
    return xp.lexsort(-keys.T[::-1].astype(xp.int64))


@dataclass(frozen=True)
class StepRows:
    """The rows of a prefix-sorted batch that one step computes: ``count`` of them.

    ``first`` None: rows :count, each in place; the rows after them (if any) share the prefix
    of row count - 1 and copy its new state. Otherwise ``first`` (count,) holds the ascending
    indices of the first row of each run of rows that share a prefix, and ``run`` (N,) the
    run of every row, whose state it copies.
    """

    count: int
    first: object = None
    run: object = None

    @property
    def gathered(self) -> bool:
        return self.first is not None

    def indices(self):
        """The computed rows' indices, ascending."""
        return self.first if self.gathered else xp.arange(self.count)


@dataclass(frozen=True)
class PrefixPlan:
    """Which (step, row) pairs an LSTM over a batch of N rows computes, step by step.

    ``order`` sorts the rows so that rows with a common prefix are neighbours (None: they are
    in order already); ``steps`` holds one ``StepRows`` per step, in terms of the sorted rows.
    """

    order: object
    steps: tuple
    batch: int

    @classmethod
    def every_row(cls, N: int, T: int) -> PrefixPlan:
        """The plan that computes all N rows at all T steps, in the order given."""
        return cls(None, (StepRows(N),) * T, N)

    @classmethod
    def for_keys(cls, keys) -> PrefixPlan:
        """The plan for rows that start from the same (zero) state with inputs keys (N, T)
        ints, equal where two inputs are equal (token ids): rows sorted by ``prefix_order``,
        and at every step t one row computed of each run of rows that agree on keys[:, :t+1].
        """
        N, T = keys.shape
        if N == 1:  # nothing to share (one input decoded on its own)
            return cls.every_row(N, T)
        order = prefix_order(keys)
        if xp.array_equal(order, xp.arange(N)):
            order, k = None, keys
        else:
            k = keys[order]
        first = xp.ones((N, T), dtype=bool)  # first[n, t]: sorted row n begins a run at step t
        if N > 1:
            xp.logical_or.accumulate(k[1:] != k[:-1], axis=1, out=first[1:])
        steps = []
        for t, m in enumerate(first.sum(axis=0).tolist()):
            if m == N:
                steps.append(StepRows(N))
                continue
            starts = xp.flatnonzero(first[:, t])
            last = int(starts[-1]) + 1
            if m >= SHARE_AT_MOST * last:
                # Computing rows :last is also exact: a row of a shared run that is computed
                # on its own gets the same state as the run's first. Where the runs before
                # the last save few rows, this gathers and scatters nothing.
                steps.append(StepRows(last))
            else:
                steps.append(StepRows(m, starts, xp.cumsum(first[:, t]) - 1))
        return cls(order, tuple(steps), N)

    @property
    def every_row_computed(self) -> bool:
        return all(s.count == self.batch and not s.gathered for s in self.steps)

    def computed_rows(self):
        """Indices into the time-major (T·N) rows of the pairs computed, step after step;
        None when every pair is."""
        if self.every_row_computed:
            return None
        N = self.batch
        return xp.concatenate([t * N + s.indices() for t, s in enumerate(self.steps)])

    def sort(self, a):
        """``a`` (N, ...) in the plan's row order."""
        return a if self.order is None else a[self.order]

    def unsort(self, a):
        """Undo ``sort`` along the first axis."""
        if self.order is None:
            return a
        out = xp.empty_like(a)
        out[self.order] = a
        return out
