"""Issues 4 and 13's measurement: every attention variant, and GNMT, on the book's date task.

``python -m benchmarks.variants [--only NAME,...] [--epochs N] [--out DIR]``

Each variant is the book's experiment (50 000 generated dates split 90/10, D=16, H=256, batch
128, Adam lr 1e-3, clipping at 5.0, reversed input, seed 0: the book's recipe, with attnseq's
``"scaled"`` initialisation, ``attnseq train --recipe book --init scaled``) with one option
changed. It trains until the test exact match first reaches 99.9% or ``--epochs`` run out, and
the table gives the accuracy after every epoch, the epochs to 99.9%, the median training
seconds per epoch and the parameter count. Results land in DIR/<variant>.json (one file per
variant, so variants can run in separate processes, one per core) and DIR/table.md is rebuilt
from whatever is there.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from attnseq.experiments.compare import epochs_to
from attnseq.experiments.run import Task, run
from attnseq.models.config import Seq2seqConfig
from attnseq.training.recipes import BOOK_TRAIN

TARGET = 0.999
# name -> (the CLI flags that select it, the Seq2seqConfig fields they set)
VARIANTS = MappingProxyType({
    "dot (book)": ("", {}),
    "scaled dot": ("--score scaled", {"score": "scaled"}),
    "general": ("--score general", {"score": "general"}),
    "additive": ("--score additive", {"score": "additive"}),
    "bi concat": ("--encoder bi", {"encoder": "bi"}),
    "bi sum": ("--encoder bi --bi-merge sum", {"encoder": "bi", "bi_merge": "sum"}),
    "input feeding": ("--input-feeding", {"input_feeding": True}),
    "2 layers residual": ("--layers 2 --residual", {"num_layers": 2, "residual": True}),
    "2 layers residual dropout 0.2": ("--layers 2 --residual --dropout 0.2",
                                      {"num_layers": 2, "residual": True, "dropout": 0.2}),
    "4 layers residual": ("--layers 4 --residual", {"num_layers": 4, "residual": True}),
    "4 layers residual dropout 0.2": ("--layers 4 --residual --dropout 0.2",
                                      {"num_layers": 4, "residual": True, "dropout": 0.2}),
    # GNMT (issue 13), its own model; the H=128 rows are what a shared 2-core machine allows
    "gnmt": ("--model gnmt", {"model": "gnmt"}),
    "dot H=128": ("--hidden-size 128", {"hidden_size": 128}),
    "gnmt H=128": ("--model gnmt --hidden-size 128", {"model": "gnmt", "hidden_size": 128}),
})


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-")


def measure(name: str, epochs: int, task: Task) -> dict:
    flags, options = VARIANTS[name]
    conv, history = run(task, Seq2seqConfig(init="scaled", **options),
                        replace(BOOK_TRAIN, epochs=epochs),
                        progress=False, stop_at=TARGET, samples=0,
                        report=lambda line: print(f"[{name}] {line}", flush=True))
    return {"variant": name, "flags": flags, "options": options,
            "parameters": int(sum(p.size for p in conv.model.params)),
            "history": history.records}


def table(results: list[dict]) -> str:
    rows = ["| variant | flags | parameters | test accuracy per epoch | epochs to 99.9% "
            "| s/epoch |", "|---|---|---:|---|---:|---:|"]
    for r in results:
        accs = " ".join(f"{100 * e['accuracy']:.2f}" for e in r["history"])
        reached = epochs_to(r["history"], TARGET)
        secs = statistics.median(e["seconds"] for e in r["history"])
        rows.append(f"| {r['variant']} | `{r['flags'] or '(default)'}` | {r['parameters']:,} "
                    f"| {accs} | {reached if reached else 'not within ' + str(len(r['history']))}"
                    f" | {secs:.1f} |")
    return "\n".join(rows) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.variants", description=__doc__)
    p.add_argument("--only", metavar="NAME,...", help=f"comma-separated: {', '.join(VARIANTS)}")
    p.add_argument("--epochs", type=int, default=6, help="at most this many (default: 6)")
    p.add_argument("--out", type=Path, default=Path("runs/variants"), metavar="DIR")
    args = p.parse_args(argv)
    names = list(VARIANTS) if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        p.error(f"unknown variants: {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    task = Task.dates()
    for name in names:
        result = measure(name, args.epochs, task)
        (args.out / f"{_slug(name)}.json").write_text(json.dumps(result, indent=1))
    found = {json.loads(f.read_text())["variant"]: json.loads(f.read_text())
             for f in args.out.glob("*.json")}
    results = [found[n] for n in VARIANTS if n in found]
    (args.out / "table.md").write_text(table(results))
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
