"""``FastTimeInputFeeding``: the book's ``TimeInputFeeding`` in time-major buffers.

The recurrence (``attnseq.layers.input_feeding``) cannot run its steps at once, but what is
around them can. The LSTM's inputs, gates and states live in time-major buffers made once per
call, the gates gate-major (4, N, H) and activated in place (``attnseq.fast.cell``); backward
finds everything it needs in those buffers, and the LSTM's weight gradients are one matmul
each over all steps after the loop instead of one per step. Attention runs through one
``Attention`` of the fast set per step, on the shared score weights; the per-step layers are
kept between calls (each holds its step's cache) and their score gradients summed afterwards.

Outputs and gradients equal the book's layer (tests/fast/test_input_feeding.py).
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.fast.cell import gate_major, lstm_cell, lstm_cell_backward, lstm_step
from attnseq.layers.input_feeding import TimeInputFeeding


def _sum_into(grads, parts) -> None:
    """grads[k][...] = Σ_p parts[p][k]: the per-step copies' gradients, added up in place."""
    for k, g in enumerate(grads):
        g[...] = 0.0
        for p in parts:
            g += p[k]


class FastTimeInputFeeding(TimeInputFeeding):
    """TimeInputFeeding's contract (forward, backward, step, ``attention_weights``) on
    time-major buffers; ``attention`` is the fast set's ``FastAttention``."""

    def __init__(self, Wx, Wh, b, attention):
        super().__init__(Wx, Wh, b, attention)
        self._attentions: list = []  # one per step: see _step_attentions
        self.cache = None

    def _step_attentions(self, T: int) -> list:
        """T attention layers on the shared score weights, one per step, kept between calls;
        made when a longer sequence first needs them."""
        while len(self._attentions) < T:
            self._attentions.append(self.attention.shared())
        return self._attentions[:T]

    def forward(self, es, hs, h0, mask=None):
        N, T, D = es.shape
        H = h0.shape[1]
        Wx, Wh, b = self.lstm.params
        dtype = h0.dtype
        # step t reads X[t], hs_t[t], cs[t] and writes gates[t], hs_t[t + 1], cs[t + 1]
        X = xp.empty((T, N, D + H), dtype=dtype)  # x_t = [e_t ; ctx_{t-1}]
        X[:, :, :D] = es.transpose(1, 0, 2)
        h_t = xp.empty((T + 1, N, H), dtype=dtype)
        cs = xp.empty((T + 1, N, H), dtype=dtype)
        gates = xp.empty((T, 4, N, H), dtype=dtype)  # gate-major, as lstm_cell takes them
        Wx4 = gate_major(Wx)  # (4, D + H, H): gate k's columns
        b4 = b.reshape(4, 1, H)
        tanh_cs = xp.empty((T, N, H), dtype=dtype)
        rec = xp.empty((N, 4 * H), dtype=dtype)
        ctxs = xp.empty((N, T, H), dtype=dtype)
        h_t[0] = h0
        cs[0] = 0.0
        ctx = xp.zeros((N, H), dtype=dtype)  # nothing attended yet
        attentions = self._step_attentions(T)
        for t in range(T):
            X[t, :, D:] = ctx
            xp.matmul(X[t], Wx4, out=gates[t])
            xp.matmul(h_t[t], Wh, out=rec)
            gates[t] += gate_major(rec)
            gates[t] += b4
            lstm_cell(gates[t], cs[t], cs[t + 1], tanh_cs[t], h_t[t + 1])
            ctx = attentions[t].forward(hs, h_t[t + 1], mask)  # (N, H)
            ctxs[:, t] = ctx
        weights = [a.attention_weight for a in attentions]
        self.attention_weights = (xp.stack(weights, axis=1) if weights
                                  else xp.zeros((N, 0, hs.shape[1]), dtype=dtype))
        self.cache = (hs.shape, X, h_t, cs, gates, tanh_cs)
        return ctxs, h_t[1:].transpose(1, 0, 2)

    def backward(self, dctxs, dhs_dec):
        hs_shape, X, h_t, cs, gates, tanh_cs = self.cache
        Wx, Wh, _ = self.lstm.params
        dWx, dWh, db = self.lstm.grads
        T, _, N, H = gates.shape
        D = X.shape[2] - H
        dtype = dctxs.dtype
        dhs = xp.zeros(hs_shape, dtype=dtype)
        dA = xp.empty((T, N, 4 * H), dtype=dtype)  # not gate-major: each dA[t] is a matrix
        des = xp.empty((N, T, D), dtype=dtype)
        dh = xp.zeros((N, H), dtype=dtype)  # from step t + 1, through h_t
        dc = xp.zeros((N, H), dtype=dtype)  # ... through the cell state
        dctx = xp.zeros((N, H), dtype=dtype)  # ... through its input ctx_t
        attentions = self._attentions[:T]
        for t in reversed(range(T)):
            dhs_t, dh_att = attentions[t].backward(dctxs[:, t] + dctx)
            dhs += dhs_t
            dh += dhs_dec[:, t]
            dh += dh_att
            dc = lstm_cell_backward(gates[t], cs[t], tanh_cs[t], dh, dc, gate_major(dA[t]))
            dx = dA[t] @ Wx.T  # (N, D + H)
            xp.matmul(dA[t], Wh.T, out=dh)
            des[:, t], dctx = dx[:, :D], dx[:, D:]
        dA2 = dA.reshape(T * N, 4 * H)  # the weight gradients of all steps: one matmul each
        xp.matmul(X.reshape(T * N, D + H).T, dA2, out=dWx)
        xp.matmul(h_t[:-1].reshape(T * N, H).T, dA2, out=dWh)
        db[...] = dA2.sum(axis=0)
        _sum_into(self.attention.grads, [a.grads for a in attentions])
        return des, dhs, dh

    def step(self, e, h, c, ctx, hs, mask=None):
        x = xp.concatenate([e, ctx], axis=1)
        _, c, _, h = lstm_step(*self.lstm.params, x, h, c)
        return h, c, self.attention.forward(hs, h, mask)
