"""Decoding many inputs: batches of like inputs, spread over threads, whatever the algorithm.

How the rows are grouped and where each batch runs is policy, kept apart from the decoding
algorithms, which each decode one batch (``attnseq.decoding.greedy``).
"""

from __future__ import annotations

import numpy

from attnseq.core.backend import to_device, to_numpy
from attnseq.core.errors import positive_int
from attnseq.decoding.threads import default_workers, run_threaded

# Rows per decoding call when a caller splits a large set into batches (the measurements that
# chose it are in docs/performance.md).
DEFAULT_BATCH = 256


def decode_in_batches(model, xs, start_id: int, length: int,
                      batch_size: int = DEFAULT_BATCH, workers: int | None = None,
                      decode=None):
    """Decode xs (N, Te) in batches of ``batch_size`` -> ids (N, length).

    ``decode(model, xs, start_id, length) -> ids`` decodes one batch; by default the model's
    own ``generate`` (greedy, in attnseq's models).

    The batches are ``batch_rows``'. The answers come back in the input's order; a row's
    answer does not depend on the rows decoded beside it.

    ``workers`` threads decode batches side by side, each on its own replica of the model
    (``attnseq.decoding.threads``); None means ``attnseq.decoding.threads.default_workers``: one
    per BLAS thread for batches of 16 rows or more. With one worker, the batches run one after
    another on the model itself.
    """
    out = numpy.zeros((len(xs), length), dtype=numpy.int32)
    batches = batch_rows(model, xs, batch_size)

    def run(m, rows):
        batch = xs[rows]
        out[rows] = to_numpy(m.generate(batch, start_id, length) if decode is None
                             else decode(m, batch, start_id, length))

    workers = default_workers(batch_size) if workers is None else positive_int("workers",
                                                                                 workers)
    run_threaded(model, batches, run, workers)
    return out


def batch_rows(model, xs, batch_size: int = DEFAULT_BATCH) -> list[numpy.ndarray]:
    """The row indices of xs (N, Te) in batches of at most ``batch_size`` like inputs, for
    ``model`` to decode batch by batch; together they hold each row once.

    The rows go into batches in the order of their ids, column by column, so that a batch holds
    like inputs: the fast set's encoder runs a prefix that rows share only once
    (``EmbeddingLSTM``). Within a batch, the rows go in the model's ``row_order(ids)`` when it
    has one that is not None (the fast set's), so that the encoder need not sort them itself.
    When the model knows its padding id (``model.pad_id``), the number of padding ids comes
    first, so that each batch also holds inputs of about one length and attention skips the
    columns that are padding in all of them (``attention_state``).
    """
    batch_size = positive_int("batch_size", batch_size)
    ids = to_numpy(xs)
    keys = list(ids.T[::-1])  # numpy.lexsort sorts by its last key first: column 0, 1, ...
    pad_id = getattr(model, "pad_id", None)
    if pad_id is not None:
        keys.append((ids == pad_id).sum(axis=1))  # ... after the padding count
    order = numpy.lexsort(keys) if keys else numpy.arange(len(ids))
    # Longest inputs first (least padding), so that no thread is left with a long batch last.
    batches = [order[i:i + batch_size] for i in range(0, len(ids), batch_size)]
    row_order = getattr(model, "row_order", None)
    if row_order is None:
        return batches
    in_batch = [row_order(to_device(ids[rows])) for rows in batches]
    return [rows if o is None else rows[to_numpy(o)]
            for rows, o in zip(batches, in_batch, strict=True)]
