"""Work that the rows of a batch share, done once: common prefixes and repeated tokens.

``TimeLSTM`` (``attnseq.layers.recurrent``) takes ``keys``, the token ids behind its inputs,
and uses the two helpers here:

* ``prefix_plan``: rows whose first t + 1 tokens agree walk the same LSTM states up to step t
  (from a zero start). Sorted by their tokens, such rows are neighbours, and each step
  computes one row of each group and copies its state to the others. Reversed inputs all
  begin with padding, and a batch of like questions also shares first characters.
* ``input_projection``: the projection ``x @ Wx + b`` of each distinct token once, copied out
  to the rows, instead of a matmul over every row with only D terms to sum; gate-major, as the
  LSTM cell takes its gates.
"""

from __future__ import annotations

from attnseq.backend import xp


def gate_major(a):
    """View a (N, 4H) array of pre-activations, their gradients or the weights that make them
    (Wx, Wh) as (4, N, H), gate k being a[:, kH:(k+1)H] (the LSTM's layout, see
    ``attnseq.layers.recurrent``). A view, not a copy: writing to it writes to ``a``."""
    N, H4 = a.shape
    return a.reshape(N, 4, H4 // 4).transpose(1, 0, 2)


def input_projection(x, Wx, b, keys=None):
    """``x @ Wx + b`` for x (R, D), gate-major: (4, R, H), gate k being the columns kH:(k+1)H
    of the product (see ``attnseq.layers.recurrent``). Each distinct input is projected once.

    keys (R,) ints, when given, are equal where rows of x are equal (token ids of embedded
    inputs). A vocabulary has far fewer distinct tokens than a batch has rows, and a matmul
    with only D = 16 columns to sum over runs far below the BLAS's peak, so projecting each
    distinct row and copying the results out is cheaper than projecting every row.
    """
    Wx4 = gate_major(Wx)  # (4, D, H): gate k's columns
    b4 = b.reshape(4, 1, -1)
    if keys is not None and keys.shape[0] >= 32:  # a few rows: not worth finding the repeats
        uniq, first, inverse = xp.unique(keys, return_index=True, return_inverse=True)
        if 2 * uniq.shape[0] <= keys.shape[0]:  # enough repetition to pay for the lookup
            table = xp.matmul(x[first], Wx4)  # (4, U, H)
            table += b4
            return xp.take(table, inverse.reshape(-1), axis=1)
    out = xp.matmul(x, Wx4)  # (4, R, H), one gate after the other
    out += b4
    return out


# A step gathers the first rows of scattered runs only when that computes at most this share of
# the rows that the contiguous plan would (see ``prefix_plan``).
SHARE_AT_MOST = 0.9


def prefix_order(keys):
    """The order that puts rows with a common prefix next to each other.

    keys (N, T) ints -> order (N,): the rows sorted lexicographically, largest first (so
    padding, the smallest id in attnseq's vocabularies, sorts last), equal rows in the order
    they came. A batch already in this order gets ``arange(N)`` back.
    """
    # lexsort sorts ascending and its last key is the primary one; on -keys ascending is our
    # descending, and lexsort is stable, so equal rows keep their order
    return xp.lexsort(-keys.T[::-1].astype(xp.int64))


def prefix_plan(keys):
    """Sort the rows so that rows with a common prefix are neighbours, and find what each step
    computes.

    keys: (N, T) ints, equal where two rows' inputs are equal (token ids). Returns
    (order, starts, runs): ``order`` sorts the rows by their keys (``prefix_order``; None when
    they are sorted already), so that at every step t the rows that agree on keys[:, :t+1] form
    contiguous *runs* of sorted rows, and step t computes one row of each run, its first.
    ``starts[t]`` says which rows those are:

    * None: every run is one row, all N are computed;
    * an int m: rows :m, each on its own, and row m-1 carries its state to the rows after it,
      which share its prefix: padding, which sorts last when its id is the smallest, as in
      attnseq's vocabularies (rows :m may share prefixes too, when gathering them would not
      save enough, see ``SHARE_AT_MOST``);
    * else an ascending index array, the first row of each run, with ``runs[t]`` (N,) the run
      of every sorted row.

    ``runs[t]`` is None in the first two cases.
    """
    N, T = keys.shape
    order = prefix_order(keys)
    if xp.array_equal(order, xp.arange(N)):
        order, k = None, keys
    else:
        k = keys[order]
    first = xp.ones((N, T), dtype=bool)  # first[n, t]: sorted row n begins a run at step t
    if N > 1:
        xp.logical_or.accumulate(k[1:] != k[:-1], axis=1, out=first[1:])
    starts, runs = [], []
    for t, m in enumerate(first.sum(axis=0).tolist()):
        rows = None if m == N else xp.flatnonzero(first[:, t])
        # Computing rows :last + 1 (every row but the last run's copies) is also exact: a row
        # of a shared run that is computed on its own gets the same state as the run's first.
        # Where the runs before the last save few rows, that cheaper plan wins over gathering
        # the scattered rows (measured in training on random batches of dates).
        if rows is not None and m >= SHARE_AT_MOST * (int(rows[-1]) + 1):
            rows = int(rows[-1]) + 1
        starts.append(rows)
        runs.append(None if rows is None or isinstance(rows, int)
                    else xp.cumsum(first[:, t]) - 1)
    return order, starts, runs


def computed_rows(starts, N: int):
    """Indices into the time-major (T·N) rows of the (step, row) pairs a plan computes, step
    by step (see ``prefix_plan``); None when all are."""
    if all(s is None for s in starts):
        return None
    return xp.concatenate([t * N + (xp.arange(N) if s is None else
                                    xp.arange(s) if isinstance(s, int) else s)
                           for t, s in enumerate(starts)])


def unsort(a, order):
    """Undo ``a = b[order]`` along the first axis; ``a`` itself when order is None."""
    if order is None:
        return a
    out = xp.empty_like(a)
    out[order] = a
    return out
