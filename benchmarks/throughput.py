"""Training and decoding throughput of ``AttentionSeq2seq`` on the book's date task.

Training: K steps are timed after a warm-up and the median step time is extrapolated to the
epoch's batch count (``Settings.full_epoch`` also times one real epoch with attnseq's
``Trainer``). The step's matmul FLOPs are counted analytically (``benchmarks.flops``), so the
step time converts to achieved GFLOP/s, which is set against what a plain float32 n×n matmul
reaches in the same process: the fraction says how close the training loop gets to the BLAS.

Decoding: batched greedy decoding of the whole test set versus the same code called on one
pair at a time (the book's evaluation loop decodes row by row); conversions per second and
their ratio.
"""

from __future__ import annotations

import math
import statistics
import time

import numpy

from attnseq.training.trainer import TrainConfig, Trainer
from benchmarks.flops import decode_flops, train_step_flops
from benchmarks.workload import DateWorkload, Settings, summarize, time_train_steps


def reference_matmul(n: int, repeats: int, *, seed: int = 0) -> dict:
    """GFLOP/s of a plain float32 ``A @ B`` with A, B (n, n): the BLAS's practical peak here.

    One untimed product first (thread start-up, page faults), then ``repeats`` timed ones.
    """
    rng = numpy.random.default_rng(seed)
    A = rng.standard_normal((n, n), dtype=numpy.float32)
    B = rng.standard_normal((n, n), dtype=numpy.float32)
    out = numpy.empty((n, n), dtype=numpy.float32)
    numpy.matmul(A, B, out=out)
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        numpy.matmul(A, B, out=out)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    flops = 2 * n ** 3
    return {"n": n, "flops": flops, "seconds": summarize(times),
            "gflops": flops / statistics.median(times) / 1e9,
            "gflops_best": flops / min(times) / 1e9,
            # per CPU second (all threads'): what the other processes' load does not change
            "cpu_gflops": flops / statistics.median(cpu) / 1e9}


def training_throughput(work: DateWorkload, settings: Settings, *, seed: int = 0) -> dict:
    """Samples/s, seconds per epoch and achieved GFLOP/s of the attention model's training.

    The GFLOP/s uses the median step time; ``matmul`` holds the reference and ``fraction`` the
    training GFLOP/s divided by the reference's (median against median).
    """
    times = time_train_steps(work.model, work.train_xs, work.train_ts, settings, seed=seed)
    step = summarize(times)
    shape = work.shape(settings.batch)
    flops = train_step_flops(**shape)
    n_train = len(work.train_xs)
    batches = math.ceil(n_train / settings.batch)
    result = {
        "shape": shape,
        "train_examples": n_train,
        "batches_per_epoch": batches,
        "step_seconds": step,
        "samples_per_second": settings.batch / step["median"],
        "seconds_per_epoch": step["median"] * batches,
        "flops_per_step": flops.to_dict(),
        "gflops": flops.total / step["median"] / 1e9,
    }
    matmul = reference_matmul(settings.matmul_size, settings.matmul_repeats)
    result["matmul"] = matmul
    result["fraction_of_matmul"] = result["gflops"] / matmul["gflops"]
    if settings.full_epoch:
        result["measured_epoch_seconds"] = real_epoch_seconds(work, settings, seed=seed)
    return result


def real_epoch_seconds(work: DateWorkload, settings: Settings, *, seed: int = 0) -> float:
    """Wall seconds of one whole epoch of attnseq's own ``Trainer`` (no evaluation)."""
    config = TrainConfig(epochs=1, batch_size=settings.batch, lr=settings.lr,
                         max_grad_norm=settings.max_grad_norm, seed=seed, final_lr=None)
    trainer = Trainer.from_config(work.model, config)
    history = trainer.fit(work.train_xs, work.train_ts, progress=False)
    return float(history[0]["seconds"])


def _best_seconds(fn, repeats: int) -> float:
    """The fastest of ``repeats`` timed calls of ``fn()`` (decoding is deterministic, so the
    minimum is the run least disturbed by the rest of the machine)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def decoding_throughput(work: DateWorkload, settings: Settings) -> dict:
    """Conversions per second: batched greedy decoding vs one pair at a time (same code).

    Both go through ``Converter.generate_ids``, the path ``attnseq eval`` and ``convert`` use;
    only its ``batch_size`` differs. The one-at-a-time pass decodes ``single_limit`` pairs
    (all when None), and checks that it produced the same ids as the batched pass.
    """
    conv, xs = work.conv, work.test_xs
    n = len(xs)
    conv.generate_ids(xs[: settings.decode_batch], settings.decode_batch)  # warm-up
    batched_ids = conv.generate_ids(xs, settings.decode_batch)
    batched_s = _best_seconds(lambda: conv.generate_ids(xs, settings.decode_batch),
                              settings.decode_repeats)
    m = n if settings.single_limit is None else min(n, settings.single_limit)
    start = time.perf_counter()
    single_ids = conv.generate_ids(xs[:m], batch_size=1, workers=1)  # the book's loop
    single_s = time.perf_counter() - start
    # Same answers either way; float32 sums in a different order may flip a near-tie, so
    # this is reported, not asserted.
    agree = float((single_ids == batched_ids[:m]).all(axis=1).mean())
    batched_rate = n / batched_s
    single_rate = m / single_s
    shape = work.shape(1)
    shape["Td"] = work.conv.config.answer_len + 1  # the steps greedy decoding runs
    flops_per_pair = decode_flops(**shape)
    return {
        "pairs": n, "decode_batch": settings.decode_batch, "batched_seconds": batched_s,
        "batched_per_second": batched_rate, "single_pairs": m, "single_seconds": single_s,
        "single_per_second": single_rate, "batched_over_single": batched_rate / single_rate,
        "single_agrees_with_batched": agree, "flops_per_pair": flops_per_pair,
        # Decoding runs the encoder too, so it is matmul work like training: these say how
        # much of the BLAS each way of calling it gets.
        "batched_gflops": flops_per_pair * batched_rate / 1e9,
        "single_gflops": flops_per_pair * single_rate / 1e9,
    }
