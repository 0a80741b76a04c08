"""Running independent batches on several cores: worker threads, model replicas, BLAS threads.

NumPy runs every ufunc (the LSTM's gate arithmetic, softmax, the adds) on one thread; only
its BLAS (the matmuls) uses several. During decoding, where the matmuls are small, that leaves
the other cores mostly idle. Batches of a decoding job do not depend on each other, so a few
Python threads can each decode their own batches: NumPy releases the GIL inside ufuncs and
matmuls, so the threads run on different cores for most of each step.

Two things make that safe and fast:

* every thread decodes with its own ``replica`` of the model: the layers keep caches from
  their last forward pass (and the attention layer its weights), so two threads must not share
  layer objects; a replica shares every array of the model, so it copies no weights;
* while the threads run, the BLAS runs one thread per call (``one_blas_thread``): with its
  own pool of threads on top of ours the cores would be oversubscribed, slower than not using
  threads at all (docs/performance.md).

NumPy has no call that sets its BLAS's thread count at run time; ``threadpoolctl`` (from the
maintainers of scikit-learn and joblib, and what ``numpy.show_runtime`` itself uses to report
the BLAS's threads) finds the BLAS that NumPy loaded and sets it.

All of this is for the NumPy backend only: on a device backend (``ATTNSEQ_BACKEND=cupy``, or
the stand-in that tests it) ``default_workers`` is 1 and decoding runs one batched stream,
since the device does the parallel work and replicas would only queue on it.
"""

from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import threadpoolctl

from attnseq.core.backend import xp

# Each step's Python part holds the GIL, so threads gain only while the array work dominates:
# from batches of this many rows (the measurements are in docs/performance.md) ...
MIN_ROWS = 16
# ... and on at most this many threads (a cap, not a measured optimum).
MAX_WORKERS = 8


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses now (1 when no BLAS library is found)."""
    counts = [int(info["num_threads"]) for info in threadpoolctl.threadpool_info()
              if info.get("user_api") == "blas"]
    return max(counts, default=1)


def default_workers(batch_size: int) -> int:
    """Decoding threads when the caller does not say: as many as the BLAS has threads, so
    that ``OPENBLAS_NUM_THREADS=1`` (or any limit the user set) also keeps decoding on one
    core; 1 for batches under ``MIN_ROWS`` rows, and on a GPU backend, where the device does
    the parallel work."""
    if xp.__name__ != "numpy" or batch_size < MIN_ROWS:
        return 1
    return max(1, min(blas_threads(), MAX_WORKERS))


@contextmanager
def one_blas_thread():
    """Within the block, every BLAS call of the process runs on one thread."""
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def replica(model):
    """A copy of ``model`` with its own layer objects over the same arrays.

    Every array the model holds is shared, not copied: the weights, the gradient buffers, and
    whatever its layers cached from their last pass (tens of MB after a training step), since a
    forward pass rebinds a layer's caches to new arrays and never writes into the old ones. A
    replica is for forward passes such as decoding; two replicas must not run ``backward`` at
    the same time, since they accumulate into the same gradient arrays.
    """
    shared = {id(a): a for a in _arrays(model)}
    return copy.deepcopy(model, shared)


def _arrays(root) -> list:
    """Every array reachable from ``root`` through attributes, lists, tuples and dicts."""
    found, seen, todo = [], set(), [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, xp.ndarray):
            found.append(obj)
        elif isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            todo.extend(obj)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            todo.extend(vars(obj).values())
    return found


def run_threaded(model, jobs, work, workers: int) -> None:
    """Call ``work(m, job)`` for every job, on ``workers`` threads, each with its own replica
    ``m`` of ``model`` (the model itself when ``workers`` is 1: then no thread is started).

    Jobs are handed out in order as threads become free, so put the longest first. Results
    are the caller's to store (``work`` writes them); an exception in any job is raised here.
    """
    jobs = list(jobs)
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for job in jobs:
            work(model, job)
        return
    local = threading.local()

    def run(job):
        if not hasattr(local, "model"):
            local.model = replica(model)
        work(local.model, job)

    with one_blas_thread(), ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(run, jobs):  # iterating re-raises a job's exception
            pass
