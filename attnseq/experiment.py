"""One training run end to end: data, model, training, per-epoch evaluation, checkpoint.

``Task`` is the data a run trains and evaluates on: the built-in date generator (the book's
experiment) or a user's file, the two kinds of ``TASKS``. ``run`` trains one model on a task
and reports each epoch; the command line's ``train`` is this function, and ``compare`` calls
it once per model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from attnseq.checkpoint import check_writable
from attnseq.config import ModelConfig
from attnseq.converter import Converter
from attnseq.data.dataset import date_dataset, split_pairs
from attnseq.data.files import load_pairs
from attnseq.data.vocab import Vocab
from attnseq.errors import AttnseqError, integer_at_least, non_negative_int
from attnseq.registry import Registry
from attnseq.train import STOP, History, Trainer, TrainConfig

DATA_SEED = 1984  # the default seed of the generated data and of a file's train/test split
DATE_SAMPLES = 50_000  # the book's number of generated dates


@dataclass(frozen=True)
class Task:
    """Train and test pairs, their vocabulary, and where they came from (saved as JSON).

    Pairs are (question, answer) tuples or ``DatePair``s, which also carry their format name.
    """

    train: list
    test: list
    vocab: Vocab
    source: dict

    @classmethod
    def dates(cls, samples: int = DATE_SAMPLES, seed: int = DATA_SEED) -> Task:
        """The book's experiment: ``samples`` generated dates, split 90/10."""
        samples = integer_at_least("samples", samples, 2)
        seed = non_negative_int("data seed", seed)
        data = date_dataset(samples, seed=seed)
        return cls(data.train, data.test, data.vocab,
                   {"kind": "dates", "samples": samples, "seed": seed})

    @classmethod
    def from_file(cls, path, seed: int = DATA_SEED) -> Task:
        """Pairs from a book-format or TSV file, split 90/10 with ``seed``."""
        seed = non_negative_int("data seed", seed)
        pairs = load_pairs(path)
        if len(pairs) < 2:
            raise AttnseqError(f"{path}: need at least 2 pairs to split into train and test")
        train, test = split_pairs(pairs, 0.1, seed=seed)
        vocab = Vocab.from_texts([q + a for q, a in pairs])
        return cls(train, test, vocab,
                   {"kind": "file", "path": str(Path(path).resolve()), "seed": seed})

    @classmethod
    def from_source(cls, source: dict) -> Task:
        """Rebuild the task a saved model was trained on (for ``attnseq eval``): the kind
        of ``TASKS`` that ``source["kind"]`` names, from the other keys it recorded."""
        kind = source.get("kind") if isinstance(source, dict) else None
        if not isinstance(kind, str) or kind not in TASKS:
            raise AttnseqError("the model directory does not say what data it was trained on; "
                               "pass --data FILE")
        entry = TASKS[kind]
        if any(key not in source or not isinstance(source[key], type_)
               for key, type_ in entry.keys.items()):
            raise AttnseqError(f"the model directory's data source is corrupt: {source!r}")
        return entry.rebuild(source)

    def lengths(self) -> tuple[int, int]:
        """The longest question and answer, in tokens, over train and test."""
        pairs = self.train + self.test
        split = self.vocab.split
        return (max(len(split(p[0])) for p in pairs), max(len(split(p[1])) for p in pairs))


@dataclass(frozen=True)
class TaskKind:
    """One kind of ``Task.source``: the keys it records beside "kind", each with the type its
    value must have (``object``: any, the ``Task`` checks it), and how a saved source becomes
    its ``Task`` again."""

    keys: dict[str, Any]
    rebuild: Callable[[dict], Task]


def _rebuild_file(source: dict) -> Task:
    if not Path(source["path"]).is_file():
        raise AttnseqError(f"the model was trained on {source['path']}, which is gone; "
                           "pass --data FILE")
    return Task.from_file(source["path"], source["seed"])


# The kinds of data a run trains on; a model directory records which (``Task.source``).
TASKS = Registry("task", {
    "dates": TaskKind({"samples": object, "seed": object},
                      lambda source: Task.dates(source["samples"], source["seed"])),
    "file": TaskKind({"path": str, "seed": object}, _rebuild_file),
}, default="dates")


def run(task: Task, model_config: ModelConfig, train_config: TrainConfig, *, out=None,
        progress: bool = True, samples: int = 3, stop_at: float | None = None,
        report: Callable[[str], None] = print) -> tuple[Converter, History]:
    """Train ``model_config`` on ``task``; evaluate on the test pairs after every epoch.

    ``model_config``'s ``question_len``/``answer_len`` are set from the task. When ``out`` is
    given the model is saved there after every epoch (so an interrupted run keeps its last
    finished epoch). ``report`` receives one line per epoch and the sample conversions.
    With ``stop_at``, training ends after the first epoch whose test accuracy reaches it.
    """
    if out is not None:
        check_writable(out)  # before any work: refuse early, overwrite nothing
    q_len, a_len = task.lengths()
    config = replace(model_config, question_len=q_len, answer_len=a_len)
    conv = Converter.create(config, task.vocab, seed=train_config.seed)
    xs, ts = conv.encode(task.train)
    trainer = Trainer.from_config(conv.model, train_config)
    shown = task.test[:samples]
    started = time.perf_counter()

    def evaluate(epoch: int) -> dict:
        t0 = time.perf_counter()
        correct = conv.correct(task.test)
        acc = float(correct.mean())
        return {"accuracy": acc, "eval_seconds": time.perf_counter() - t0,
                "wall_seconds": time.perf_counter() - started}

    def after_epoch(epoch: int, record: dict) -> str | None:
        report(f"epoch {epoch}/{train_config.epochs}: loss {record['loss']:.4f}, "
               f"test exact match {100 * record['accuracy']:.2f}% of {len(task.test)}, "
               f"{record['seconds']:.1f} s")
        for pair, guess in zip(shown, conv.convert([p[0] for p in shown]), strict=True):
            mark = "ok " if guess == pair[1] else "bad"
            report(f"  {mark} {pair[0]!r} -> {guess!r} (expected {pair[1]!r})")
        if out is not None:
            conv.save(out, train=asdict(train_config), data=task.source,
                      history=trainer.history.records)
        if stop_at is not None and record["accuracy"] >= stop_at:
            return STOP
        return None

    history = trainer.fit(xs, ts, eval_fn=evaluate, callbacks=[after_epoch], progress=progress)
    return conv, history

