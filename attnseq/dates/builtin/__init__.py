"""Models shipped inside the package, usable right after ``pip install`` with no training.

Each is a model directory ``attnseq/dates/builtin/<name>/`` (``config.json`` and
``weights.npz``, package data) whose weights are stored in float16, half the size of
float32, and upcast on load (``attnseq.training.checkpoint.load_weights``). Its config's
``"builtin"`` entry records how it was made and what it scored: the command that trained it,
and the exact match of the date normaliser (``attnseq.dates.normalise``) on the test split of
its training data, measured on the float16 weights by ``ship``, which writes the directory.

A model NAME, wherever one is asked for (``attnseq convert NAME``, ``normalise_series(...,
model=NAME)``), is a model directory if one exists at that path, else a built-in model of that
name (``resolve``): a directory of the same name in the working directory wins.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy

from attnseq.core.errors import AttnseqError
from attnseq.training import checkpoint

HERE = Path(__file__).resolve().parent
SHIPPED_DTYPE = numpy.float16


class BuiltinModel(NamedTuple):
    """A built-in model: its ``name``, ``path``, ``size`` on disk in bytes, and ``info``, its
    config's "builtin" entry (accuracy, what it was measured on, the training command)."""

    name: str
    path: Path
    size: int
    info: dict


def builtin_models(where: Path = HERE) -> tuple[BuiltinModel, ...]:
    """The built-in models, by name."""
    found = []
    for path in sorted(where.iterdir()):
        if checkpoint.is_model_dir(path):
            info = checkpoint.load_meta(path).get("builtin", {})
            size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
            found.append(BuiltinModel(path.name, path, size, info if isinstance(info, dict)
                                      else {}))
    return tuple(found)


def resolve(name, where: Path = HERE) -> Path:
    """The model directory that ``name`` names: the path itself when it exists (or is a link,
    even a broken one or a loop, which the loader then refuses in its own words), else the
    built-in model of that name; else the one-line error."""
    path = Path(name)
    if os.path.lexists(path):
        return path
    shipped = where / str(name)
    if os.sep not in str(name) and checkpoint.is_model_dir(shipped):
        return shipped
    if os.sep in str(name):  # a path, not a name: the directory is missing
        raise AttnseqError(f"no model directory at {path}")
    names = ", ".join(m.name for m in builtin_models(where)) or "none"
    raise AttnseqError(f"no model directory {name!r} and no built-in model of that name "
                       f"(built in: {names})")


def load(name):
    """The ``Converter`` of the model that ``name`` names (``resolve``)."""
    from attnseq.experiments.converter import Converter

    return Converter.load(resolve(name))


@cache
def loaded(name):
    """``load(name)``, once per process: what each worker of a pool (Dask's, a
    multiprocessing pool's) calls, so that it loads the model once and keeps it."""
    return load(name)


def ship(model_dir, name: str, *, command: str, where: Path = HERE, beam: int = 5):
    """Write the model at ``model_dir`` as the built-in model ``name`` under ``where``: its
    weights in float16, its config with a "builtin" entry: ``command`` (how it was trained),
    and the date normaliser's exact match (``beam``) on the test split of its training data,
    measured on the written (float16) model. Returns its ``BuiltinModel``."""
    from attnseq.dates.normalise import DateNormaliser
    from attnseq.experiments.converter import Converter
    from attnseq.experiments.run import Task

    if os.sep in name or not name or name.startswith("."):
        raise AttnseqError(f"a built-in model's name must be a plain name, got {name!r}")
    conv = Converter.load(model_dir)
    target = where / name
    halves = [numpy.asarray(p).astype(SHIPPED_DTYPE) for p in conv.model.params]
    doc = {**conv.meta, "model": conv.config.to_dict(), "vocab": conv.vocab.to_dict()}
    checkpoint.save(target, halves, doc)
    task = Task.from_source(conv.meta.get("data", {}))
    answers = DateNormaliser.normalise_each(  # a pair of the wild task carries its hint
        Converter.load(target), [pair[0] for pair in task.test],
        [getattr(pair, "hint", None) for pair in task.test], beam=beam)
    right = sum(a == pair[1] for a, pair in zip(answers, task.test, strict=True))
    doc["builtin"] = {
        "accuracy": right / len(task.test),
        "measured_on": f"the test split of its training data: {len(task.test)} pairs of "
                       f"{json.dumps(task.source, sort_keys=True)}",
        "decoding": f"the date normaliser, beam {beam}",
        "abstained": sum(a is None for a in answers),
        "weights": numpy.dtype(SHIPPED_DTYPE).name,
        "command": command,
    }
    checkpoint.save(target, halves, doc)
    return next(m for m in builtin_models(where) if m.name == name)
