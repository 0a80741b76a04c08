"""One training run end to end: data, model, training, per-epoch evaluation, checkpoint.

``Task`` is the data a run trains and evaluates on: the built-in date generator (the book's
experiment) or a user's file. ``run`` trains one model on a task and reports each epoch; the
command line's ``train`` is this function, and ``compare`` calls it once per model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from attnseq.checkpoint import check_writable
from attnseq.config import ModelConfig
from attnseq.converter import Converter
from attnseq.data.dataset import date_dataset, split_pairs
from attnseq.data.files import load_pairs
from attnseq.data.vocab import Vocab
from attnseq.errors import AttnseqError
from attnseq.train import STOP, History, Trainer, TrainConfig

DATA_SEED = 1984  # the default seed of the generated data and of a file's train/test split


def _check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise AttnseqError(f"data seed must be a non-negative integer, got {seed!r}")


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
    def dates(cls, samples: int = 50_000, seed: int = DATA_SEED) -> Task:
        """The book's experiment: ``samples`` generated dates, split 90/10."""
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
            raise AttnseqError(f"samples must be at least 2, got {samples!r}")
        _check_seed(seed)
        data = date_dataset(samples, seed=seed)
        return cls(data.train, data.test, data.vocab,
                   {"kind": "dates", "samples": samples, "seed": seed})

    @classmethod
    def from_file(cls, path, seed: int = DATA_SEED) -> Task:
        """Pairs from a book-format or TSV file, split 90/10 with ``seed``."""
        _check_seed(seed)
        pairs = load_pairs(path)
        if len(pairs) < 2:
            raise AttnseqError(f"{path}: need at least 2 pairs to split into train and test")
        train, test = split_pairs(pairs, 0.1, seed=seed)
        vocab = Vocab.from_texts([q + a for q, a in pairs])
        return cls(train, test, vocab,
                   {"kind": "file", "path": str(Path(path).resolve()), "seed": seed})

    @classmethod
    def from_source(cls, source: dict) -> Task:
        """Rebuild the task a saved model was trained on (for ``attnseq eval``)."""
        kind = source.get("kind") if isinstance(source, dict) else None
        kind = kind if isinstance(kind, str) else None
        keys = {"dates": ("samples", "seed"), "file": ("path", "seed")}.get(kind, ())
        if any(key not in source for key in keys) or (
                kind == "file" and not isinstance(source["path"], str)):
            raise AttnseqError(f"the model directory's data source is corrupt: {source!r}")
        if kind == "dates":
            return cls.dates(source["samples"], source["seed"])
        if kind == "file":
            if not Path(source["path"]).is_file():
                raise AttnseqError(f"the model was trained on {source['path']}, which is gone; "
                                   "pass --data FILE")
            return cls.from_file(source["path"], source["seed"])
        raise AttnseqError("the model directory does not say what data it was trained on; "
                           "pass --data FILE")

    def lengths(self) -> tuple[int, int]:
        """The longest question and answer, in tokens, over train and test."""
        pairs = self.train + self.test
        split = self.vocab.split
        return (max(len(split(p[0])) for p in pairs), max(len(split(p[1])) for p in pairs))


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

