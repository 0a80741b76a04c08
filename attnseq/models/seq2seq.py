"""The encoder, the baseline decoder, and ``Seq2seq``: the model that the others extend.

Every decoder in attnseq has the same shape of interface, so that ``Seq2seq`` holds the
training and decoding logic once and the peeky and attention models swap the decoder (the
book's attention model, ``attnseq.models.book_attention``, its encoder too):

* ``forward(xs (N, Td), enc_hs (N, Te, H), mask) -> scores (N, Td, V)``
* ``backward(dscores) -> denc_hs (N, Te, H)``
* ``initial_state(enc_hs, mask) -> state`` and ``step(tokens (N,), state) -> (logits, state)``
  for decoding; ``state`` holds arrays only, each with the batch on its first axis, so that
  a decoding algorithm can select and reorder rows (``attnseq.decoding.protocol``).

The attention decoders also take the initial states of their (possibly stacked) layers,
``h0`` (N, L, H), as a last argument of ``forward`` and ``initial_state``, and leave its
gradient in ``dh0`` after backward: ``AttentionSeq2seq`` passes the encoder's ``final_h``.
Without ``h0`` they start from enc_hs[:, -1], as the book's decoders do.

Every model is built from one of two layer sets, ``impl="fast"`` (the default) or ``"book"``
(``attnseq.models.impl``): the same parameters, the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from attnseq.core.backend import xp
from attnseq.core.errors import positive_int
from attnseq.decoding import greedy
from attnseq.fast.shared_rows import prefix_order
from attnseq.layers import Layer, TimeAffine, TimeSoftmaxWithLoss
from attnseq.layers.base import eval_mode
from attnseq.models.impl import IMPLS, LayerSet
from attnseq.models.init import Initializer
from attnseq.models.variants import embedded_lstm, embedded_stack


class Encoder(Layer):
    """Embedding + LSTM over the input. forward(xs (N, T)) -> hs (N, T, H), every step's h.

    The LSTM is the layer set's ``TimeStackedLSTM``: one layer by default, or the deep,
    residual, bidirectional stacks of the attention model's options (see
    ``attnseq.models.variants``). In the fast layer set a one-directional bottom layer reads
    the ids itself (``embed`` is None: an ``EmbeddingLSTM`` runs a prefix that rows share, such
    as the padding in front of reversed inputs, once for all of them).
    ``final_h`` (N, L, H) is each layer's last state, where a decoder's layers may start;
    ``backward(dhs, dh_final=None)`` takes that state's gradient.
    """

    def __init__(self, V: int, D: int, H: int, init: Initializer, impl: LayerSet, *,
                 num_layers: int = 1, bidirectional: bool = False, bi_merge: str = "concat",
                 residual: bool = False, dropout: float = 0.0):
        super().__init__()
        self.embed, self.lstm = embedded_stack(
            init, impl, V, D, H, num_layers=num_layers, bidirectional=bidirectional,
            bi_merge=bi_merge, residual=residual, dropout=dropout)
        self.collect()

    @property
    def final_h(self):
        return self.lstm.final_h

    def forward(self, xs):
        """xs (N, T) ids -> hs (N, T, H)."""
        return self.lstm.forward(xs if self.embed is None else self.embed.forward(xs))

    def backward(self, dhs, dh_final=None):
        dxs = self.lstm.backward(dhs, dh_final)
        if self.embed is not None:
            self.embed.backward(dxs)


class Decoder(Layer):
    """The baseline decoder: it sees the encoder only through its initial state, enc_hs[:, -1]."""

    def __init__(self, V: int, D: int, H: int, init: Initializer, impl: LayerSet):
        super().__init__()
        self.impl = impl
        self.embed, self.lstm = embedded_lstm(init, impl, V, D, H, stateful=True)
        self.affine = TimeAffine(*init.affine(H, V))
        self.collect()
        self.enc_shape = None

    def forward(self, xs, enc_hs, mask=None):
        self.enc_shape = enc_hs.shape
        self.lstm.set_state(enc_hs[:, -1])
        x = xs if self.embed is None else self.embed.forward(xs)
        return self.affine.forward(self.lstm.forward(x))  # (N, Td, V)

    def backward(self, dscores):
        dx = self.lstm.backward(self.affine.backward(dscores))
        if self.embed is not None:
            self.embed.backward(dx)
        denc_hs = xp.zeros(self.enc_shape, dtype=dscores.dtype)
        denc_hs[:, -1] = self.lstm.dh
        return denc_hs

    def initial_state(self, enc_hs, mask=None):
        h = enc_hs[:, -1]
        return {"h": h, "c": xp.zeros_like(h)}

    def step(self, tokens, state):
        x = tokens if self.embed is None else self.embed.apply(tokens)
        h, c = self.lstm.step(x, state["h"], state["c"], **self.impl.step_hints(state))
        return self.affine.forward(h), {"h": h, "c": c}


class Seq2seq(Layer):
    """The book's baseline seq2seq (chapter 7), the base of the peeky and attention models.

    Seq2seq(vocab_size V, wordvec_size D, hidden_size H, *, dtype, seed, pad_id, init,
    label_smoothing, impl). ``pad_id``, when given, is the id of padding: it is ignored by the
    loss and, in the attention model, masked out of the attention weights. ``init`` is the
    initialisation scheme, ``"default"``, ``"scaled"`` or the book's ``"book"`` (see
    ``attnseq.models.init``). ``label_smoothing`` ε (default 0, the plain loss) smooths the
    loss's targets (``TimeSoftmaxWithLoss``). ``impl`` is the layer set, "fast" or "book"
    (``attnseq.models.impl``).

    forward(xs (N, Te) ids, ts (N, 1+Td) ids with the start id in column 0) -> mean loss;
    the decoder reads ts[:, :-1] and is trained to predict ts[:, 1:] (teacher forcing).
    ``row_order(xs)`` is the order in which the layer set likes a batch's rows (the trainer
    and decoding's batches put them in it; the loss does not depend on it).
    """

    # Decoder(V, D, H, init, layer_set); the peeky and attention models set their own.
    decoder_class: ClassVar[Callable[..., Layer]] = Decoder

    def __init__(self, vocab_size, wordvec_size, hidden_size, *, dtype=None, seed=None,
                 pad_id=None, init="default", label_smoothing=0.0, impl="fast"):
        super().__init__()
        V, D, H = (positive_int(name, value) for name, value in (
            ("vocab_size", vocab_size), ("wordvec_size", wordvec_size),
            ("hidden_size", hidden_size)))
        self.impl = IMPLS.check(impl)  # the layer set's name; IMPLS[impl] is the set
        weights = Initializer(seed, dtype, init)
        self.vocab_size, self.wordvec_size, self.hidden_size = V, D, H
        self.dtype = weights.dtype
        self.pad_id = pad_id
        self.encoder, self.decoder = self._build_parts(V, D, H, weights)
        self.loss_layer = TimeSoftmaxWithLoss(ignore_id=pad_id, smoothing=label_smoothing)
        self.collect()

    def _build_parts(self, V: int, D: int, H: int, init: Initializer):
        """The encoder and the decoder; their weights are drawn from ``init`` in that order."""
        layer_set = IMPLS[self.impl]
        return Encoder(V, D, H, init, layer_set), self.decoder_class(V, D, H, init, layer_set)

    def mask(self, xs):
        """True at the input positions attention may look at (all but padding), or None."""
        return None if self.pad_id is None else xs != self.pad_id

    def forward(self, xs, ts) -> float:
        mask = self.mask(xs)
        enc_hs = self.encoder.forward(xs)
        scores = self.decoder.forward(ts[:, :-1], enc_hs, mask)
        return self.loss_layer.forward(scores, ts[:, 1:])

    def row_order(self, xs):
        """The order in which the layer set likes to read a batch xs (N, Te): the fast set's
        ``prefix_order`` (rows with a common prefix next to each other, so that the encoder's
        ``EmbeddingLSTM`` computes what they share once, with nothing to sort nor to put back
        after each pass), or None for the book's set, which reads the batch as it comes."""
        return prefix_order(xs) if IMPLS[self.impl].prefix_order else None

    def backward(self, dout: float = 1.0) -> None:
        dscores = self.loss_layer.backward(dout)
        self.encoder.backward(self.decoder.backward(dscores))

    def start(self, xs):
        """Encode xs (N, Te) and return the decoder's initial state for ``step``; inference,
        so without dropout in either mode."""
        with eval_mode(self):
            enc_hs = self.encoder.forward(xs)
        return self.decoder.initial_state(enc_hs, self.mask(xs))

    def step(self, tokens, state):
        """One decoding step: tokens (N,) -> (logits (N, V), next state)."""
        return self.decoder.step(tokens, state)

    def generate(self, xs, start_id: int, length: int):
        """Greedy decoding of the whole batch: xs (N, Te) -> ids (N, length)."""
        return greedy(self, xs, start_id, length)
