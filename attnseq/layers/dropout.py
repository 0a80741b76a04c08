"""Inverted dropout (Srivastava et al., 2014), with a train/eval switch.

In training every element is kept with probability 1 − rate and the kept ones are scaled by
1 / (1 − rate):

    y = x · m / (1 − rate),   m ~ Bernoulli(1 − rate) elementwise,   so  E[y] = x.

Scaling at training time ("inverted") rather than at test time means evaluation is the
identity: a model switched to eval mode needs no rescaling and decodes as if dropout were not
there. The masks come from a ``numpy.random.Generator`` handed in (or seeded), drawn on the
device through ``attnseq.core.backend.random_generator``, never from global random state, so a
run is reproducible from its seed.
"""

from __future__ import annotations

from attnseq.core.backend import random_generator
from attnseq.core.errors import fraction
from attnseq.layers.base import Layer, walk


def check_rate(rate) -> float:
    """``rate`` as a float in [0, 1); anything else is a ValueError (an ``AttnseqError``)."""
    return fraction("dropout", rate)


class TimeDropout(Layer):
    """forward(xs of any shape) -> ys, same shape; backward(dys) -> dxs.

    ``rate`` is the probability of dropping an element; ``rng`` a Generator or a seed.
    ``training`` (default True) is switched by a model's ``train_mode(flag)``
    (``attnseq.layers.base``); in eval mode, and when
    ``rate`` is 0, forward returns its input and backward a copy of ``dout``.
    ``mask`` holds the last training forward's scaled mask m / (1 − rate) (None otherwise).
    """

    def __init__(self, rate: float, rng=None):
        super().__init__()
        self.rate = check_rate(rate)
        self.rng = random_generator(rng)  # draws on the device
        self.training = True
        self.mask = None

    def forward(self, xs):
        if not self.training or self.rate == 0.0:
            self.mask = None
            return xs
        keep = self.rng.random(xs.shape) >= self.rate
        self.mask = keep.astype(xs.dtype) / xs.dtype.type(1.0 - self.rate)
        return xs * self.mask

    def backward(self, dout):
        # the same scaled mask: a dropped element passes no gradient, a kept one is scaled alike
        return dout.copy() if self.mask is None else dout * self.mask


def dropouts_in(root) -> list:
    """Every ``TimeDropout`` in the layer tree under ``root`` (``attnseq.layers.base.walk``)."""
    return [layer for layer in walk(root) if isinstance(layer, TimeDropout)]
