"""Time to accuracy: how long training takes until test exact match first reaches a target.

The two recipes of ``attnseq.training.recipes`` are compared on the book's date task: the default
one and the book's, each with its own initialisation, batch size, learning rate (and
schedule) and clipping, for at most ``max_epochs`` epochs. Every ``eval_every`` training
examples (at the first batch boundary past each multiple), and at the end of every epoch, the
model decodes the whole test set greedily; the first evaluation at or above
``target_accuracy`` ends the run. Evaluating by examples rather than batches gives both
recipes the same resolution whatever their batch sizes. Reported per run: training wall
seconds (evaluation excluded, and reported separately), examples seen and batches done when
the target was reached, and the accuracy curve. Over ``seeds`` runs per recipe the median is
taken; a run that never reached the target counts as not reached, and the median is then only
a lower bound.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import replace

from attnseq.experiments.run import Task
from attnseq.training.accuracy import accuracy
from attnseq.training.optim import decay_schedule
from attnseq.training.recipes import RECIPES, Recipe
from attnseq.training.trainer import Trainer
from benchmarks.workload import Settings, date_workload


def run_to_accuracy(task: Task, settings: Settings, *, recipe: Recipe, seed: int) -> dict:
    """Train one fresh model with ``recipe`` until the target accuracy; see the module doc.

    The loop is ``Trainer.fit``'s (``attnseq.training.trainer``) with the evaluations woven in:
    the same permutations (the trainer's Generator, seeded with ``seed``), schedule and ``step``.
    """
    cfg = replace(recipe.train, seed=seed)
    work = date_workload(task, settings, init=recipe.init, seed=seed)
    model, vocab = work.model, work.conv.vocab
    trainer = Trainer.from_config(model, cfg)
    n, b = len(work.train_xs), cfg.batch_size
    schedule = decay_schedule(cfg.lr, cfg.final_lr, cfg.decay_epochs, n)
    train_s = eval_s = 0.0
    seen = batches = 0
    curve = []

    def evaluate() -> float:
        nonlocal eval_s
        start = time.perf_counter()
        acc = accuracy(model, work.test_xs, work.test_ts, start_id=vocab.start_id,
                       end_id=vocab.end_id, pad_id=vocab.pad_id)
        eval_s += time.perf_counter() - start
        curve.append({"examples": seen, "train_seconds": train_s, "accuracy": acc})
        return acc

    for epoch in range(1, settings.max_epochs + 1):
        order = trainer.rng.permutation(n)
        for lo in range(0, n, b):
            idx = order[lo:lo + b]
            start = time.perf_counter()
            if schedule is not None:
                trainer.optimizer.lr = schedule(seen)
            trainer.step(work.train_xs[idx], work.train_ts[idx])
            train_s += time.perf_counter() - start
            due = (seen + len(idx)) // settings.eval_every > seen // settings.eval_every
            seen += len(idx)
            batches += 1
            end_of_epoch = lo + b >= n
            if (due or end_of_epoch) and evaluate() >= settings.target_accuracy:
                return _outcome(recipe.name, seed, True, train_s, eval_s, seen, batches, epoch,
                                curve)
    return _outcome(recipe.name, seed, False, train_s, eval_s, seen, batches, settings.max_epochs,
                    curve)


def _outcome(recipe, seed, reached, train_s, eval_s, seen, batches, epoch, curve) -> dict:
    return {"recipe": recipe, "seed": seed, "reached": reached, "train_seconds": train_s,
            "eval_seconds": eval_s, "examples": seen, "batches": batches, "epochs": epoch,
            "final_accuracy": curve[-1]["accuracy"] if curve else 0.0, "curve": curve}


def time_to_accuracy(task: Task, settings: Settings) -> dict:
    """Both recipes, ``settings.seeds`` runs each (model seeds 0, 1, ...), with medians."""
    result = {"target_accuracy": settings.target_accuracy, "eval_every": settings.eval_every,
              "max_epochs": settings.max_epochs, "train_examples": len(task.train)}
    for name in RECIPES:
        runs = [run_to_accuracy(task, settings, recipe=RECIPES[name], seed=s)
                for s in range(settings.seeds)]
        result[name] = {"summary": RECIPES[name].summary, "runs": runs,
                        "reached": sum(r["reached"] for r in runs), **medians(runs)}
    return result


def medians(runs: list[dict]) -> dict:
    """Medians of time, examples and evaluation time over runs.

    The median run reached the target when more than half of the runs did; then the medians
    are over reached runs' figures (an unreached run sorts last). Otherwise they are over what
    every run had spent when it stopped, which is only a lower bound of the time to target.
    """
    median_reached = 2 * sum(r["reached"] for r in runs) > len(runs)

    def median(key):
        if median_reached:
            return statistics.median(r[key] if r["reached"] else math.inf for r in runs)
        return statistics.median(r[key] for r in runs)

    return {"median_reached": median_reached, "median_train_seconds": median("train_seconds"),
            "median_examples": median("examples"),
            "median_eval_seconds": statistics.median(r["eval_seconds"] for r in runs)}
