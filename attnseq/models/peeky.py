"""Peeky seq2seq: the encoder's last state is shown to every decoder step ("peeking").

Besides starting the decoder LSTM from it, the encoder's summary h_enc (N, H) is concatenated
to the LSTM's input at every step, and to the affine layer's input:

    lstm input  = [h_enc ; embed(x_t)]   (N, T, H + D)
    affine input = [h_enc ; h_dec,t]     (N, T, 2H)

Its gradient is therefore the sum of what flows back through every step, both paths, and
the initial state.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers import Layer, TimeAffine
from attnseq.models.impl import LayerSet
from attnseq.models.init import Initializer
from attnseq.models.seq2seq import Seq2seq


class PeekyDecoder(Layer):
    """A decoder that reads h_enc = enc_hs[:, -1] at every step; see the module docstring."""

    def __init__(self, V: int, D: int, H: int, init: Initializer, impl: LayerSet):
        super().__init__()
        self.impl = impl
        self.embed = impl.TimeEmbedding(init.embedding(V, D))
        self.lstm = impl.TimeLSTM(*init.lstm(H + D, H), stateful=True)
        self.affine = TimeAffine(*init.affine(2 * H, V))
        self.collect()
        self.enc_shape = None

    def forward(self, xs, enc_hs, mask=None):
        N, T = xs.shape
        h = enc_hs[:, -1]
        H = h.shape[1]
        self.enc_shape = enc_hs.shape
        peek = xp.broadcast_to(h[:, None, :], (N, T, H))
        self.lstm.set_state(h)
        out = self.lstm.forward(xp.concatenate([peek, self.embed.forward(xs)], axis=2))
        return self.affine.forward(xp.concatenate([peek, out], axis=2))  # (N, T, V)

    def backward(self, dscores):
        H = self.enc_shape[2]
        dout = self.affine.backward(dscores)  # (N, T, 2H)
        dx = self.lstm.backward(dout[:, :, H:])  # (N, T, H + D)
        self.embed.backward(dx[:, :, H:])
        dh = dout[:, :, :H].sum(axis=1) + dx[:, :, :H].sum(axis=1) + self.lstm.dh
        denc_hs = xp.zeros(self.enc_shape, dtype=dscores.dtype)
        denc_hs[:, -1] = dh
        return denc_hs

    def initial_state(self, enc_hs, mask=None):
        h = enc_hs[:, -1]
        return {"peek": h, "h": h, "c": xp.zeros_like(h)}

    def step(self, tokens, state):
        peek = state["peek"]
        x = xp.concatenate([peek, self.embed.apply(tokens)], axis=1)
        h, c = self.lstm.step(x, state["h"], state["c"], **self.impl.step_hints(state))
        logits = self.affine.forward(xp.concatenate([peek, h], axis=1))
        return logits, {"peek": peek, "h": h, "c": c}


class PeekySeq2seq(Seq2seq):
    """Seq2seq with the peeky decoder. Same constructor and methods as ``Seq2seq``."""

    decoder_class = PeekyDecoder
