"""Decoding over any model that exposes ``start(xs) -> state`` and ``step(tokens, state)``.

``step(tokens (N,), state) -> (logits (N, V), state)``; ``state`` is a dict of arrays whose
first axis is the batch, so a whole batch decodes in one pass. A model with attention puts the
step's weights (N, Te) in ``state["attention"]``.
"""

from __future__ import annotations

import numpy

from attnseq.backend import INDEX_DTYPE, to_numpy, xp
from attnseq.errors import positive_int
from attnseq.layers.shared_rows import prefix_order
from attnseq.threads import default_workers, run_threaded

# Rows per decoding call when a caller splits a large set into batches. Measured on the 2-core
# machine, decoding the date test set on two threads (best of four passes, two runs):
# 192-256 rows 8 600-8 800 pairs/s, 128 rows 8 400, 512 rows 7 900.
DEFAULT_BATCH = 256


def attended_columns(enc_hs, mask):
    """Drop the encoder columns that no row may attend to: (enc_hs, mask, columns).

    enc_hs: (N, Te, H); mask: (N, Te), False at padding, or None (then nothing is dropped).
    ``columns`` is the slice of Te kept: from the first to the last column that is real input
    in some row. Padding gets zero attention weight, so decoding over the kept columns gives
    the same answers; a batch of inputs of about one length (see ``decode_in_batches``) keeps
    only about that many columns. A state that ``step`` carries keeps ``columns`` under
    that name, so that ``greedy`` can put the weights back at their input positions.
    """
    Te = enc_hs.shape[1]
    if mask is None:
        return enc_hs, mask, slice(0, Te)
    used = xp.flatnonzero(mask.any(axis=0))
    lo, hi = (int(used[0]), int(used[-1]) + 1) if used.size else (0, Te)
    if (lo, hi) == (0, Te):
        return enc_hs, mask, slice(0, Te)
    return (xp.ascontiguousarray(enc_hs[:, lo:hi]), xp.ascontiguousarray(mask[:, lo:hi]),
            slice(lo, hi))


def decode_in_batches(model, xs, start_id: int, length: int,
                      batch_size: int = DEFAULT_BATCH, workers: int | None = None):
    """``model.generate`` over xs (N, Te) in batches of ``batch_size`` -> ids (N, length).

    The rows go into batches in the order of their ids, column by column, so that a batch holds
    like inputs: the encoder runs a prefix that rows share only once (``TimeLSTM``'s ``keys``).
    When the model knows its padding id (``model.pad_id``), the number of padding ids comes
    first, so that each batch also holds inputs of about one length and attention skips the
    columns that are padding in all of them (``attended_columns``). The answers come back in
    the input's order; a row's answer does not depend on the rows decoded beside it.

    ``workers`` threads decode batches side by side, each on its own replica of the model
    (``attnseq.threads``); None means ``attnseq.threads.default_workers``: one per BLAS thread
    for batches of 16 rows or more. With one worker, the batches run one after another on the
    model itself.
    """
    out = numpy.zeros((len(xs), length), dtype=numpy.int32)
    ids = to_numpy(xs)
    keys = list(ids.T[::-1])  # numpy.lexsort sorts by its last key first: column 0, 1, ...
    pad_id = getattr(model, "pad_id", None)
    if pad_id is not None:
        keys.append((ids == pad_id).sum(axis=1))  # ... after the padding count
    order = numpy.lexsort(keys) if keys else numpy.arange(len(ids))
    # Longest inputs first (least padding), so that no thread is left with a long batch last;
    # within a batch, rows in the encoder's prefix_order, which it then need not sort itself.
    batches = [order[i:i + batch_size] for i in range(0, len(xs), batch_size)]
    batches = [rows[to_numpy(prefix_order(xp.asarray(ids[rows])))] for rows in batches]

    def decode(m, rows):
        out[rows] = to_numpy(m.generate(xs[rows], start_id, length))

    workers = default_workers(batch_size) if workers is None else positive_int("workers",
                                                                                 workers)
    run_threaded(model, batches, decode, workers)
    return out


def greedy(model, xs, start_id: int, length: int, *, return_attention: bool = False):
    """Pick the most likely token at every step, for the whole batch at once.

    xs: (N, Te) ids. Returns ids (N, length) as a NumPy int array; with ``return_attention``
    also the attention weights (N, length, Te) of every step.
    """
    N = xs.shape[0]
    state = model.start(xp.asarray(xs))
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
    kept = to_numpy(xp.stack(weights, axis=1))  # over state["columns"] of the input only
    full = numpy.zeros((N, length, xs.shape[1]), dtype=kept.dtype)
    full[:, :, state.get("columns", slice(None))] = kept
    return ids, full
