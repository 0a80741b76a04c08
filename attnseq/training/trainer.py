"""Training loop, per-epoch history and exact-match accuracy.

A model is anything with the layer protocol's ``params`` / ``grads`` lists plus
``forward(xs, ts) -> float`` loss, ``backward()`` and ``generate(xs, start_id, length)``.
``xs`` is (N, T_in) token ids; ``ts`` is (N, 1 + T_out) with the start token in column 0.
Models that are layers (``attnseq.layers.base``) switch their dropout by ``train_mode(flag)``;
it is called when a model has it (the NTM has no dropout).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from tqdm import tqdm

from attnseq.core.backend import to_device
from attnseq.core.errors import (
    AttnseqError,
    non_negative_int,
    optional,
    positive_int,
    positive_number,
)
from attnseq.training.batches import BATCHINGS, epoch_batches, sort_keys, trim_answers
from attnseq.training.divergence import Diverged, check_weights, quiet
from attnseq.training.optim import (
    OPTIMIZERS,
    SCHEDULES,
    NoamDecay,
    build_optimizer,
    clip_grads,
    decay_schedule,
)

STOP = "stop"  # what a callback returns to end training after the current epoch
_RECORD_FIELDS = ("epoch", "loss", "seconds", "examples_seen", "grad_norm", "lr")


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters. The defaults are attnseq's default recipe, which converges
    fastest on the date task; ``attnseq.training.recipes.BOOK_TRAIN`` holds the book's.
    """

    epochs: int = 4
    batch_size: int = 64
    lr: float = 5e-3
    max_grad_norm: float | None = 5.0  # None: no clipping
    seed: int = 0
    optimizer: str = OPTIMIZERS.default  # a name of attnseq.training.optim.OPTIMIZERS
    final_lr: float | None = 1e-3  # None: constant lr; else lr falls linearly to this ...
    decay_epochs: float = 1.0  # ... over this many epochs' worth of examples (see Trainer)
    schedule: str = SCHEDULES.default  # "linear" (lr, final_lr) or "noam" (warmup, lr_factor)
    warmup: int = 4000  # noam: optimiser steps of the linear warm-up
    lr_factor: float = 1.0  # noam: the factor in front of d_model^-0.5
    batching: str = BATCHINGS.default  # how an epoch is cut into batches (attnseq.training.batches)

    def __post_init__(self):
        # Each value is stored as the plain int or float its check returns, so that the config
        # stays JSON-serialisable whatever kind of number it was given.
        checked = {"epochs": positive_int, "batch_size": positive_int, "lr": positive_number,
                   "max_grad_norm": optional(positive_number),
                   "final_lr": optional(positive_number), "decay_epochs": positive_number,
                   "seed": non_negative_int, "warmup": positive_int,
                   "lr_factor": positive_number}
        for name, check in checked.items():
            object.__setattr__(self, name, check(name, getattr(self, name)))
        OPTIMIZERS.check(self.optimizer)
        SCHEDULES.check(self.schedule)
        BATCHINGS.check(self.batching)


class History(Sequence[dict]):
    """Per-epoch records, a sequence of plain dicts (so the whole history is JSON-serialisable).

    Every record has ``epoch`` (1-based), ``loss`` (mean training loss, weighted by batch size),
    ``seconds`` (wall time of the epoch's training part, evaluation excluded), ``examples_seen``
    (cumulative over this ``fit``), ``grad_norm`` (mean pre-clip global norm over the batches),
    ``lr`` (the learning rate of the epoch's last batch), plus the keys ``eval_fn`` returned for
    that epoch. ``stopped_early`` is True when a callback stopped training before the last
    requested epoch.
    """

    def __init__(self, records: Iterable[dict] = (), stopped_early: bool = False):
        self.records: list[dict] = [dict(r) for r in records]
        self.stopped_early = stopped_early

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, i: int) -> dict: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict]: ...
    def __getitem__(self, i):
        return self.records[i]

    def __iter__(self) -> Iterator[dict]:
        return iter(self.records)

    def column(self, key: str) -> list:
        """The values of one key across epochs, e.g. ``history.column("accuracy")``."""
        return [r[key] for r in self.records]

    def to_dict(self) -> dict:
        return {"records": [dict(r) for r in self.records], "stopped_early": self.stopped_early}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(d["records"], d.get("stopped_early", False))


def _plain(value):
    """NumPy scalars to Python numbers, so records stay JSON-serialisable."""
    return value.item() if isinstance(value, np.generic) else value


def set_training(model, training: bool) -> None:
    """Switch ``model`` to training (True) or eval mode, when it has modes."""
    if hasattr(model, "train_mode"):
        model.train_mode(training)


class Trainer:
    """Minibatch training: shuffle, then ``step`` (forward, backward, clip, update) batch by
    batch; one History per ``fit``.

    ``rng`` is a ``numpy.random.Generator``, an int seed, or None (fresh OS entropy); it is
    used only for the per-epoch permutations and keeps its state across ``fit`` calls.
    ``max_grad_norm=None`` disables clipping (the norm is still measured for the history).
    With ``final_lr``, every ``fit`` lowers the optimiser's rate linearly from the rate it had
    when the trainer was made to ``final_lr`` over the first ``decay_epochs`` epochs' worth of
    examples, then holds it there (``attnseq.training.optim.LinearDecay``). ``noam`` (a
    ``NoamDecay``) instead sets the rate before every step from the number of steps this
    trainer has taken (``steps``, counted across ``fit`` calls). ``batching`` names how an
    epoch is cut into batches (``attnseq.training.batches.BATCHINGS``: "random", or "length", which
    needs the model's ``pad_id``).
    """

    def __init__(self, model, optimizer, *, max_grad_norm: float | None = 5.0, rng=None,
                 epochs: int = 10, batch_size: int = 128, final_lr: float | None = None,
                 decay_epochs: float = 1.0, noam: NoamDecay | None = None,
                 batching: str = BATCHINGS.default):
        self.max_grad_norm = optional(positive_number)("max_grad_norm", max_grad_norm)
        self.final_lr = optional(positive_number)("final_lr", final_lr)
        self.decay_epochs = positive_number("decay_epochs", decay_epochs)
        self.model = model
        self.optimizer = optimizer
        self.peak_lr = optimizer.lr
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.epochs = positive_int("epochs", epochs)  # defaults for fit()
        self.batch_size = positive_int("batch_size", batch_size)
        self.history = History()  # the running fit's history, readable after an interrupt
        self.noam = noam
        self.batching = BATCHINGS.check(batching)
        self.steps = 0  # optimiser updates so far, over every fit

    @classmethod
    def from_config(cls, model, config: TrainConfig) -> Trainer:
        """The trainer ``config`` describes; with schedule "noam", its d_model is the
        model's ``d_model`` (a Transformer's width), else its ``hidden_size``."""
        noam = None
        if config.schedule == "noam":
            width = getattr(model, "d_model", None) or model.hidden_size
            noam = NoamDecay(width, config.warmup, config.lr_factor)
        return cls(model, build_optimizer(config.optimizer, config.lr),
                   max_grad_norm=config.max_grad_norm, rng=config.seed,
                   epochs=config.epochs, batch_size=config.batch_size,
                   final_lr=None if noam else config.final_lr,
                   decay_epochs=config.decay_epochs, noam=noam, batching=config.batching)

    def step(self, xs, ts) -> tuple[float, float]:
        """One training step on the batch ``xs`` (N, T_in), ``ts`` (N, 1 + T_out): forward,
        backward, clip (or only measure, with ``max_grad_norm=None``), update.

        Returns (loss, global gradient norm before clipping). The model stays in the mode it
        is in (``fit`` switches it to train mode at every epoch's start). A loss that is not
        finite raises ``Diverged`` before the parameters change. The columns of ``ts`` that
        are padding in every row are left out first (``trim_answers``: exact), so a decoder
        runs only as far as the batch's longest answer, and the rows go in the model's
        ``row_order`` where it has one (the fast set's: rows with a shared prefix side by side),
        which the loss, a mean over rows, does not depend on.
        """
        model = self.model
        ts = trim_answers(ts, getattr(model, "pad_id", None))
        row_order = getattr(model, "row_order", None)
        order = None if row_order is None else row_order(xs)
        if order is not None:
            xs, ts = xs[order], ts[order]
        if self.noam is not None:
            self.optimizer.lr = self.noam(self.steps + 1)
        with quiet():
            loss = float(model.forward(xs, ts))
            if not math.isfinite(loss):
                raise Diverged(loss)
            model.backward()
            norm = clip_grads(model.grads, self.max_grad_norm)
            self.optimizer.update(model.params, model.grads)
        self.steps += 1
        return loss, norm

    def fit(self, xs, ts, *, epochs: int | None = None, batch_size: int | None = None,
            eval_fn: Callable[[int], dict] | None = None,
            callbacks: Sequence[Callable[[int, dict], str | None]] = (),
            progress: bool = True) -> History:
        """Train for ``epochs`` (default: the trainer's) and return the History.

        Each epoch visits every example once in a fresh random order, in batches of
        ``batch_size`` (the last one may be smaller) cut as the trainer's ``batching`` says
        (``attnseq.training.batches.epoch_batches``). After the epoch the model is switched to eval
        mode, ``eval_fn(epoch)`` may add metrics to the record, and every callback is called
        as ``cb(epoch, record)``. A callback returning ``"stop"`` ends training after
        this epoch (the remaining callbacks still run); any return other than None or "stop"
        is an error. The model is left in eval mode.

        Before ``eval_fn`` and the callbacks (which may save the model), an epoch whose mean
        loss or whose weights are not finite raises ``Diverged``: no callback sees them.
        With ``progress``, a bar per epoch is drawn on stderr when it is a terminal; off a
        terminal (a pipe, a log file) there is none, and the callers' own line per epoch
        stands in its place (``attnseq.experiments.run``), not thousands of bar updates.
        """
        epochs = self.epochs if epochs is None else positive_int("epochs", epochs)
        batch_size = self.batch_size if batch_size is None else positive_int("batch_size",
                                                                              batch_size)
        n = len(xs)
        if n == 0 or len(ts) != n:
            raise AttnseqError(f"need as many targets as inputs (at least one), "
                               f"got {n} inputs and {len(ts)} targets")
        xs, ts = to_device(xs), to_device(ts)  # once: every batch is then cut on the device
        model = self.model
        history = self.history = History()
        seen = 0
        schedule = decay_schedule(self.peak_lr, self.final_lr, self.decay_epochs, n)
        lengths = sort_keys(self.batching, ts, getattr(model, "pad_id", None))
        for epoch in range(1, epochs + 1):
            set_training(model, True)
            batches = epoch_batches(n, batch_size, self.rng, self.batching, lengths)
            loss_sum = norm_sum = 0.0
            done = 0  # examples of this epoch so far
            start = time.perf_counter()
            with tqdm(total=len(batches), desc=f"epoch {epoch}/{epochs}", unit="batch",
                      file=sys.stderr, disable=not (progress and sys.stderr.isatty()),
                      leave=True) as bar:
                for b, idx in enumerate(batches):
                    if schedule is not None:
                        self.optimizer.lr = schedule(seen)
                    try:
                        loss, norm = self.step(xs[idx], ts[idx])
                    except Diverged as exc:
                        raise Diverged(exc.loss, f" at epoch {epoch}, batch {b + 1}") from None
                    norm_sum += norm
                    loss_sum += loss * len(idx)
                    seen += len(idx)
                    done += len(idx)
                    bar.set_postfix(loss=f"{loss_sum / done:.4f}", refresh=False)
                    bar.update()
            seconds = time.perf_counter() - start
            set_training(model, False)
            if not math.isfinite(loss_sum / n):
                raise Diverged(loss_sum / n, f" at epoch {epoch}")
            check_weights(model.params, loss_sum / n, f" at epoch {epoch}")
            record = {"epoch": epoch, "loss": loss_sum / n, "seconds": seconds,
                      "examples_seen": seen, "grad_norm": norm_sum / len(batches),
                      "lr": self.optimizer.lr}
            if eval_fn is not None:
                with quiet():
                    metrics = eval_fn(epoch)
                clash = sorted(set(metrics) & set(_RECORD_FIELDS))
                if clash:
                    raise AttnseqError(f"eval_fn returned reserved keys {clash}")
                record.update({k: _plain(v) for k, v in metrics.items()})
            history.records.append(record)
            stop = False
            for cb in callbacks:
                with quiet():  # the reports' sample conversions decode as eval_fn does
                    answer = cb(epoch, record)
                if isinstance(answer, str) and answer == STOP:
                    stop = True
                elif answer is not None:
                    raise AttnseqError(f"a callback must return None or 'stop', got {answer!r}")
            if stop:
                history.stopped_early = epoch < epochs
                break
        return history
