"""A bidirectional LSTM: one LSTM reads the sequence left to right, another right to left.

A one-directional encoder state hs[:, t] has seen only x_1 … x_t. Running a second LSTM over
the reversed sequence and re-reversing its outputs gives, at every position, a state that has
seen x_t … x_T as well; combining the two, each encoder state summarises the whole input
around its own token (Schuster & Paliwal, 1997), which is what attention looks up:

    →h_t = LSTM_f(x_1 … x_t),   ←h_t = LSTM_b(x_T … x_t)
    concat:  h_t = [→h_t ; ←h_t]   (N, T, 2·Hd)
    sum:     h_t =  →h_t + ←h_t    (N, T, Hd)

Each direction's *final* state is where it finished reading: →h_T and ←h_1. Their
combination, by the same rule, is ``final_h`` (N, 2·Hd or Hd), the summary a decoder starts
from. (``hs[:, -1]`` would pair →h_T with ←h_T, which has read one token only.)
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.core.registry import ONE_OF, Registry
from attnseq.layers.base import Layer

# How the two directions combine (the names configs and the command line use).
MERGES = Registry("merge", {"concat": "the two side by side", "sum": "the two added"},
                  default="concat", message=ONE_OF)


class TimeBiLSTM(Layer):
    """Two LSTMs, forward and backward in time, merged per step.

    TimeBiLSTM(forward_lstm, backward_lstm, merge="concat"): two one-directional, stateless
    time LSTMs (``TimeLSTM``, or the fast set's ``FastTimeLSTM``) over D-wide inputs, of one
    width Hd; ``params`` lists the forward direction's three arrays, then the backward
    direction's.

    forward(xs (N, T, D)) -> hs (N, T, 2Hd) for "concat", (N, T, Hd) for "sum"; sets
    ``final_h`` (N, 2Hd or Hd). backward(dhs, dh_final=None) -> dxs (N, T, D), where
    ``dh_final`` is the gradient of ``final_h`` (when a decoder started from it).
    """

    def __init__(self, forward_lstm, backward_lstm, merge: str = "concat"):
        super().__init__()
        self.merge = MERGES.check(merge)
        self.forward_lstm = forward_lstm
        self.backward_lstm = backward_lstm
        self.collect()
        self.final_h = None

    def forward(self, xs):
        hf = self.forward_lstm.forward(xs)  # (N, T, Hd)
        hb = self.backward_lstm.forward(xs[:, ::-1])[:, ::-1]  # re-reversed: hb[:, t] is ←h_t
        if self.merge == "concat":
            self.final_h = xp.concatenate([hf[:, -1], hb[:, 0]], axis=1)
            return xp.concatenate([hf, hb], axis=2)
        self.final_h = hf[:, -1] + hb[:, 0]
        return hf + hb

    def backward(self, dhs, dh_final=None):
        Hd = self.forward_lstm.params[1].shape[0]
        if self.merge == "concat":
            dhf, dhb = dhs[:, :, :Hd], dhs[:, :, Hd:]
        else:
            dhf = dhb = dhs  # a sum passes its gradient to both terms unchanged
        if dh_final is not None:
            # copies: the final-state gradient joins the steps each direction ended on
            dhf, dhb = dhf.copy(), dhb.copy()
            df = dh_final[:, :Hd] if self.merge == "concat" else dh_final
            db = dh_final[:, Hd:] if self.merge == "concat" else dh_final
            dhf[:, -1] += df
            dhb[:, 0] += db
        dxs = self.forward_lstm.backward(dhf)
        return dxs + self.backward_lstm.backward(dhb[:, ::-1])[:, ::-1]
