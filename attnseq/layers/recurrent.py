"""LSTM: one step (``LSTM``) and a whole sequence (``TimeLSTM``).

Gate layout. The pre-activation ``A = x @ Wx + h_prev @ Wh + b`` (N, 4H) holds the gates in the
order forget, input, output (the three sigmoids, side by side) and then the candidate ``g``
(tanh). The book orders them f, g, i, o; putting the sigmoids together lets one call activate
all three. The maths is the book's:

    f, i, o = σ(A_f), σ(A_i), σ(A_o);   g = tanh(A_g)
    c = f·c_prev + i·g;                 h = o·tanh(c)

Both layers share the two cell functions below, so the step maths exists once.
"""

from __future__ import annotations

from attnseq.backend import xp
from attnseq.layers.base import Layer


def lstm_cell(gates, c_prev, c_out, tanh_c_out, h_out):
    """Activate ``gates`` (N, 4H) in place and write the new cell state, tanh(c) and h.

    gates: pre-activations on entry, activations f, i, o, g on return. c_prev: (N, H).
    c_out, tanh_c_out, h_out: (N, H) buffers that receive c, tanh(c) and h.
    """
    H = c_prev.shape[1]
    sig = gates[:, : 3 * H]
    # σ(x) = (1 + tanh(x/2)) / 2: no overflow for large |x|, and it lets one tanh over the
    # whole contiguous block activate all four gates (a strided slice is slower to walk).
    sig *= 0.5
    xp.tanh(gates, out=gates)
    sig *= 0.5
    sig += 0.5
    f, i, o, g = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    xp.multiply(f, c_prev, out=c_out)
    xp.multiply(i, g, out=tanh_c_out)  # i·g, in a buffer that is free until tanh(c)
    c_out += tanh_c_out
    xp.tanh(c_out, out=tanh_c_out)
    xp.multiply(o, tanh_c_out, out=h_out)


def lstm_cell_backward(gates, c_prev, tanh_c, dh, dc, dA_out):
    """Backward of ``lstm_cell``: write dA (N, 4H) into ``dA_out`` and return dc_prev (N, H).

    gates: the activations from the forward pass; dh, dc: gradients of the step's h and c
    (dc includes what flows back from the next step). Nothing passed in is modified.
    """
    H = c_prev.shape[1]
    f, i, o, g = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    ds = dh * o
    ds *= 1.0 - tanh_c * tanh_c
    ds += dc  # total gradient of c
    xp.multiply(ds * c_prev, f * (1.0 - f), out=dA_out[:, :H])
    xp.multiply(ds * g, i * (1.0 - i), out=dA_out[:, H : 2 * H])
    xp.multiply(dh * tanh_c, o * (1.0 - o), out=dA_out[:, 2 * H : 3 * H])
    xp.multiply(ds * i, 1.0 - g * g, out=dA_out[:, 3 * H :])
    ds *= f
    return ds


def lstm_step(Wx, Wh, b, x, h_prev, c_prev, keys=None):
    """One step from scratch: returns (gates, c, tanh_c, h); see ``lstm_cell`` for the shapes.
    ``keys`` (N,), when given, say which inputs are equal (see ``input_projection``)."""
    gates = input_projection(x, Wx, b, keys)  # (N, 4H), added to in place
    gates += h_prev @ Wh
    c, tanh_c, h = (xp.empty_like(c_prev) for _ in range(3))
    lstm_cell(gates, c_prev, c, tanh_c, h)
    return gates, c, tanh_c, h


def input_projection(x, Wx, b, keys=None):
    """``x @ Wx + b`` for x (R, D) -> (R, 4H), each distinct input projected once.

    keys (R,) ints, when given, are equal where rows of x are equal (token ids of embedded
    inputs). A vocabulary has far fewer distinct tokens than a batch has rows, and a matmul
    with only D = 16 columns to sum over runs far below the BLAS's peak, so projecting each
    distinct row and copying the results out is cheaper than projecting every row.
    """
    if keys is not None and keys.shape[0] >= 32:  # a few rows: not worth finding the repeats
        uniq, first, inverse = xp.unique(keys, return_index=True, return_inverse=True)
        if 2 * uniq.shape[0] <= keys.shape[0]:  # enough repetition to pay for the lookup
            table = x[first] @ Wx  # (U, 4H)
            table += b
            return xp.take(table, inverse.reshape(-1), axis=0)
    out = x @ Wx
    out += b
    return out


class LSTM(Layer):
    """One LSTM step. Wx: (D, 4H), Wh: (H, 4H), b: (4H,).

    forward(x (N, D), h_prev (N, H), c_prev (N, H)) -> (h, c), each (N, H).
    backward(dh, dc) -> (dx, dh_prev, dc_prev).
    """

    def __init__(self, Wx, Wh, b):
        super().__init__()
        self.params = [Wx, Wh, b]
        self.grads = [xp.zeros_like(Wx), xp.zeros_like(Wh), xp.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        gates, c, tanh_c, h = lstm_step(*self.params, x, h_prev, c_prev)
        self.cache = (x, h_prev, c_prev, gates, tanh_c)
        return h, c

    def backward(self, dh, dc):
        Wx, Wh, _ = self.params
        dWx, dWh, db = self.grads
        x, h_prev, c_prev, gates, tanh_c = self.cache
        dA = xp.empty_like(gates)
        dc_prev = lstm_cell_backward(gates, c_prev, tanh_c, dh, dc, dA)
        xp.matmul(x.T, dA, out=dWx)
        xp.matmul(h_prev.T, dA, out=dWh)
        db[...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, dc_prev


# A step gathers the first rows of scattered runs only when that computes at most this share of
# the rows that the contiguous plan would (see ``_prefix_plan``).
SHARE_AT_MOST = 0.9


def _prefix_plan(keys):
    """Sort the rows so that rows with a common prefix are neighbours, and find what each step
    computes.

    keys: (N, T) ints, equal where two rows' inputs are equal (token ids). Returns
    (order, starts, runs): ``order`` sorts the rows by their keys (lexicographically, largest
    first), so that at every step t the rows that agree on keys[:, :t+1] form contiguous *runs*
    of sorted rows, and step t computes one row of each run, its first. ``starts[t]`` says
    which rows those are:

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
    order = xp.lexsort(keys.T[::-1])[::-1]  # lexsort's last key is the primary: column 0
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


def _computed_rows(starts, N: int):
    """Indices into the time-major (T·N) rows of the (step, row) pairs a plan computes, step
    by step (see ``_prefix_plan``); None when all are."""
    if all(s is None for s in starts):
        return None
    return xp.concatenate([t * N + (xp.arange(N) if s is None else
                                    xp.arange(s) if isinstance(s, int) else s)
                           for t, s in enumerate(starts)])


def _unsort(a, order):
    """Undo ``a = b[order]`` along the first axis (a no-op copy when order is None)."""
    if order is None:
        return a.copy()
    out = xp.empty_like(a)
    out[order] = a
    return out


class TimeLSTM(Layer):
    """An LSTM run over T steps. Wx: (D, 4H), Wh: (H, 4H), b: (4H,).

    forward(xs (N, T, D), keys=None) -> hs (N, T, H); backward(dhs (N, T, H)) -> dxs (N, T, D).

    Only the recurrence ``h_prev @ Wh`` runs step by step. The input projection of all steps is
    one matmul before the loop, and the weight gradients are one matmul each after it. Inside,
    the buffers are time-major, so every step reads and writes contiguous blocks: states are
    (T + 1, N, H), and the gates of the (step, row) pairs actually computed (see ``keys``) are
    packed step after step into (R, 4H), R ≤ T·N, so skipped pairs cost neither FLOPs nor memory.

    ``keys`` (N, T) ints (the token ids behind xs) say which inputs are equal. Each distinct
    input is projected once (``input_projection``). And rows whose first t + 1 keys agree
    have, from a zero initial state, walked the same states up to step t, so the layer computes
    that walk once, on the first row of the group, and copies it to the others. Every row
    shares the padding that reversed inputs carry in front, and in a batch of like inputs
    (sorted, as ``attnseq.decoding`` sorts them) many also share the first real characters.
    Outputs and parameter gradients are those of the plain loop. The input gradient of a
    shared step is exact in its sum over the group (all an embedding needs, since the group
    has one token there): it is returned on the computed row, and the others get 0.

    ``stateful=True`` starts from the state set by ``set_state`` (or left by the last forward)
    instead of zeros: rows then differ from the start, and ``keys`` serve the projection only.
    After backward, ``dh`` and ``dc`` hold the gradients of the initial state.
    """

    def __init__(self, Wx, Wh, b, stateful: bool = False):
        super().__init__()
        self.params = [Wx, Wh, b]
        self.grads = [xp.zeros_like(Wx), xp.zeros_like(Wh), xp.zeros_like(b)]
        self.stateful = stateful
        self.h = self.c = None
        self.dh = self.dc = None
        self.cache = None

    def set_state(self, h, c=None):
        """Set the initial hidden state h (N, H) and, optionally, the cell state c (N, H)."""
        self.h, self.c = h, c

    def reset_state(self):
        self.h = self.c = None

    def forward(self, xs, keys=None):
        Wx, Wh, b = self.params
        N, T, D = xs.shape
        H = Wh.shape[0]
        use_state = self.stateful and self.h is not None
        if keys is not None and not use_state:
            order, starts, runs = _prefix_plan(keys)
            xs, keys = xs[order], keys[order]
        else:
            order, starts, runs = None, [None] * T, [None] * T
        x2 = xp.ascontiguousarray(xs.transpose(1, 0, 2)).reshape(T * N, D)  # (T·N, D)
        rows = _computed_rows(starts, N)
        xr = x2 if rows is None else x2[rows]  # (R, D): the inputs of the computed rows
        kr = None
        if keys is not None:  # the computed rows' keys, laid out like xr
            kr = xp.ascontiguousarray(keys.T).reshape(T * N)
            kr = kr if rows is None else kr[rows]
        # (R, 4H): all input projections at once, step t's rows contiguous
        gates = input_projection(xr, Wx, b, kr)
        hs = xp.empty((T + 1, N, H), dtype=Wh.dtype)  # hs[t] is the h that step t reads
        cs = xp.empty((T + 1, N, H), dtype=Wh.dtype)
        tanh_cs = xp.empty((gates.shape[0], H), dtype=Wh.dtype)
        hs[0] = self.h if use_state else 0.0
        cs[0] = self.c if use_state and self.c is not None else 0.0
        rec = xp.empty((N, 4 * H), dtype=Wh.dtype)
        h_run, c_run = xp.empty((N, H), dtype=Wh.dtype), xp.empty((N, H), dtype=Wh.dtype)
        lo = 0
        for t, (first, run) in enumerate(zip(starts, runs)):
            if first is None:  # every row computed, in place
                g = gates[lo:lo + N]
                xp.matmul(hs[t], Wh, out=rec)
                g += rec
                lstm_cell(g, cs[t], cs[t + 1], tanh_cs[lo:lo + N], hs[t + 1])
                lo += N
            elif isinstance(first, int):  # rows :m computed in place; row m-1 carries the rest
                m = first
                g = gates[lo:lo + m]
                xp.matmul(hs[t, :m], Wh, out=rec[:m])
                g += rec[:m]
                lstm_cell(g, cs[t, :m], cs[t + 1, :m], tanh_cs[lo:lo + m], hs[t + 1, :m])
                hs[t + 1, m:] = hs[t + 1, m - 1]
                cs[t + 1, m:] = cs[t + 1, m - 1]
                lo += m
            else:  # one row per run; the run's other rows copy its new state
                m = first.shape[0]
                g = gates[lo:lo + m]
                xp.matmul(hs[t, first], Wh, out=rec[:m])
                g += rec[:m]
                lstm_cell(g, cs[t, first], c_run[:m], tanh_cs[lo:lo + m], h_run[:m])
                xp.take(h_run[:m], run, axis=0, out=hs[t + 1])
                xp.take(c_run[:m], run, axis=0, out=cs[t + 1])
                lo += m
        self.cache = (xr, gates, hs, cs, tanh_cs, order, starts, rows)
        if self.stateful:
            self.h, self.c = _unsort(hs[T], order), _unsort(cs[T], order)
        return _unsort(hs[1:].transpose(1, 0, 2), order)  # (N, T, H)

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dWx, dWh, db = self.grads
        xr, gates, hs, cs, tanh_cs, order, starts, rows = self.cache
        T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        if order is not None:
            dhs = dhs[order]
        dA = xp.empty_like(gates)  # (R, 4H), laid out like gates
        dh = xp.zeros((N, H), dtype=Wh.dtype)  # gradients of every row's h and c after step t
        dc = xp.zeros((N, H), dtype=Wh.dtype)
        hi = gates.shape[0]
        for t in reversed(range(T)):
            first = starts[t]
            dh += dhs[:, t]  # gradient of h_t: from the output and from step t+1
            if first is None:
                lo = hi - N
                dc[...] = lstm_cell_backward(gates[lo:hi], cs[t], tanh_cs[lo:hi], dh, dc,
                                             dA[lo:hi])
                xp.matmul(dA[lo:hi], Wh.T, out=dh)
            elif isinstance(first, int):  # rows m.. were copies of row m-1: their gradients
                m = first                 # add up there
                lo = hi - m
                dh[m - 1] += dh[m:].sum(axis=0)
                dc[m - 1] += dc[m:].sum(axis=0)
                dc[:m] = lstm_cell_backward(gates[lo:hi], cs[t, :m], tanh_cs[lo:hi], dh[:m],
                                            dc[:m], dA[lo:hi])
                xp.matmul(dA[lo:hi], Wh.T, out=dh[:m])
                dh[m:] = 0.0
                dc[m:] = 0.0
            else:  # a run's rows were copies of its first row's state: gradients add up there
                lo = hi - first.shape[0]
                dh_run = xp.add.reduceat(dh, first, axis=0)
                dc_run = xp.add.reduceat(dc, first, axis=0)
                dc_prev = lstm_cell_backward(gates[lo:hi], cs[t, first], tanh_cs[lo:hi],
                                             dh_run, dc_run, dA[lo:hi])
                dh[...] = 0.0
                dc[...] = 0.0
                dh[first] = dA[lo:hi] @ Wh.T
                dc[first] = dc_prev
            hi = lo
        self.dh, self.dc = _unsort(dh, order), _unsort(dc, order)
        h_prev = hs[:-1].reshape(T * N, H)
        xp.matmul(xr.T, dA, out=dWx)  # each weight gradient: one matmul over the computed rows
        xp.matmul((h_prev if rows is None else h_prev[rows]).T, dA, out=dWh)
        db[...] = dA.sum(axis=0)
        dxr = dA @ Wx.T  # (R, D)
        if rows is None:
            dx2 = dxr
        else:  # rows that only copied a shared state get no input gradient
            dx2 = xp.zeros((T * N, xr.shape[1]), dtype=dxr.dtype)
            dx2[rows] = dxr
        return _unsort(dx2.reshape(T, N, -1).transpose(1, 0, 2), order)  # (N, T, D)

    def step(self, x, h, c, keys=None):
        """One inference step without caching: x (N, D), h, c (N, H) -> (h, c); ``keys`` (N,)
        say which inputs are equal, as in ``forward``."""
        _, c_new, _, h_new = lstm_step(*self.params, x, h, c, keys)
        return h_new, c_new
