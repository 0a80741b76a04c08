"""Layer normalisation (Ba, Kiros & Hinton, 2016) over the last axis, with gain and bias.

For each row x (D,) of an input of any leading shape:

    μ = mean(x),   σ² = mean((x − μ)²),   x̂ = (x − μ) / √(σ² + eps)
    y = g ⊙ x̂ + b                                  g, b: (D,)

Backward, with dx̂ = dy ⊙ g and the means taken over the row:

    dx = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / √(σ² + eps)
    dg = Σ_rows dy ⊙ x̂,   db = Σ_rows dy

Unlike batch normalisation it needs no running statistics: training and decoding compute
the same thing, so one step of a decoder normalises its row exactly as a full forward does.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.core.errors import positive_number
from attnseq.layers.base import Layer
from attnseq.layers.core import column_sums, row_dots, row_means


class LayerNorm(Layer):
    """LayerNorm(g (D,), b (D,), eps=1e-5). forward(x (*S, D)) -> y (*S, D);
    backward(dy) -> dx. ``apply(x)`` is forward without a cache (for decoding steps)."""

    def __init__(self, g, b, eps: float = 1e-5):
        super().__init__()
        self.params = [g, b]
        self.grads = [xp.zeros_like(g), xp.zeros_like(b)]
        self.eps = positive_number("eps", eps)
        self.cache = None

    def _normalise(self, x):
        xc = x - row_means(x)
        inv_std = 1.0 / xp.sqrt(row_dots(xc, xc) / x.shape[-1] + self.eps)  # (*S, 1)
        xc *= inv_std  # x̂, in the buffer of x − μ
        return xc, inv_std

    def apply(self, x):
        g, b = self.params
        xhat, _ = self._normalise(x)
        xhat *= g
        xhat += b
        return xhat

    def forward(self, x):
        g, b = self.params
        xhat, inv_std = self._normalise(x)
        self.cache = (xhat, inv_std)
        y = xhat * g
        y += b
        return y

    def backward(self, dy):
        g, _ = self.params
        dg, db = self.grads
        xhat, inv_std = self.cache
        D = xhat.shape[-1]
        dy2, xhat2 = dy.reshape(-1, D), xhat.reshape(-1, D)
        dg[...] = column_sums(dy2 * xhat2)
        db[...] = column_sums(dy2)
        dxhat = dy * g
        dx = dxhat - row_means(dxhat)
        dx -= xhat * (row_dots(dxhat, xhat) / D)
        dx *= inv_std
        return dx
