"""The attention model's variants: their options, the rules that combine them, their layers.

The chapter's remaining topics, as options of ``AttentionSeq2seq`` (and ``Seq2seqConfig``):

    encoder        ENCODERS: uni | bi   bidirectional bottom encoder layer (``TimeBiLSTM``)
    bi_merge       MERGES: concat | sum how its two directions combine
    num_layers     1, 2, …              stacked LSTMs in encoder and decoder
    residual       bool                 skip connections from the second layer on
    dropout        [0, 1)               inverted dropout between stacked layers
    output_dropout [0, 1)               inverted dropout on [context ; state] before the
                                        decoder's output affine map (the book's BetterRnnlm
                                        drops out in front of its Affine too)
    score          SCORES: dot | ...    the attention score function (``layers.scores``)
    input_feeding  bool                 the context is fed into the next step's LSTM input

``VARIANT_DEFAULTS`` is the book's model (the registries' defaults); ``check_variant`` refuses
a name no registry holds and the combinations that mean nothing, and
``lstm_stack``/``score_layer`` build the layers an option asks for, drawing their weights from
the model's ``Initializer``.

The GNMT model (``attnseq.models.gnmt``) takes the same options with its own defaults,
``GNMT_DEFAULTS``: its bidirectional bottom encoder layer and its residual connections are
part of the architecture, so ``check_gnmt`` refuses ``encoder="uni"``, ``residual=False`` and
input feeding, and takes ``num_layers``, ``dropout``, ``score`` and ``bi_merge`` as options.

Widths. Every encoder state is H wide whatever the options, so that the dot scores compare
vectors of the same width and the decoder's layers can start from the encoder's states: with
``bi_merge="concat"`` each direction is H/2 wide (H must be even), with "sum" each is H wide.
"""

from __future__ import annotations

import math
from types import MappingProxyType

from attnseq.core.backend import xp
from attnseq.core.errors import AttnseqError, boolean, fraction, positive_int
from attnseq.core.registry import ONE_OF, Registry
from attnseq.layers import (
    SCORES,
    AdditiveScore,
    GeneralScore,
    TimeBiLSTM,
    TimeDropout,
    TimeStackedLSTM,
)
from attnseq.layers.bidirectional import MERGES
from attnseq.models.impl import LayerSet
from attnseq.models.init import Initializer

# The encoders that configs and the command line name; "uni" is the book's.
ENCODERS = Registry("encoder", {"uni": "every layer reads left to right",
                                "bi": "a bidirectional bottom layer"},
                    default="uni", message=ONE_OF)
VARIANT_DEFAULTS = MappingProxyType({
    "encoder": ENCODERS.default,
    "bi_merge": MERGES.default,
    "num_layers": 1,
    "residual": False,
    "dropout": 0.0,
    "output_dropout": 0.0,
    "score": SCORES.default,
    "input_feeding": False,
})
# GNMT's arrangement at its smallest: three layers, the third with a skip in encoder and decoder
GNMT_DEFAULTS = MappingProxyType({**VARIANT_DEFAULTS, "encoder": "bi", "num_layers": 3,
                                  "residual": True})


def check_variant(hidden_size: int, *, encoder, bi_merge, num_layers, residual, dropout,
                  output_dropout, score, input_feeding) -> None:
    """Raise an ``AttnseqError`` (one line) for a bad option or a meaningless combination."""
    ENCODERS.check(encoder)
    MERGES.check(bi_merge, "bi_merge")
    positive_int("num_layers", num_layers)
    boolean("residual", residual)
    fraction("dropout", dropout)
    fraction("output_dropout", output_dropout)
    SCORES.check(score)
    boolean("input_feeding", input_feeding)
    if residual and num_layers < 2:
        raise AttnseqError("residual needs num_layers >= 2 (the skips start at the second "
                           "layer)")
    if dropout > 0 and num_layers < 2:
        raise AttnseqError("dropout needs num_layers >= 2 (it acts between layers)")
    if bi_merge != "concat" and encoder != "bi":
        raise AttnseqError(f"bi_merge {bi_merge!r} needs encoder 'bi'")
    if encoder == "bi" and bi_merge == "concat" and hidden_size % 2:
        raise AttnseqError(f"encoder 'bi' with bi_merge 'concat' needs an even hidden_size "
                           f"(each direction is half of it), got {hidden_size}")
    if input_feeding and num_layers > 1:
        raise AttnseqError(f"input_feeding works with num_layers 1 only, got {num_layers}")


def check_gnmt(hidden_size: int, *, encoder, bi_merge, num_layers, residual, dropout,
               output_dropout, score, input_feeding) -> None:
    """``check_variant`` for the GNMT model, after the rules of its fixed arrangement."""
    ENCODERS.check(encoder)
    boolean("residual", residual)
    positive_int("num_layers", num_layers)
    boolean("input_feeding", input_feeding)
    if encoder != "bi":
        raise AttnseqError(f"model 'gnmt' has a bidirectional bottom encoder layer: encoder "
                           f"must be 'bi', got {encoder!r}")
    if not residual:
        raise AttnseqError("model 'gnmt' has residual connections from layer 3 up: residual "
                           "must be true, got False")
    if input_feeding:
        raise AttnseqError("input_feeding needs model 'attention', not 'gnmt' (gnmt feeds "
                           "the context to the layers above the bottom one)")
    if num_layers < 2:
        raise AttnseqError(f"model 'gnmt' needs num_layers >= 2 (the context feeds the layers "
                           f"above the bottom one), got {num_layers}")
    check_variant(hidden_size, encoder=encoder, bi_merge=bi_merge, num_layers=num_layers,
                  residual=residual, dropout=dropout, output_dropout=output_dropout,
                  score=score, input_feeding=input_feeding)


def lstm_stack(init: Initializer, impl: LayerSet, D: int, H: int, *, num_layers: int = 1,
               bidirectional: bool = False, bi_merge: str = "concat", residual: bool = False,
               dropout: float = 0.0, stateful: bool = False, embedding=None,
               residual_from: int = 2) -> TimeStackedLSTM:
    """``num_layers`` LSTMs of width H over D-wide inputs, the bottom one bidirectional if asked,
    each a ``TimeLSTM`` of the layer set ``impl``.

    With ``embedding`` (V, D), a one-directional bottom layer reads token ids through it
    (``impl.embedded_lstm``; see ``embedded_stack``). Weights are drawn bottom-up (for a
    bidirectional layer: forward direction first), so a one-layer stack draws exactly what a
    lone LSTM would. The dropout masks get their own Generator, spawned from the
    initializer's: it does not shift the weights' stream. ``residual_from`` is the first
    layer (from 1) with a skip.
    """
    if bidirectional:
        if embedding is not None:
            raise ValueError("a bidirectional bottom layer reads vectors, not ids")
        Hd = H // 2 if bi_merge == "concat" else H
        layers = [TimeBiLSTM(impl.TimeLSTM(*init.lstm(D, Hd)), impl.TimeLSTM(*init.lstm(D, Hd)),
                             merge=bi_merge)]
    elif embedding is not None:
        if impl.embedded_lstm is None:
            raise ValueError(f"layer set {impl.name!r} has no LSTM that reads ids")
        layers = [impl.embedded_lstm(embedding, *init.lstm(D, H), stateful=stateful)]
    else:
        layers = [impl.TimeLSTM(*init.lstm(D, H), stateful=stateful)]
    layers += [impl.TimeLSTM(*init.lstm(H, H), stateful=stateful) for _ in range(num_layers - 1)]
    rng = init.rng.spawn(1)[0] if dropout > 0 else None
    return impl.TimeStackedLSTM(layers, residual=residual, dropout=dropout, rng=rng,
                                residual_from=residual_from)


def embedded_stack(init: Initializer, impl: LayerSet, V: int, D: int, H: int, **options):
    """(embed, stack): an embedding of V tokens, D wide, and ``lstm_stack(..., **options)``
    reading it. The book's set returns a ``TimeEmbedding`` and a stack over its vectors; the
    fast set, for a one-directional bottom layer, (None, a stack whose bottom layer reads the
    ids itself: ``EmbeddingLSTM``). The same weights in the same order either way."""
    W = init.embedding(V, D)
    if impl.embedded_lstm is None or options.get("bidirectional"):
        return impl.TimeEmbedding(W), lstm_stack(init, impl, D, H, **options)
    return None, lstm_stack(init, impl, D, H, embedding=W, **options)


def embedded_lstm(init: Initializer, impl: LayerSet, V: int, D: int, H: int, *,
                  stateful: bool = False):
    """(embed, lstm): ``embedded_stack``'s pair for one LSTM (no stack): a ``TimeEmbedding``
    and a ``TimeLSTM`` over its vectors, or (None, the fast set's ``EmbeddingLSTM``)."""
    W = init.embedding(V, D)
    if impl.embedded_lstm is None:
        return impl.TimeEmbedding(W), impl.TimeLSTM(*init.lstm(D, H), stateful=stateful)
    return None, impl.embedded_lstm(W, *init.lstm(D, H), stateful=stateful)


def output_dropout_layer(init: Initializer, rate: float) -> TimeDropout | None:
    """The dropout in front of a decoder's output affine map, or None for rate 0 (then nothing
    is drawn for it, and the model's random streams are those of a model without it). Its
    masks come from a Generator of their own, spawned from the initializer's."""
    return TimeDropout(rate, init.rng.spawn(1)[0]) if rate > 0 else None


def context_scores(decoder, C, h):
    """The attention decoders' output, scores = Affine(dropout([C ; h])): C, h (N, T, H) ->
    (N, T, V), through ``decoder.out_dropout`` (None: none) and ``decoder.affine``."""
    out = xp.concatenate([C, h], axis=2)  # (N, T, 2H)
    if decoder.out_dropout is not None:
        out = decoder.out_dropout.forward(out)
    return decoder.affine.forward(out)


def context_scores_backward(decoder, dscores):
    """(dC, dh), each (N, T, H): the gradients of ``context_scores``'s two inputs."""
    dout = decoder.affine.backward(dscores)  # (N, T, 2H)
    if decoder.out_dropout is not None:
        dout = decoder.out_dropout.backward(dout)
    H = dout.shape[2] // 2
    return dout[:, :, :H], dout[:, :, H:]


def score_layer(name: str, H: int, init: Initializer):
    """The score layer ``name`` for H-wide encoder and decoder states.

    Learned matrices are scaled by 1/√H, like the other weights, so that initial general and
    additive scores are of the same order as scaled dot scores.
    """
    scale = 1.0 / math.sqrt(H)
    if name == "general":
        return GeneralScore(init.normal((H, H), scale))
    if name == "additive":  # the attention width A is H
        return AdditiveScore(init.normal((H, H), scale), init.normal((H, H), scale),
                             init.normal((H,), scale))
    return SCORES[name]()
