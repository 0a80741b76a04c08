"""The options of ``train`` and ``compare`` that choose the data and the training settings,
and the (task, model config, train config) they describe.

Every choice and default is read from the library (its registries, the configs,
``TrainConfig``); the options left at None take their values from the chosen recipe.
"""

from __future__ import annotations

import argparse

from attnseq.cli.options import (
    add_config_options,
    config_from_args,
    described,
    given_options,
    limited_int_option,
    non_negative_int_option,
    path_option,
    positive_float_option,
    positive_int_option,
)
from attnseq.core.errors import AttnseqError
from attnseq.core.limits import BATCH_SIZE, SAMPLES


def add_training_options(p: argparse.ArgumentParser, recipe: str | None) -> None:
    """Options shared by ``train`` and ``compare``; ``recipe`` is the default ``--recipe``,
    and the options left at None take their values from the chosen recipe."""
    from attnseq.experiments.run import DATA_SEED, DATE_SAMPLES, TASKS, TOKENS
    from attnseq.training.batches import BATCHINGS
    from attnseq.training.optim import SCHEDULES
    from attnseq.training.recipes import RECIPES
    from attnseq.training.trainer import TrainConfig

    p.add_argument("--recipe", choices=list(RECIPES), default=recipe,
                   help="initialisation and training settings (default: "
                   + (f"{recipe}" if recipe else "the model's own: transformer for "
                      "the transformer, default for the others") + "); "
                   + "; ".join(f"{r.name}: {r.summary}" for r in RECIPES.values())
                   + ". The options below override single settings of the recipe")
    p.add_argument("--data", metavar="FILE", type=path_option,
                   help="train on a book-format ('question_answer') or TSV file instead of "
                        "a built-in task (split 90/10)")
    built_in = [name for name, kind in TASKS.items() if kind.summary]
    p.add_argument("--task", choices=built_in, default=None,
                   help=f"built-in task (default: {TASKS.default}; docs/tasks.md): "
                        + "; ".join(f"{n}: {TASKS[n].summary}" for n in built_in))
    p.add_argument("--locales", default=None, metavar="LIST",
                   help="comma-separated CLDR locales of --task dates, e.g. en,ko,ja,de,fr,es "
                        "(default: en, the book's US formats; others need the locales extra), "
                        "or of --task dates-wild (default: its 16 of docs/dates-wild.md; "
                        "'all': every locale Babel ships)")
    p.add_argument("--no-stress", action="store_true",
                   help="--task g2p: drop the vowels' stress digits (AH0 -> AH), leaving "
                        "CMUdict's 39 phonemes, as the published g2p results do")
    p.add_argument("--tokens", choices=list(TOKENS), default=None,
                   help="how --data FILE is read: chars, or words split on whitespace "
                        f"(default: {TOKENS.default})")
    p.add_argument("--samples", type=limited_int_option(SAMPLES), default=DATE_SAMPLES,
                   help="number of generated pairs of dates, copy or reverse (default: "
                        "%(default)s, as in the book)")
    p.add_argument("--data-seed", type=non_negative_int_option, default=DATA_SEED,
                   help="seed of the generated data and of the train/test split "
                        "(default: %(default)s)")
    p.add_argument("--epochs", type=positive_int_option, default=None,
                   help="passes over the training data (default: the recipe's)")
    p.add_argument("--batch-size", type=limited_int_option(BATCH_SIZE), default=None,
                   help="default: the recipe's")
    add_config_options(p, ("wordvec_size", "hidden_size"))
    p.add_argument("--lr", type=positive_float_option, default=None,
                   help="Adam's (initial) learning rate (default: the recipe's)")
    p.add_argument("--final-lr", type=positive_float_option, default=None,
                   help="let the rate fall linearly from --lr to this over the recipe's "
                        "decay span (default: the recipe's; equal to --lr for a constant "
                        "rate)")
    p.add_argument("--decay-epochs", type=positive_float_option, default=None, metavar="E",
                   help="the decay span of --final-lr, in epochs (default: the recipe's, "
                        f"{TrainConfig.decay_epochs:g}); e.g. --epochs for a rate that falls "
                        "over the whole run")
    p.add_argument("--schedule", choices=list(SCHEDULES), default=None,
                   help="learning-rate schedule (default: the recipe's): "
                        + described(SCHEDULES))
    p.add_argument("--warmup", type=positive_int_option, default=None, metavar="STEPS",
                   help="noam: warm-up steps (default: the recipe's)")
    p.add_argument("--lr-factor", type=positive_float_option, default=None, metavar="F",
                   help="noam: the factor of lr = F * d_model^-0.5 * min(step^-0.5, "
                        "step * warmup^-1.5) (default: the recipe's)")
    p.add_argument("--batching", choices=list(BATCHINGS), default=None,
                   help="how an epoch is cut into batches (default: the recipe's, "
                        f"{TrainConfig.batching}): " + described(BATCHINGS))
    p.add_argument("--clip", type=positive_float_option, default=None,
                   help="gradient-norm clipping threshold (default: the recipe's)")
    p.add_argument("--seed", type=non_negative_int_option, default=TrainConfig.seed,
                   help="seed of the initial weights and the shuffling (default: %(default)s)")
    add_config_options(p, ("reverse", "init"))
    p.add_argument("--no-progress", action="store_true",
                   help="hide the progress bars (drawn on a terminal only)")


# option -> TrainConfig field, for the options that override one setting of the recipe
_TRAIN_OPTIONS = (("epochs", "epochs"), ("batch_size", "batch_size"), ("lr", "lr"),
                  ("final_lr", "final_lr"), ("decay_epochs", "decay_epochs"),
                  ("clip", "max_grad_norm"), ("schedule", "schedule"), ("warmup", "warmup"),
                  ("lr_factor", "lr_factor"), ("batching", "batching"))


def training_setup(args, model: str):
    """(task, model config, train config) from the options of ``add_training_options``
    and ``options.add_model_options``, for model ``model``."""
    from dataclasses import replace

    from attnseq.training.recipes import default_recipe, get_recipe

    changes = {"seed": args.seed}
    for option, field in _TRAIN_OPTIONS:
        if getattr(args, option) is not None:
            changes[field] = getattr(args, option)
    recipe = get_recipe(args.recipe or default_recipe(model))
    model_config, train_config = recipe.apply(
        recipe.sized(config_from_args(args, model), given_options(args)), **changes)
    if args.init is not None:
        model_config = replace(model_config, init=args.init)
    return task_from_args(args), model_config, train_config


def task_from_args(args):
    """The ``Task`` of --data/--task/--locales/--tokens, refusing options that do not go
    together."""
    from attnseq.experiments.run import TASKS, TOKENS, Task

    if args.data and args.task:
        raise AttnseqError("give --data FILE or --task, not both")
    if args.tokens and not args.data:
        raise AttnseqError("--tokens needs --data FILE (built-in tasks choose their tokens)")
    task = args.task or TASKS.default
    if args.locales is not None and (args.data or task not in ("dates", "dates-wild")):
        raise AttnseqError("--locales needs --task dates or dates-wild")
    if args.no_stress and (args.data or task != "g2p"):
        raise AttnseqError("--no-stress needs --task g2p")
    if args.data:
        return Task.from_file(args.data, args.data_seed, args.tokens or TOKENS.default)
    if task == "dates":
        locales = "en" if args.locales is None else args.locales
        return Task.dates(args.samples, args.data_seed, locales.split(","))
    if task == "dates-wild":
        from attnseq.tasks.wild import WILD_LOCALES

        locales = WILD_LOCALES if args.locales is None else args.locales
        return Task.wild_dates(args.samples, args.data_seed, locales)
    if task == "g2p":
        return Task.g2p(stress=not args.no_stress)
    return Task.sequences(task, args.samples, args.data_seed)


def described_task(args) -> str:
    """'file F', 'generated dates', 'generated dates in en, ko', 'task g2p' for messages."""
    if args.data:
        return f"file {args.data}"
    if (args.task or "dates") == "dates":
        return "generated dates" + (f" in {args.locales}" if args.locales else "")
    if args.task == "dates-wild":
        return "dates as people write them" + (f" in {args.locales}" if args.locales else "")
    return f"task {args.task}" + (" without stress" if args.no_stress else "")
