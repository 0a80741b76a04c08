"""The position-wise feed-forward sub-layer and its activations (a registry).

Every position (row) is transformed alike, by two affine maps with an activation between:

    FFN(x) = act(x W1 + b1) W2 + b2        x (*S, D), W1 (D, F), W2 (F, D)

``ACTIVATIONS`` names the activations, each a layer with forward beside backward:

    relu(z) = max(z, 0)                          relu'(z) = [z > 0]
    gelu(z) = z Φ(z), with the tanh approximation of Hendrycks & Gimpel (2016):
    gelu(z) ≈ ½ z (1 + tanh u),  u = √(2/π) (z + 0.044715 z³)
    gelu'(z) = ½ (1 + tanh u) + ½ z (1 − tanh² u) √(2/π) (1 + 3 · 0.044715 z²)
"""

from __future__ import annotations

import math

from attnseq.core.backend import xp
from attnseq.core.registry import Registry
from attnseq.layers.base import Layer
from attnseq.layers.core import Affine

_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715


class ReLU(Layer):
    """forward(z) -> max(z, 0); backward(dy) -> dy where z > 0, else 0."""

    def __init__(self):
        super().__init__()
        self.y = None

    @staticmethod
    def apply(z):
        """relu(z), caching nothing."""
        return xp.maximum(z, 0)

    def forward(self, z):
        self.y = self.apply(z)  # one pass; backward finds z > 0 as y > 0
        return self.y

    def backward(self, dy):
        return dy * (self.y > 0)


class GELU(Layer):
    """forward(z) -> gelu(z) (tanh approximation); backward(dy) -> dy · gelu'(z)."""

    def __init__(self):
        super().__init__()
        self.cache = None

    @staticmethod
    def apply(z):
        """gelu(z), caching nothing."""
        return 0.5 * z * (1.0 + xp.tanh(_GELU_C * (z + _GELU_A * z ** 3)))

    def forward(self, z):
        tanh_u = xp.tanh(_GELU_C * (z + _GELU_A * z ** 3))
        self.cache = (z, tanh_u)
        return 0.5 * z * (1.0 + tanh_u)

    def backward(self, dy):
        z, tanh_u = self.cache
        du_dz = _GELU_C * (1.0 + 3.0 * _GELU_A * z * z)
        return dy * (0.5 * (1.0 + tanh_u) + 0.5 * z * (1.0 - tanh_u * tanh_u) * du_dz)


ACTIVATIONS = Registry("activation", {"relu": ReLU, "gelu": GELU}, default="relu")


class FeedForward(Layer):
    """FFN of the module docstring. FeedForward(W1 (D, F), b1 (F,), W2 (F, D), b2 (D,),
    activation="relu"). forward(x (*S, D)) -> (*S, D); backward(dy) -> dx."""

    def __init__(self, W1, b1, W2, b2, activation: str = ACTIVATIONS.default):
        super().__init__()
        self.inner = Affine(W1, b1)
        self.act = ACTIVATIONS.lookup(activation)()
        self.outer = Affine(W2, b2)
        self.collect()

    def forward(self, x):
        return self.outer.forward(self.act.forward(self.inner.forward(x)))  # (*S, D)

    def backward(self, dy):
        return self.inner.backward(self.act.backward(self.outer.backward(dy)))

