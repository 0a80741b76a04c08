"""Issue 14's measurement: the NTM and its LSTM-only baseline on the copy task.

    python -m benchmarks.ntm train ntm|lstm [--out DIR] [--sequences N] [--seed S] [--lr R]
    python -m benchmarks.ntm report [--out DIR] [--lengths 10,20,...]
    python -m benchmarks.ntm speed [--repeats K]

``train`` trains one machine on lengths 1-20 (``attnseq.ntm.copytask``'s defaults: batches of 16,
Adam at 3e-3, clipping at 10) into DIR/NAME, saving the model after every history record
(1 000 sequences), so that a run stopped early still leaves its model and curve. It is what
``attnseq ntm train --out DIR/NAME [--controller-only]`` does, with the periodic save. Run
each machine as a process of its own: ``OMP_NUM_THREADS=1 nice -n 5 python -m benchmarks.ntm
train ntm &``.

``report`` evaluates every machine found in DIR (ntm and lstm first, then any other model
directory there, such as other seeds' runs copied in) at each length, on 256 fresh sequences
that are the same for every machine, and writes DIR/results.json, DIR/table.md (bit errors
per sequence; sequences and seconds to converge) and DIR/curve.png (the training curves).
Converged means a history record (1 000 training sequences) under 0.1 bit errors per sequence.

``speed`` times one forward and backward pass of a batch of 16 sequences at lengths 10 and 20
for both machines (after one warm-up, the best and the median of ``--repeats``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from attnseq.ntm import copytask
from attnseq.ntm.model import NTM, NTMConfig
from attnseq.training.checkpoint import is_model_dir

MACHINES = {"ntm": False, "lstm": True}  # name -> controller_only
LENGTHS = (10, 20, 30, 40, 60, 80)
CONVERGED = 0.1  # bit errors per training sequence, over one record (1 000 sequences)
CURVE_INCHES = (10.0, 4.0)


def converged_at(history: list[dict], threshold: float = 0.1,
                 for_good: bool = False) -> dict | None:
    """The first record whose mean bit errors per sequence are below ``threshold``; with
    ``for_good``, the first from which every later record stays below it."""
    if not for_good:
        return next((r for r in history if r["bit_errors"] < threshold), None)
    found = None
    for r in history:
        found = (found or r) if r["bit_errors"] < threshold else None
    return found


def curve_figure(histories: Mapping[str, Sequence[Mapping]]):
    """Cost and bit errors per training sequence against sequences seen, one line per
    machine: ``histories`` maps a name to ``attnseq.ntm.copytask.train``'s records."""
    from matplotlib.figure import Figure

    from attnseq.experiments.viz import DPI

    fig = Figure(figsize=CURVE_INCHES, dpi=DPI, layout="constrained")
    cost_ax, err_ax = fig.subplots(1, 2)
    for name, history in histories.items():
        seen = [r["sequences"] for r in history]
        cost_ax.plot(seen, [r["cost_bits"] for r in history], label=name)
        err_ax.plot(seen, [r["bit_errors"] for r in history], label=name)
    for ax, what in ((cost_ax, "cost (bits per sequence)"),
                     (err_ax, "bit errors per sequence")):
        ax.set_xlabel("training sequences (lengths 1-20)")
        ax.set_ylabel(what)
        ax.set_yscale("symlog", linthresh=0.1)
        ax.grid(True, alpha=0.3)
        ax.legend()
    return fig


def train(name: str, out: Path, sequences: int, seed: int, progress: bool,
          lr: float = copytask.CopyConfig.lr) -> None:
    model = NTM(NTMConfig(controller_only=MACHINES[name]), seed=seed)
    config = copytask.CopyConfig(sequences=sequences, seed=seed, lr=lr)
    target = out / name
    copytask.train(model, config, progress=progress,
                   on_record=lambda history: copytask.save(target, model, config, history))
    print(f"saved {name} to {target}")


def report(out: Path, lengths: tuple[int, ...]) -> str:
    results = {}
    found = sorted(p.name for p in out.iterdir() if is_model_dir(p))
    for name in [n for n in MACHINES if n in found] + [n for n in found if n not in MACHINES]:
        model, meta = copytask.load(out / name)
        history = meta["history"]
        done = converged_at(history, CONVERGED)
        good = converged_at(history, CONVERGED, for_good=True)
        results[name] = {
            "trained_sequences": history[-1]["sequences"],
            "trained_seconds": history[-1]["seconds"],
            "converged_sequences": done and done["sequences"],
            "converged_seconds": done and done["seconds"],
            "converged_for_good_sequences": good and good["sequences"],
            "converged_for_good_seconds": good and good["seconds"],
            "lengths": {n: copytask.evaluate(model, n) for n in lengths},
            "history": history,
        }
        print(f"evaluated {name}", file=sys.stderr)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    table = table_md(results, lengths)
    (out / "table.md").write_text(table, encoding="utf-8")
    from attnseq.experiments.viz import save_figure

    save_figure(curve_figure({n: r["history"] for n, r in results.items()}), out / "curve.png")
    return table


def _when(r: dict, key: str) -> str:
    if r[f"{key}_sequences"] is None:
        return "not within the run"
    return f"{r[f'{key}_sequences']}, {r[f'{key}_seconds']:.0f}"


def speed(repeats: int) -> str:
    import time

    import numpy

    from attnseq.ntm.bits import copy_batch

    rows = ["| machine | length | time steps | best ms | median ms |\n", "|---" * 5 + "|\n"]
    rng = numpy.random.default_rng(0)
    for name, controller_only in MACHINES.items():
        model = NTM(NTMConfig(controller_only=controller_only))
        for length in (10, 20):
            xs, ts = copy_batch(rng, 16, length)
            times = []
            for _ in range(repeats + 1):  # the first is a warm-up
                start = time.perf_counter()
                model.forward(xs, ts)
                model.backward()
                times.append(1000 * (time.perf_counter() - start))
            rows.append(f"| {name} | {length} | {2 * length + 1} | {min(times[1:]):.1f} | "
                        f"{numpy.median(times[1:]):.1f} |\n")
    return "".join(rows)


def table_md(results: dict, lengths: tuple[int, ...]) -> str:
    head = "| machine | " + " | ".join(f"L={n}" for n in lengths) + \
           " | trained on (sequences, s) | first < 0.1 (sequences, s) | < 0.1 from then on |\n"
    rows = [head, "|---" * (len(lengths) + 4) + "|\n"]
    for name, r in results.items():
        errs = " | ".join(f"{r['lengths'][n]['bit_errors']:.2f}" for n in lengths)
        rows.append(f"| {name} | {errs} | {r['trained_sequences']}, "
                    f"{r['trained_seconds']:.0f} | {_when(r, 'converged')} | "
                    f"{_when(r, 'converged_for_good')} |\n")
    return "".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ntm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train one machine on the copy task")
    p.add_argument("name", choices=list(MACHINES))
    p.add_argument("--out", type=Path, default=Path("runs/ntm-bench"))
    p.add_argument("--sequences", type=int, default=copytask.CopyConfig.sequences)
    p.add_argument("--seed", type=int, default=copytask.CopyConfig.seed)
    p.add_argument("--lr", type=float, default=copytask.CopyConfig.lr)
    p.add_argument("--no-progress", action="store_true")
    p = sub.add_parser("report", help="evaluate the trained machines; table and curve")
    p.add_argument("--out", type=Path, default=Path("runs/ntm-bench"))
    p.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    p = sub.add_parser("speed", help="time a training step's forward and backward")
    p.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    if args.command == "speed":
        print(speed(args.repeats))
    elif args.command == "train":
        train(args.name, args.out, args.sequences, args.seed, not args.no_progress, args.lr)
    else:
        print(report(args.out, tuple(int(n) for n in args.lengths.split(","))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
