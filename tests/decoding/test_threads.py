"""attnseq.decoding.threads: replicas share arrays but not layers, jobs run side by side, the BLAS
is held to one thread meanwhile, and threaded decoding gives the sequential answers."""

import re
import threading

import numpy as np
import pytest
import threadpoolctl

from attnseq.decoding import decode_in_batches
from attnseq.decoding.threads import (
    MIN_ROWS,
    blas_threads,
    default_workers,
    one_blas_thread,
    replica,
    run_threaded,
)
from attnseq.models import AttentionSeq2seq


def small_model(**options):
    return AttentionSeq2seq(9, 4, 6, seed=0, pad_id=0, dtype="float64", **options)


def inputs(rng, n=40, t=7):
    xs = rng.integers(1, 9, size=(n, t), dtype=np.int32)
    for row, lead in zip(xs, rng.integers(0, t - 1, size=n)):
        row[:lead] = 0  # padding in front, as reversed inputs carry it
    return xs


def test_replica_shares_the_arrays_but_not_the_layers():
    model = small_model()
    copy = replica(model)
    assert all(a is b for a, b in zip(copy.params, model.params, strict=True))
    assert all(a is b for a, b in zip(copy.grads, model.grads, strict=True))
    assert copy.encoder is not model.encoder and copy.decoder is not model.decoder
    assert copy.encoder.lstm.layers[0] is not model.encoder.lstm.layers[0]
    xs = inputs(np.random.default_rng(0))
    model.forward(xs, xs[:, :4])
    model.backward()
    cached = replica(model).encoder.lstm.layers[0].lstm.cache  # arrays: shared, not copied
    pairs = [(a, b) for a, b in zip(cached, model.encoder.lstm.layers[0].lstm.cache, strict=True)
             if isinstance(b, np.ndarray)]
    assert len(pairs) >= 4 and all(a is b for a, b in pairs)
    model.generate(xs[:3], 1, 4)
    before = model.decoder.step_attention.attention_weight.copy()
    copy.generate(xs[3:9], 1, 4)  # another batch on the replica leaves the model's caches
    np.testing.assert_array_equal(model.decoder.step_attention.attention_weight, before)


def test_a_replica_sees_later_changes_to_the_weights():
    model = small_model()
    copy = replica(model)
    xs = inputs(np.random.default_rng(1), n=5)
    for p in model.params:
        p *= 1.5  # in place, as the optimisers update
    np.testing.assert_array_equal(copy.generate(xs, 1, 4), model.generate(xs, 1, 4))


def test_run_threaded_runs_jobs_side_by_side_each_thread_on_its_own_replica():
    model = small_model()
    barrier = threading.Barrier(2, timeout=10)  # passes only if two jobs run at once
    seen = []

    def work(m, job):
        barrier.wait()
        seen.append((job, threading.get_ident(), m))

    run_threaded(model, [0, 1], work, workers=2)
    assert sorted(job for job, _, _ in seen) == [0, 1]
    assert len({ident for _, ident, _ in seen}) == 2
    assert all(m is not model for _, _, m in seen)
    assert len({id(m) for _, _, m in seen}) == 2


def test_run_threaded_with_one_worker_uses_the_model_itself_in_order():
    model = small_model()
    seen = []
    run_threaded(model, [3, 1, 2], lambda m, job: seen.append((job, m)), workers=1)
    assert seen == [(3, model), (1, model), (2, model)]


def test_run_threaded_raises_what_a_job_raised():
    def work(m, job):
        if job == 2:
            raise ValueError("job 2 failed")

    with pytest.raises(ValueError, match="^job 2 failed$"):
        run_threaded(small_model(), range(4), work, workers=2)


def test_one_blas_thread_holds_the_blas_to_one_thread_and_restores_it():
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        with one_blas_thread():
            assert blas_threads() == 1
        assert blas_threads() == before


def test_default_workers_follow_the_blas_threads_and_the_batch_size():
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert default_workers(256) == 1
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert default_workers(MIN_ROWS) == blas_threads()
        assert default_workers(MIN_ROWS - 1) == 1


@pytest.mark.parametrize("options", [{}, {"encoder": "bi"}, {"num_layers": 2, "residual": True},
                                     {"input_feeding": True}])
def test_threaded_decoding_equals_sequential_decoding(options):
    model = small_model(**options)
    xs = inputs(np.random.default_rng(2), n=50)
    with one_blas_thread():  # the same arithmetic both ways, so the answers must be identical
        sequential = decode_in_batches(model, xs, 1, 5, batch_size=7, workers=1)
        threaded = decode_in_batches(model, xs, 1, 5, batch_size=7, workers=3)
    np.testing.assert_array_equal(threaded, sequential)
    np.testing.assert_array_equal(sequential, model.generate(xs, 1, 5))  # one batch, no sort


@pytest.mark.parametrize("workers", [0, -1, 1.5])
def test_decode_in_batches_refuses_a_bad_worker_count(workers):
    xs = inputs(np.random.default_rng(3), n=4)
    with pytest.raises(ValueError, match=rf"^workers must be a positive integer, got "
                                         rf"{re.escape(repr(workers))}$"):
        decode_in_batches(small_model(), xs, 1, 3, workers=workers)
