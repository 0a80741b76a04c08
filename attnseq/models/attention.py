"""The attention seq2seq of chapter 8.

The encoder hands over all its states hs (N, Te, H). The decoder runs its LSTM (started from
hs[:, -1]), lets every step attend over hs (``TimeAttention``), and predicts from the context
and its own state side by side:

    dec_hs = LSTM(embed(x))                 (N, Td, H)
    C      = TimeAttention(hs, dec_hs)      (N, Td, H)
    scores = Affine([C ; dec_hs])           (N, Td, V)
"""

from __future__ import annotations

from attnseq.backend import xp
from attnseq.decoding import greedy
from attnseq.layers import Attention, TimeAffine, TimeAttention, TimeEmbedding, TimeLSTM, gather
from attnseq.models.init import Initializer
from attnseq.models.seq2seq import Seq2seq


class AttentionDecoder:
    """The book's AttentionDecoder, with an optional padding mask over the encoder states."""

    def __init__(self, V: int, D: int, H: int, init: Initializer):
        self.embed = TimeEmbedding(init.embedding(V, D))
        self.lstm = TimeLSTM(*init.lstm(D, H), stateful=True)
        self.attention = TimeAttention()
        self.step_attention = Attention()  # the one-step form, for decoding
        self.affine = TimeAffine(*init.affine(2 * H, V))
        self.params, self.grads = gather([self.embed, self.lstm, self.affine])

    def forward(self, xs, enc_hs, mask=None):
        self.lstm.set_state(enc_hs[:, -1])
        dec_hs = self.lstm.forward(self.embed.forward(xs))  # (N, Td, H)
        C = self.attention.forward(enc_hs, dec_hs, mask)  # (N, Td, H)
        return self.affine.forward(xp.concatenate([C, dec_hs], axis=2))  # (N, Td, V)

    def backward(self, dscores):
        dout = self.affine.backward(dscores)  # (N, Td, 2H)
        H = dout.shape[2] // 2
        denc_hs, ddec_hs = self.attention.backward(dout[:, :, :H])
        ddec_hs += dout[:, :, H:]
        self.embed.backward(self.lstm.backward(ddec_hs))
        denc_hs[:, -1] += self.lstm.dh
        return denc_hs

    def initial_state(self, enc_hs, mask=None):
        h = enc_hs[:, -1]
        return {"enc_hs": enc_hs, "mask": mask, "h": h, "c": xp.zeros_like(h)}

    def step(self, tokens, state):
        enc_hs, mask = state["enc_hs"], state["mask"]
        h, c = self.lstm.step(self.embed.forward(tokens), state["h"], state["c"])
        context = self.step_attention.forward(enc_hs, h, mask)  # (N, H)
        logits = self.affine.forward(xp.concatenate([context, h], axis=1))
        weights = self.step_attention.attention_weight  # (N, Te)
        return logits, {"enc_hs": enc_hs, "mask": mask, "h": h, "c": c, "attention": weights}


class AttentionSeq2seq(Seq2seq):
    """Seq2seq with attention. Same constructor as ``Seq2seq``.

    ``generate(xs, start_id, length, return_attention=True)`` also returns the attention
    weights of every generated step, (N, length, Te).
    """

    decoder_class = AttentionDecoder

    def generate(self, xs, start_id: int, length: int, return_attention: bool = False):
        return greedy(self, xs, start_id, length, return_attention=return_attention)
