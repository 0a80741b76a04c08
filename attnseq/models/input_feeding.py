"""Input feeding (Luong et al., 2015): the context of step t − 1 is part of step t's input.

In the book's decoder, attention only reads the LSTM's states: where the decoder attended at one
step cannot influence what it does at the next, except through the words it emitted. Input
feeding concatenates the previous context vector to the LSTM's input, so the decoder knows what
it has already looked at:

    x_t   = [embed(y_{t-1}) ; c_{t-1}]      (N, D + H),  c_0 = 0
    h_t   = LSTM(x_t, h_{t-1})              h_0 = the encoder's last state
    c_t   = Attention(hs_enc, h_t)          (N, H)
    score = Affine([c_t ; h_t])             (N, V)

Attention is now inside the recurrence: c_t needs h_t, and h_{t+1} needs c_t. Nothing can be
computed for all steps at once, so training runs step by step, and backward walks the same
loop in reverse: the gradient of c_t arrives both from step t's scores and from step t + 1's
input. As in the fast set's ``FastTimeLSTM``, the LSTM's inputs, gates and states live in
time-major buffers made once per call, and its weight gradients are one matmul each after the
loop; attention runs through one ``Attention`` of the model's layer set per step (on the
shared score weights, kept between calls, each holding its step's cache), whose score
gradients are summed afterwards. Only the embedding and the output affine, outside the loop,
run over all steps at once.

This decoder has one LSTM layer (``check_variant`` refuses more).
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.decoding import stepped
from attnseq.fast.cell import gate_major, lstm_cell, lstm_cell_backward, lstm_step
from attnseq.layers import LSTM, Layer, TimeAffine
from attnseq.models.impl import LayerSet
from attnseq.models.init import Initializer
from attnseq.models.variants import (
    context_scores,
    context_scores_backward,
    output_dropout_layer,
    score_layer,
)


def _sum_into(grads, parts) -> None:
    """grads[k][...] = Σ_p parts[p][k]: the per-step copies' gradients, added up in place."""
    for k, g in enumerate(grads):
        g[...] = 0.0
        for p in parts:
            g += p[k]


class InputFeedingDecoder(Layer):
    """An attention decoder whose LSTM also reads the previous step's context.

    InputFeedingDecoder(V, D, H, init, impl, *, output_dropout=0.0, score="dot"): the LSTM's Wx is
    (D + H, 4H), its rows the embedding's, then the context's. Same interface as
    ``AttentionDecoder`` (``output_dropout`` drops out [c_t ; h_t] before the affine map):
    forward(xs (N, Td), enc_hs (N, Te, H), mask=None, h0=None (N, 1, H)) -> scores
    (N, Td, V); backward(dscores) -> denc_hs, with the gradient of a given ``h0`` in ``dh0``.
    ``attention_weights`` (N, Td, Te) holds the last forward's weights.
    """

    def __init__(self, V: int, D: int, H: int, init: Initializer, impl: LayerSet, *,
                 output_dropout: float = 0.0, score: str = "dot"):
        super().__init__()
        self.impl = impl
        self.embed = impl.TimeEmbedding(init.embedding(V, D))
        self.lstm = LSTM(*init.lstm(D + H, H))  # the weights that every step's LSTM shares
        self.attention = impl.Attention(score_layer(score, H, init))  # likewise the score's
        self.affine = TimeAffine(*init.affine(2 * H, V))
        self.out_dropout = output_dropout_layer(init, output_dropout)
        self.collect()
        self._attentions: list[Layer] = []  # one per step: see _step_attentions
        self.cache = None
        self.h0_given = False
        self.dh0 = None
        self.attention_weights = None

    def _step_attentions(self, T: int) -> list:
        """T attention layers on the shared score weights, one per step, kept between calls
        (each holds its step's cache); made when a longer sequence first needs them."""
        while len(self._attentions) < T:
            self._attentions.append(self.impl.Attention(self.attention.score.shared()))
        return self._attentions[:T]

    def forward(self, xs, enc_hs, mask=None, h0=None):
        N, T = xs.shape
        H = enc_hs.shape[2]
        Wx, Wh, b = self.lstm.params
        D = Wx.shape[0] - H
        self.h0_given = h0 is not None
        E = self.embed.forward(xs)  # (N, T, D), all steps at once
        # time-major buffers for the whole loop: step t reads X[t], hs[t], cs[t] and writes
        # gates[t], hs[t + 1], cs[t + 1]; backward finds everything it needs in them
        X = xp.empty((T, N, D + H), dtype=enc_hs.dtype)  # x_t = [embed(y_{t-1}) ; c_{t-1}]
        X[:, :, :D] = E.transpose(1, 0, 2)
        hs = xp.empty((T + 1, N, H), dtype=enc_hs.dtype)
        cs = xp.empty((T + 1, N, H), dtype=enc_hs.dtype)
        gates = xp.empty((T, 4, N, H), dtype=enc_hs.dtype)  # gate-major, as lstm_cell takes them
        Wx4 = gate_major(Wx)  # (4, D + H, H): gate k's columns
        b4 = b.reshape(4, 1, H)
        tanh_cs = xp.empty((T, N, H), dtype=enc_hs.dtype)
        rec = xp.empty((N, 4 * H), dtype=enc_hs.dtype)
        C = xp.empty((N, T, H), dtype=enc_hs.dtype)
        hs[0] = enc_hs[:, -1] if h0 is None else h0[:, 0]
        cs[0] = 0.0
        context = xp.zeros((N, H), dtype=enc_hs.dtype)  # c_0 = 0: nothing attended yet
        attentions = self._step_attentions(T)
        for t in range(T):
            X[t, :, D:] = context
            xp.matmul(X[t], Wx4, out=gates[t])
            xp.matmul(hs[t], Wh, out=rec)
            gates[t] += gate_major(rec)
            gates[t] += b4
            lstm_cell(gates[t], cs[t], cs[t + 1], tanh_cs[t], hs[t + 1])
            context = attentions[t].forward(enc_hs, hs[t + 1], mask)  # (N, H)
            C[:, t] = context
        weights = [a.attention_weight for a in attentions]
        self.attention_weights = (xp.stack(weights, axis=1) if weights
                                  else xp.zeros((N, 0, enc_hs.shape[1]), dtype=enc_hs.dtype))
        self.cache = (enc_hs.shape, X, hs, cs, gates, tanh_cs)
        Hs = hs[1:].transpose(1, 0, 2)  # (N, T, H)
        return context_scores(self, C, Hs)  # Affine([C ; Hs]): (N, T, V)

    def backward(self, dscores):
        enc_shape, X, hs, cs, gates, tanh_cs = self.cache
        Wx, Wh, _ = self.lstm.params
        dWx, dWh, db = self.lstm.grads
        T, _, N, H = gates.shape
        H4 = 4 * H
        D = X.shape[2] - H
        dC, dHs = context_scores_backward(self, dscores)  # each (N, T, H)
        denc_hs = xp.zeros(enc_shape, dtype=dC.dtype)
        dA = xp.empty((T, N, H4), dtype=dC.dtype)  # not gate-major: each dA[t] is a matrix
        dE = xp.empty((N, T, D), dtype=dC.dtype)
        dh = xp.zeros((N, H), dtype=dC.dtype)  # from step t + 1, through h_t
        dc = xp.zeros((N, H), dtype=dC.dtype)  # ... through the cell state
        dcontext = xp.zeros((N, H), dtype=dC.dtype)  # ... through its input c_t
        attentions = self._attentions[:T]
        for t in reversed(range(T)):
            dhs_t, dh_att = attentions[t].backward(dC[:, t] + dcontext)
            denc_hs += dhs_t
            dh += dHs[:, t]
            dh += dh_att
            dc = lstm_cell_backward(gates[t], cs[t], tanh_cs[t], dh, dc, gate_major(dA[t]))
            dx = dA[t] @ Wx.T  # (N, D + H)
            xp.matmul(dA[t], Wh.T, out=dh)
            dE[:, t], dcontext = dx[:, :D], dx[:, D:]
        # dcontext now belongs to c_0, a constant
        self.embed.backward(dE)
        dA2 = dA.reshape(T * N, H4)  # the weight gradients of all steps: one matmul each
        xp.matmul(X.reshape(T * N, D + H).T, dA2, out=dWx)
        xp.matmul(hs[:-1].reshape(T * N, H).T, dA2, out=dWh)
        db[...] = dA2.sum(axis=0)
        _sum_into(self.attention.grads, [a.grads for a in attentions])
        if self.h0_given:
            self.dh0 = dh[:, None, :]  # (N, 1, H)
        else:
            self.dh0 = None
            denc_hs[:, -1] += dh
        return denc_hs

    def initial_state(self, enc_hs, mask=None, h0=None):
        h = xp.array(enc_hs[:, -1] if h0 is None else h0[:, 0])  # (N, H)
        return {**self.impl.attention_state(enc_hs, mask), "h": h, "c": xp.zeros_like(h),
                "context": xp.zeros_like(h)}

    def step(self, tokens, state):
        x = xp.concatenate([self.embed.apply(tokens), state["context"]], axis=1)
        _, c, _, h = lstm_step(*self.lstm.params, x, state["h"], state["c"])
        context = self.attention.forward(state["enc_hs"], h, state.get("mask"))  # (N, H)
        logits = self.affine.forward(xp.concatenate([context, h], axis=1))
        return logits, stepped(state, h=h, c=c, context=context,
                               attention=self.attention.attention_weight)
