"""One training run end to end: data, model, training, per-epoch evaluation, checkpoint.

``Task`` is the data a run trains and evaluates on: a built-in task (the book's date generator,
in any CLDR locale; copy and reverse of random strings; grapheme-to-phoneme on CMUdict) or a
user's file, the kinds of ``TASKS`` (docs/tasks.md). ``run`` trains one model on a task
and reports each epoch; the command line's ``train`` is this function, and ``compare`` calls
it once per model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from attnseq.core.errors import AttnseqError, non_negative_int
from attnseq.core.limits import SAMPLES, SEQUENCE_LENGTH
from attnseq.core.registry import Registry
from attnseq.experiments.converter import Converter
from attnseq.models.config import FamilyConfig
from attnseq.tasks.dataset import date_dataset, split_pairs
from attnseq.tasks.evaluate import accepted_scores, error_rate
from attnseq.tasks.files import load_pairs
from attnseq.tasks.g2p import g2p_entries, load_cmudict, split_by_word
from attnseq.tasks.locales import ENGLISH, generate_locale_dates, locale_alphabet, parse_locales
from attnseq.tasks.sequences import ALPHABET, generate_sequences
from attnseq.tasks.vocab import Vocab
from attnseq.tasks.wild import (
    MAX_QUESTION,
    WILD_LOCALES,
    generate_wild_dates,
    parse_wild_locales,
    wild_vocab,
)
from attnseq.training.checkpoint import check_writable
from attnseq.training.trainer import STOP, History, TrainConfig, Trainer

DATA_SEED = 1984  # the default seed of the generated data and of a file's train/test split
DATE_SAMPLES = 50_000  # the book's number of generated dates

# --tokens: how a file's questions and answers become tokens (the Vocab level).
TOKENS = Registry("--tokens", {"chars": "char", "words": "word"}, default="chars")


@dataclass(frozen=True)
class Task:
    """Train and test pairs, their vocabulary, and where they came from (saved as JSON).

    Pairs are (question, answer) tuples, ``DatePair``s, which also carry their format name,
    or ``LocaleDatePair``s, which carry their locale too. ``accepted`` maps a question to
    every answer that counts as right (g2p: each listed pronunciation of the word); questions
    not in it have their pair's answer alone.
    """

    train: list
    test: list
    vocab: Vocab
    source: dict
    accepted: dict = field(default_factory=dict)
    min_question_len: int = 0  # the questions a model of the task must take, in tokens

    @classmethod
    def dates(cls, samples: int = DATE_SAMPLES, seed: int = DATA_SEED,
              locales=(ENGLISH,)) -> Task:
        """The book's experiment: ``samples`` generated dates, split 90/10; with ``locales``
        other than ("en",), dates of those locales (``attnseq.tasks.locales``), each pair
        labelled with its locale."""
        samples = SAMPLES.check("samples", samples, 2)
        seed = non_negative_int("data seed", seed)
        locales = parse_locales(locales)
        if locales == (ENGLISH,):  # the book's task exactly, as saved before locales existed
            data = date_dataset(samples, seed=seed)
            return cls(data.train, data.test, data.vocab,
                       {"kind": "dates", "samples": samples, "seed": seed})
        rng = np.random.default_rng(seed)
        train, test = split_pairs(generate_locale_dates(samples, locales, seed=rng), 0.1,
                                  seed=rng)
        return cls(train, test, Vocab.from_texts([locale_alphabet(locales)]),
                   {"kind": "dates", "samples": samples, "seed": seed, "locales": list(locales)})

    @classmethod
    def wild_dates(cls, samples: int = DATE_SAMPLES, seed: int = DATA_SEED,
                   locales=WILD_LOCALES) -> Task:
        """Dates as people write them (``attnseq.tasks.wild``), split 90/10; the vocabulary
        is the training split's (rarer characters: UNK), with a hint token per locale."""
        samples = SAMPLES.check("samples", samples, 2)
        seed = non_negative_int("data seed", seed)
        locales = parse_wild_locales(locales)
        rng = np.random.default_rng(seed)
        train, test = split_pairs(generate_wild_dates(samples, locales, seed=rng), 0.1,
                                  seed=rng)
        return cls(train, test, wild_vocab(train, locales),
                   {"kind": "dates-wild", "samples": samples, "seed": seed,
                    "locales": list(locales)}, min_question_len=MAX_QUESTION + 1)

    @classmethod
    def sequences(cls, kind: str, samples: int = DATE_SAMPLES, seed: int = DATA_SEED) -> Task:
        """``kind`` "copy" or "reverse": ``samples`` distinct random strings, split 90/10."""
        samples = SAMPLES.check("samples", samples, 2)
        seed = non_negative_int("data seed", seed)
        rng = np.random.default_rng(seed)
        pairs = generate_sequences(samples, kind, seed=rng)
        train, test = split_pairs(pairs, 0.1, seed=rng)
        return cls(train, test, Vocab.from_texts([ALPHABET]),
                   {"kind": kind, "samples": samples, "seed": seed})

    @classmethod
    def g2p(cls, stress: bool = True) -> Task:
        """CMUdict's words -> phonemes, split by word (``attnseq.tasks.g2p``): no seed, the
        split is fixed. Without ``stress`` the phonemes lose their stress digits. A test word
        with several pronunciations accepts each of them (``accepted``)."""
        entries = g2p_entries(load_cmudict(), stress)
        train, test = split_by_word((word, answers[0]) for word, answers in entries.items())
        if not train or not test:
            raise AttnseqError(f"the dictionary gives {len(train)} training and {len(test)} "
                               "test words; need both")
        pairs = train + test
        vocab = Vocab(sorted({ch for q, _ in pairs for ch in q}
                             | {p for _, a in pairs for p in a.split()}),
                      level="word", question_level="char")
        accepted = {q: entries[q] for q, _ in test if len(entries[q]) > 1}
        return cls(train, test, vocab, {"kind": "g2p"} if stress else
                   {"kind": "g2p", "stress": False}, accepted)

    @classmethod
    def from_file(cls, path, seed: int = DATA_SEED, tokens: str = "chars") -> Task:
        """Pairs from a book-format or TSV file, split 90/10 with ``seed``; ``tokens``
        "chars" reads characters, "words" splits questions and answers on whitespace."""
        seed = non_negative_int("data seed", seed)
        level = TOKENS.lookup(tokens, "--tokens")
        pairs = load_pairs(path)
        try:
            train, test = split_pairs(pairs, 0.1, seed=seed)
        except AttnseqError as exc:  # too few pairs: say in which file
            raise AttnseqError(f"{path}: {exc}") from None
        vocab = Vocab.from_texts([text for pair in pairs for text in pair], level=level)
        source = {"kind": "file", "path": str(Path(path).resolve()), "seed": seed}
        if tokens != TOKENS.default:  # a checkpoint without the key reads characters
            source["tokens"] = tokens
        return cls(train, test, vocab, source)

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
               for key, type_ in entry.keys.items()) or any(
                key in source and not isinstance(source[key], type_)
                for key, type_ in entry.optional.items()):
            raise AttnseqError(f"the model directory's data source is corrupt: {source!r}")
        return entry.rebuild(source)

    def lengths(self) -> tuple[int, int]:
        """The longest question and answer, in tokens, over train and test."""
        pairs = self.train + self.test
        split = self.vocab.split
        return (max(self.min_question_len, *(len(split(p[0], "question")) + bool(
                    getattr(p, "hint", None)) for p in pairs)),
                max(len(split(p[1])) for p in pairs))


@dataclass(frozen=True)
class TaskKind:
    """One kind of ``Task.source``: the keys it records beside "kind", each with the type its
    value must have (``object``: any, the ``Task`` checks it), and how a saved source becomes
    its ``Task`` again."""

    keys: dict[str, Any]
    rebuild: Callable[[dict], Task]
    summary: str = ""  # for --task's help; empty: not a --task choice (a user's file)
    optional: dict[str, Any] = field(default_factory=dict)  # keys only some sources have


def _rebuild_file(source: dict) -> Task:
    if not Path(source["path"]).is_file():
        raise AttnseqError(f"the model was trained on {source['path']}, which is gone; "
                           "pass --data FILE")
    return Task.from_file(source["path"], source["seed"], source.get("tokens", TOKENS.default))


def _sequence_kind(kind: str, summary: str) -> TaskKind:
    return TaskKind({"samples": object, "seed": object},
                    lambda source: Task.sequences(kind, source["samples"], source["seed"]),
                    summary)


# The kinds of data a run trains on; a model directory records which (``Task.source``).
# Those with a summary are the built-in tasks of --task (docs/tasks.md).
TASKS = Registry("task", {
    "dates": TaskKind({"samples": object, "seed": object},
                      lambda source: Task.dates(source["samples"], source["seed"],
                                                source.get("locales", (ENGLISH,))),
                      "generated dates in --locales, answered YYYY-MM-DD (the book's task)",
                      optional={"locales": list}),
    "dates-wild": TaskKind({"samples": object, "seed": object, "locales": list},
                           lambda source: Task.wild_dates(source["samples"], source["seed"],
                                                          source["locales"]),
                           "dates as people write them in --locales (default: 16, "
                           "docs/dates-wild.md), with times, words and locale hints"),
    "copy": _sequence_kind("copy", "random strings of 1-12 letters a-j, answered unchanged"),
    "reverse": _sequence_kind("reverse", "random strings of 1-12 letters a-j, answered "
                                         "reversed"),
    "g2p": TaskKind({}, lambda source: Task.g2p(source.get("stress", True)),
                    "CMUdict spelling -> ARPAbet phonemes, a fixed 90/10 split by word "
                    "(needs the g2p extra)", optional={"stress": bool}),
    "file": TaskKind({"path": str, "seed": object}, _rebuild_file, optional={"tokens": str}),
}, default="dates")


def run(task: Task, model_config: FamilyConfig, train_config: TrainConfig, *, out=None,
        progress: bool = True, samples: int = 3, stop_at: float | None = None,
        report: Callable[[str], None] = print,
        impl: str = "fast") -> tuple[Converter, History]:
    """Train ``model_config`` on ``task``; evaluate on the test pairs after every epoch.

    ``model_config``'s ``question_len``/``answer_len`` are set from the task. When ``out`` is
    given the model is saved there after every epoch (so an interrupted run keeps its last
    finished epoch). ``report`` receives one line per epoch and the sample conversions.
    With ``stop_at``, training ends after the first epoch whose test accuracy reaches it.
    ``impl`` is the layer set the model is built from (``build_model``).
    """
    if out is not None:
        check_writable(out)  # before any work: refuse early, overwrite nothing
    q_len, a_len = task.lengths()
    for what, length in (("question", q_len), ("answer", a_len)):  # before the model is built
        SEQUENCE_LENGTH.check(f"the data's longest {what}, in tokens,", length)
    config = replace(model_config, question_len=q_len, answer_len=a_len)
    conv = Converter.create(config, task.vocab, seed=train_config.seed, impl=impl)
    xs, ts = conv.encode(task.train)
    trainer = Trainer.from_config(conv.model, train_config)
    shown = task.test[:samples]
    started = time.perf_counter()

    def evaluate(epoch: int) -> dict:
        t0 = time.perf_counter()
        predictions, correct = conv.predict(task.test)
        record = {"accuracy": float(correct.mean())}
        if task.vocab.level == "word":  # answers of several tokens: their error rate too
            record["error_rate"] = error_rate(predictions, [p[1] for p in task.test])
        if task.accepted:  # and against the nearest of the accepted answers
            right, record["any_error_rate"] = accepted_scores(predictions, task.test,
                                                              task.accepted)
            record["any_accuracy"] = right / len(task.test)
        return {**record, "eval_seconds": time.perf_counter() - t0,
                "wall_seconds": time.perf_counter() - started}

    def after_epoch(epoch: int, record: dict) -> str | None:
        rate = (f", token error rate {100 * record['error_rate']:.2f}%"
                if "error_rate" in record else "")
        if "any_accuracy" in record:
            rate += (f" (any accepted answer: {100 * record['any_accuracy']:.2f}% exact, "
                     f"{100 * record['any_error_rate']:.2f}% token error rate)")
        report(f"epoch {epoch}/{train_config.epochs}: loss {record['loss']:.4f}, "
               f"test exact match {100 * record['accuracy']:.2f}% of {len(task.test)}{rate}, "
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

