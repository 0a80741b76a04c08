"""How an epoch is cut into batches, and the padding a training batch can leave out.

Every epoch visits each training pair once, in a fresh random order, cut into batches of
``batch_size`` (the last one may be smaller). Two ways to cut, named in ``BATCHINGS``:

    random   the book's: consecutive slices of one random permutation
    length   pairs of similar answer length together: the permutation is cut into pools of
             ``POOL_BATCHES`` batches, each pool sorted by answer length (stably, so ties
             keep their random order) and sliced into batches, and the batches of all pools
             are then visited in a random order

Why "length" is faster: answers are padded to the longest answer of the whole data set
(``attnseq.tasks.dataset``), and a decoder runs one step per column. A batch needs only as many
columns as its own longest answer (``trim_answers``): with random batches that is close to
the longest of all anyway, with batches of similar lengths close to the mean. On CMUdict
(answers of 15 phonemes at most, 6.2 on average; batches of 128) a decoder runs 12.6 steps a
random batch and 8.2 a batch of "length", instead of 16 untrimmed (``python -m
benchmarks.batching``). The encoder still reads every input column: its padding comes first
and is read as tokens, so leaving it out would change what the encoder computes.

``trim_answers`` is exact: the columns it drops hold padding in every row, which the loss
ignores, and the decoders are causal (step t sees nothing after t), so the loss and every
gradient are those of the whole padded batch.
"""

from __future__ import annotations

import numpy as np

from attnseq.core.backend import to_device, to_numpy, xp
from attnseq.core.errors import AttnseqError, positive_int
from attnseq.core.registry import ONE_OF, Registry

BATCHINGS = Registry("batching", {
    "random": "slices of one random permutation (the book's)",
    "length": "pairs of similar answer length together, the batches in random order "
              "(fewer padded decoder steps; docs/tasks.md)",
}, default="random", message=ONE_OF)
# a pool, sorted by length, is this many batches: enough that most batches hold answers of
# one length, few enough that a pool is still a random sample of the data
POOL_BATCHES = 50


def answer_lengths(ts, pad_id: int):
    """ts (N, 1 + T_out) -> (N,) the number of columns each row needs: START, the answer, END
    (on the host, where an epoch's batches are planned)."""
    return to_numpy((to_device(ts) != pad_id).sum(axis=1))


def sort_keys(batching: str, ts, pad_id: int | None):
    """What ``epoch_batches`` sorts by for ``batching``: None for "random", else the answers'
    lengths, which need the model's ``pad_id`` (an ``AttnseqError`` without one)."""
    if BATCHINGS.check(batching) == "random":
        return None
    if pad_id is None:
        raise AttnseqError(f"batching {batching!r} needs a model with a pad_id (the "
                           "answers' lengths are where their padding starts)")
    return answer_lengths(ts, pad_id)


def trim_answers(ts, pad_id: int | None):
    """ts (N, 1 + T_out) without the trailing columns that are padding in every row.

    The decoder reads ``ts[:, :-1]`` and predicts ``ts[:, 1:]``; after trimming, the last
    column is the END of the batch's longest answer, which is still predicted. With
    ``pad_id`` None nothing is padding and ``ts`` comes back as it is.
    """
    if pad_id is None or ts.shape[1] == 0:
        return ts
    used = (ts != pad_id).any(axis=0)  # (1 + T_out,) columns with a real token somewhere
    width = int(xp.flatnonzero(used)[-1]) + 1 if used.any() else 1
    return ts[:, :width] if width < ts.shape[1] else ts


def epoch_batches(n: int, batch_size: int, rng: np.random.Generator, batching: str = "random",
                  lengths=None) -> list:
    """The index arrays of one epoch's batches: every index in range(n) exactly once.

    ``rng`` draws the order; "random" draws one permutation (and nothing else, so a seeded
    run of the book's batching is what it always was). "length" needs ``lengths`` (n,), the
    key it sorts each pool by (``answer_lengths``).
    """
    BATCHINGS.check(batching)
    batch_size = positive_int("batch_size", batch_size)
    order = rng.permutation(n)
    if batching == "random":
        return [order[lo:lo + batch_size] for lo in range(0, n, batch_size)]
    if lengths is None or len(lengths) != n:
        raise AttnseqError(f"batching 'length' needs one length per pair ({n}), got "
                           f"{'none' if lengths is None else len(lengths)}")
    lengths = np.asarray(lengths)
    pool = batch_size * POOL_BATCHES
    batches = []
    for lo in range(0, n, pool):
        members = order[lo:lo + pool]
        members = members[np.argsort(lengths[members], kind="stable")]
        batches += [members[b:b + batch_size] for b in range(0, len(members), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]
