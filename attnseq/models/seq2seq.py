"""The encoder, the baseline decoder, and ``Seq2seq``: the model that the others extend.

Every decoder in attnseq has the same shape of interface, so that ``Seq2seq`` holds the
training and decoding logic once and the peeky and attention models only swap the decoder:

* ``forward(xs (N, Td), enc_hs (N, Te, H), mask) -> scores (N, Td, V)``
* ``backward(dscores) -> denc_hs (N, Te, H)``
* ``initial_state(enc_hs, mask) -> state`` and ``step(tokens (N,), state) -> (logits, state)``
  for decoding; ``state`` holds arrays only, each with the batch on its first axis, so that
  a decoding algorithm can select and reorder rows (``attnseq.decoding.protocol``).

The attention decoders also take the initial states of their (possibly stacked) layers,
``h0`` (N, L, H), as a last argument of ``forward`` and ``initial_state``, and leave its
gradient in ``dh0`` after backward: ``AttentionSeq2seq`` passes the encoder's ``final_h``.
Without ``h0`` they start from enc_hs[:, -1], as the book's decoders do.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.decoding import EQUAL_ROWS, greedy
from attnseq.core.errors import positive_int
from attnseq.layers import TimeAffine, TimeEmbedding, TimeSoftmaxWithLoss, gather
from attnseq.fast import EmbeddingLSTM
from attnseq.fast.shared_rows import prefix_order
from attnseq.models.init import Initializer
from attnseq.models.variants import lstm_stack


class Encoder:
    """Embedding + LSTM over the input. forward(xs (N, T)) -> hs (N, T, H), every step's h.

    The LSTM is a ``TimeStackedLSTM``: one layer by default (the book's encoder), or the deep,
    residual, bidirectional stacks of the attention model's options (see
    ``attnseq.models.variants``). A one-directional bottom layer reads the ids itself (an
    ``EmbeddingLSTM``: it runs a prefix that rows share, such as the padding in front of
    reversed inputs, once for all of them); a bidirectional one reads the embedded vectors.
    ``final_h`` (N, L, H) is each layer's last state, where a decoder's layers may start;
    ``backward(dhs, dh_final=None)`` takes that state's gradient.
    """

    def __init__(self, V: int, D: int, H: int, init: Initializer, *, num_layers: int = 1,
                 bidirectional: bool = False, bi_merge: str = "concat", residual: bool = False,
                 dropout: float = 0.0):
        W = init.embedding(V, D)
        self.embed = TimeEmbedding(W) if bidirectional else None  # else inside the stack
        self.lstm = lstm_stack(init, D, H, num_layers=num_layers, bidirectional=bidirectional,
                               bi_merge=bi_merge, residual=residual, dropout=dropout,
                               embedding=None if bidirectional else W)
        self.params, self.grads = gather([p for p in (self.embed, self.lstm) if p is not None])

    @property
    def final_h(self):
        return self.lstm.final_h

    def train_mode(self, flag: bool) -> None:
        self.lstm.train_mode(flag)

    def forward(self, xs):
        """xs (N, T) ids -> hs (N, T, H)."""
        return self.lstm.forward(xs if self.embed is None else self.embed.forward(xs))

    def backward(self, dhs, dh_final=None):
        dxs = self.lstm.backward(dhs, dh_final)
        if self.embed is not None:
            self.embed.backward(dxs)


class Decoder:
    """The baseline decoder: it sees the encoder only through its initial state, enc_hs[:, -1]."""

    def __init__(self, V: int, D: int, H: int, init: Initializer):
        self.lstm = EmbeddingLSTM(init.embedding(V, D), *init.lstm(D, H), stateful=True)
        self.affine = TimeAffine(*init.affine(H, V))
        self.params, self.grads = gather([self.lstm, self.affine])
        self.enc_shape = None

    def forward(self, xs, enc_hs, mask=None):
        self.enc_shape = enc_hs.shape
        self.lstm.set_state(enc_hs[:, -1])
        return self.affine.forward(self.lstm.forward(xs))  # (N, Td, V)

    def backward(self, dscores):
        self.lstm.backward(self.affine.backward(dscores))
        denc_hs = xp.zeros(self.enc_shape, dtype=dscores.dtype)
        denc_hs[:, -1] = self.lstm.dh
        return denc_hs

    def initial_state(self, enc_hs, mask=None):
        h = enc_hs[:, -1]
        return {"h": h, "c": xp.zeros_like(h)}

    def step(self, tokens, state):
        h, c = self.lstm.step(tokens, state["h"], state["c"], state.get(EQUAL_ROWS))
        return self.affine.forward(h), {"h": h, "c": c}


class Seq2seq:
    """The book's baseline seq2seq (chapter 7), the base of the peeky and attention models.

    Seq2seq(vocab_size V, wordvec_size D, hidden_size H, *, dtype, seed, pad_id, init).
    ``pad_id``, when given, is the id of padding: it is ignored by the loss and, in the
    attention model, masked out of the attention weights. ``init`` is the initialisation
    scheme, ``"default"``, ``"scaled"`` or the book's ``"book"`` (see ``attnseq.models.init``).
    ``label_smoothing`` ε (default 0, the plain loss) smooths the loss's targets
    (``TimeSoftmaxWithLoss``).

    forward(xs (N, Te) ids, ts (N, 1+Td) ids with the start id in column 0) -> mean loss;
    the decoder reads ts[:, :-1] and is trained to predict ts[:, 1:] (teacher forcing). It
    works on the batch's rows in ``prefix_ordered`` order, so what layers keep from it (such
    as attention weights) follows that order; ``generate(..., return_attention=True)`` gives
    weights in the input's order.
    """

    decoder_class = Decoder

    def __init__(self, vocab_size, wordvec_size, hidden_size, *, dtype=None, seed=None,
                 pad_id=None, init="default", label_smoothing=0.0):
        V, D, H = (positive_int(name, value) for name, value in (
            ("vocab_size", vocab_size), ("wordvec_size", wordvec_size),
            ("hidden_size", hidden_size)))
        weights = Initializer(seed, dtype, init)
        self.vocab_size, self.wordvec_size, self.hidden_size = V, D, H
        self.dtype = weights.dtype
        self.pad_id = pad_id
        self.encoder, self.decoder = self._build_parts(V, D, H, weights)
        self.loss_layer = TimeSoftmaxWithLoss(ignore_id=pad_id, smoothing=label_smoothing)
        self.params, self.grads = gather([self.encoder, self.decoder])

    def _build_parts(self, V: int, D: int, H: int, init: Initializer):
        """The encoder and the decoder; their weights are drawn from ``init`` in that order."""
        return Encoder(V, D, H, init), self.decoder_class(V, D, H, init)

    def mask(self, xs):
        """True at the input positions attention may look at (all but padding), or None."""
        return None if self.pad_id is None else xs != self.pad_id

    def forward(self, xs, ts) -> float:
        xs, ts = self.prefix_ordered(xs, ts)
        mask = self.mask(xs)
        enc_hs = self.encoder.forward(xs)
        scores = self.decoder.forward(ts[:, :-1], enc_hs, mask)
        return self.loss_layer.forward(scores, ts[:, 1:])

    @staticmethod
    def prefix_ordered(xs, ts):
        """The batch with its rows in the encoder's ``prefix_order``: its LSTM computes the
        prefixes that rows share once, on rows next to each other (``TimeLSTM``'s ``keys``),
        and given them in that order it has nothing to sort, nor to put back after each pass.
        The loss is a mean over the batch, which the order of its rows does not change."""
        order = prefix_order(xs)
        return xs[order], ts[order]

    def backward(self, dout: float = 1.0) -> None:
        dscores = self.loss_layer.backward(dout)
        self.encoder.backward(self.decoder.backward(dscores))

    def start(self, xs):
        """Encode xs (N, Te) and return the decoder's initial state for ``step``."""
        mask = self.mask(xs)
        return self.decoder.initial_state(self.encoder.forward(xs), mask)

    def step(self, tokens, state):
        """One decoding step: tokens (N,) -> (logits (N, V), next state)."""
        return self.decoder.step(tokens, state)

    def generate(self, xs, start_id: int, length: int):
        """Greedy decoding of the whole batch: xs (N, Te) -> ids (N, length)."""
        return greedy(self, xs, start_id, length)
