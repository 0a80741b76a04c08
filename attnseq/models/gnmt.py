"""GNMT (Wu et al., 2016): a deep LSTM seq2seq whose attention feeds every decoder layer.

The chapter's last section presents Google's Neural Machine Translation system as attention's
first large application. Its arrangement, built here from the same layers as the attention
model (L layers in the encoder and L in the decoder, each H wide):

    encoder   e_1 = BiLSTM(embed(x))                 [→h ; ←h], each direction H/2 wide
              e_2 = LSTM_2(e_1)
              e_l = LSTM_l(e_{l−1}) + e_{l−1}         l ≥ 3: the skips start at layer 3
              hs  = e_L                               (N, Te, H), what attention reads

    decoder   d_1 = LSTM_1(embed(y_{t−1}))            the bottom layer
              c_t = Σ_s softmax_s(score(hs_s, d_1,t)) hs_s   attention from the bottom layer
              d_2 = LSTM_2([d_1 ; c])                 the context fed to every layer above
              d_l = LSTM_l([d_{l−1} ; c]) + d_{l−1}   l ≥ 3
              y_t = softmax(W [c_t ; d_L,t] + b)

Decoder layer l starts from encoder layer l's last state (the bottom one's is its two
directions' final states, combined), as in the attention model with ``--layers``. With
``dropout`` P, every layer's input from the second on is dropped out (the context is not),
in both encoder and decoder.

Attention is computed from the bottom layer's output at the *current* step (the "GNMT v2"
arrangement of later implementations), where the paper's Figure 1 uses the previous step's:
then no recurrence runs through attention, and training runs the bottom layer over all steps,
attention over all steps (``TimeAttention``), then the layers above over all steps
(``TimeStackedLSTM`` with the context as its side input). The output layer reads the context
beside the top layer, as the book's attention decoder does; GNMT's reads the top layer only.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.decoding import stepped
from attnseq.layers import Layer, TimeAffine, TimeAttention, TimeDropout
from attnseq.models.attention import AttentionSeq2seq, initial_h
from attnseq.models.impl import IMPLS, LayerSet
from attnseq.models.init import Initializer
from attnseq.models.seq2seq import Encoder
from attnseq.models.variants import (
    GNMT_DEFAULTS,
    check_gnmt,
    context_scores,
    context_scores_backward,
    embedded_lstm,
    embedded_stack,
    output_dropout_layer,
    score_layer,
)


class GNMTEncoder(Encoder):
    """``Encoder`` with GNMT's stack: a bidirectional bottom layer, skips from layer 3 up.

    GNMTEncoder(V, D, H, init, impl, *, num_layers, bi_merge="concat", dropout=0.0); the
    rest (forward, backward, ``final_h`` (N, L, H)) is ``Encoder``'s.
    """

    def __init__(self, V: int, D: int, H: int, init: Initializer, impl: LayerSet, *,
                 num_layers: int, bi_merge: str = "concat", dropout: float = 0.0):
        # the bidirectional bottom layer reads vectors: an embedding of its own in either set
        self.embed, self.lstm = embedded_stack(
            init, impl, V, D, H, num_layers=num_layers, bidirectional=True, bi_merge=bi_merge,
            residual=True, dropout=dropout, residual_from=3)
        self.collect()


class GNMTDecoder(Layer):
    """The decoder of the module docstring: attention between the bottom layer and the rest.

    GNMTDecoder(V, D, H, init, impl, *, num_layers, dropout=0.0, output_dropout=0.0,
    score="dot"),
    with ``AttentionDecoder``'s output dropout; the interface of
    ``AttentionDecoder``: forward(xs (N, Td), enc_hs (N, Te, H), mask=None, h0=None (N, L, H))
    -> scores (N, Td, V); backward(dscores) -> denc_hs, with the gradient of a given ``h0`` in
    ``dh0``; ``attention.attention_weights`` (N, Td, Te) holds the last forward's weights.
    ``params``: the bottom layer's [W, Wx, Wh, b], the score's, the upper layers' (each Wx
    (2H, 4H): the rows of the layer below's output, then the context's), the affine's.
    """

    def __init__(self, V: int, D: int, H: int, init: Initializer, impl: LayerSet, *,
                 num_layers: int, dropout: float = 0.0, output_dropout: float = 0.0,
                 score: str = "dot"):
        super().__init__()
        self.impl = impl
        self.embed, self.bottom = embedded_lstm(init, impl, V, D, H, stateful=True)
        self.attention = TimeAttention(score_layer(score, H, init))
        self.step_attention = impl.Attention(self.attention.score.shared())  # for decoding
        upper = [impl.TimeLSTM(*init.lstm(2 * H, H), stateful=True)
                 for _ in range(num_layers - 1)]
        rng = init.rng.spawn(1)[0] if dropout > 0 else None  # the masks' own stream
        # the bottom layer's output into layer 2; the stack drops out between its own layers
        self.dropout = TimeDropout(dropout, rng) if dropout > 0 else None
        # its first layer is layer 2, so its skips (from its second) start at layer 3
        self.upper = impl.TimeStackedLSTM(upper, residual=True, dropout=dropout, rng=rng)
        self.affine = TimeAffine(*init.affine(2 * H, V))
        self.out_dropout = output_dropout_layer(init, output_dropout)
        self.collect()
        self.h0_given = False
        self.dh0 = None

    @property
    def num_layers(self) -> int:
        return 1 + self.upper.num_layers

    def forward(self, xs, enc_hs, mask=None, h0=None):
        self.h0_given = h0 is not None
        h0 = initial_h(enc_hs, h0, self.num_layers)
        self.bottom.set_state(h0[:, 0])
        self.upper.set_state(h0[:, 1:])
        d1 = self.bottom.forward(xs if self.embed is None else self.embed.forward(xs))
        C = self.attention.forward(enc_hs, d1, mask)  # (N, Td, H)
        top = self.upper.forward(d1 if self.dropout is None else self.dropout.forward(d1),
                                 side=C)
        return context_scores(self, C, top)  # Affine([C ; top]): (N, Td, V)

    def backward(self, dscores):
        dC, dtop = context_scores_backward(self, dscores)
        dd1, dC_upper = self.upper.backward(dtop)
        if self.dropout is not None:
            dd1 = self.dropout.backward(dd1)
        # C reaches the loss through the output layer and through every upper layer's input
        denc_hs, dd1_attention = self.attention.backward(dC + dC_upper)
        dx = self.bottom.backward(dd1 + dd1_attention)
        if self.embed is not None:
            self.embed.backward(dx)
        dh0 = xp.concatenate([self.bottom.dh[:, None], self.upper.dh], axis=1)  # (N, L, H)
        if self.h0_given:
            self.dh0 = dh0
        else:
            self.dh0 = None
            denc_hs[:, -1] += dh0.sum(axis=1)
        return denc_hs

    def initial_state(self, enc_hs, mask=None, h0=None):
        h = xp.array(initial_h(enc_hs, h0, self.num_layers))  # (N, L, H)
        return {**self.impl.attention_state(enc_hs, mask), "h": h, "c": xp.zeros_like(h)}

    def step(self, tokens, state):
        h, c = state["h"], state["c"]
        hints = self.impl.step_hints(state)
        x = tokens if self.embed is None else self.embed.apply(tokens)
        h1, c1 = self.bottom.step(x, h[:, 0], c[:, 0], **hints)
        context = self.step_attention.forward(state["enc_hs"], h1, state.get("mask"))  # (N, H)
        top, h_up, c_up = self.upper.step(h1, h[:, 1:], c[:, 1:], side=context, **hints)
        logits = self.affine.forward(xp.concatenate([context, top], axis=1))
        return logits, stepped(state, h=xp.concatenate([h1[:, None], h_up], axis=1),
                               c=xp.concatenate([c1[:, None], c_up], axis=1),
                               attention=self.step_attention.attention_weight)  # (N, K)


class GNMT(AttentionSeq2seq):
    """The GNMT arrangement (module docstring) as a ``Seq2seq``.

    GNMT(V, D, H, *, dtype, seed, pad_id, init, label_smoothing, impl, num_layers=3,
    dropout=0.0, output_dropout=0.0, score="dot", bi_merge="concat"); it takes
    ``AttentionSeq2seq``'s option names, and refuses the ones its arrangement fixes
    (``encoder`` other than "bi", ``residual`` False, ``input_feeding``) with
    ``check_gnmt``'s one-line errors. H must be even with ``bi_merge="concat"``.
    Training, decoding (``start``/``step``, ``generate(..., return_attention=True)``) and
    ``train_mode`` are ``AttentionSeq2seq``'s.
    """

    def __init__(self, vocab_size, wordvec_size, hidden_size, *, dtype=None, seed=None,
                 pad_id=None, init="default", label_smoothing=0.0, impl="fast", **options):
        unknown = sorted(set(options) - set(GNMT_DEFAULTS))
        if unknown:
            raise TypeError(f"unknown GNMT options: {', '.join(unknown)}")
        # every option given, so that those left out are GNMT's defaults, not attention's
        super().__init__(vocab_size, wordvec_size, hidden_size, dtype=dtype, seed=seed,
                         pad_id=pad_id, init=init, label_smoothing=label_smoothing,
                         impl=impl, **{**GNMT_DEFAULTS, **options})

    def _build_parts(self, V: int, D: int, H: int, init: Initializer):
        o = self.options
        check_gnmt(H, **o)
        layer_set = IMPLS[self.impl]
        encoder = GNMTEncoder(V, D, H, init, layer_set, num_layers=o["num_layers"],
                              bi_merge=o["bi_merge"], dropout=o["dropout"])
        decoder = GNMTDecoder(V, D, H, init, layer_set, num_layers=o["num_layers"],
                              dropout=o["dropout"], output_dropout=o["output_dropout"],
                              score=o["score"])
        return encoder, decoder
