"""The Transformer's encoder and decoder layers (Vaswani et al., 2017, section 3.1).

    encoder layer   x = x ⊕ SelfAttention(x, key_mask)                 every position sees
                    x = x ⊕ FeedForward(x)                             every real input
    decoder layer   y = y ⊕ causal SelfAttention(y)                    position t sees ≤ t
                    y = y ⊕ CrossAttention(y, memory, key_mask)        and every real input
                    y = y ⊕ FeedForward(y)

where x ⊕ F(x) is the pre- or post-LN residual arrangement (``attnseq.layers.sublayer``);
a pre-LN stack ends with one more LayerNorm, so that the decoder's output layer reads
normalised vectors. The layers come from a ``LayerSet`` (``attnseq.models.impl``: the book's
or the fast one). The stacks, embeddings, positions and the output projection are the
model's (``attnseq.models.transformer.model``).
"""

from __future__ import annotations

from operator import add

from attnseq.layers import Layer, Residual
from attnseq.models.impl import LayerSet
from attnseq.models.init import Initializer


def attention_layer(layers: LayerSet, init: Initializer, D: int, heads: int,
                    causal: bool = False):
    """A MultiHeadAttention with Wq, Wk, Wv, Wo (D, D) drawn as affine maps (1/√D)."""
    (Wq, bq), (Wk, _), (Wv, bv), (Wo, bo) = (init.affine(D, D) for _ in range(4))
    return layers.MultiHeadAttention(Wq, bq, Wk, Wv, bv, Wo, bo, heads=heads, causal=causal)


def layer_norm(layers: LayerSet, init: Initializer, D: int):
    """A LayerNorm that starts as the identity on normalised rows: g = 1, b = 0."""
    return layers.LayerNorm(init.zeros(D) + 1, init.zeros(D))


class Block(Layer):
    """What the encoder and decoder layers share: the options, the residual wrappers, the
    feed-forward net, modes. Its parameters are collected sub-layer by sub-layer, each followed
    by its LayerNorm: ``sublayers`` is set before ``residuals`` for that order."""

    def __init__(self, layers: LayerSet, init: Initializer, D: int, *, norm: str,
                 dropout: float, rng):
        super().__init__()
        self.layers, self.init, self.D = layers, init, D
        self.norm, self.dropout, self.rng = norm, dropout, rng
        self.sublayers: list = []  # each sub-layer, then its residual wrapper
        self.residuals: list[Residual] = []

    def residual(self, sublayer) -> Residual:
        """A residual wrapper (with its own LayerNorm) for ``sublayer``."""
        wrapped = Residual(layer_norm(self.layers, self.init, self.D), norm=self.norm,
                           dropout=self.dropout, rng=self.rng)
        self.sublayers += [sublayer, wrapped]
        self.residuals.append(wrapped)
        return wrapped

    def feed_forward(self, d_ff: int, activation: str):
        init, D = self.init, self.D
        return self.layers.FeedForward(*init.affine(D, d_ff), *init.affine(d_ff, D),
                                       activation=activation)


class EncoderLayer(Block):
    """EncoderLayer(layers, init, D, heads, d_ff, *, norm, dropout, activation, rng).
    forward(x (N, T, D), key_mask (N, T) or None) -> (N, T, D); backward(dy) -> dx. With
    the fast set x may be the packed (M, D) rows of key_mask's real positions."""

    def __init__(self, layers, init, D, heads, d_ff, *, norm, dropout, activation, rng):
        super().__init__(layers, init, D, norm=norm, dropout=dropout, rng=rng)
        self.mha = attention_layer(layers, init, D, heads)
        self.attention = self.residual(self.mha)
        self.ff = self.feed_forward(d_ff, activation)
        self.ff_residual = self.residual(self.ff)
        self.collect()

    def forward(self, x, key_mask=None):
        x = self.attention.forward(x, lambda h: self.mha.forward(h, h, key_mask))
        return self.ff_residual.forward(x, self.ff.forward)

    def backward(self, dy):
        dy = self.ff_residual.backward(dy, self.ff.backward)
        # x is both the queries and the keys/values: its gradient is the sum of both
        return self.attention.backward(dy, lambda d: add(*self.mha.backward(d)))


class DecoderLayer(Block):
    """DecoderLayer(layers, init, D, heads, d_ff, *, norm, dropout, activation, rng).
    forward(y (N, Td, D), memory (N, Te, D), key_mask (N, Te) or None) -> (N, Td, D);
    backward(dy) -> (dy_in, dmemory). With the fast set the memory may be the packed (M, D)
    rows of key_mask's real positions, and so is dmemory. ``step`` is one decoding position."""

    def __init__(self, layers, init, D, heads, d_ff, *, norm, dropout, activation, rng):
        super().__init__(layers, init, D, norm=norm, dropout=dropout, rng=rng)
        self.self_mha = attention_layer(layers, init, D, heads, causal=True)
        self.self_attention = self.residual(self.self_mha)
        self.cross_mha = attention_layer(layers, init, D, heads)
        self.cross_attention = self.residual(self.cross_mha)
        self.ff = self.feed_forward(d_ff, activation)
        self.ff_residual = self.residual(self.ff)
        self.collect()

    def forward(self, y, memory, key_mask=None):
        y = self.self_attention.forward(y, lambda h: self.self_mha.forward(h, h))
        y = self.cross_attention.forward(y, lambda h: self.cross_mha.forward(h, memory,
                                                                             key_mask))
        return self.ff_residual.forward(y, self.ff.forward)

    def backward(self, dy):
        dy = self.ff_residual.backward(dy, self.ff.backward)
        dy, dmemory = self.cross_attention.backward(dy, self.cross_mha.backward)
        dy = self.self_attention.backward(dy, lambda d: add(*self.self_mha.backward(d)))
        return dy, dmemory

    def step(self, y, K, V, cross_K, cross_V, key_mask=None):
        """y (N, 1, D) at position t; K, V (N, h, t, dk) the self-attention cache; cross_K,
        cross_V (N, h, Te, dk) the encoder's, projected once -> (y (N, 1, D), K, V with
        position t appended, cross-attention weights A (N, h, 1, Te)). No dropout."""
        a, _, K, V = self.self_mha.self_step(self.self_attention.input(y), K, V)
        y = self.self_attention.output(y, a, dropout=False)
        c, A = self.cross_mha.step(self.cross_attention.input(y), cross_K, cross_V, key_mask)
        y = self.cross_attention.output(y, c, dropout=False)
        f = self.ff.forward(self.ff_residual.input(y))
        return self.ff_residual.output(y, f, dropout=False), K, V, A


def layer_stack(cls, num_layers: int, layers: LayerSet, init: Initializer, D: int,
                **options) -> list:
    """``num_layers`` layers of ``cls``, each drawn from ``init`` in turn."""
    return [cls(layers, init, D, **options) for _ in range(num_layers)]
