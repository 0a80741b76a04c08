"""``attnseq train``: train a model on a task and save it."""

from __future__ import annotations

from attnseq.cli.options import add_model_options, path_option
from attnseq.cli.outputs import output_dir
from attnseq.cli.training_options import add_training_options, described_task, training_setup

IMPLS = ("book", "fast")  # the layer sets a model is built from (docs/architecture.md)


def add_parser(sub) -> None:
    from attnseq.models import MODELS

    p = sub.add_parser("train", help="train a model (default: attention on the date task)",
                       description="Train a seq2seq model and save it. With no options: "
                       "the book's attention seq2seq (D=16, H=256, reversed input) on its "
                       "50 000 generated dates, trained with the default recipe, which passes "
                       "99.9% test exact match within one epoch for most seeds and within four "
                       "for those measured; --recipe book trains as the book does. --model "
                       "transformer trains with its own recipe, transformer (docs/transformer.md), "
                       "unless --recipe names another.")
    p.add_argument("--model", choices=list(MODELS), default=MODELS.default,
                   help="default: %(default)s")
    add_model_options(p)
    add_training_options(p, None)
    p.add_argument("--impl", choices=IMPLS, default="fast",
                   help="the layers the model is built from: book (the book's, the "
                        "reference) or fast (the same results with less work) (default: "
                        "%(default)s)")
    p.add_argument("--out", metavar="DIR", type=path_option, default=None,
                   help="model directory to write (default: runs/MODEL); a symbolic link "
                        "is followed")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.experiments.run import run as run_task

    out = output_dir(args.out or f"runs/{args.model}")  # before the data and the training
    task, model_config, train_config = training_setup(args, args.model)
    print(f"training {args.model} on {len(task.train)} pairs, testing on {len(task.test)} "
          f"({described_task(args)}); saving to {out}")
    run_task(task, model_config, train_config, out=out, progress=not args.no_progress,
             impl=args.impl)
    print(f"saved the model to {out}")
    return 0
