"""The fast set's LSTMs: the book's ``TimeLSTM``'s results with less work.

``FastTimeLSTM`` has ``TimeLSTM``'s contract exactly (outputs, and the gradients of its inputs,
weights and initial state) and a faster layout:

* only the recurrence ``h_prev @ Wh`` runs step by step: the input projection of all steps is
  one matmul before the loop, and each weight gradient one matmul after it;
* the buffers are time-major, so every step reads and writes contiguous blocks: states are
  (T + 1, N, H), and each step's gates one gate-major (4, m, H) block (``step_gates``), so
  that the cell's elementwise passes run over contiguous memory.

``EmbeddingLSTM`` is an ``Embedding`` and such an LSTM in one layer, over token ids. Knowing
the ids, it skips what rows share (``attnseq.fast.shared_rows``): rows whose first t + 1 ids
agree have walked the same states up to step t, which it computes once, on one row of the
group; and it projects each distinct token once. Its input is ids, which have no gradient:
its backward writes the embedding's gradient, and that is exact, since the input gradient of
a shared step is the sum over the rows that shared it, which all read the same token there.

Both run the same loop, ``FastTimeLSTM.run``, over the (step, row) pairs a ``PrefixPlan``
computes: every pair for ``FastTimeLSTM``, the distinct prefixes for ``EmbeddingLSTM``.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.fast.cell import gate_major, lstm_cell, lstm_cell_backward
from attnseq.fast.embedding import FastEmbedding
from attnseq.fast.shared_rows import PrefixPlan, input_projection, recurrent_product
from attnseq.layers.base import Layer
from attnseq.layers.recurrent import TimeLSTM


def time_major(a):
    """(N, T, ...) -> (T·N, ...), step after step: row t·N + n is a[n, t]."""
    N, T = a.shape[:2]
    return xp.ascontiguousarray(a.swapaxes(0, 1)).reshape(T * N, *a.shape[2:])


def step_gates(gates, lo: int, m: int, H: int):
    """The gates of one step in the flat gate buffer of ``FastTimeLSTM.run``: the step's m
    computed rows are the packed rows lo:lo+m, their gates one contiguous (4, m, H) block from
    4H·lo on (in a slice [:, lo:lo+m] of a (4, R, H) array the four gates would lie apart)."""
    return gates[4 * H * lo:4 * H * (lo + m)].reshape(4, m, H)


class FastTimeLSTM(TimeLSTM):
    """``TimeLSTM`` (same constructor, methods and results) in the fast layout above."""

    def __init__(self, Wx, Wh, b, stateful: bool = False):
        super().__init__(Wx, Wh, b, stateful)
        # what run_backward needs, instead of TimeLSTM's list of steps
        self.cache: tuple | None = None

    @property
    def starts_from_state(self) -> bool:
        """True when the next forward starts from a set state rather than zeros."""
        return self.stateful and self.h is not None

    def forward(self, xs):
        """xs (N, T, D) -> hs (N, T, H)."""
        N, T, _ = xs.shape
        x_rows = time_major(xs)  # (T·N, D)
        Wx, _, b = self.params
        return self.run(x_rows, input_projection(x_rows, Wx, b), PrefixPlan.every_row(N, T))

    def backward(self, dhs):
        """dhs (N, T, H) -> dxs (N, T, D)."""
        N, T, _ = dhs.shape
        return self.run_backward(dhs).reshape(T, N, -1).swapaxes(0, 1)

    def run(self, x_rows, proj, plan: PrefixPlan):
        """The loop over the (step, row) pairs that ``plan`` computes -> hs (N, T, H).

        x_rows (R, D): the computed pairs' inputs, step after step, rows in the plan's order;
        proj (4, R, H): their projections ``x @ Wx + b``, gate-major. A plan that shares
        prefixes needs a zero initial state (the rows must start alike).
        """
        Wh = self.params[1]
        N, T, H = plan.batch, len(plan.steps), Wh.shape[0]
        R = proj.shape[1]
        gates = xp.empty(4 * R * H, dtype=Wh.dtype)  # step after step, see step_gates
        hs = xp.empty((T + 1, N, H), dtype=Wh.dtype)  # hs[t] is the h that step t reads
        cs = xp.empty((T + 1, N, H), dtype=Wh.dtype)
        tanh_cs = xp.empty((R, H), dtype=Wh.dtype)
        hs[0] = self.h if self.starts_from_state else 0.0
        cs[0] = self.c if self.starts_from_state and self.c is not None else 0.0
        rec = xp.empty((N, 4 * H), dtype=Wh.dtype)  # each step's h_prev @ Wh
        rec4 = gate_major(rec)
        h_run, c_run = xp.empty((N, H), dtype=Wh.dtype), xp.empty((N, H), dtype=Wh.dtype)
        lo = 0
        for t, step in enumerate(plan.steps):
            m = step.count
            g = step_gates(gates, lo, m, H)
            xp.matmul(hs[t, step.first] if step.gathered else hs[t, :m], Wh, out=rec[:m])
            xp.add(proj[:, lo:lo + m], rec4[:, :m], out=g)
            if step.gathered:  # one row per run; the run's other rows copy its new state
                lstm_cell(g, cs[t, step.first], c_run[:m], tanh_cs[lo:lo + m], h_run[:m])
                xp.take(h_run[:m], step.run, axis=0, out=hs[t + 1])
                xp.take(c_run[:m], step.run, axis=0, out=cs[t + 1])
            else:  # rows :m in place; row m-1 carries its state to the rows after it
                lstm_cell(g, cs[t, :m], cs[t + 1, :m], tanh_cs[lo:lo + m], hs[t + 1, :m])
                if m < N:
                    hs[t + 1, m:] = hs[t + 1, m - 1]
                    cs[t + 1, m:] = cs[t + 1, m - 1]
            lo += m
        self.cache = (x_rows, gates, hs, cs, tanh_cs, plan)
        if self.stateful:
            self.h, self.c = plan.unsort(hs[T]), plan.unsort(cs[T])
        return plan.unsort(hs[1:].swapaxes(0, 1))  # (N, T, H)

    def run_backward(self, dhs):
        """Backward of ``run``: dhs (N, T, H) -> the input gradient of every computed pair
        (R, D), laid out like ``x_rows``. Writes the weight gradients and ``dh``/``dc``.

        Where the plan copied a row's state to others, their gradients add up on that row:
        the returned gradient of a shared pair is the sum over the rows that shared it.
        """
        Wx, Wh, _ = self.params
        dWx, dWh, db = self.grads
        x_rows, gates, hs, cs, tanh_cs, plan = self.cache
        T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        dhs = plan.sort(dhs)
        # (R, 4H), packed like the gates but not gate-major: each step's dA and all steps'
        # together are then plain matrices for the matmuls that take them
        R = tanh_cs.shape[0]
        dA = xp.empty((R, 4 * H), dtype=Wh.dtype)
        dA4 = gate_major(dA)
        dh = xp.zeros((N, H), dtype=Wh.dtype)  # gradients of every row's h and c after step t
        dc = xp.zeros((N, H), dtype=Wh.dtype)
        hi = R
        for t in reversed(range(T)):
            step = plan.steps[t]
            m = step.count
            lo = hi - m
            g = step_gates(gates, lo, m, H)
            dh += dhs[:, t]  # gradient of h_t: from the output and from step t+1
            if step.gathered:  # a run's rows copied its first row's state: their gradients add
                dh_run = xp.add.reduceat(dh, step.first, axis=0)
                dc_run = xp.add.reduceat(dc, step.first, axis=0)
                dc_prev = lstm_cell_backward(g, cs[t, step.first], tanh_cs[lo:hi], dh_run,
                                             dc_run, dA4[:, lo:hi])
                dh[...] = 0.0
                dc[...] = 0.0
                dh[step.first] = dA[lo:hi] @ Wh.T
                dc[step.first] = dc_prev
            else:
                if m < N:  # rows m.. copied row m-1: their gradients add up there
                    dh[m - 1] += dh[m:].sum(axis=0)
                    dc[m - 1] += dc[m:].sum(axis=0)
                dc[:m] = lstm_cell_backward(g, cs[t, :m], tanh_cs[lo:hi], dh[:m], dc[:m],
                                            dA4[:, lo:hi])
                xp.matmul(dA[lo:hi], Wh.T, out=dh[:m])
                if m < N:
                    dh[m:] = 0.0
                    dc[m:] = 0.0
            hi = lo
        self.dh, self.dc = plan.unsort(dh), plan.unsort(dc)
        rows = plan.computed_rows()
        h_prev = hs[:-1].reshape(T * N, H)
        xp.matmul(x_rows.T, dA, out=dWx)  # each weight gradient: one matmul over the pairs
        xp.matmul((h_prev if rows is None else h_prev[rows]).T, dA, out=dWh)
        db[...] = dA.sum(axis=0)
        return dA @ Wx.T  # (R, D)

    def step(self, x, h, c, equal_inputs=None, equal_rows=None):
        """One inference step without caching: x (N, D), h, c (N, H) -> (h, c). The hints,
        which the book's ``TimeLSTM.step`` does not take: ``equal_inputs`` (N,) ints, equal
        where rows of x are (token ids; ``input_projection``), ``equal_rows`` (N,) where rows
        of h and c are (``recurrent_product``)."""
        Wx, Wh, b = self.params
        gates = input_projection(x, Wx, b, equal_inputs)  # (4, N, H), added to in place
        gates += gate_major(recurrent_product(h, Wh, equal_rows))
        c_new, tanh_c, h_new = (xp.empty_like(c) for _ in range(3))
        lstm_cell(gates, c, c_new, tanh_c, h_new)
        return h_new, c_new


class EmbeddingLSTM(Layer):
    """Token ids -> embedding -> LSTM, sharing what rows have in common (module docstring).

    EmbeddingLSTM(W (V, D), Wx (D, 4H), Wh (H, 4H), b (4H,), stateful=False); ``params`` is
    [W, Wx, Wh, b]. forward(ids (N, T) ints) -> hs (N, T, H); backward(dhs) -> None, the
    embedding's gradient written into its ``grads``. Stateful as ``TimeLSTM`` is
    (``set_state``, ``h``/``c``, ``dh``/``dc``); a forward from a set state shares no
    prefixes (the rows then differ from the start), only repeated tokens.
    ``step(ids (N,), h, c) -> (h, c)`` is one decoding step.
    """

    def __init__(self, W, Wx, Wh, b, stateful: bool = False):
        super().__init__()
        self.embed = FastEmbedding(W)
        self.lstm = FastTimeLSTM(Wx, Wh, b, stateful=stateful)
        self.collect()

    @property
    def stateful(self) -> bool:
        return self.lstm.stateful

    @property
    def h(self):
        return self.lstm.h

    @property
    def c(self):
        return self.lstm.c

    @property
    def dh(self):
        return self.lstm.dh

    @property
    def dc(self):
        return self.lstm.dc

    def set_state(self, h, c=None):
        self.lstm.set_state(h, c)

    def reset_state(self):
        self.lstm.reset_state()

    def forward(self, ids):
        N, T = ids.shape
        if self.lstm.starts_from_state:
            plan = PrefixPlan.every_row(N, T)
        else:
            plan = PrefixPlan.for_keys(ids)
        id_rows = time_major(plan.sort(ids))  # (T·N,), step after step
        rows = plan.computed_rows()
        if rows is not None:
            id_rows = id_rows[rows]  # (R,): the tokens of the pairs the plan computes
        x_rows = self.embed.forward(id_rows)  # (R, D)
        Wx, _, b = self.lstm.params
        return self.lstm.run(x_rows, input_projection(x_rows, Wx, b, id_rows), plan)

    def backward(self, dhs):
        self.embed.backward(self.lstm.run_backward(dhs))

    def step(self, ids, h, c, equal_rows=None):
        """ids (N,) -> (h, c), each (N, H), from h, c (N, H); caches nothing. ``equal_rows``
        as in ``FastTimeLSTM.step``; equal ids are equal inputs."""
        return self.lstm.step(self.embed.apply(ids), h, c, equal_inputs=ids,
                              equal_rows=equal_rows)
