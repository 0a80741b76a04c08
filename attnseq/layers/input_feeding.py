"""Input feeding (Luong et al., 2015): the recurrence of a decoder whose LSTM also reads the
context of the step before, written step by step on the book's ``LSTM`` and ``Attention``.

For the decoder's embedded inputs e_t (N, D), the encoder's states hs (N, Te, H) and a start
state h_0 (N, H):

    x_t        = [e_t ; ctx_{t-1}]                  (N, D + H),  ctx_0 = 0
    h_t, c_t   = LSTM(x_t, h_{t-1}, c_{t-1})        c_0 = 0
    ctx_t      = Attention(hs, h_t)                 (N, H)

The context is inside the recurrence: ctx_t needs h_t, and h_{t+1} needs ctx_t, so unlike
``TimeAttention`` nothing runs for all steps at once. Forward keeps each step's ``LSTM`` and
``Attention`` (on the shared weights), as ``TimeLSTM`` keeps its steps; backward walks them in
reverse. The gradient of ctx_t arrives from two places, the output (dctx_t) and step t + 1's
input (the last H columns of dx_{t+1}); that of h_t from the output, from attention and from
step t + 1:

    dhs      += Attention_t.backward(dctx_t + dx_{t+1}[:, D:])   -> (dhs_t, dh_att)
    dx_t, dh_{t-1}, dc_{t-1} = LSTM_t.backward(dh_t + dh_att + dh_from_t+1, dc_t)

The fast set's ``FastTimeInputFeeding`` computes the same in time-major buffers.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.base import Layer
from attnseq.layers.recurrent import LSTM


class TimeInputFeeding(Layer):
    """TimeInputFeeding(Wx (D + H, 4H), Wh (H, 4H), b (4H,), attention): the LSTM's Wx reads
    the embedding's D columns, then the context's H; ``attention`` is an ``Attention`` (with
    its score), whose parameters follow the LSTM's in ``params``.

    forward(es (N, T, D), hs (N, Te, H), h0 (N, H), mask=None) -> (ctxs, hs_dec), each
    (N, T, H): every step's context and LSTM state. ``attention_weights`` (N, T, Te).
    backward(dctxs, dhs_dec) -> (des (N, T, D), dhs (N, Te, H), dh0 (N, H)).
    step(e (N, D), h, c, ctx, hs, mask=None) -> (h, c, ctx), each (N, H): one decoding step;
    ``attention.attention_weight`` (N, Te) holds its weights.
    """

    def __init__(self, Wx, Wh, b, attention):
        super().__init__()
        self.lstm = LSTM(Wx, Wh, b)  # the weights that every step's LSTM shares
        self.attention = attention  # likewise the score's
        self.collect()
        self.steps: list[tuple[LSTM, Layer]] = []  # the last forward's, one pair per step
        self.hs_shape: tuple = ()
        self.attention_weights = None

    def forward(self, es, hs, h0, mask=None):
        N, T, _ = es.shape
        H = h0.shape[1]
        h, c = h0, xp.zeros_like(h0)
        ctx = xp.zeros_like(h0)  # nothing attended yet
        ctxs = xp.empty((N, T, H), dtype=h0.dtype)
        hs_dec = xp.empty((N, T, H), dtype=h0.dtype)
        weights = xp.empty((N, T, hs.shape[1]), dtype=h0.dtype)
        self.hs_shape = hs.shape
        self.steps = []
        for t in range(T):
            lstm, attention = LSTM(*self.lstm.params), self.attention.shared()
            h, c = lstm.forward(xp.concatenate([es[:, t], ctx], axis=1), h, c)
            ctx = attention.forward(hs, h, mask)
            ctxs[:, t], hs_dec[:, t] = ctx, h
            weights[:, t] = attention.attention_weight
            self.steps.append((lstm, attention))
        self.attention_weights = weights
        return ctxs, hs_dec

    def backward(self, dctxs, dhs_dec):
        N, T, H = dctxs.shape
        D = self.lstm.params[0].shape[0] - H
        des = xp.empty((N, T, D), dtype=dctxs.dtype)
        dhs = xp.zeros(self.hs_shape, dtype=dctxs.dtype)
        dh = xp.zeros((N, H), dtype=dctxs.dtype)  # from step t + 1, through h_t
        dc = xp.zeros((N, H), dtype=dctxs.dtype)  # ... and through c_t
        dctx = xp.zeros((N, H), dtype=dctxs.dtype)  # ... and through its input ctx_t
        for g in self.grads:
            g[...] = 0.0
        for t in reversed(range(T)):
            lstm, attention = self.steps[t]
            dhs_t, dh_att = attention.backward(dctxs[:, t] + dctx)
            dhs += dhs_t
            dx, dh, dc = lstm.backward(dhs_dec[:, t] + dh_att + dh, dc)
            des[:, t], dctx = dx[:, :D], dx[:, D:]
            for g, g_step in zip(self.grads, lstm.grads + attention.grads, strict=True):
                g += g_step
        # dctx is now the gradient of ctx_0, a constant
        return des, dhs, dh

    def step(self, e, h, c, ctx, hs, mask=None):
        h, c = self.lstm.forward(xp.concatenate([e, ctx], axis=1), h, c)
        return h, c, self.attention.forward(hs, h, mask)
