"""Stacked (deep) LSTMs, with optional residual connections and dropout between layers.

Layer l reads what layer l − 1 wrote. From the second layer on, the input can be dropped out
(``TimeDropout``) and added back to the layer's output (a residual, or skip, connection; He et
al., 2016, used for LSTMs in GNMT, Wu et al., 2016):

    x_1 = xs
    x_l = dropout(y_{l-1})                 l ≥ 2, when dropout > 0
    y_l = LSTM_l(x_l) (+ x_l  when residual and l ≥ r)
    out = y_L

The skip gives every layer an identity path for its gradient, so deep stacks train as easily as
shallow ones. The first layer has none: its input (the embedding, D wide) need not have the
LSTM's width. The skips start at layer r = ``residual_from`` (default 2); GNMT's encoder starts
them at 3, above its bidirectional bottom layer and the layer that reads it.

A ``side`` input s (N, T, S), when ``forward`` is given one, is concatenated to every layer's
input: LSTM_l reads [x_l ; s] while the skip still adds x_l alone. This is how GNMT's decoder
feeds its attention context to every layer above the bottom one (``attnseq.models.gnmt``).

The bottom layer may be a ``TimeBiLSTM`` (as in GNMT's encoder); the others are
one-directional ``TimeLSTM``s, all of the same output width. (The fast set's
``FastTimeStackedLSTM`` also takes a bottom layer that reads token ids.)

``final_h`` (N, L, H) holds, per layer, that layer's LSTM state at the last step (without the
skip: the recurrent state proper), the states a decoder's layers start from.
"""

from __future__ import annotations

import numpy

from attnseq.core.backend import xp
from attnseq.core.errors import integer_at_least
from attnseq.layers.base import Layer
from attnseq.layers.bidirectional import TimeBiLSTM
from attnseq.layers.dropout import TimeDropout, check_rate


class TimeStackedLSTM(Layer):
    """TimeStackedLSTM(layers, *, residual=False, dropout=0.0, rng=None, residual_from=2).

    ``layers``: LSTMs; the first may be a TimeBiLSTM; ``params`` lists each layer's in
    order. ``dropout`` is the rate of the ``TimeDropout`` in front of every layer but the
    first (all of them drawing from the one Generator ``rng``, or a seed).
    With ``residual``, layers ``residual_from``, … L (counted from 1) have skips.

    forward(xs (N, T, D), side=None) -> out (N, T, H); sets ``final_h`` (N, L, H). With
    ``side`` (N, T, S), every layer reads [x_l ; side] (so layer 1's Wx has D + S rows, the
    others' H + S); it needs a bottom layer that reads vectors in one direction.
    backward(dout (N, T, H), dh_final=None (N, L, H)) -> the bottom layer's input gradient
    or (dxs, dside) when forward had a side input.

    A stack of stateful LSTMs (a decoder's) starts from ``set_state(h0 (N, L, H))``, with
    zero cell states; after backward, ``dh`` (N, L, H) is the gradient of that h0.
    ``step(x, h, c, side=None)`` is one inference step, without dropout or caching.
    """

    def __init__(self, layers, *, residual: bool = False, dropout: float = 0.0, rng=None,
                 residual_from: int = 2):
        super().__init__()
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("a stack needs at least one layer")
        if any(isinstance(layer, TimeBiLSTM) for layer in self.layers[1:]):
            raise ValueError("only the bottom layer of a stack may be bidirectional")
        rate = check_rate(dropout)
        self.residual = bool(residual)
        self.residual_from = integer_at_least("residual_from", residual_from, 2)
        # one Generator for all the dropout layers: one seed, one stream of masks
        gen = rng if isinstance(rng, numpy.random.Generator) else numpy.random.default_rng(rng)
        self.dropouts = [TimeDropout(rate, gen) for _ in self.layers[1:]] if rate > 0 else []
        self.collect()
        self.final_h = None
        self.dh = None
        self.side_width = None  # S when the last forward had a side input

    def skips(self, l: int) -> bool:
        """Does layer l (counted from 0) have a skip connection?"""
        return self.residual and l + 1 >= self.residual_from

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def set_state(self, h0):
        """Start every (stateful) layer l from h0[:, l] (N, H) and a zero cell state."""
        if not self.stateful:
            raise ValueError("set_state needs a stack of stateful TimeLSTMs")
        for l, layer in enumerate(self.layers):
            layer.set_state(h0[:, l])

    @property
    def stateful(self) -> bool:
        """True when every layer carries a state across calls (a decoder's stack)."""
        return all(getattr(layer, "stateful", False) for layer in self.layers)

    def forward(self, xs, side=None):
        if side is not None and isinstance(self.layers[0], TimeBiLSTM):
            raise ValueError("a side input needs a one-directional bottom layer")
        self.side_width = None if side is None else side.shape[2]
        x = xs
        finals = []
        for l, layer in enumerate(self.layers):
            if l > 0 and self.dropouts:
                x = self.dropouts[l - 1].forward(x)
            y = layer.forward(x if side is None else xp.concatenate([x, side], axis=2))
            finals.append(layer.final_h if isinstance(layer, TimeBiLSTM) else y[:, -1])
            x = y + x if self.skips(l) else y  # (N, T, H)
        self.final_h = xp.stack(finals, axis=1)  # (N, L, H)
        return x

    def backward(self, dout, dh_final=None):
        dy = dout  # gradient of y_l, the current layer's output
        dside = 0.0
        for l in reversed(range(self.num_layers)):
            layer = self.layers[l]
            if isinstance(layer, TimeBiLSTM):
                dx = layer.backward(dy, None if dh_final is None else dh_final[:, l])
            elif dh_final is None:
                dx = layer.backward(dy)
            else:
                d_lstm = dy.copy()  # the final state is the LSTM's own h, not y_l: no skip
                d_lstm[:, -1] += dh_final[:, l]
                dx = layer.backward(d_lstm)
            if self.side_width is not None:  # the layer read [x_l ; side]: split its gradient
                dside = dside + dx[:, :, -self.side_width:]  # every layer read the side
                dx = dx[:, :, :-self.side_width]
            if self.skips(l):
                dx = dx + dy  # y_l = LSTM_l(x_l) + x_l
            if l > 0 and self.dropouts:
                dx = self.dropouts[l - 1].backward(dx)
            dy = dx
        if self.stateful:
            self.dh = xp.stack([layer.dh for layer in self.layers], axis=1)  # (N, L, H)
        return dy if self.side_width is None else (dy, dside)

    def step(self, x, h, c, side=None):
        """x (N, D), h and c (N, L, H), side (N, S) or None -> (out (N, H), h, c): one step of
        every layer, without dropout or caching."""
        h_new, c_new = xp.empty_like(h), xp.empty_like(c)
        for l, layer in enumerate(self.layers):
            inp = x if side is None else xp.concatenate([x, side], axis=1)
            h_new[:, l], c_new[:, l] = layer.step(inp, h[:, l], c[:, l])
            x = h_new[:, l] + x if self.skips(l) else h_new[:, l]
        return x, h_new, c_new
