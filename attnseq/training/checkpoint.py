"""Saving and loading a model directory: weights as .npz, everything else as JSON. No pickle.

A model directory holds

    config.json   {"format": "attnseq-model", "format_version": 2, "model": a tagged model config,
                   "vocab": Vocab, "train": {...}, "data": {...}, "history": [...]}
    weights.npz   the parameters, named param_000, param_001, … in the model's params order

Format 2 holds the LSTMs' gates in the book's order, f, g, i, o; format 1 held them as f, i, o,
g, and ``load_weights`` moves them when it reads a format-1 directory. Weights are loaded with
``allow_pickle=False``'s rule, by a reader that checks every member's header before it
allocates (``npz_guard``), so a model directory from a stranger can neither run code nor claim
more memory than ``npz_guard.MAX_WEIGHT_BYTES``; weights that are not finite are refused.
``config.json`` is read only below ``MAX_CONFIG_BYTES`` and ``MAX_JSON_DEPTH`` levels of nesting.
A save writes a complete new directory beside the target and only then puts it in place
(``atomic``), so a save that fails or is killed leaves a model at the target: the previous one
or the new one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy

from attnseq.core.backend import to_device, to_numpy
from attnseq.core.errors import AttnseqError
from attnseq.core.jsontext import json_depth
from attnseq.layers.base import walk
from attnseq.layers.recurrent import LSTM, TimeLSTM
from attnseq.models.init import book_gate_order
from attnseq.training import atomic, npz_guard

FORMAT = "attnseq-model"
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)  # format 1: the LSTMs' gates as f, i, o, g (moved on load)
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.npz"
# A word vocabulary of 100 000 tokens takes about 2 MB of JSON; a config past these is no
# config attnseq wrote, and parsing it could exhaust memory or Python's recursion.
MAX_CONFIG_BYTES = 64 << 20
MAX_JSON_DEPTH = 32
# JSON strings (skipped whole, whatever brackets they hold) and brackets: depth before parsing.
# What the sections beside "model" and "vocab" (which their own readers check) must be.
SECTION_TYPES = (("data", dict, "an object"), ("train", dict, "an object"),
                 ("history", list, "an array"))


def is_model_dir(path) -> bool:
    """True when ``path`` is a directory holding an attnseq config."""
    return (Path(path) / CONFIG_FILE).is_file()


def check_writable(path) -> None:
    """Refuse to save over something that is not an attnseq model directory (or empty)."""
    p = Path(path)
    atomic.resolved(p)  # a loop of symbolic links is refused here
    if p.exists() and not p.is_dir():
        raise AttnseqError(f"{p} exists and is not a directory")
    for parent in p.parents:  # the nearest existing ancestor must be a directory to mkdir in
        if parent.exists():
            if not parent.is_dir():
                raise AttnseqError(f"{parent} exists and is not a directory")
            break
    if p.is_dir() and any(p.iterdir()) and not is_model_dir(p):
        raise AttnseqError(f"{p} is not empty and holds no attnseq model; refusing to overwrite")


def save(path, params, meta: dict) -> None:
    """Write ``params`` (arrays) and ``meta`` (JSON-serialisable) as a model directory.

    The directory is written complete under a hidden name beside its target, then put in
    place in one step where the system can (``attnseq.training.atomic``); a ``path`` that is
    a symbolic link is followed."""
    check_writable(path)
    target = atomic.resolved(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.recover(target)
    tmp = atomic.sibling(target, atomic.SAVING)
    os.mkdir(tmp)  # unlike mkdtemp, honours the umask: the result is a normal directory
    try:
        arrays = {f"param_{k:03d}": to_numpy(p) for k, p in enumerate(params)}
        with open(tmp / WEIGHTS_FILE, "wb") as f:
            numpy.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        # the file's format is the writer's, whatever ``meta`` read from an older file says
        doc = {**meta, "format": FORMAT, "format_version": FORMAT_VERSION}
        with open(tmp / CONFIG_FILE, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        atomic.put_in_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_meta(path) -> dict:
    """Read and check ``config.json`` of the model directory ``path``, first putting back a
    model that a killed save left under a hidden name (``atomic.recover``)."""
    p = Path(path)
    atomic.recover(p)
    if not p.exists():
        raise AttnseqError(f"no model directory at {p}")
    if not p.is_dir():
        raise AttnseqError(f"{p} is not a model directory")
    if not is_model_dir(p):
        raise AttnseqError(f"{p} is not an attnseq model directory (no {CONFIG_FILE})")
    doc = _read_json(p / CONFIG_FILE)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AttnseqError(f"{p / CONFIG_FILE} is not an attnseq model config")
    if doc.get("format_version") not in READ_VERSIONS:
        raise AttnseqError(f"{p / CONFIG_FILE} has format version {doc.get('format_version')!r};"
                           f" this attnseq reads versions "
                           f"{', '.join(map(str, READ_VERSIONS))}")
    for key, type_, what in SECTION_TYPES:
        if key in doc and not isinstance(doc[key], type_):
            raise AttnseqError(f"{p / CONFIG_FILE}: {key!r} must be {what}, got "
                               f"{type(doc[key]).__name__}")
    if not all(isinstance(record, dict) for record in doc.get("history", ())):
        raise AttnseqError(f"{p / CONFIG_FILE}: 'history' must hold objects")
    return doc


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _read_json(file: Path):
    """The JSON document in ``file``, refused in one line past ``MAX_CONFIG_BYTES`` or
    ``MAX_JSON_DEPTH``, or when it holds NaN or Infinity (which JSON has not)."""
    try:
        with open(file, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise AttnseqError(f"cannot read {file}: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise AttnseqError(f"{file} is over the limit of {MAX_CONFIG_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        if json_depth(text, stop=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise AttnseqError(f"{file} nests deeper than {MAX_JSON_DEPTH} levels")
        return json.loads(text, parse_constant=_refuse_constant)
    except AttnseqError:
        raise
    except ValueError as exc:  # not UTF-8, not JSON, a number past Python's digit limit
        raise AttnseqError(f"{file} is corrupt: {exc}") from None


def load_weights(path, params, *, version: int = FORMAT_VERSION, gates=()) -> None:
    """Copy the saved weights into ``params`` in place, checking count, shapes and dtypes
    (float16 arrays load into float parameters of any width).

    ``version`` is the directory's format version (``load_meta``'s "format_version"); for
    version 1, the arrays in ``gates`` (among ``params``: every LSTM's Wx, Wh and b,
    ``gate_weights``) get their gate blocks moved into the book's
    order."""
    file = Path(path) / WEIGHTS_FILE
    if not file.is_file():
        raise AttnseqError(f"{file} is missing")
    expected = [f"param_{k:03d}" for k in range(len(params))]
    arrays = npz_guard.read_arrays(file, expected)
    for name, p in zip(expected, params, strict=True):
        a = arrays[name]
        # float16 storage (the built-in models' weights, halved in size) is upcast on load
        upcast = a.dtype == numpy.float16 and p.dtype.kind == "f"
        if a.shape != p.shape or (a.dtype != p.dtype and not upcast):
            raise AttnseqError(f"{file}: {name} is {a.dtype}{list(a.shape)}; the model config "
                               f"needs {p.dtype}{list(p.shape)}")
        if not numpy.isfinite(a).all():
            raise AttnseqError(f"{file}: {name} holds NaN or infinite values; refusing "
                               "weights that cannot convert anything")
        p[...] = to_device(a)
    if version == 1:
        for p in gates:
            p[...] = book_gate_order(p)


def gate_weights(root) -> list:
    """The (Wx, Wh, b) of every LSTM under ``root`` (a model or a layer), each array once:
    the arrays whose last axis holds the four gates."""
    found: dict[int, object] = {}
    for layer in walk(root):
        if isinstance(layer, (LSTM, TimeLSTM)):
            found.update((id(p), p) for p in layer.params[:3])
    return list(found.values())
