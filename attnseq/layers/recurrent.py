"""The LSTM as the book writes it: one step (``LSTM``) and ``TimeLSTM``, a loop of steps over a
whole sequence.

The pre-activation of one step holds the four gates side by side, in the book's order: the
forget gate, the candidate ``g``, the input gate and the output gate (f, g, i, o):

    A = x @ Wx + h_prev @ Wh + b                    (N, 4H)
    f = σ(A[:, :H]),   g = tanh(A[:, H:2H]),   i = σ(A[:, 2H:3H]),   o = σ(A[:, 3H:])
    c_next = f·c_prev + g·i,                   h_next = o·tanh(c_next)

Backward, with ds the gradient of c_next (from the step after it and through h_next):

    ds = dc_next + dh_next·o·(1 − tanh²(c_next))
    df = ds·c_prev·f(1 − f),  dg = ds·i·(1 − g²),  di = ds·g·i(1 − i),
    do = dh_next·tanh(c_next)·o(1 − o),            dc_prev = ds·f
    dA = [df, dg, di, do];  dWx = xᵀ dA,  dWh = h_prevᵀ dA,  db = Σ_rows dA

The fast set's ``FastTimeLSTM`` and ``EmbeddingLSTM`` (``attnseq.fast.lstm``) compute the
same in a layout with fewer, larger operations; they are tested equal to these layers.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.base import Layer


def sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ), computed as (1 + tanh(x/2)) / 2, which equals it and never
    overflows (e⁻ˣ does for large negative x)."""
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def lstm_gates(Wx, Wh, b, x, h_prev):
    """The four gates of one step: x (N, D), h_prev (N, H) -> (f, g, i, o), each (N, H)."""
    H = h_prev.shape[1]
    A = x @ Wx + h_prev @ Wh + b  # (N, 4H)
    f = sigmoid(A[:, :H])
    g = xp.tanh(A[:, H:2 * H])
    i = sigmoid(A[:, 2 * H:3 * H])
    o = sigmoid(A[:, 3 * H:])
    return f, g, i, o


class LSTM(Layer):
    """One LSTM step. Wx: (D, 4H), Wh: (H, 4H), b: (4H,).

    forward(x (N, D), h_prev (N, H), c_prev (N, H)) -> (h, c), each (N, H).
    backward(dh_next, dc_next) -> (dx, dh_prev, dc_prev).
    """

    def __init__(self, Wx, Wh, b):
        super().__init__()
        self.params = [Wx, Wh, b]
        self.grads = [xp.zeros_like(Wx), xp.zeros_like(Wh), xp.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        f, g, i, o = lstm_gates(*self.params, x, h_prev)
        c_next = f * c_prev + g * i
        h_next = o * xp.tanh(c_next)
        self.cache = (x, h_prev, c_prev, f, g, i, o, c_next)
        return h_next, c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, f, g, i, o, c_next = self.cache
        tanh_c_next = xp.tanh(c_next)
        ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)
        dc_prev = ds * f
        df = ds * c_prev * f * (1 - f)
        dg = ds * i * (1 - g ** 2)
        di = ds * g * i * (1 - i)
        do = dh_next * tanh_c_next * o * (1 - o)
        dA = xp.hstack((df, dg, di, do))  # (N, 4H), the gates in A's order
        dWx, dWh, db = self.grads
        dWx[...] = x.T @ dA
        dWh[...] = h_prev.T @ dA
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
        f, g, i, o = lstm_gates(*self.params, x, h)
        c_next = f * c + g * i
        return o * xp.tanh(c_next), c_next
