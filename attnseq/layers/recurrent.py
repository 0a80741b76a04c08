"""LSTM: one step (``LSTM``) and a whole sequence (``TimeLSTM``).

Gate layout. The pre-activation ``A = x @ Wx + h_prev @ Wh + b`` (N, 4H) holds the gates in the
order forget, input, output (the three sigmoids, side by side) and then the candidate ``g``
(tanh). The book orders them f, g, i, o; putting the sigmoids together lets one call activate
all three. The maths is the book's:

    f, i, o = σ(A_f), σ(A_i), σ(A_o);   g = tanh(A_g)
    c = f·c_prev + i·g;                 h = o·tanh(c)

Both layers share the two cell functions below, so the step maths exists once. They take the
gates *gate-major*, (4, N, H), so that each gate is one block: the cell's arithmetic is a few
dozen NumPy calls per step, and on a contiguous block each runs 2-3x as fast as on the strided
column slices of an (N, 4H) array (measured on 128 x 256 float32 blocks). ``gate_major``
(``attnseq.layers.shared_rows``, where the input projection is made gate-major too) views an
(N, 4H) array that way; ``TimeLSTM`` stores each step's gates gate-major (``step_gates``).
"""

from __future__ import annotations

from attnseq.backend import xp
from attnseq.layers.base import Layer
from attnseq.layers.shared_rows import (computed_rows, gate_major, input_projection,
                                        prefix_plan, unsort)


def lstm_cell(gates, c_prev, c_out, tanh_c_out, h_out):
    """Activate ``gates`` (4, N, H) in place and write the new cell state, tanh(c) and h.

    gates: gate-major pre-activations on entry, activations f, i, o, g on return. c_prev:
    (N, H). c_out, tanh_c_out, h_out: (N, H) buffers that receive c, tanh(c) and h.
    """
    sig = gates[:3]
    # σ(x) = (1 + tanh(x/2)) / 2: no overflow for large |x|, and one tanh over the whole block
    # activates all four gates.
    sig *= 0.5
    xp.tanh(gates, out=gates)
    sig *= 0.5
    sig += 0.5
    f, i, o, g = gates
    xp.multiply(f, c_prev, out=c_out)
    xp.multiply(i, g, out=tanh_c_out)  # i·g, in a buffer that is free until tanh(c)
    c_out += tanh_c_out
    xp.tanh(c_out, out=tanh_c_out)
    xp.multiply(o, tanh_c_out, out=h_out)


def lstm_cell_backward(gates, c_prev, tanh_c, dh, dc, dA_out):
    """Backward of ``lstm_cell``: write dA (4, N, H) into ``dA_out`` and return dc_prev (N, H).

    gates: the activations (4, N, H) from the forward pass; dh, dc: gradients of the step's h
    and c (dc includes what flows back from the next step). dA_out: gate-major, usually a
    ``gate_major`` view of an (N, 4H) buffer. Nothing passed in is modified.
    """
    f, i, o, g = gates
    dA_f, dA_i, dA_o, dA_g = dA_out
    ds = dh * o
    ds *= 1.0 - tanh_c * tanh_c
    ds += dc  # total gradient of c
    xp.multiply(ds * c_prev, f * (1.0 - f), out=dA_f)
    xp.multiply(ds * g, i * (1.0 - i), out=dA_i)
    xp.multiply(dh * tanh_c, o * (1.0 - o), out=dA_o)
    xp.multiply(ds * i, 1.0 - g * g, out=dA_g)
    ds *= f
    return ds


def lstm_step(Wx, Wh, b, x, h_prev, c_prev, keys=None):
    """One step from scratch: returns (gates (4, N, H), c, tanh_c, h); see ``lstm_cell`` for
    the shapes. ``keys`` (N,), when given, say which inputs are equal (see
    ``input_projection``)."""
    gates = input_projection(x, Wx, b, keys)  # (4, N, H), added to in place
    gates += gate_major(h_prev @ Wh)
    c, tanh_c, h = (xp.empty_like(c_prev) for _ in range(3))
    lstm_cell(gates, c_prev, c, tanh_c, h)
    return gates, c, tanh_c, h


def step_gates(gates, lo: int, m: int, H: int):
    """The gates of one step in ``TimeLSTM``'s flat buffer: the step's m computed rows are the
    packed rows lo:lo+m, and their gates one contiguous (4, m, H) block from 4H·lo on.

    Contiguous per step rather than one (4, R, H) array: in a slice [:, lo:lo+m] of that the
    four gates lie apart, and with few rows (one, decoding one input at a time) NumPy's
    per-block overhead made the cell 1.5x slower."""
    return gates[4 * H * lo:4 * H * (lo + m)].reshape(4, m, H)


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
        dA = xp.empty((gates.shape[1], 4 * gates.shape[2]), dtype=gates.dtype)  # (N, 4H)
        dc_prev = lstm_cell_backward(gates, c_prev, tanh_c, dh, dc, gate_major(dA))
        xp.matmul(x.T, dA, out=dWx)
        xp.matmul(h_prev.T, dA, out=dWh)
        db[...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, dc_prev


class TimeLSTM(Layer):
    """An LSTM run over T steps. Wx: (D, 4H), Wh: (H, 4H), b: (4H,).

    forward(xs (N, T, D), keys=None) -> hs (N, T, H); backward(dhs (N, T, H)) -> dxs (N, T, D).

    Only the recurrence ``h_prev @ Wh`` runs step by step. The input projection of all steps is
    one matmul before the loop, and the weight gradients are one matmul each after it. Inside,
    the buffers are time-major, so every step reads and writes contiguous blocks: states are
    (T + 1, N, H), and the gates of the (step, row) pairs actually computed (see ``keys``) are
    packed step after step, R ≤ T·N rows in all, each step's gate-major (``step_gates``), so
    skipped pairs cost neither FLOPs nor memory.

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
            order, starts, runs = prefix_plan(keys)
            if order is not None:
                xs, keys = xs[order], keys[order]
        else:
            order, starts, runs = None, [None] * T, [None] * T
        x2 = xp.ascontiguousarray(xs.transpose(1, 0, 2)).reshape(T * N, D)  # (T·N, D)
        rows = computed_rows(starts, N)
        xr = x2 if rows is None else x2[rows]  # (R, D): the inputs of the computed rows
        kr = None
        if keys is not None:  # the computed rows' keys, laid out like xr
            kr = xp.ascontiguousarray(keys.T).reshape(T * N)
            kr = kr if rows is None else kr[rows]
        proj = input_projection(xr, Wx, b, kr)  # (4, R, H): all input projections at once
        R = proj.shape[1]
        gates = xp.empty(4 * R * H, dtype=Wh.dtype)  # step by step, see step_gates
        hs = xp.empty((T + 1, N, H), dtype=Wh.dtype)  # hs[t] is the h that step t reads
        cs = xp.empty((T + 1, N, H), dtype=Wh.dtype)
        tanh_cs = xp.empty((R, H), dtype=Wh.dtype)
        hs[0] = self.h if use_state else 0.0
        cs[0] = self.c if use_state and self.c is not None else 0.0
        rec = xp.empty((N, 4 * H), dtype=Wh.dtype)
        rec4 = gate_major(rec)
        h_run, c_run = xp.empty((N, H), dtype=Wh.dtype), xp.empty((N, H), dtype=Wh.dtype)
        lo = 0
        for t, (first, run) in enumerate(zip(starts, runs)):
            gather = first is not None and not isinstance(first, int)
            # the rows computed: all N (None), the first m (an int), or one per run (indices)
            m = N if first is None else first.shape[0] if gather else first
            g = step_gates(gates, lo, m, H)
            xp.matmul(hs[t, first] if gather else hs[t, :m], Wh, out=rec[:m])
            xp.add(proj[:, lo:lo + m], rec4[:, :m], out=g)
            if gather:  # one row per run; the run's other rows copy its new state
                lstm_cell(g, cs[t, first], c_run[:m], tanh_cs[lo:lo + m], h_run[:m])
                xp.take(h_run[:m], run, axis=0, out=hs[t + 1])
                xp.take(c_run[:m], run, axis=0, out=cs[t + 1])
            else:  # rows :m computed in place; row m-1 carries the rest
                lstm_cell(g, cs[t, :m], cs[t + 1, :m], tanh_cs[lo:lo + m], hs[t + 1, :m])
                if m < N:
                    hs[t + 1, m:] = hs[t + 1, m - 1]
                    cs[t + 1, m:] = cs[t + 1, m - 1]
            lo += m
        self.cache = (xr, gates, hs, cs, tanh_cs, order, starts, rows)
        if self.stateful:
            self.h, self.c = unsort(hs[T], order), unsort(cs[T], order)
        return unsort(hs[1:].transpose(1, 0, 2), order)  # (N, T, H)

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dWx, dWh, db = self.grads
        xr, gates, hs, cs, tanh_cs, order, starts, rows = self.cache
        T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        if order is not None:
            dhs = dhs[order]
        # (R, 4H), rows packed like the gates but not gate-major: each step's dA and all
        # steps' together are then plain matrices for the matmuls that take them
        R = tanh_cs.shape[0]
        dA = xp.empty((R, 4 * H), dtype=Wh.dtype)
        dA4 = gate_major(dA)
        dh = xp.zeros((N, H), dtype=Wh.dtype)  # gradients of every row's h and c after step t
        dc = xp.zeros((N, H), dtype=Wh.dtype)
        hi = R
        for t in reversed(range(T)):
            first = starts[t]
            dh += dhs[:, t]  # gradient of h_t: from the output and from step t+1
            if first is None or isinstance(first, int):  # rows :m were computed in place
                m = N if first is None else first
                lo = hi - m
                if m < N:  # rows m.. were copies of row m-1: their gradients add up there
                    dh[m - 1] += dh[m:].sum(axis=0)
                    dc[m - 1] += dc[m:].sum(axis=0)
                dc[:m] = lstm_cell_backward(step_gates(gates, lo, m, H), cs[t, :m],
                                            tanh_cs[lo:hi], dh[:m], dc[:m], dA4[:, lo:hi])
                xp.matmul(dA[lo:hi], Wh.T, out=dh[:m])
                if m < N:
                    dh[m:] = 0.0
                    dc[m:] = 0.0
            else:  # a run's rows were copies of its first row's state: gradients add up there
                lo = hi - first.shape[0]
                dh_run = xp.add.reduceat(dh, first, axis=0)
                dc_run = xp.add.reduceat(dc, first, axis=0)
                dc_prev = lstm_cell_backward(step_gates(gates, lo, hi - lo, H), cs[t, first],
                                             tanh_cs[lo:hi], dh_run, dc_run, dA4[:, lo:hi])
                dh[...] = 0.0
                dc[...] = 0.0
                dh[first] = dA[lo:hi] @ Wh.T
                dc[first] = dc_prev
            hi = lo
        self.dh, self.dc = unsort(dh, order), unsort(dc, order)
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
        return unsort(dx2.reshape(T, N, -1).transpose(1, 0, 2), order)  # (N, T, D)

    def step(self, x, h, c, keys=None):
        """One inference step without caching: x (N, D), h, c (N, H) -> (h, c); ``keys`` (N,)
        say which inputs are equal, as in ``forward``."""
        _, c_new, _, h_new = lstm_step(*self.params, x, h, c, keys)
        return h_new, c_new
