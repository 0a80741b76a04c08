"""The attention seq2seq of chapter 8, and its variants: the general parts that every option
and the fast set build (the book's model as the book writes it, which ``impl="book"`` with the
default options builds, is ``attnseq.models.book_attention``).

The encoder hands over all its states hs (N, Te, H). The decoder runs its LSTM (started from
the encoder's last state), lets every step attend over hs (``TimeAttention``), and predicts
from the context and its own state side by side:

    dec_hs = LSTM(embed(x))                 (N, Td, H)
    C      = TimeAttention(hs, dec_hs)      (N, Td, H)
    scores = Affine([C ; dec_hs])           (N, Td, V)

The chapter's remaining topics are options (``attnseq.models.variants``; docs/variants.md):
a bidirectional encoder, stacked LSTMs with residual connections and dropout, other score
functions, and input feeding (``InputFeedingDecoder``). With several layers, decoder layer l
starts from encoder layer l's last state: the encoder's ``final_h`` (N, L, H) is passed to the
decoder as ``h0`` and its gradient ``dh0`` handed back.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.decoding import greedy, stepped
from attnseq.layers import Layer, TimeAffine, TimeAttention
from attnseq.layers.base import eval_mode
from attnseq.models import book_attention as book
from attnseq.models.impl import BOOK, IMPLS, LayerSet
from attnseq.models.init import Initializer
from attnseq.models.input_feeding import InputFeedingDecoder
from attnseq.models.seq2seq import Encoder, Seq2seq
from attnseq.models.variants import (
    VARIANT_DEFAULTS,
    check_variant,
    context_scores,
    context_scores_backward,
    embedded_stack,
    output_dropout_layer,
    score_layer,
)


def initial_h(enc_hs, h0, num_layers: int):
    """The decoder's initial states (N, L, H): ``h0``, or else (the book's) enc_hs[:, -1]."""
    if h0 is not None:
        return h0
    N, _, H = enc_hs.shape
    return xp.broadcast_to(enc_hs[:, -1:], (N, num_layers, H))


class AttentionDecoder(Layer):
    """The book's AttentionDecoder (``book_attention.AttentionDecoder``), generalised to the
    options: a stack of L layers, any score, dropout; a padding mask over the encoder states.

    AttentionDecoder(V, D, H, init, impl, *, num_layers=1, residual=False, dropout=0.0,
    output_dropout=0.0, score="dot"). forward(xs, enc_hs, mask=None, h0=None) -> scores
    (N, Td, V), where ``h0`` (N, L, H) are the layers' initial states (default: enc_hs[:, -1]
    for each); backward returns denc_hs and leaves the gradient of a given ``h0`` in ``dh0``
    (without one, that gradient is added into denc_hs[:, -1]). ``output_dropout`` drops out
    [C ; dec_hs] in training, in front of the affine map.
    """

    def __init__(self, V: int, D: int, H: int, init: Initializer, impl: LayerSet, *,
                 num_layers: int = 1, residual: bool = False, dropout: float = 0.0,
                 output_dropout: float = 0.0, score: str = "dot"):
        super().__init__()
        self.impl = impl
        self.embed, self.lstm = embedded_stack(init, impl, V, D, H, num_layers=num_layers,
                                               residual=residual, dropout=dropout,
                                               stateful=True)
        self.attention = TimeAttention(score_layer(score, H, init))
        self.step_attention = impl.Attention(self.attention.score.shared())  # for decoding
        self.affine = TimeAffine(*init.affine(2 * H, V))
        self.out_dropout = output_dropout_layer(init, output_dropout)
        self.collect()
        self.h0_given = False
        self.dh0 = None

    def forward(self, xs, enc_hs, mask=None, h0=None):
        self.h0_given = h0 is not None
        self.lstm.set_state(initial_h(enc_hs, h0, self.lstm.num_layers))
        dec_hs = self.lstm.forward(xs if self.embed is None else self.embed.forward(xs))
        C = self.attention.forward(enc_hs, dec_hs, mask)  # (N, Td, H)
        return context_scores(self, C, dec_hs)  # Affine([C ; dec_hs]): (N, Td, V)

    def backward(self, dscores):
        dC, dout_dec = context_scores_backward(self, dscores)
        denc_hs, ddec_hs = self.attention.backward(dC)
        ddec_hs += dout_dec
        dx = self.lstm.backward(ddec_hs)
        if self.embed is not None:
            self.embed.backward(dx)
        if self.h0_given:
            self.dh0 = self.lstm.dh  # (N, L, H)
        else:
            self.dh0 = None
            denc_hs[:, -1] += self.lstm.dh.sum(axis=1)
        return denc_hs

    def initial_state(self, enc_hs, mask=None, h0=None):
        h = xp.array(initial_h(enc_hs, h0, self.lstm.num_layers))  # (N, L, H)
        return {**self.impl.attention_state(enc_hs, mask), "h": h, "c": xp.zeros_like(h)}

    def step(self, tokens, state):
        x = tokens if self.embed is None else self.embed.apply(tokens)
        out, h, c = self.lstm.step(x, state["h"], state["c"], **self.impl.step_hints(state))
        context = self.step_attention.forward(state["enc_hs"], out, state.get("mask"))  # (N, H)
        logits = self.affine.forward(xp.concatenate([context, out], axis=1))
        weights = self.step_attention.attention_weight  # (N, K): over the kept columns
        return logits, stepped(state, h=h, c=c, attention=weights)


class AttentionSeq2seq(Seq2seq):
    """Seq2seq with attention: ``Seq2seq``'s constructor plus the variant options.

    AttentionSeq2seq(V, D, H, *, dtype, seed, pad_id, init, label_smoothing, impl,
    encoder="uni", bi_merge="concat", num_layers=1, residual=False, dropout=0.0,
    output_dropout=0.0, score="dot", input_feeding=False); see ``attnseq.models.variants``.
    The options' defaults are the book's architecture (its initialisation is ``init="book"``,
    ``attnseq.models.init``). With ``impl="book"`` it is built from the book's layers: with the
    default options, from the book's own two parts (``attnseq.models.book_attention``); with
    others, from this module's general parts.

    ``generate(xs, start_id, length, return_attention=True)`` also returns the attention
    weights of every generated step, (N, length, Te). ``train_mode(flag)`` switches dropout
    (``training``, initially True, says which mode is on); decoding (``start``, ``generate``)
    never drops out, in either mode.
    """

    decoder_class = AttentionDecoder

    def __init__(self, vocab_size, wordvec_size, hidden_size, *, dtype=None, seed=None,
                 pad_id=None, init="default", label_smoothing=0.0, impl="fast", **options):
        unknown = sorted(set(options) - set(VARIANT_DEFAULTS))
        if unknown:
            raise TypeError(f"unknown AttentionSeq2seq options: {', '.join(unknown)}")
        self.options = {**VARIANT_DEFAULTS, **options}
        self.training = True
        super().__init__(vocab_size, wordvec_size, hidden_size, dtype=dtype, seed=seed,
                         pad_id=pad_id, init=init, label_smoothing=label_smoothing, impl=impl)
        # the decoding state's entries of one row per input (attnseq.decoding.protocol)
        self.input_keys = IMPLS[self.impl].input_keys

    def _build_parts(self, V: int, D: int, H: int, init: Initializer):
        o = self.options
        check_variant(H, **o)
        layer_set = IMPLS[self.impl]
        if layer_set is BOOK and o == VARIANT_DEFAULTS:  # the book's model, as the book writes it
            return book.AttentionEncoder(V, D, H, init), book.AttentionDecoder(V, D, H, init)
        encoder = Encoder(V, D, H, init, layer_set, num_layers=o["num_layers"],
                          bidirectional=o["encoder"] == "bi", bi_merge=o["bi_merge"],
                          residual=o["residual"], dropout=o["dropout"])
        decoder: InputFeedingDecoder | AttentionDecoder
        if o["input_feeding"]:
            decoder = InputFeedingDecoder(V, D, H, init, layer_set,
                                          output_dropout=o["output_dropout"], score=o["score"])
        else:
            decoder = AttentionDecoder(V, D, H, init, layer_set, num_layers=o["num_layers"],
                                       residual=o["residual"], dropout=o["dropout"],
                                       output_dropout=o["output_dropout"], score=o["score"])
        return encoder, decoder

    def forward(self, xs, ts) -> float:
        mask = self.mask(xs)
        enc_hs = self.encoder.forward(xs)
        scores = self.decoder.forward(ts[:, :-1], enc_hs, mask, self.encoder.final_h)
        return self.loss_layer.forward(scores, ts[:, 1:])

    def backward(self, dout: float = 1.0) -> None:
        denc_hs = self.decoder.backward(self.loss_layer.backward(dout))
        self.encoder.backward(denc_hs, self.decoder.dh0)

    def start(self, xs):
        with eval_mode(self):  # inference: the encoder's states without dropout
            enc_hs = self.encoder.forward(xs)
        return self.decoder.initial_state(enc_hs, self.mask(xs), self.encoder.final_h)

    def generate(self, xs, start_id: int, length: int, return_attention: bool = False):
        return greedy(self, xs, start_id, length, return_attention=return_attention)
