"""The chapter's comparison: several models trained on the same data, split and seed.

``compare`` trains each model with ``experiment.run`` -- same task, same training settings,
same seed for the initial weights and the shuffling -- and writes into one directory:

    accuracy.png   test exact-match accuracy per epoch and against time (Figure 8-26)
    curves.json    every model's per-epoch records exactly as the run measured them
    curves.csv     the same records as one table (model, epoch, accuracy, loss, seconds, ...)
    table.md       a summary: accuracy per epoch, mean seconds per epoch, epochs to 99%
    <model>/       each trained model, a model directory that ``attnseq eval`` etc. read

The results files are rewritten after every model, so an interrupted comparison keeps the
models it finished. ``load_curves`` reads ``curves.json`` back, e.g. to redraw the figure.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import asdict
from pathlib import Path

from attnseq.core.errors import AttnseqError
from attnseq.experiments.run import Task, run
from attnseq.models import MODELS
from attnseq.models.config_entry import model_config
from attnseq.training.checkpoint import check_writable
from attnseq.training.trainer import History, TrainConfig

DEFAULT_MODELS = ("baseline", "peeky", "attention")  # the book's Figure 8-26
DEFAULT_RECIPE = "book"  # a comparison trains as the book does unless told otherwise
TARGET = 0.99  # the accuracy "epochs to" counts up to
FORMAT = "attnseq-compare"
FORMAT_VERSION = 1
CURVES_JSON, CURVES_CSV, TABLE, FIGURE = "curves.json", "curves.csv", "table.md", "accuracy.png"
CSV_FIELDS = ("model", "epoch", "accuracy", "loss", "seconds", "eval_seconds", "wall_seconds",
              "grad_norm", "examples_seen", "lr")
NEVER = "\u2014"  # '—' in the table: the model never reached the target


def parse_model_names(names: str | Sequence[str]) -> tuple[str, ...]:
    """'baseline,peeky' (or a list of names) -> ('baseline', 'peeky'), checked: known models,
    each once, at least one.
    """
    if isinstance(names, str):
        names = names.split(",")
    names = tuple(n.strip() for n in names if n.strip())
    if not names:
        raise AttnseqError(f"no models given; choose from {MODELS.names()}")
    for n in names:
        MODELS.check(n)
    if len(set(names)) != len(names):
        twice = next(n for k, n in enumerate(names) if n in names[:k])
        raise AttnseqError(f"model {twice!r} is listed twice")
    return names


def is_compare_dir(path) -> bool:
    """True when ``path`` holds the ``curves.json`` of an earlier comparison."""
    try:
        doc = json.loads((Path(path) / CURVES_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def check_compare_dir(out, names: Sequence[str]) -> None:
    """Refuse, before any training, to write over anything that is not an earlier comparison
    (or an empty or missing directory), or over a non-model directory in a model's place.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise AttnseqError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not is_compare_dir(out):
        raise AttnseqError(f"{out} is not empty and holds no attnseq comparison; "
                           "refusing to overwrite")
    for name in names:
        check_writable(out / name)


def compare(task: Task, model_names: Sequence[str], options: Mapping, train_config: TrainConfig,
            out, *, progress: bool = True,
            report: Callable[[str], None] = print) -> dict[str, History]:
    """Train each of ``model_names`` on ``task`` and write the comparison into ``out``.

    Every model gets the same model ``options`` (config field -> value, e.g.
    {"hidden_size": 128}; what they leave out is each model's own default, and each takes
    its family's: ``attnseq.models.config_entry.model_config``), and the same
    ``train_config`` (so the same seed). Every config is built, and so checked, before any
    training. ``report`` receives a header per model and the per-epoch lines of ``run``.
    Returns {model name: History}, in the order trained.
    """
    names = parse_model_names(model_names)
    model_configs = {name: model_config(name, options) for name in names}
    out = Path(out)
    check_compare_dir(out, names)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AttnseqError(f"cannot create {out}: {exc.strerror or exc}") from None
    histories: dict[str, History] = {}
    configs: dict[str, dict] = {}
    for k, name in enumerate(names, 1):
        report(f"[{k}/{len(names)}] {name}")
        conv, history = run(task, model_configs[name], train_config,
                            out=out / name, progress=progress, report=report)
        histories[name] = history
        configs[name] = conv.config.to_dict()
        write_results(out, histories, configs=configs, data=task.source,
                      train=asdict(train_config))
    return histories


def write_results(out, histories: Mapping[str, History], *, configs: Mapping[str, dict],
                  data: dict, train: dict) -> None:
    """Write curves.json, curves.csv, table.md and accuracy.png for ``histories``."""
    from attnseq.experiments.viz import (  # matplotlib: only when drawing
        accuracy_figure,
        save_figure,
    )

    out = Path(out)
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "data": data, "train": train,
           "models": {name: {"config": configs.get(name), **h.to_dict()}
                      for name, h in histories.items()}}
    _write_text(out / CURVES_JSON, json.dumps(doc, indent=2) + "\n")
    _write_text(out / CURVES_CSV, curves_csv(histories))
    _write_text(out / TABLE, results_table(histories) + "\n")
    save_figure(accuracy_figure(histories), out / FIGURE)


def load_curves(path) -> dict[str, History]:
    """The histories in a comparison's ``curves.json`` (``path``: the file or its directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / CURVES_JSON
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AttnseqError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise AttnseqError(f"{path} is corrupt: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise AttnseqError(f"{path} is not an attnseq comparison")
    models = doc.get("models")
    if not isinstance(models, dict) or not all(
            isinstance(d, dict) and isinstance(d.get("records"), list) for d in models.values()):
        raise AttnseqError(f"{path} is corrupt: no per-model records")
    return {name: History.from_dict(d) for name, d in models.items()}


def curves_csv(histories: Mapping[str, Sequence[Mapping]]) -> str:
    """One row per model and epoch. Numbers are written in full (Python's shortest
    round-trip form), so the file holds exactly what was measured.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for name, records in histories.items():
        for r in records:
            writer.writerow({"model": name, **r})
    return buffer.getvalue()


def epochs_to(records: Sequence[Mapping], target: float = TARGET) -> int | None:
    """The first epoch whose accuracy reached ``target``, or None if none did."""
    return next((int(r["epoch"]) for r in records if r["accuracy"] >= target), None)


def results_table(histories: Mapping[str, Sequence[Mapping]], target: float = TARGET) -> str:
    """A Markdown table, padded so that it also reads as plain text: per model, the test
    accuracy after each epoch (%), the mean training seconds per epoch (evaluation excluded)
    and the first epoch that reached ``target``; and, when the records have one (answers of
    several tokens, e.g. g2p), the last epoch's token error rate.
    """
    n_epochs = max((len(records) for records in histories.values()), default=0)
    rates = any("error_rate" in r for records in histories.values() for r in records)
    header = ["model", *(f"epoch {e}" for e in range(1, n_epochs + 1)), "s/epoch",
              f"epochs to {100 * target:g}%", *(["token error rate %"] if rates else [])]
    rows = []
    for name, records in histories.items():
        records = list(records)
        acc = [f"{100 * r['accuracy']:.2f}" for r in records]
        acc += [NEVER] * (n_epochs - len(records))  # a run that stopped early
        seconds = sum(r["seconds"] for r in records) / len(records) if records else None
        reached = epochs_to(records, target)
        rate = ([f"{100 * records[-1]['error_rate']:.2f}" if records and "error_rate" in
                 records[-1] else NEVER] if rates else [])
        rows.append([name, *acc, _seconds(seconds), NEVER if reached is None else str(reached),
                     *rate])
    return (_markdown(header, rows) + "\n\nTest exact-match accuracy (%) after each epoch; "
            "s/epoch: mean training seconds per epoch (evaluation excluded)"
            + ("; token error rate: edit distance / reference length after the last epoch."
               if rates else "."))


def _seconds(value: float | None) -> str:
    if value is None:
        return NEVER
    return f"{value:.1f}" if value >= 1 else f"{value:.3f}"  # tiny runs still show a number


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell; the first left-aligned, the rest right-aligned."""
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]

    def line(cells):
        padded = [cell.ljust(w) if c == 0 else cell.rjust(w)
                  for c, (cell, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * widths[0], *("-" * (w - 1) + ":" for w in widths[1:])]
    return "\n".join([line(header), "|" + "|".join(f" {r} " for r in rule) + "|",
                      *(line(r) for r in rows)])


def _write_text(path: Path, text: str) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with suppress(OSError):  # best effort: the original error is the one to report
            tmp.unlink()
        raise AttnseqError(f"cannot write {path}: {exc.strerror or exc}") from None

