"""The Transformer's encoder and decoder stacks (Vaswani et al., 2017, section 3.1).

    encoder layer   x = Residual(SelfAttention)(x, key_mask)            every position sees
                    x = Residual(FeedForward)(x)                        every real input
    decoder layer   y = Residual(causal SelfAttention)(y)               position t sees ≤ t
                    y = Residual(CrossAttention)(y, memory, key_mask)   and every real input
                    y = Residual(FeedForward)(y)

``Residual`` is the pre- or post-LN arrangement (``attnseq.layers.sublayer``); a pre-LN stack
ends with one more LayerNorm, so that the decoder's output layer reads normalised vectors.
The stacks take and return (N, T, D) vectors; embeddings, positions and the output
projection are the model's (``attnseq.models.transformer.model``).
"""

from __future__ import annotations

from attnseq.layers import (
    CrossAttention,
    FeedForward,
    LayerNorm,
    MultiHeadAttention,
    Residual,
    SelfAttention,
    gather,
)
from attnseq.models.init import Initializer


def attention_layer(init: Initializer, D: int, heads: int, causal: bool = False):
    """A MultiHeadAttention with Wq, Wk, Wv, Wo (D, D) drawn as affine maps (1/√D)."""
    (Wq, bq), (Wk, _), (Wv, bv), (Wo, bo) = (init.affine(D, D) for _ in range(4))
    return MultiHeadAttention(Wq, bq, Wk, Wv, bv, Wo, bo, heads=heads, causal=causal)


def layer_norm(init: Initializer, D: int) -> LayerNorm:
    """A LayerNorm that starts as the identity on normalised rows: g = 1, b = 0."""
    return LayerNorm(init.zeros(D) + 1, init.zeros(D))


class Block:
    """What the encoder and decoder layers share: the options, the residual wrapper, modes."""

    def __init__(self, init: Initializer, D: int, *, norm: str, dropout: float, rng):
        self.init, self.D, self.norm, self.dropout, self.rng = init, D, norm, dropout, rng
        self.sublayers: list[Residual] = []

    def residual(self, sublayer) -> Residual:
        ln = layer_norm(self.init, self.D)
        wrapped = Residual(sublayer, *ln.params, norm=self.norm, dropout=self.dropout,
                           rng=self.rng)
        self.sublayers.append(wrapped)
        return wrapped

    def feed_forward(self, d_ff: int, activation: str) -> Residual:
        init, D = self.init, self.D
        return self.residual(FeedForward(*init.affine(D, d_ff), *init.affine(d_ff, D),
                                         activation=activation))

    def finish(self) -> None:
        self.params, self.grads = gather(self.sublayers)

    @property
    def dropouts(self) -> list:
        return [s.dropout for s in self.sublayers]

    def train_mode(self, flag: bool) -> None:
        for s in self.sublayers:
            s.train_mode(flag)


class EncoderLayer(Block):
    """EncoderLayer(init, D, heads, d_ff, *, norm, dropout, activation, rng).
    forward(x (N, T, D), key_mask (N, T) or None, packing=None) -> (N, T, D); backward(dy)
    -> dx. With ``packing`` (``attnseq.fast.packing``) x and the output are the (M, D)
    rows of the real positions."""

    def __init__(self, init, D, heads, d_ff, *, norm, dropout, activation, rng):
        super().__init__(init, D, norm=norm, dropout=dropout, rng=rng)
        self.attention = self.residual(SelfAttention(attention_layer(init, D, heads)))
        self.ff = self.feed_forward(d_ff, activation)
        self.finish()

    @property
    def mha(self) -> MultiHeadAttention:
        return self.attention.sublayer.mha

    def forward(self, x, key_mask=None, packing=None):
        return self.ff.forward(self.attention.forward(x, key_mask, packing))

    def backward(self, dy):
        return self.attention.backward(self.ff.backward(dy))


class DecoderLayer(Block):
    """DecoderLayer(init, D, heads, d_ff, *, norm, dropout, activation, rng).
    forward(y (N, Td, D), memory (N, Te, D), key_mask (N, Te) or None,
    memory_packing=None) -> (N, Td, D); backward(dy) -> (dy_in, dmemory). With
    ``memory_packing`` the memory and dmemory are the (M, D) rows of the real input
    positions. ``step`` is one decoding position (see there)."""

    def __init__(self, init, D, heads, d_ff, *, norm, dropout, activation, rng):
        super().__init__(init, D, norm=norm, dropout=dropout, rng=rng)
        self.self_attention = self.residual(SelfAttention(attention_layer(init, D, heads,
                                                                          causal=True)))
        self.cross_attention = self.residual(CrossAttention(attention_layer(init, D, heads)))
        self.ff = self.feed_forward(d_ff, activation)
        self.finish()

    @property
    def self_mha(self) -> MultiHeadAttention:
        return self.self_attention.sublayer.mha

    @property
    def cross_mha(self) -> MultiHeadAttention:
        return self.cross_attention.sublayer.mha

    def forward(self, y, memory, key_mask=None, memory_packing=None):
        y = self.self_attention.forward(y)
        y = self.cross_attention.forward(y, memory, key_mask, memory_packing)
        return self.ff.forward(y)

    def backward(self, dy):
        dy, dmemory = self.cross_attention.backward(self.ff.backward(dy))
        return self.self_attention.backward(dy), dmemory

    def step(self, y, K, V, cross_K, cross_V, key_mask=None):
        """y (N, 1, D) at position t; K, V (N, h, t, dk) the self-attention cache; cross_K,
        cross_V (N, h, Te, dk) the encoder's projected once -> (y (N, 1, D), K, V with
        position t appended, cross-attention weights (N, h, 1, Te))."""
        found = {}

        def self_attend(h):
            out, _, found["K"], found["V"] = self.self_mha.self_step(h, K, V)
            return out

        def cross_attend(h):
            out, found["A"] = self.cross_mha.step(h, cross_K, cross_V, key_mask)
            return out

        y = self.self_attention.step(y, self_attend)
        y = self.cross_attention.step(y, cross_attend)
        y = self.ff.step(y, self.ff.sublayer.apply)
        return y, found["K"], found["V"], found["A"]


def layer_stack(cls, num_layers: int, init: Initializer, D: int, **options) -> list:
    """``num_layers`` layers of ``cls``, each drawn from ``init`` in turn."""
    return [cls(init, D, **options) for _ in range(num_layers)]
