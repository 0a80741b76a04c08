"""``Batcher``: one thread owns a model and converts the requests that wait for it together.

A NumPy model is not thread-safe: its layers keep caches from their last forward pass, so two
requests must never run it at once. Instead of a lock, each model gets one worker thread, the
only code that ever touches it; requests hand it their text and wait on a ``Future``.

That thread also batches. While it decodes one batch, new requests queue up; when it is done
it takes everything waiting (up to ``max_batch``), and what keeps arriving less than
``linger`` seconds apart, groups it by search settings, and decodes each group as one batch.
Decoding 8 inputs together costs about twice one input (docs/serve.md), so under load the
throughput grows with the queue instead of the latency. The linger is for the event loop:
while a batch decodes, the loop has the interpreter only in turns, so when the batch ends
the next requests are still being parsed; taking only those already queued would decode
them in a few small batches instead of one. An idle server answers a lone request after
the linger (2 ms): nothing waits for a batch to fill.

A failing batch fails only its own requests (each future gets the exception); the thread
goes on with the next batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future

# Enough to keep a burst of typing from several pages in one batch; more would only make a
# burst's first answers wait for its last.
MAX_BATCH = 64
# Seconds to wait for one more request before a batch starts: small beside a batch's
# decoding, and enough for the event loop to hand over a request it has parsed.
LINGER = 0.002

_STOP = object()  # put on the queue by close(): the worker ends


class Batcher:
    """Runs ``run(key, texts) -> results`` (one result per text) on a thread of its own, over
    the texts submitted with the same ``key`` while earlier batches ran."""

    def __init__(self, run: Callable[[Hashable, list[str]], list], name: str = "model",
                 max_batch: int = MAX_BATCH, linger: float = LINGER):
        self._run = run
        self._max_batch = max_batch
        self._linger = linger
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        # Batches run, texts in them, and the largest batch: for tests and the load benchmark.
        self.batches = self.texts = self.largest = 0
        self._thread = threading.Thread(target=self._work, name=f"attnseq-serve-{name}",
                                        daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, text: str) -> Future:
        """A future of ``text``'s result, decoded in a batch of texts submitted with ``key``."""
        future: Future = Future()
        self._queue.put((key, text, future))
        return future

    def close(self, timeout: float | None = None) -> None:
        """Let the worker finish what is queued, then end it."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            jobs = [self._queue.get()]  # block until there is work
            while len(jobs) < self._max_batch:
                try:
                    jobs.append(self._queue.get(timeout=self._linger))
                except queue.Empty:
                    break
            stop = _STOP in jobs
            groups: dict[Hashable, list] = {}
            for job in jobs:
                # A request whose client went away cancelled its future: skip its text.
                if job is not _STOP and job[2].set_running_or_notify_cancel():
                    groups.setdefault(job[0], []).append(job)
            for key, group in groups.items():
                self._run_group(key, group)
            if stop:
                return

    def _run_group(self, key: Hashable, group: list) -> None:
        self.batches += 1
        self.texts += len(group)
        self.largest = max(self.largest, len(group))
        try:
            results = self._run(key, [text for _, text, _ in group])
        except Exception as exc:  # noqa: BLE001 -- the requests report it; the thread lives on
            for _, _, future in group:
                future.set_exception(exc)
            return
        for (_, _, future), result in zip(group, results, strict=True):
            future.set_result(result)
