"""``python -m benchmarks [--quick] [--out DIR] [--only NAME,...]``: run, print, save JSON.

Prints a table with one row per measurement and its target (met/missed), and writes every
raw figure to ``DIR/results.json`` (default ``runs/bench/``, which git ignores) beside the
scaling charts. Run from the repository root, with the thread count you mean to measure set
in the environment before Python starts (e.g. ``OPENBLAS_NUM_THREADS=1``): NumPy reads it
once, at import.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from attnseq.core.option_types import positive_int_option
from benchmarks import report
from benchmarks.harness import NAMES, parse_only, run_benchmarks
from benchmarks.workload import Settings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="attnseq's benchmarks: training and decoding throughput, a PyTorch "
                    "peer, peak memory, scaling, and time to accuracy, against issue 5's "
                    "targets.")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes and few iterations (seconds; for smoke tests)")
    p.add_argument("--out", type=Path, default=Path("runs/bench"), metavar="DIR",
                   help="where results.json and the charts go (default: runs/bench)")
    p.add_argument("--only", metavar="NAME,...",
                   help=f"run only these, comma-separated: {', '.join(NAMES)}")
    p.add_argument("--seeds", type=positive_int_option,
                   help="time-to-accuracy runs per recipe (default 3; quick 1)")
    p.add_argument("--iters", type=positive_int_option,
                   help="timed training steps K, after the warm-up (default 20; quick 3)")
    p.add_argument("--full-epoch", action="store_true",
                   help="also time one real epoch with attnseq's Trainer")
    p.add_argument("--max-epochs", type=positive_int_option,
                   help="cap of a time-to-accuracy run, in epochs (default 10)")
    p.add_argument("--eval-every", type=positive_int_option,
                   help="training examples between test evaluations in time to accuracy "
                        "(default 3200)")
    p.add_argument("--single-limit", type=positive_int_option, metavar="N",
                   help="decode only N test pairs one at a time (default: all of them)")
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The Settings that the options ask for: quick or full, then any overrides."""
    changes = {}
    for option, field in (("seeds", "seeds"), ("iters", "iters"), ("max_epochs", "max_epochs"),
                          ("eval_every", "eval_every"), ("single_limit", "single_limit")):
        if getattr(args, option) is not None:
            changes[field] = getattr(args, option)
    if args.full_epoch:
        changes["full_epoch"] = True
    return Settings.quick_run(**changes) if args.quick else Settings.full(**changes)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        only = parse_only(args.only)
    except ValueError as exc:
        parser.error(str(exc))
    settings = settings_from_args(args)
    doc = run_benchmarks(settings, only=only, out_dir=args.out,
                         log=lambda line: print(line, file=sys.stderr, flush=True))
    path = report.write_json(args.out / "results.json", doc)
    env = doc["environment"]
    print(f"attnseq benchmarks{' (quick)' if settings.quick else ''}: {env['cpu']}, "
          f"NumPy {env['numpy']} with {env['numpy_threads']} BLAS thread(s)")
    print(report.format_table(doc["rows"]))
    for name, why in doc["skipped"].items():
        print(f"skipped {name}: {why}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
