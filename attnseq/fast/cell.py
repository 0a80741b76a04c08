"""The LSTM cell in the fast layout: gates gate-major and activated in place.

The book's ``LSTM`` (``attnseq.layers.recurrent``) slices its (N, 4H) pre-activations into the
four gates f, g, i, o and makes new arrays for every intermediate. The fast layers instead take
the gates *gate-major*, (4, N, H): gate k is one (N, H) block, so that the cell's elementwise
passes run over contiguous memory, in buffers made once (``FastTimeLSTM``'s time-major loop,
the input-feeding decoder). ``gate_major`` views an (N, 4H) array so. The maths is the
book's, in its gate order f, g, i, o:

    f, i, o = σ(A_f), σ(A_i), σ(A_o);   g = tanh(A_g)
    c = f·c_prev + g·i;                 h = o·tanh(c)
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.recurrent import LSTM


def gate_major(a):
    """View a (N, 4H) array of pre-activations, their gradients or the weights that make them
    (Wx, Wh) as (4, N, H), gate k being a[:, kH:(k+1)H]. A view, not a copy: writing to it
    writes to ``a``."""
    N, H4 = a.shape
    return a.reshape(N, 4, H4 // 4).transpose(1, 0, 2)


def lstm_cell(gates, c_prev, c_out, tanh_c_out, h_out):
    """Activate ``gates`` (4, N, H) in place and write the new cell state, tanh(c) and h.

    gates: gate-major pre-activations on entry, activations f, g, i, o on return. c_prev:
    (N, H). c_out, tanh_c_out, h_out: (N, H) buffers that receive c, tanh(c) and h.
    """
    # σ(x) = (1 + tanh(x/2)) / 2: no overflow for large |x|, and one tanh over the whole block
    # activates all four gates. The sigmoid gates are blocks 0 (f) and 2:4 (i, o).
    for sig in (gates[:1], gates[2:]):
        sig *= 0.5
    xp.tanh(gates, out=gates)
    for sig in (gates[:1], gates[2:]):
        sig *= 0.5
        sig += 0.5
    f, g, i, o = gates
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
    f, g, i, o = gates
    dA_f, dA_g, dA_i, dA_o = dA_out
    ds = dh * o
    ds *= 1.0 - tanh_c * tanh_c
    ds += dc  # total gradient of c
    xp.multiply(ds * c_prev, f * (1.0 - f), out=dA_f)
    xp.multiply(ds * g, i * (1.0 - i), out=dA_i)
    xp.multiply(dh * tanh_c, o * (1.0 - o), out=dA_o)
    xp.multiply(ds * i, 1.0 - g * g, out=dA_g)
    ds *= f
    return ds


def lstm_step(Wx, Wh, b, x, h_prev, c_prev):
    """One step from scratch: x (N, D), h_prev, c_prev (N, H) -> (gates (4, N, H), c, tanh_c,
    h); the gates are the activations f, g, i, o that ``lstm_cell`` leaves."""
    gates = xp.matmul(x, gate_major(Wx))  # (4, N, H): x @ Wx, one gate after the other
    gates += gate_major(h_prev @ Wh)
    gates += b.reshape(4, 1, -1)
    c, tanh_c, h = (xp.empty_like(c_prev) for _ in range(3))
    lstm_cell(gates, c_prev, c, tanh_c, h)
    return gates, c, tanh_c, h


class FastLSTM(LSTM):
    """The book's ``LSTM`` (one step; same constructor, contract and results) on the
    gate-major cell: forward(x, h_prev, c_prev) -> (h, c); backward(dh_next, dc_next) ->
    (dx, dh_prev, dc_prev). The NTM's controller steps through it."""

    def forward(self, x, h_prev, c_prev):
        gates, c, tanh_c, h = lstm_step(*self.params, x, h_prev, c_prev)
        self.cache = (x, h_prev, c_prev, gates, tanh_c)
        return h, c

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        dWx, dWh, db = self.grads
        x, h_prev, c_prev, gates, tanh_c = self.cache
        dA = xp.empty((gates.shape[1], 4 * gates.shape[2]), dtype=gates.dtype)  # (N, 4H)
        dc_prev = lstm_cell_backward(gates, c_prev, tanh_c, dh_next, dc_next, gate_major(dA))
        xp.matmul(x.T, dA, out=dWx)
        xp.matmul(h_prev.T, dA, out=dWh)
        db[...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, dc_prev
