"""The NTM's copy task as an experiment: train, measure bits of error, save and load.

Training draws a fresh batch for every step (the task has no fixed data set): a length L
uniform on [min_length, max_length], then ``batch_size`` random sequences of that length
(``attnseq.ntm.bits``). Each step is ``attnseq.training.trainer.Trainer.step`` (forward, backward,
gradient-norm clipping, update). Two numbers are reported per sequence, as in the paper:

* the *cost*, the binary cross-entropy of the output phase in bits (nats / ln 2), summed over
  the L × 8 output bits: 8L bits for a network that outputs 0.5 everywhere, 0 for a sure one;
* the *bit errors*: how many of the 8L output bits are wrong once each is rounded at 0.5.

``history`` holds one record every ``log_every`` sequences: the means of both over those
sequences, the sequences seen and the wall time. A model directory is
``attnseq.training.checkpoint``'s (weights.npz + config.json, never pickle) with
``"kind": "ntm"``, the ``NTMConfig``, the ``CopyConfig`` and the history.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy
from tqdm import tqdm

from attnseq.core.backend import to_numpy
from attnseq.core.errors import (
    AttnseqError,
    non_negative_int,
    optional,
    positive_int,
    positive_number,
)
from attnseq.ntm.bits import BITS, MAX_LENGTH, MIN_LENGTH, copy_batch, draw_length
from attnseq.ntm.model import NTM, NTMConfig
from attnseq.training import checkpoint
from attnseq.training.optim import OPTIMIZERS, build_optimizer
from attnseq.training.trainer import Trainer

KIND = "ntm"
EVAL_SEED = 2014  # the evaluation's data, apart from every training seed


@dataclass(frozen=True)
class CopyConfig:
    """How to train on the copy task (Adam at 3e-3 on batches of 16 by default; 1e-3 learnt
    more slowly, docs/ntm.md)."""

    sequences: int = 200_000  # the training budget, in sequences
    batch_size: int = 16
    lr: float = 3e-3
    optimizer: str = OPTIMIZERS.default
    max_grad_norm: float | None = 10.0
    min_length: int = MIN_LENGTH
    max_length: int = MAX_LENGTH
    seed: int = 2  # of seeds 0-3, the one that generalised best (docs/ntm.md)
    log_every: int = 1000  # sequences per history record
    stop_below: float | None = None  # stop once a record's bit errors are below this

    def __post_init__(self):
        for name, check in (("sequences", positive_int), ("batch_size", positive_int),
                            ("lr", positive_number), ("min_length", positive_int),
                            ("max_length", positive_int), ("seed", non_negative_int),
                            ("log_every", positive_int),
                            ("max_grad_norm", optional(positive_number)),
                            ("stop_below", optional(positive_number))):
            object.__setattr__(self, name, check(name, getattr(self, name)))
        OPTIMIZERS.check(self.optimizer)
        draw_length(numpy.random.default_rng(0), self.min_length, self.max_length)  # low ≤ high


def bit_errors(probabilities, ts) -> numpy.ndarray:
    """Wrong bits per sequence (B,): outputs (B, L, O) rounded at 0.5 against targets."""
    p, t = to_numpy(probabilities), to_numpy(ts)
    return ((p > 0.5) != (t > 0.5)).sum(axis=(1, 2))


def train(model: NTM, config: CopyConfig, progress: bool = True,
          on_record: Callable[[list[dict]], None] | None = None) -> list[dict]:
    """Train ``model`` in place on the copy task; return the history (see the module
    docstring). The progress bar counts sequences and shows the last record's cost;
    ``on_record(history)`` is called after each record (to save the model as it goes)."""
    rng = numpy.random.default_rng(config.seed)
    trainer = Trainer(model, build_optimizer(config.optimizer, config.lr),
                      max_grad_norm=config.max_grad_norm)
    history, cost, errors, count = [], 0.0, 0.0, 0
    seen, start = 0, time.perf_counter()
    with tqdm(total=config.sequences, unit="seq", file=sys.stderr, disable=not progress,
              desc="copy") as bar:
        while seen < config.sequences:
            length = draw_length(rng, config.min_length, config.max_length)
            xs, ts = copy_batch(rng, config.batch_size, length, BITS, model.dtype)
            loss, _ = trainer.step(xs, ts)
            z = model.logits[:, -length:]  # the step's output logits, before the update
            cost += loss / math.log(2) * len(xs)
            errors += float(bit_errors(z > 0, ts).sum())
            count += len(xs)
            seen += len(xs)
            bar.update(len(xs))
            if count >= config.log_every or seen >= config.sequences:
                history.append({"sequences": seen, "cost_bits": cost / count,
                                "bit_errors": errors / count,
                                "seconds": time.perf_counter() - start})
                bar.set_postfix(cost=f"{cost / count:.2f} bits/seq",
                                errors=f"{errors / count:.2f}")
                cost, errors, count = 0.0, 0.0, 0
                if on_record is not None:
                    on_record(history)
                if config.stop_below is not None and history[-1]["bit_errors"] < \
                        config.stop_below:
                    break
    return history


def evaluate(model: NTM, length: int, sequences: int = 256, batch_size: int = 32,
             seed: int = EVAL_SEED) -> dict:
    """Mean bit errors and cost (bits) per sequence on ``sequences`` fresh sequences of
    ``length`` (drawn from ``seed``)."""
    length, sequences = positive_int("length", length), positive_int("sequences", sequences)
    rng = numpy.random.default_rng(seed)
    errors = cost = 0.0
    for lo in range(0, sequences, batch_size):
        xs, ts = copy_batch(rng, min(batch_size, sequences - lo), length, BITS, model.dtype)
        cost += model.forward(xs, ts) * len(xs) / math.log(2)
        errors += float(bit_errors(model.logits[:, -length:] > 0, ts).sum())
    return {"length": length, "bit_errors": errors / sequences, "cost_bits": cost / sequences}


def save(path, model: NTM, config: CopyConfig, history: list[dict]) -> None:
    checkpoint.save(path, model.params, {"kind": KIND, "ntm": model.config.to_dict(),
                                         "train": asdict(config), "history": history})


def load(path) -> tuple[NTM, dict]:
    """The NTM saved at ``path`` (float32) and its config.json as a dict."""
    meta = checkpoint.load_meta(path)
    if meta.get("kind") != KIND:
        raise AttnseqError(f"{path} holds no NTM (it is an attnseq seq2seq model directory)")
    try:
        config = NTMConfig(**meta["ntm"])
    except (KeyError, TypeError) as exc:
        raise AttnseqError(f"{path}: bad NTM config: {exc}") from None
    except AttnseqError as exc:  # a size beyond its limit (attnseq.core.limits)
        raise AttnseqError(f"{path}: {exc}") from None
    model = NTM(config)
    # the controller's Wx, Wh, b lead the params whether or not it is a layer of its own
    checkpoint.load_weights(path, model.params, version=meta["format_version"],
                            gates=model.params[:3])
    return model, meta
