"""Residual connection, dropout and layer normalisation around a sub-layer; pre- or post-LN.

Each sub-layer F of a Transformer block (self-attention, cross-attention, feed-forward) is
wrapped in one of two arrangements, the registry ``NORMS``:

    post (the paper's, Vaswani et al. 2017):   y = LN(x + Dropout(F(x)))
    pre  (Xiong et al. 2020; GPT-2):           y = x + Dropout(F(LN(x)))

Pre-LN keeps an identity path from the input to the output of the whole stack, which makes
training less sensitive to the learning-rate warm-up; a pre-LN stack ends with one more LN
(``attnseq.models.transformer.blocks``). Both read as one composition, ``output(x,
F(input(x)))``, with ``input`` the LN or nothing and ``output`` the sum, then the LN or
nothing. Backward of pre-LN, with dF the sub-layer's backward:

    dx = dy + LN.backward(dF(Dropout.backward(dy)))
"""

from __future__ import annotations

from attnseq.core.registry import Registry
from attnseq.layers.base import Layer
from attnseq.layers.dropout import TimeDropout

NORMS = Registry("norm", {
    "pre": "y = x + Dropout(F(LN(x))), a final LN after each stack",
    "post": "y = LN(x + Dropout(F(x))), the paper's",
}, default="pre")


class Residual(Layer):
    """Residual(ln, norm="pre", dropout=0.0, rng=None): the module's arrangement around a
    sub-layer, with ``ln`` its LayerNorm (the book's or the fast one; its params are these).

    forward(x (N, T, D), F) -> y, F the sub-layer as a function of its input;
    backward(dy, dF) -> dx, dF the sub-layer's backward: when it returns (d_input, *others),
    this returns (dx, *others). ``input(x)`` and ``output(x, f, dropout=True)`` are the two
    halves, for decoding steps (no dropout there).
    """

    def __init__(self, ln, norm: str = NORMS.default, dropout: float = 0.0, rng=None):
        super().__init__()
        self.norm = NORMS.check(norm)
        self.ln = ln
        self.dropout = TimeDropout(dropout, rng)
        self.collect()

    def input(self, x):
        """What the sub-layer reads: LN(x) (pre) or x (post)."""
        return self.ln.forward(x) if self.norm == "pre" else x

    def output(self, x, f, dropout: bool = True):
        """The block's output from x and the sub-layer's output f."""
        f = self.dropout.forward(f) if dropout else f
        return x + f if self.norm == "pre" else self.ln.forward(x + f)

    def forward(self, x, F):
        return self.output(x, F(self.input(x)))

    def backward(self, dy, dF):
        d_skip = dy if self.norm == "pre" else self.ln.backward(dy)  # d(x + f)
        d = dF(self.dropout.backward(d_skip))
        d_in, rest = (d[0], d[1:]) if isinstance(d, tuple) else (d, ())
        dx = d_skip + (self.ln.backward(d_in) if self.norm == "pre" else d_in)
        return (dx, *rest) if rest else dx
