"""Layer normalisation (Ba, Kiros & Hinton, 2016) over the last axis, with gain and bias.

For each row x (D,) of an input of any leading shape:

    μ = mean(x),   σ² = mean((x − μ)²),   x̂ = (x − μ) / √(σ² + eps)
    y = g ⊙ x̂ + b                                  g, b: (D,)

Backward, with dx̂ = dy ⊙ g and the means taken over the row:

    dx = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / √(σ² + eps)
    dg = Σ_rows dy ⊙ x̂,   db = Σ_rows dy

Unlike batch normalisation it needs no running statistics: training and decoding compute
the same thing, so one step of a decoder normalises its row exactly as a full forward does.
``attnseq.fast.layernorm.FastLayerNorm`` computes the same with fewer passes.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.core.errors import positive_number
from attnseq.layers.base import Layer


class LayerNorm(Layer):
    """LayerNorm(g (D,), b (D,), eps=1e-5). forward(x (*S, D)) -> y (*S, D);
    backward(dy) -> dx."""

    def __init__(self, g, b, eps: float = 1e-5):
        super().__init__()
        self.params = [g, b]
        self.grads = [xp.zeros_like(g), xp.zeros_like(b)]
        self.eps = positive_number("eps", eps)
        self.cache = None

    def forward(self, x):
        g, b = self.params
        mu = x.mean(axis=-1, keepdims=True)  # (*S, 1)
        inv_std = 1.0 / xp.sqrt(x.var(axis=-1, keepdims=True) + self.eps)  # (*S, 1)
        xhat = (x - mu) * inv_std
        self.cache = (xhat, inv_std)
        return g * xhat + b

    def backward(self, dy):
        g, _ = self.params
        dg, db = self.grads
        xhat, inv_std = self.cache
        D = xhat.shape[-1]
        dg[...] = (dy * xhat).reshape(-1, D).sum(axis=0)
        db[...] = dy.reshape(-1, D).sum(axis=0)
        dxhat = dy * g
        mean_dxhat = dxhat.mean(axis=-1, keepdims=True)
        mean_dxhat_xhat = (dxhat * xhat).mean(axis=-1, keepdims=True)
        return (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * inv_std
