"""``attnseq compare``: train several models alike and compare them."""

from __future__ import annotations

from attnseq.cli.options import add_model_options, given_options, model_names, path_option
from attnseq.cli.training_options import add_training_options, described_task, training_setup


def add_parser(sub) -> None:
    from attnseq.experiments.compare import DEFAULT_MODELS, DEFAULT_RECIPE
    from attnseq.models import MODELS

    p = sub.add_parser("compare", help="train several models alike and compare them",
                       description="Train several models on the same data, split and seed "
                       "(default: baseline, peeky and attention with the book's settings) and "
                       "write into --out DIR: accuracy.png (the book's Figure 8-26), "
                       "curves.json, curves.csv, table.md and each trained model in "
                       "DIR/MODEL.")
    p.add_argument("--models", type=model_names, default=DEFAULT_MODELS, metavar="NAMES",
                   help=f"comma-separated, from {MODELS.names()} (default: "
                        f"{','.join(DEFAULT_MODELS)})")
    add_model_options(p)
    add_training_options(p, DEFAULT_RECIPE)
    p.add_argument("--out", metavar="DIR", type=path_option, default="runs/compare",
                   help="directory to write (default: runs/compare)")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.experiments.compare import compare, results_table

    task, model_config, train_config = training_setup(args, args.models[0])
    print(f"comparing {', '.join(args.models)} on {len(task.train)} pairs, testing on "
          f"{len(task.test)} ({described_task(args)}); "
          f"writing to {args.out}")
    # every model the options given, and the recipe's (or --init's) initialisation
    options = {**given_options(args), "init": model_config.init}
    histories = compare(task, args.models, options, train_config, args.out,
                        progress=not args.no_progress)
    print(results_table(histories))
    print(f"wrote accuracy.png, curves.json, curves.csv, table.md and the models to {args.out}")
    return 0
