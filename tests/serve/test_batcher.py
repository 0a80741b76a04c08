"""Batcher: one thread runs every batch; waiting texts are decoded together, by key."""

import threading
import time
from concurrent.futures import CancelledError

import pytest

from attnseq.serve.batcher import Batcher

WAIT = 10  # seconds: only reached when something is broken


class Gated:
    """A batch function that records its calls and threads, and holds its first call until
    ``release`` is set, so that a test can queue texts behind a running batch."""

    def __init__(self):
        self.calls, self.threads = [], set()
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, key, texts):
        self.calls.append((key, list(texts)))
        self.threads.add(threading.current_thread().name)
        self.started.set()
        assert self.release.wait(WAIT)
        if "boom" in texts:
            raise RuntimeError("boom")
        return [f"{key}:{t}" for t in texts]


@pytest.fixture
def gated():
    run = Gated()
    batcher = Batcher(run, name="test")
    yield run, batcher
    run.release.set()
    batcher.close(timeout=WAIT)


def test_texts_queued_behind_a_batch_run_together_grouped_by_key(gated):
    run, batcher = gated
    first = batcher.submit("greedy", "a")
    assert run.started.wait(WAIT)  # the first batch runs alone: nothing waited for it
    queued = [batcher.submit(key, text) for key, text in
              [("greedy", "b"), ("beam", "c"), ("greedy", "d"), ("beam", "e")]]
    run.release.set()
    assert first.result(WAIT) == "greedy:a"
    assert [f.result(WAIT) for f in queued] == ["greedy:b", "beam:c", "greedy:d", "beam:e"]
    assert run.calls == [("greedy", ["a"]), ("greedy", ["b", "d"]), ("beam", ["c", "e"])]
    assert run.threads == {"attnseq-serve-test"}  # one thread, never the caller's
    assert (batcher.batches, batcher.texts, batcher.largest) == (3, 5, 2)


def test_a_failing_batch_fails_its_own_requests_and_the_thread_goes_on(gated):
    run, batcher = gated
    blocker = batcher.submit("k", "a")
    assert run.started.wait(WAIT)
    bad, fine = batcher.submit("k", "boom"), batcher.submit("other", "x")
    run.release.set()
    assert blocker.result(WAIT) == "k:a"
    with pytest.raises(RuntimeError, match="boom"):
        bad.result(WAIT)
    assert fine.result(WAIT) == "other:x"
    assert batcher.submit("k", "after").result(WAIT) == "k:after"


def test_a_cancelled_request_is_skipped(gated):
    run, batcher = gated
    batcher.submit("k", "a")
    assert run.started.wait(WAIT)
    gone, kept = batcher.submit("k", "gone"), batcher.submit("k", "kept")
    assert gone.cancel()  # its client went away while it waited
    run.release.set()
    assert kept.result(WAIT) == "k:kept"
    with pytest.raises(CancelledError):
        gone.result(0)
    assert ("k", ["kept"]) in run.calls and all("gone" not in texts for _, texts in run.calls)


def test_batches_are_at_most_max_batch_and_close_finishes_the_queue():
    run = Gated()
    batcher = Batcher(run, max_batch=3)
    batcher.submit("k", "0")
    assert run.started.wait(WAIT)
    futures = [batcher.submit("k", str(i)) for i in range(1, 8)]
    run.release.set()
    batcher.close(timeout=WAIT)
    assert [f.result(0) for f in futures] == [f"k:{i}" for i in range(1, 8)]
    assert [len(texts) for _, texts in run.calls] == [1, 3, 3, 1]


def test_texts_arriving_within_the_linger_join_the_batch_and_later_ones_do_not():
    calls = []

    def run(key, texts):
        calls.append(list(texts))
        return texts

    batcher = Batcher(run, name="linger", linger=0.5)
    first = batcher.submit("k", "a")
    time.sleep(0.1)  # within the linger
    second = batcher.submit("k", "b")
    assert (first.result(WAIT), second.result(WAIT)) == ("a", "b")
    time.sleep(0.1)
    assert batcher.submit("k", "c").result(WAIT) == "c"
    batcher.close(timeout=WAIT)
    assert calls == [["a", "b"], ["c"]]
