"""The chapter's attention seq2seq as the book writes it (``ch08/attention_seq2seq.py``).

``AttentionSeq2seq(impl="book")`` with the book's options (the defaults: one layer, a
one-directional encoder, the dot score, no dropout, no input feeding) is built from these two
parts, so that a reader can hold them beside the book's code:

    AttentionEncoder:  hs     = TimeLSTM(TimeEmbedding(xs))                     (N, Te, H)
    AttentionDecoder:  dec_hs = TimeLSTM(TimeEmbedding(xs)), from h = hs[:, -1]  (N, Td, H)
                       c      = TimeAttention(hs, dec_hs)                       (N, Td, H)
                       score  = TimeAffine([c ; dec_hs])                        (N, Td, V)

What attnseq adds to the book's: a padding ``mask`` over the encoder's states; the decoder's
start state handed over as ``h0`` (the encoder's ``final_h``) with its gradient left in ``dh0``
for the encoder, as ``AttentionSeq2seq.forward``/``backward`` do for every option (the same
sum as the book's ``denc_hs[:, -1] += dh``, which this decoder does when no ``h0`` is given);
and the decoding protocol (``initial_state``/``step``, ``attnseq.decoding.protocol``) in
place of the book's ``generate`` loop.

Every other option, and the fast set, build the general parts of ``attnseq.models.attention``:
the same weights, drawn in the same order, and the same results (tests/models/test_impl.py).
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.decoding import stepped
from attnseq.layers import Attention, Layer, TimeAffine, TimeAttention, TimeEmbedding, TimeLSTM
from attnseq.models.impl import book_attention_state
from attnseq.models.init import Initializer


class AttentionEncoder(Layer):
    """AttentionEncoder(V, D, H, init): forward(xs (N, Te) ids) -> hs (N, Te, H), every
    step's state, as the book's AttentionEncoder returns them (its chapter-7 Encoder returned
    only the last). ``final_h`` (N, 1, H) is the last state, where the decoder starts;
    ``backward(dhs, dh_final=None)`` takes its gradient."""

    def __init__(self, V: int, D: int, H: int, init: Initializer):
        super().__init__()
        self.embed = TimeEmbedding(init.embedding(V, D))
        self.lstm = TimeLSTM(*init.lstm(D, H))
        self.collect()
        self.hs = None

    @property
    def final_h(self):
        return self.hs[:, -1:]

    def forward(self, xs):
        xs = self.embed.forward(xs)
        self.hs = self.lstm.forward(xs)
        return self.hs

    def backward(self, dhs, dh_final=None):
        if dh_final is not None:
            dhs = dhs.copy()
            dhs[:, -1] += dh_final[:, 0]  # the last state also started the decoder
        dout = self.lstm.backward(dhs)
        self.embed.backward(dout)


class AttentionDecoder(Layer):
    """AttentionDecoder(V, D, H, init): forward(xs (N, Td), enc_hs (N, Te, H),
    mask=None, h0=None) -> scores (N, Td, V). The LSTM starts from ``h0`` (N, 1, H) when
    given (the encoder's ``final_h``, which is enc_hs[:, -1]), else from enc_hs[:, -1], as in
    the book. backward(dscores) -> denc_hs, leaving the gradient of a given h0 in ``dh0``.
    """

    def __init__(self, V: int, D: int, H: int, init: Initializer):
        super().__init__()
        self.embed = TimeEmbedding(init.embedding(V, D))
        Wx, Wh, b = init.lstm(D, H)
        self.lstm = TimeLSTM(Wx, Wh, b, stateful=True)
        self.attention = TimeAttention()
        self.step_attention = Attention()  # one step of the same attention, for decoding
        self.affine = TimeAffine(*init.affine(2 * H, V))
        self.collect()
        self.h0_given = False
        self.dh0 = None

    def forward(self, xs, enc_hs, mask=None, h0=None):
        self.h0_given = h0 is not None
        h = enc_hs[:, -1] if h0 is None else h0[:, 0]
        self.lstm.set_state(h)
        out = self.embed.forward(xs)
        dec_hs = self.lstm.forward(out)
        c = self.attention.forward(enc_hs, dec_hs, mask)
        out = xp.concatenate((c, dec_hs), axis=2)
        return self.affine.forward(out)

    def backward(self, dscores):
        dout = self.affine.backward(dscores)
        H = dout.shape[2] // 2
        dc, ddec_hs0 = dout[:, :, :H], dout[:, :, H:]
        denc_hs, ddec_hs1 = self.attention.backward(dc)
        ddec_hs = ddec_hs0 + ddec_hs1
        dout = self.lstm.backward(ddec_hs)
        dh = self.lstm.dh
        if self.h0_given:
            self.dh0 = dh[:, None, :]  # (N, 1, H)
        else:
            self.dh0 = None
            denc_hs[:, -1] += dh
        self.embed.backward(dout)
        return denc_hs

    @property
    def attention_weights(self):
        return self.attention.attention_weights

    def initial_state(self, enc_hs, mask=None, h0=None):
        h = xp.array(enc_hs[:, -1] if h0 is None else h0[:, 0])  # (N, H)
        return {**book_attention_state(enc_hs, mask), "h": h, "c": xp.zeros_like(h)}

    def step(self, tokens, state):
        h, c = self.lstm.step(self.embed.apply(tokens), state["h"], state["c"])
        context = self.step_attention.forward(state["enc_hs"], h, state.get("mask"))  # (N, H)
        logits = self.affine.forward(xp.concatenate([context, h], axis=1))
        return logits, stepped(state, h=h, c=c, attention=self.step_attention.attention_weight)
