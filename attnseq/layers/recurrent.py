"""The LSTM as the book writes it: the cell's maths, one step (``LSTM``), and ``TimeLSTM``, a
loop of steps over a whole sequence. This is the reference; the models run the faster layers of
``attnseq.fast.lstm``, which are tested to compute exactly this.

Gate layout, the book's: the pre-activation ``A = x @ Wx + h_prev @ Wh + b`` (N, 4H) holds the
forget gate, the candidate ``g``, the input gate and the output gate, in that order (f, g, i, o):

    f, i, o = σ(A_f), σ(A_i), σ(A_o);   g = tanh(A_g)
    c = f·c_prev + i·g;                 h = o·tanh(c)

The two cell functions below take the gates *gate-major*, (4, N, H): gate k is one (N, H)
block, so that the cell's elementwise passes run over contiguous memory when the caller lays
the gates out that way (the fast layers do). ``gate_major`` views an (N, 4H) array so.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.base import Layer, walk


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
    """The book's TimeLSTM: T ``LSTM`` steps that share one set of weights.

    TimeLSTM(Wx (D, 4H), Wh (H, 4H), b (4H,), stateful=False).
    forward(xs (N, T, D)) -> hs (N, T, H); backward(dhs (N, T, H)) -> dxs (N, T, D).

    Forward runs step t on h_{t-1}, c_{t-1} (zeros before the first step) and keeps each
    step's layer, with its cache; backward walks them in reverse, handing each step the
    gradient of its h from the output and from the step after it, and sums the steps' weight
    gradients. ``stateful=True`` starts from the state set by ``set_state`` (or left by the
    last forward) instead of zeros; after backward, ``dh`` and ``dc`` hold the gradients of
    the initial state. ``step(x, h, c)`` is one step for decoding, without caching.
    """

    def __init__(self, Wx, Wh, b, stateful: bool = False):
        super().__init__()
        self.params = [Wx, Wh, b]
        self.grads = [xp.zeros_like(Wx), xp.zeros_like(Wh), xp.zeros_like(b)]
        self.stateful = stateful
        self.h = self.c = None
        self.dh = self.dc = None
        self.steps: list[LSTM] = []  # the last forward's LSTM layers, one per step

    def set_state(self, h, c=None):
        """Set the initial hidden state h (N, H) and, optionally, the cell state c (N, H)."""
        self.h, self.c = h, c

    def reset_state(self):
        self.h = self.c = None

    def forward(self, xs):
        N, T, _ = xs.shape
        Wh = self.params[1]
        start = self.stateful and self.h is not None
        h = self.h if start else xp.zeros((N, Wh.shape[0]), dtype=Wh.dtype)
        c = self.c if start and self.c is not None else xp.zeros_like(h)
        hs = xp.empty((N, T, Wh.shape[0]), dtype=Wh.dtype)
        self.steps = []
        for t in range(T):
            step = LSTM(*self.params)
            h, c = step.forward(xs[:, t], h, c)
            hs[:, t] = h
            self.steps.append(step)
        if self.stateful:
            self.h, self.c = h, c
        return hs

    def backward(self, dhs):
        N, T, H = dhs.shape
        dxs = xp.empty((N, T, self.params[0].shape[0]), dtype=dhs.dtype)
        dh = xp.zeros((N, H), dtype=dhs.dtype)  # from step t + 1, through h_t
        dc = xp.zeros((N, H), dtype=dhs.dtype)  # ... and through c_t
        for g in self.grads:
            g[...] = 0.0
        for t in reversed(range(T)):
            step = self.steps[t]
            dxs[:, t], dh, dc = step.backward(dhs[:, t] + dh, dc)
            for g, g_step in zip(self.grads, step.grads, strict=True):
                g += g_step
        self.dh, self.dc = dh, dc
        return dxs

    def step(self, x, h, c):
        """One inference step without caching: x (N, D), h, c (N, H) -> (h, c)."""
        _, c_new, _, h_new = lstm_step(*self.params, x, h, c)
        return h_new, c_new


def gate_weights(root) -> list:
    """The (Wx, Wh, b) of every LSTM under ``root`` (a model or a layer), each array once:
    the arrays whose last axis holds the four gates."""
    found: dict[int, object] = {}
    for layer in walk(root):
        if isinstance(layer, (LSTM, TimeLSTM)):
            found.update((id(p), p) for p in layer.params[:3])
    return list(found.values())
