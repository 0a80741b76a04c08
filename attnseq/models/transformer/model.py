"""The Transformer (Vaswani et al., 2017): an encoder–decoder of attention alone.

    encoder   x⁰ = Dropout(√D · E_src[xs] + P[0..Te))            (N, Te, D)
              xˡ = EncoderLayer_l(xˡ⁻¹, key_mask)                   l = 1..L
              memory = LN(xᴸ) (pre-LN) or xᴸ (post-LN)
    decoder   y⁰ = Dropout(√D · E_tgt[ts[:, :-1]] + P[0..Td))      (N, Td, D)
              yˡ = DecoderLayer_l(yˡ⁻¹, memory, key_mask)
              scores = LN(yᴸ) W_out + b_out                         (N, Td, V)
    loss      TimeSoftmaxWithLoss(scores, ts[:, 1:]), padding ignored, optional smoothing

``key_mask`` is True at the input positions that are not padding (the model's ``pad_id``);
the decoder's self-attention is causal. The layers come from one of two sets
(``impl``, ``attnseq.models.impl``): the paper's (``"book"``, ``attnseq.layers``) or their
speed-ups (``"fast"``, the default, ``attnseq.fast``), which also run the encoder on the
packed real positions only, with the padded encoder's loss and gradients. Both have the same
parameters in the same order, so a model's weights load into either. With
``tie_embeddings``, W_out = E_tgtᵀ (Press & Wolf, 2017): one (V, D) matrix is both the
target embedding and the output projection, and its gradient is the sum of both uses. The
blocks are in ``blocks``.

Decoding follows the decoder protocol (``attnseq.decoding.protocol``): ``start`` encodes
once and projects every decoder layer's cross-attention keys and values of the memory;
``step`` runs one position through the decoder, appending its self-attention keys and
values to per-layer caches held in the state (N, h, t, dk), so step t costs O(t). The state
holds arrays only, batch first; ``attention`` is the last decoder layer's cross-attention,
averaged over heads (N, Te), what the LSTM attention models give.
"""

from __future__ import annotations

import math

from attnseq.core.errors import AttnseqError, positive_int
from attnseq.decoding import greedy, stepped
from attnseq.fast.attention import span_state
from attnseq.layers import Embedding, Layer, TimeDropout, TimeSoftmaxWithLoss
from attnseq.layers.base import eval_mode
from attnseq.layers.positions import positions_layer
from attnseq.models.impl import IMPLS, LayerSet
from attnseq.models.init import Initializer
from attnseq.models.seq2seq import Seq2seq
from attnseq.models.transformer.blocks import (
    DecoderLayer,
    EncoderLayer,
    layer_norm,
    layer_stack,
)
from attnseq.models.transformer.options import TRANSFORMER_DEFAULTS, check_transformer


class TransformerStack(Layer):
    """What the encoder and decoder share: token embeddings scaled by √D, positions, dropout
    on their sum, ``num_layers`` layers of ``layer_class``, and (pre-LN) a final LayerNorm,
    each from the layer set ``impl``. ``embed(ids)`` -> (N, T, D) the first layer's input;
    ``embed_backward(dx)`` its way back.
    """

    def __init__(self, layer_class, impl: LayerSet, V: int, init: Initializer, o: dict,
                 max_len: int, rng):
        super().__init__()
        D = o["d_model"]
        self.impl = impl
        self.scale = math.sqrt(D)
        self.embedding = Embedding(init.embedding(V, D))
        self.positions = positions_layer(o["positions"], max_len, D, init.normal, init.dtype)
        self.dropout = TimeDropout(o["dropout"], rng)
        self.layers = layer_stack(layer_class, o["num_layers"], impl, init, D,
                                  heads=o["heads"], d_ff=o["d_ff"], norm=o["norm"],
                                  dropout=o["dropout"], activation=o["activation"], rng=rng)
        self.final_ln = layer_norm(impl, init, D) if o["norm"] == "pre" else None
        self.collect()

    def embed(self, ids, start: int = 0):
        """ids (N, T) at positions start .. start + T - 1 -> (N, T, D)."""
        return self.dropout.forward(self.positions.forward(self.embedding.forward(ids)
                                                           * self.scale, start))

    def embed_backward(self, dx) -> None:
        self.embedding.backward(self.positions.backward(self.dropout.backward(dx)) * self.scale)

    def normalise(self, x):
        return x if self.final_ln is None else self.final_ln.forward(x)

    def normalise_backward(self, dy):
        return dy if self.final_ln is None else self.final_ln.backward(dy)


class TransformerEncoder(TransformerStack):
    """forward(xs (N, Te) ids, key_mask, start=0, packed=True) -> memory (N, Te, D), or,
    with the fast set and ``packed``, the (M, D) rows of key_mask's real positions (its
    layers then skip the padding); backward(dmemory). ``start``: the position of xs's first
    column (decoding encodes a span of the input)."""

    def __init__(self, impl: LayerSet, V: int, init: Initializer, o: dict, max_len: int, rng):
        super().__init__(EncoderLayer, impl, V, init, o, max_len, rng)
        self.key_mask = None

    def forward(self, xs, key_mask=None, start: int = 0, packed: bool = True):
        self.key_mask = key_mask if packed else None  # what unpacks dx in backward
        x = self.impl.pack(self.key_mask, self.embed(xs, start))
        for layer in self.layers:
            x = layer.forward(x, key_mask)
        return self.normalise(x)

    def backward(self, dmemory):
        dx = self.normalise_backward(dmemory)
        for layer in reversed(self.layers):
            dx = layer.backward(dx)
        self.embed_backward(self.impl.unpack(self.key_mask, dx))  # zero at any padding


class TransformerDecoder(TransformerStack):
    """forward(ys (N, Td) ids, memory (N, Te, D), key_mask) -> scores (N, Td, V);
    backward(dscores) -> dmemory, shaped as the memory (the encoder's packed rows with the
    fast set). ``initial_state``/``step``: the module docstring's decoding."""

    def __init__(self, impl: LayerSet, V: int, init: Initializer, o: dict, max_len: int, rng):
        super().__init__(DecoderLayer, impl, V, init, o, max_len, rng)
        self.tied = o["tie_embeddings"]
        if self.tied:  # W_out is a view of E_tgt: the optimiser's updates of E move it too
            # W_out is no parameter of its own (backward adds its gradient into E's), b_out is
            self.affine = impl.Affine(self.embedding.params[0].T, init.zeros(V))
            self.params += self.affine.params[1:]
            self.grads += self.affine.grads[1:]
        else:
            self.affine = impl.Affine(*init.affine(o["d_model"], V))
            self.collect()

    def forward(self, ys, memory, key_mask=None):
        y = self.embed(ys)
        for layer in self.layers:
            y = layer.forward(y, memory, key_mask)
        return self.affine.forward(self.normalise(y))  # (N, Td, V)

    def backward(self, dscores):
        dy = self.normalise_backward(self.affine.backward(dscores))
        dmemory = None
        for layer in reversed(self.layers):
            dy, dm = layer.backward(dy)
            dmemory = dm if dmemory is None else dmemory + dm
        self.embed_backward(dy)
        if self.tied:  # E_tgt's gradient: its use as an embedding plus as W_out = E_tgtᵀ
            self.embedding.grads[0] += self.affine.grads[0].T
        return dmemory

    def initial_state(self, memory, key_mask=None) -> dict:
        N = memory.shape[0] if memory.ndim == 3 else key_mask.shape[0]  # else packed rows
        state = {} if key_mask is None else {"mask": key_mask}
        for l, layer in enumerate(self.layers):
            state[f"cross_k{l}"], state[f"cross_v{l}"] = layer.cross_mha.project_kv(
                memory, key_mask)
            state[f"k{l}"], state[f"v{l}"] = layer.self_mha.empty_kv(N, memory.dtype)
        return state

    def step(self, tokens, state):
        t = state["k0"].shape[2]  # positions decoded so far: the caches' length
        y = self.embedding.params[0][tokens][:, None, :] * self.scale  # (N, 1, D)
        y = y + self.positions.rows(t, 1)
        changes = {}
        for l, layer in enumerate(self.layers):
            y, changes[f"k{l}"], changes[f"v{l}"], A = layer.step(
                y, state[f"k{l}"], state[f"v{l}"], state[f"cross_k{l}"],
                state[f"cross_v{l}"], state.get("mask"))
        logits = self.affine.forward(self.normalise(y[:, 0]))  # (N, V)
        return logits, stepped(state, **changes, attention=A[:, :, 0].mean(axis=1))


class Transformer(Seq2seq):
    """Transformer(vocab_size, *, impl="fast", dtype, seed, pad_id, init, max_len=64,
    label_smoothing=0.0, **options), the options of ``TRANSFORMER_DEFAULTS`` (its widths are
    ``d_model`` and ``d_ff``). ``impl`` picks the layer set, ``"book"`` or ``"fast"``
    (``attnseq.models.impl.IMPLS``); both give the same params in the same order.

    forward(xs (N, Te), ts (N, 1+Td)) -> loss; backward(); start/step; ``generate(xs,
    start_id, length, return_attention=False)`` (greedy; with the head-averaged
    cross-attention (N, length, Te)). ``max_len`` is the longest sequence positions are
    made for. ``attention_maps(xs, ys)`` gives every layer's and head's weights.
    """

    def __init__(self, vocab_size, *, impl: str = IMPLS.default, dtype=None, seed=None,
                 pad_id=None, init="default", max_len: int = 64, label_smoothing=0.0,
                 **options):
        unknown = sorted(set(options) - set(TRANSFORMER_DEFAULTS))
        if unknown:
            raise TypeError(f"unknown Transformer options: {', '.join(unknown)}")
        self.options = {**TRANSFORMER_DEFAULTS, **options}
        check_transformer(**self.options)
        self.impl = IMPLS.check(impl)
        self.vocab_size = V = positive_int("vocab_size", vocab_size)
        self.max_len = positive_int("max_len", max_len)
        self.d_model = self.options["d_model"]  # what the Noam schedule scales by
        self.training = True
        weights = Initializer(seed, dtype, init)
        self.dtype, self.pad_id = weights.dtype, pad_id
        # every dropout mask from one stream of its own, so the weights do not depend on it
        rng = weights.rng.spawn(1)[0]
        layers = IMPLS[impl]
        self.encoder = TransformerEncoder(layers, V, weights, self.options, self.max_len, rng)
        self.decoder = TransformerDecoder(layers, V, weights, self.options, self.max_len, rng)
        self.loss_layer = TimeSoftmaxWithLoss(ignore_id=pad_id, smoothing=label_smoothing)
        self.collect()

    def row_order(self, xs):
        """None: the Transformer's layers share no prefixes, so any order of rows will do."""
        return None

    def forward(self, xs, ts) -> float:
        mask = self.mask(xs)
        memory = self.encoder.forward(xs, mask)
        scores = self.decoder.forward(ts[:, :-1], memory, mask)
        return self.loss_layer.forward(scores, ts[:, 1:])

    def backward(self, dout: float = 1.0) -> None:
        self.encoder.backward(self.decoder.backward(self.loss_layer.backward(dout)))

    def _start_state(self, xs, mask, start: int = 0) -> dict:
        """The decoder's initial state for xs (columns from position ``start`` on): the
        memory, encoded without dropout whatever the mode."""
        with eval_mode(self):
            memory = self.encoder.forward(xs, mask, start)
        return self.decoder.initial_state(memory, mask)

    def start(self, xs):
        """Encode the inputs for decoding. The fast set encodes only the columns from the first
        to the last that some row has real input in (its ``attended_span``; reversed inputs
        begin with padding), at their own positions: the other columns are padding in every
        row, which no real position attends to, so the memory of the real positions is the
        same, and steps attend over fewer columns. The book's set encodes every column."""
        if xs.shape[1] > self.max_len:
            raise AttnseqError(f"inputs of {xs.shape[1]} tokens are longer than this model's "
                               f"{self.max_len}")
        mask = self.mask(xs)
        if mask is None:
            return self._start_state(xs, None)
        lo, hi = IMPLS[self.impl].attended_span(mask)
        if (lo, hi) == (0, xs.shape[1]):
            return self._start_state(xs, mask)
        kept = span_state(mask, lo, hi)  # the kept columns' mask and their input positions
        state = self._start_state(xs[:, lo:hi], kept["mask"], lo)
        return {**state, "attention_columns": kept["attention_columns"]}

    def generate(self, xs, start_id: int, length: int, return_attention: bool = False):
        return greedy(self, xs, start_id, length, return_attention=return_attention)

    def attention_maps(self, xs, ys) -> dict:
        """Every layer's weights per head for inputs xs (N, Te) and decoder inputs ys (N, Td)
        (the start id, then the output but its last token), computed in eval mode:
        {"encoder": [(N, h, Te, Te)], "decoder": [(N, h, Td, Td)], "cross": [(N, h, Td, Te)]},
        one array per layer, bottom first."""
        with eval_mode(self):
            mask = self.mask(xs)
            # padded: the weights of padding queries too, which packed rows leave out
            self.decoder.forward(ys, self.encoder.forward(xs, mask, packed=False), mask)
        return {"encoder": [layer.mha.weights for layer in self.encoder.layers],
                "decoder": [layer.self_mha.weights for layer in self.decoder.layers],
                "cross": [layer.cross_mha.weights for layer in self.decoder.layers]}
