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
    out = xp.empty((N, length), dtype=INDEX_DTYPE)
    weights = []
    state: dict = {}  # the state after the last step, whose columns the weights are over
    for t, (_, tokens, state) in enumerate(_steps(model, xs, start_id, length)):
        out[:, t] = tokens
        if return_attention:
            weights.append(state["attention"])
    ids = to_numpy(out)
    if not return_attention:
        return ids
    if not weights:
        return ids, numpy.zeros((N, 0, xs.shape[1]))
    return ids, to_numpy(input_attention(xp.stack(weights, axis=1), state, xs.shape[1]))


def _steps(model: Decodable, xs, start_id: int, length: int):
    """Greedy decoding's ``length`` steps over xs (N, Te): per step, the logits (N, V), the
    tokens chosen (N,), the model's state after the step."""
    state = model.start(to_device(xs))
    tokens = xp.full(xs.shape[0], start_id, dtype=INDEX_DTYPE)
    for _ in range(length):
        logits, state = model.step(tokens, state)
        tokens = logits.argmax(axis=1).astype(INDEX_DTYPE)
        yield logits, tokens, state


def scored_greedy(model: Decodable, xs, start_id: int, length: int, end_id: int):
    """Greedy decoding with the probability of what it wrote: xs (N, Te) ids -> ids (N,
    length) and log P(Y | X) (N,) as NumPy arrays, Y a row's tokens up to and including its
    first ``end_id`` (all ``length`` of them if it has none):

        log P(Y | X) = sum_j log softmax(logits_j)[y_j]     (j up to Y's end)

    (``chosen_log_softmax``), as beam search scores its hypotheses
    (``attnseq.decoding.beam``), to float32's precision. When
    P(Y | X) > 1/2, Y is the most likely output of all (any other has at most 1 - P(Y | X)),
    and beam search of any width ranks it first: the date normaliser's shortcut.
    """
    N = xs.shape[0]
    out = xp.empty((N, length), dtype=INDEX_DTYPE)
    log_p = xp.zeros(N)
    alive = xp.ones(N, dtype=bool)  # no end token written yet
    rows = xp.arange(N)
    for t, (logits, tokens, _) in enumerate(_steps(model, xs, start_id, length)):
        out[:, t] = tokens
        log_p += xp.where(alive, chosen_log_softmax(logits, rows, tokens), 0.0)
        alive &= tokens != end_id
    return to_numpy(out), to_numpy(log_p)


def chosen_log_softmax(logits, rows, tokens):
    """log softmax(logits)[rows, tokens]: logits (N, V), one token per row -> (N,) float64.

    The log-sum-exp of each row, shifted by its max so that exp cannot overflow, summed in
    float64; the exps in the logits' own dtype: a date normaliser decodes thousands of answers
    a second, and a float64 copy of every step's (N, V) logits cost a seventh of its time."""
    top = logits.max(axis=1, keepdims=True)
    total = xp.exp(logits - top).sum(axis=1, dtype=xp.float64)
    return (logits[rows, tokens] - top[:, 0]).astype(xp.float64) - xp.log(total)
