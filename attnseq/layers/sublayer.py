"""Residual connection, dropout and layer normalisation around a sub-layer; pre- or post-LN.

Each sub-layer F of a Transformer block (self-attention, cross-attention, feed-forward) is
wrapped in one of two arrangements, the registry ``NORMS``:

    post (the paper's, Vaswani et al. 2017):   y = LN(x + Dropout(F(x)))
    pre  (Xiong et al. 2020; GPT-2):           y = x + Dropout(F(LN(x)))

Pre-LN keeps an identity path from the input to the output of the whole stack, which makes
training less sensitive to the learning-rate warm-up; a pre-LN stack ends with one more LN
(``attnseq.models.transformer.blocks``). Backward of pre-LN, with dF from Dropout:

    dx = dy + LN.backward(F.backward(Dropout.backward(dy)))

``SelfAttention``, ``CrossAttention`` adapt a ``MultiHeadAttention`` to the sub-layer
interface: forward(x, *extra) -> (N, T, D), backward(dy) -> dx or (dx, *dextra).
"""

from __future__ import annotations

from attnseq.layers.base import Layer, gather
from attnseq.layers.dropout import TimeDropout
from attnseq.layers.layernorm import LayerNorm
from attnseq.core.registry import Registry

NORMS = Registry("norm", {
    "pre": "y = x + Dropout(F(LN(x))), a final LN after each stack",
    "post": "y = LN(x + Dropout(F(x))), the paper's",
}, default="pre")


class SelfAttention(Layer):
    """forward(x (N, T, D), key_mask=None, packing=None) -> attention of x over itself;
    backward -> dx. With ``packing`` x is the packed (M, D) rows, and so is the output."""

    def __init__(self, mha):
        super().__init__()
        self.mha = mha
        self.params, self.grads = mha.params, mha.grads

    def forward(self, x, key_mask=None, packing=None):
        return self.mha.forward(x, x, key_mask, packing, packing)

    def backward(self, dy):
        dq, dkv = self.mha.backward(dy)
        return dq + dkv  # x is both the queries and the keys/values


class CrossAttention(Layer):
    """forward(x (N, Tq, D), memory (N, Tk, D), key_mask=None, memory_packing=None) ->
    (N, Tq, D); backward -> (dx, dmemory). With ``memory_packing`` the memory is its packed
    (M, D) rows, and so is dmemory."""

    def __init__(self, mha):
        super().__init__()
        self.mha = mha
        self.params, self.grads = mha.params, mha.grads

    def forward(self, x, memory, key_mask=None, memory_packing=None):
        return self.mha.forward(x, memory, key_mask, None, memory_packing)

    def backward(self, dy):
        return self.mha.backward(dy)


class Residual(Layer):
    """Residual(sublayer, g (D,), b (D,), norm="pre", dropout=0.0, rng=None): the module's
    arrangement around ``sublayer``. forward(x (N, T, D), *extra) -> y (N, T, D);
    backward(dy) -> dx, or (dx, *dextra) when the sub-layer returns gradients for extras.
    ``step(x, fn)`` is a decoding step: the same arrangement around ``fn`` (a pure function
    of the sub-layer's input), with no dropout and no cache.
    """

    def __init__(self, sublayer, g, b, norm: str = NORMS.default, dropout: float = 0.0,
                 rng=None):
        super().__init__()
        self.sublayer = sublayer
        self.norm = NORMS.check(norm)
        self.ln = LayerNorm(g, b)
        self.dropout = TimeDropout(dropout, rng)
        self.params, self.grads = gather([self.sublayer, self.ln])

    @property
    def dropouts(self) -> list:
        return [self.dropout]

    def train_mode(self, flag: bool) -> None:
        self.dropout.train_mode(flag)

    def forward(self, x, *extra, **named):
        """x (N, T, D), or packed rows (M, D), and the sub-layer's other inputs (memory,
        key_mask, packings), as it takes them."""
        if self.norm == "pre":
            f = self.sublayer.forward(self.ln.forward(x), *extra, **named)
            return x + self.dropout.forward(f)
        return self.ln.forward(x + self.dropout.forward(self.sublayer.forward(x, *extra,
                                                                              **named)))

    def backward(self, dy):
        if self.norm == "pre":
            d = self.sublayer.backward(self.dropout.backward(dy))
            d_in, rest = (d[0], d[1:]) if isinstance(d, tuple) else (d, ())
            dx = dy + self.ln.backward(d_in)
        else:
            dsum = self.ln.backward(dy)
            d = self.sublayer.backward(self.dropout.backward(dsum))
            d_in, rest = (d[0], d[1:]) if isinstance(d, tuple) else (d, ())
            dx = dsum + d_in
        return (dx, *rest) if rest else dx

    def step(self, x, fn):
        if self.norm == "pre":
            return x + fn(self.ln.apply(x))
        return self.ln.apply(x + fn(x))
