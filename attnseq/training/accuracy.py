"""Exact-match accuracy: which decoded rows equal their targets, and greedy accuracy of a model.

A row is correct when every target position up to and including its end token matches; what
the model emits after the end token is ignored, and so is the target's padding.
"""

from __future__ import annotations

import numpy as np

from attnseq.core.backend import to_numpy
from attnseq.core.errors import AttnseqError, positive_int
from attnseq.decoding import DEFAULT_BATCH, decode_in_batches
from attnseq.training.trainer import set_training


def rows_correct(pred, target, end_id: int | None = None, *, pad_id: int | None = None):
    """Which rows of ``pred`` match ``target`` exactly; both (N, T) int. Returns bool (N,).

    With ``end_id``, only positions up to and including the first ``end_id`` in the target are
    compared (what the model emits after that is ignored); a target row without it is compared
    whole. With ``pad_id``, positions where the target is padding are ignored as well.
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape or target.ndim != 2:
        raise AttnseqError(f"predictions {pred.shape} and targets {target.shape} "
                           "must have the same (N, T) shape")
    ignore = np.zeros(target.shape, dtype=bool)
    if end_id is not None:
        is_end = target == end_id
        first = np.where(is_end.any(axis=1), is_end.argmax(axis=1), target.shape[1])
        ignore |= np.arange(target.shape[1]) > first[:, None]
    if pad_id is not None:
        ignore |= target == pad_id
    return ((pred == target) | ignore).all(axis=1)


def accuracy(model, xs, ts, *, start_id: int, end_id: int | None = None,
             pad_id: int | None = None, batch_size: int = DEFAULT_BATCH,
             workers: int | None = None) -> float:
    """Exact-match accuracy of greedy decoding: the fraction of rows for which
    ``model.generate(xs, start_id, T_out)`` equals ``ts[:, 1:]`` (see ``rows_correct``).

    Decodes in batches, on ``workers`` threads, through ``attnseq.decoding.decode_in_batches``.
    Switches the model to eval mode (when it has modes) and leaves it there.
    """
    n = len(xs)
    if n == 0 or len(ts) != n:
        raise AttnseqError(f"need as many targets as inputs (at least one), "
                           f"got {n} inputs and {len(ts)} targets")
    batch_size = positive_int("batch_size", batch_size)
    set_training(model, False)
    pred = decode_in_batches(model, xs, start_id, ts.shape[1] - 1, batch_size, workers)
    return float(rows_correct(pred, to_numpy(ts[:, 1:]), end_id, pad_id=pad_id).mean())
