"""Greedy decoding: the most likely token at every step, for the whole batch at once."""

from __future__ import annotations

import numpy

from attnseq.core.backend import INDEX_DTYPE, to_device, to_numpy, xp
from attnseq.decoding.protocol import Decodable, input_attention


def greedy(model: Decodable, xs, start_id: int, length: int, *,
           return_attention: bool = False):
    """Pick the most likely token at every step, for the whole batch at once.

    xs: (N, Te) ids. Returns ids (N, length) as a NumPy int array; with ``return_attention``
    also the attention weights (N, length, Te) of every step, over the input's positions.
    """
    N = xs.shape[0]
    state = model.start(to_device(xs))
    tokens = xp.full(N, start_id, dtype=INDEX_DTYPE)
    out = xp.empty((N, length), dtype=INDEX_DTYPE)
    weights = []
    for t in range(length):
        logits, state = model.step(tokens, state)
        tokens = logits.argmax(axis=1).astype(INDEX_DTYPE)
        out[:, t] = tokens
        if return_attention:
            weights.append(state["attention"])
    ids = to_numpy(out)
    if not return_attention:
        return ids
    if not weights:
        return ids, numpy.zeros((N, 0, xs.shape[1]))
    return ids, to_numpy(input_attention(xp.stack(weights, axis=1), state, xs.shape[1]))
