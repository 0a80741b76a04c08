"""What every benchmark shares: its settings, the date workload, timed training steps.

``Settings`` holds every size and count the harness uses; ``Settings.full()`` is the book's
experiment and ``Settings.quick()`` shrinks everything so that the whole harness runs in
seconds (the smoke test runs it). ``DateWorkload`` is the book's date task encoded exactly as
``attnseq.experiments.run.run`` encodes it, around a freshly initialised model: throughput does not
depend on what the weights are, so no measurement needs a trained model. A training step is
always attnseq's own, ``Trainer.step``: what is timed is what ``attnseq train`` runs.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import asdict, dataclass, replace

import numpy

from attnseq.decoding import DEFAULT_BATCH
from attnseq.experiments.converter import Converter
from attnseq.experiments.run import DATA_SEED, DATE_SAMPLES, Task
from attnseq.models.config import FamilyConfig, Seq2seqConfig
from attnseq.training.optim import Adam
from attnseq.training.trainer import Trainer

# Seconds between timed passes that take turns: OpenBLAS's idle threads spin for up to 0.1 s.
PAUSE = 0.25

@dataclass(frozen=True)
class Settings:
    """Sizes and counts of one harness run. The defaults are the full (book-sized) run."""

    samples: int = DATE_SAMPLES    # generated date pairs, split 90/10 (the book's)
    data_seed: int = DATA_SEED
    wordvec: int = 16              # D
    hidden: int = 256              # H
    batch: int = 128
    lr: float = 1e-3
    max_grad_norm: float | None = 5.0  # None: measure the norm, do not clip
    warmup: int = 3                # training steps run before any timing
    iters: int = 20                # timed training steps (K)
    full_epoch: bool = False       # also time one real epoch with attnseq's Trainer
    matmul_size: int = 2048        # the reference float32 matmul is n×n @ n×n
    matmul_repeats: int = 5
    decode_batch: int = DEFAULT_BATCH  # rows per batched greedy-decoding call (both peers)
    decode_repeats: int = 5
    single_limit: int | None = None  # decode only this many one at a time (None: all)
    seeds: int = 3                 # time-to-accuracy runs per recipe (median reported)
    target_accuracy: float = 0.999
    eval_every: int = 3200         # training examples between test evaluations
    max_epochs: int = 10
    memory_batches: int = 50       # training steps of the peak-memory child
    scaling_lengths: tuple = (16, 32, 64, 128, 256)
    scaling_batches: tuple = (16, 32, 64, 128, 256, 512)
    scaling_length_batch: int = 128  # batch size of the length sweep
    scaling_batch_length: int = 32   # input length of the batch-size sweep
    scaling_iters: int = 3
    quick: bool = False

    @classmethod
    def full(cls, **changes) -> Settings:
        return replace(cls(), **changes)

    @classmethod
    def quick_run(cls, **changes) -> Settings:
        """Tiny sizes and few iterations: the whole harness in seconds, for smoke tests."""
        tiny = cls(samples=400, wordvec=8, hidden=32, batch=16, warmup=1, iters=3,
                   matmul_size=128, matmul_repeats=2, decode_batch=20, decode_repeats=1,
                   single_limit=10, seeds=1, target_accuracy=0.0, eval_every=80, max_epochs=1,
                   memory_batches=3, scaling_lengths=(4, 8), scaling_batches=(4, 8),
                   scaling_length_batch=8, scaling_batch_length=6, scaling_iters=1,
                   quick=True)
        return replace(tiny, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["scaling_lengths"] = list(self.scaling_lengths)
        d["scaling_batches"] = list(self.scaling_batches)
        return d


@dataclass
class DateWorkload:
    """The date task encoded for one model: train and test arrays, and the converter."""

    conv: Converter
    train_xs: numpy.ndarray  # (N_train, Te) ids, reversed and padded
    train_ts: numpy.ndarray  # (N_train, 1 + Td) ids, START first
    test_xs: numpy.ndarray
    test_ts: numpy.ndarray

    @property
    def model(self):
        return self.conv.model

    def shape(self, batch: int) -> dict:
        """The (N, Te, Td, D, H, V) of a training batch, for ``flops.train_step_flops``."""
        c = self.conv.config
        return {"N": batch, "Te": self.train_xs.shape[1], "Td": self.train_ts.shape[1] - 1,
                "D": c.wordvec_size, "H": c.hidden_size, "V": len(self.conv.vocab)}


def date_task(settings: Settings) -> Task:
    """The book's date data (``Task.dates``) at the settings' size."""
    return Task.dates(settings.samples, settings.data_seed)


def date_workload(task: Task, settings: Settings, *, init: str = "default",
                  seed: int = 0) -> DateWorkload:
    """Encode ``task`` for a fresh attention model, as ``attnseq.experiments.run.run`` does."""
    config = Seq2seqConfig(model="attention", wordvec_size=settings.wordvec,
                           hidden_size=settings.hidden, init=init)
    return model_workload(task, config, seed=seed)


def model_workload(task: Task, config: FamilyConfig, *, seed: int = 0) -> DateWorkload:
    """Encode ``task`` for a fresh model of ``config`` (its lengths set to the task's)."""
    q_len, a_len = task.lengths()
    config = replace(config, question_len=q_len, answer_len=a_len)
    conv = Converter.create(config, task.vocab, seed=seed)
    train_xs, train_ts = conv.encode(task.train)
    test_xs, test_ts = conv.encode(task.test)
    return DateWorkload(conv, train_xs, train_ts, test_xs, test_ts)


def step_trainer(model, settings: Settings) -> Trainer:
    """A ``Trainer`` whose ``step`` is one training step at the settings' rate and clipping
    (Adam, as the recipes train)."""
    return Trainer(model, Adam(settings.lr), max_grad_norm=settings.max_grad_norm)


def timed_steps(step, n: int, settings: Settings, *, seed: int = 0,
                cpu: list | None = None) -> list[float]:
    """Seconds of each of ``settings.iters`` calls ``step(idx)``, after ``settings.warmup`` more.

    ``idx`` are the batches the Trainer would draw from n examples: consecutive slices of a
    seeded random permutation. Both peers are timed through this, on the same batches.
    ``cpu``, when given, receives the process's CPU seconds of each timed step as well: with
    one thread they are the wall seconds less the time other processes took the core.
    """
    order = numpy.random.default_rng(seed).permutation(n)
    b = settings.batch
    times = []
    for i in range(settings.warmup + settings.iters):
        lo = (i * b) % max(n - b + 1, 1)
        idx = order[lo:lo + b]
        start, start_cpu = time.perf_counter(), time.process_time()
        step(idx)
        if i >= settings.warmup:
            times.append(time.perf_counter() - start)
            if cpu is not None:
                cpu.append(time.process_time() - start_cpu)
    return times


def time_train_steps(model, xs, ts, settings: Settings, *, seed: int = 0) -> list[float]:
    """Seconds of attnseq's training steps (``Trainer.step``) on the batches of
    ``timed_steps``."""
    trainer = step_trainer(model, settings)
    return timed_steps(lambda idx: trainer.step(xs[idx], ts[idx]), len(xs), settings,
                       seed=seed)


def take_turns(fns: dict, repeats: int, *, cpu: dict | None = None) -> dict:
    """The fastest of ``repeats`` timed calls of each ``fns[name]()``, the functions taking
    turns (name -> seconds): a slow stretch of the shared machine then slows all of them, not
    one. Each call starts after ``PAUSE``: a BLAS's idle threads keep spinning for a while after
    its last call, and would otherwise take cores from the call that follows. ``cpu``, when
    given, receives name -> the fewest process CPU seconds of a call."""
    best = dict.fromkeys(fns, math.inf)
    least_cpu = dict.fromkeys(fns, math.inf)
    for _ in range(repeats):
        for name, fn in fns.items():
            time.sleep(PAUSE)
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
            least_cpu[name] = min(least_cpu[name], time.process_time() - start_cpu)
    if cpu is not None:
        cpu.update(least_cpu)
    return best


def positive_ints(text: str) -> list[int]:
    """An argparse type: "2,5,10" -> [2, 5, 10], refusing anything but positive integers."""
    try:
        values = [int(k) for k in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, "
                                         f"got {text!r}")
    return values


def summarize(times: list[float]) -> dict:
    """Median, mean, min and count of a list of durations (seconds)."""
    return {"median": statistics.median(times), "mean": statistics.fmean(times),
            "min": min(times), "count": len(times)}
