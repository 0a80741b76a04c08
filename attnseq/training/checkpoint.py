"""Saving and loading a model directory: weights as .npz, everything else as JSON. No pickle.

A model directory holds

    config.json   {"format": "attnseq-model", "format_version": 2, "model": a tagged model config,
                   "vocab": Vocab, "train": {...}, "data": {...}, "history": [...]}
    weights.npz   the parameters, named param_000, param_001, … in the model's params order

Format 2 holds the LSTMs' gates in the book's order, f, g, i, o; format 1 held them as f, i, o,
g, and ``load_weights`` moves them when it reads a format-1 directory. Weights are loaded with
``allow_pickle=False``, so a model directory from a stranger cannot run
code. A save writes a complete new directory beside the target and only then swaps it in, so an
interrupted save leaves the previous model intact.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import zipfile
from pathlib import Path

import numpy

from attnseq.core.backend import to_device, to_numpy
from attnseq.core.errors import AttnseqError
from attnseq.layers.base import walk
from attnseq.layers.recurrent import LSTM, TimeLSTM
from attnseq.models.init import book_gate_order

FORMAT = "attnseq-model"
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)  # format 1: the LSTMs' gates as f, i, o, g (moved on load)
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.npz"


def is_model_dir(path) -> bool:
    """True when ``path`` is a directory holding an attnseq config."""
    return (Path(path) / CONFIG_FILE).is_file()


def check_writable(path) -> None:
    """Refuse to save over something that is not an attnseq model directory (or empty)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise AttnseqError(f"{p} exists and is not a directory")
    for parent in p.parents:  # the nearest existing ancestor must be a directory to mkdir in
        if parent.exists():
            if not parent.is_dir():
                raise AttnseqError(f"{parent} exists and is not a directory")
            break
    if p.is_dir() and any(p.iterdir()) and not is_model_dir(p):
        raise AttnseqError(f"{p} is not empty and holds no attnseq model; refusing to overwrite")


def _sibling(target: Path, what: str) -> Path:
    """A fresh hidden name beside ``target`` (same file system, so renames are atomic)."""
    return target.parent / f".{target.name}.{what}-{os.getpid()}-{secrets.token_hex(4)}"


def save(path, params, meta: dict) -> None:
    """Write ``params`` (arrays) and ``meta`` (JSON-serialisable) as a model directory."""
    target = Path(path)
    check_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, "saving")
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
        old = None
        if target.exists():
            old = _sibling(target, "old")
            os.rename(target, old)
        try:
            os.rename(tmp, target)
        except BaseException:
            if old is not None:  # put the previous model back where it was
                os.rename(old, target)
            raise
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_meta(path) -> dict:
    """Read and check ``config.json`` of the model directory ``path``."""
    p = Path(path)
    if not p.exists():
        raise AttnseqError(f"no model directory at {p}")
    if not p.is_dir():
        raise AttnseqError(f"{p} is not a model directory")
    if not is_model_dir(p):
        raise AttnseqError(f"{p} is not an attnseq model directory (no {CONFIG_FILE})")
    try:
        doc = json.loads((p / CONFIG_FILE).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AttnseqError(f"{p / CONFIG_FILE} is corrupt: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AttnseqError(f"{p / CONFIG_FILE} is not an attnseq model config")
    if doc.get("format_version") not in READ_VERSIONS:
        raise AttnseqError(f"{p / CONFIG_FILE} has format version {doc.get('format_version')!r};"
                           f" this attnseq reads versions "
                           f"{', '.join(map(str, READ_VERSIONS))}")
    return doc


def load_weights(path, params, *, version: int = FORMAT_VERSION, gates=()) -> None:
    """Copy the saved weights into ``params`` in place, checking count, shapes and dtypes.

    ``version`` is the directory's format version (``load_meta``'s "format_version"); for
    version 1, the arrays in ``gates`` (among ``params``: every LSTM's Wx, Wh and b,
    ``gate_weights``) get their gate blocks moved into the book's
    order."""
    file = Path(path) / WEIGHTS_FILE
    if not file.is_file():
        raise AttnseqError(f"{file} is missing")
    try:
        with numpy.load(file, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise AttnseqError(f"{file} is corrupt: {exc}") from None
    expected = [f"param_{k:03d}" for k in range(len(params))]
    if sorted(arrays) != expected:
        raise AttnseqError(f"{file} holds {len(arrays)} arrays; the model config needs "
                           f"{len(params)}")
    for name, p in zip(expected, params, strict=True):
        a = arrays[name]
        if a.shape != p.shape or a.dtype != p.dtype:
            raise AttnseqError(f"{file}: {name} is {a.dtype}{list(a.shape)}; the model config "
                               f"needs {p.dtype}{list(p.shape)}")
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
