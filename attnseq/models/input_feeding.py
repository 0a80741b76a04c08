"""Input feeding (Luong et al., 2015): the context of step t − 1 is part of step t's input.

In the book's decoder, attention only reads the LSTM's states: where the decoder attended at one
step cannot influence what it does at the next, except through the words it emitted. Input
feeding concatenates the previous context vector to the LSTM's input, so the decoder knows what
it has already looked at:

    x_t   = [embed(y_{t-1}) ; c_{t-1}]      (N, D + H),  c_0 = 0
    h_t   = LSTM(x_t, h_{t-1})              h_0 = the encoder's last state
    c_t   = Attention(hs_enc, h_t)          (N, H)
    score = Affine([c_t ; h_t])             (N, V)

Attention is now inside the recurrence, which the layer set's ``TimeInputFeeding`` runs step
by step (``attnseq.layers.input_feeding``, the book's; ``attnseq.fast.input_feeding``, in
time-major buffers). Only the embedding and the output affine, outside the loop, run over all
steps at once.

This decoder has one LSTM layer (``check_variant`` refuses more).
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.decoding import stepped
from attnseq.layers import Layer, TimeAffine
from attnseq.models.impl import LayerSet
from attnseq.models.init import Initializer
from attnseq.models.variants import (
    context_scores,
    context_scores_backward,
    output_dropout_layer,
    score_layer,
)


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
        lstm_weights = init.lstm(D + H, H)  # drawn before the score's: the order of params
        self.recurrence = impl.TimeInputFeeding(
            *lstm_weights, impl.Attention(score_layer(score, H, init)))
        self.affine = TimeAffine(*init.affine(2 * H, V))
        self.out_dropout = output_dropout_layer(init, output_dropout)
        self.collect()
        self.h0_given = False
        self.dh0 = None

    @property
    def attention_weights(self):
        return self.recurrence.attention_weights

    def forward(self, xs, enc_hs, mask=None, h0=None):
        self.h0_given = h0 is not None
        es = self.embed.forward(xs)  # (N, T, D), all steps at once
        C, Hs = self.recurrence.forward(es, enc_hs, enc_hs[:, -1] if h0 is None else h0[:, 0],
                                        mask)
        return context_scores(self, C, Hs)  # Affine([C ; Hs]): (N, T, V)

    def backward(self, dscores):
        dC, dHs = context_scores_backward(self, dscores)  # each (N, T, H)
        des, denc_hs, dh = self.recurrence.backward(dC, dHs)
        self.embed.backward(des)
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
        h, c, context = self.recurrence.step(self.embed.apply(tokens), state["h"], state["c"],
                                             state["context"], state["enc_hs"],
                                             state.get("mask"))
        logits = self.affine.forward(xp.concatenate([context, h], axis=1))
        weights = self.recurrence.attention.attention_weight
        return logits, stepped(state, h=h, c=c, context=context, attention=weights)
