"""Probe a training recipe: examples and seconds until test exact match first reaches 99.9%.

``python -m benchmarks.recipes [--recipe default|book] [--lr X] [--final-lr X | --constant-lr]
[--decay-epochs X] [--batch-size N] [--init SCHEME] [--seeds 0,1,2] [--max-epochs N]
[--out FILE]``

Starts from one of attnseq's recipes (``attnseq.training.recipes``), changes the settings given, and
trains one fresh attention model per seed on the book's date task with the harness's
time-to-accuracy loop (``benchmarks.time_to_accuracy.run_to_accuracy``: evaluation on the
whole test set every ``--eval-every`` examples and at each epoch's end, evaluation time
excluded). Prints one line per seed and the medians; ``--out`` writes every figure as JSON.
This is how the default recipe was chosen (docs/performance.md). Set the thread count in the
environment before Python starts (e.g. ``OPENBLAS_NUM_THREADS=1``), as for the harness.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

from attnseq.core.errors import AttnseqError
from attnseq.core.option_types import positive_int_option
from attnseq.models.init import Initializer
from attnseq.training.recipes import RECIPES, Recipe
from benchmarks.time_to_accuracy import medians, run_to_accuracy
from benchmarks.workload import Settings, date_task


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated seeds, got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected non-negative seeds, got {text!r}")
    return seeds


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.recipes",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", choices=list(RECIPES), default=RECIPES.default,
                   help="the recipe to start from (default: %(default)s)")
    p.add_argument("--lr", type=float, help="(peak) Adam learning rate")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--final-lr", type=float, help="rate at the end of the linear decay")
    g.add_argument("--constant-lr", action="store_true", help="no decay")
    p.add_argument("--decay-epochs", type=float, help="length of the decay, in epochs")
    p.add_argument("--batch-size", type=positive_int_option)
    p.add_argument("--init", choices=list(Initializer.SCHEMES))
    p.add_argument("--seeds", type=_seeds, default=[0, 1, 2], help="default: 0,1,2")
    p.add_argument("--max-epochs", type=positive_int_option, default=2,
                   help="cap per run (default: 2)")
    p.add_argument("--eval-every", type=positive_int_option, default=Settings.eval_every,
                   help=f"training examples between evaluations (default: "
                        f"{Settings.eval_every})")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the results as JSON")
    p.add_argument("--quick", action="store_true",
                   help="the harness's tiny sizes and a 0%% target (seconds; for smoke tests)")
    return p


def probe_recipe(args: argparse.Namespace) -> Recipe:
    """The recipe ``args`` describe: the chosen one with the given settings changed."""
    base = RECIPES[args.recipe]
    changes = {k: v for k, v in (("lr", args.lr), ("final_lr", args.final_lr),
                                 ("decay_epochs", args.decay_epochs),
                                 ("batch_size", args.batch_size)) if v is not None}
    if args.constant_lr:
        changes["final_lr"] = None
    train = replace(base.train, **changes)
    init = args.init or base.init
    summary = (f"init {init}, batch {train.batch_size}, Adam lr {train.lr:g}"
               + (f" -> {train.final_lr:g} over {train.decay_epochs:g} epoch"
                  if train.final_lr is not None else " constant")
               + f", clip {train.max_grad_norm:g}")
    return Recipe(f"{args.recipe}+changes" if changes or args.init else args.recipe, init,
                  train, summary)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        recipe = probe_recipe(args)
    except AttnseqError as exc:  # a setting TrainConfig refuses, e.g. --lr 0
        parser.error(str(exc))
    make = Settings.quick_run if args.quick else Settings.full
    settings = make(max_epochs=args.max_epochs, eval_every=args.eval_every)
    task = date_task(settings)
    print(f"recipe: {recipe.summary}; target {settings.target_accuracy:.1%}, "
          f"{len(task.train)} training examples per epoch", flush=True)
    runs = []
    for seed in args.seeds:
        run = run_to_accuracy(task, settings, recipe=recipe, seed=seed)
        runs.append(run)
        when = (f"reached at {run['examples']} examples, {run['train_seconds']:.1f} s"
                if run["reached"] else
                f"not reached in {run['examples']} examples ({run['final_accuracy']:.2%} last)")
        print(f"seed {seed}: {when}", flush=True)
    summary = medians(runs)
    print(f"median: {summary['median_examples']:.0f} examples, "
          f"{summary['median_train_seconds']:.1f} s of training"
          + ("" if summary["median_reached"] else " (the median run did not reach it)"))
    if args.out is not None:
        args.out.write_text(json.dumps({"recipe": {"summary": recipe.summary,
                                                   "init": recipe.init,
                                                   "train": asdict(recipe.train)},
                                        "runs": runs, **summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
