"""The ``attnseq`` command. Thin: it parses, calls the library, and prints.

Every user error (bad option, bad data, bad model directory) ends as one line on stderr and
exit code 2, with nothing overwritten; ``--help`` works on every subcommand. Every choice the
options offer, and every default, is read from the library (its registries, ``ModelConfig``,
``TrainConfig``): the parser repeats none of them, so a name added to a registry is offered
and accepted here with no edit to this file.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from attnseq import __version__
from attnseq.core.errors import AttnseqError, positive_int, positive_number


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``attnseq train: error: ... (see --help)``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _option_type(convert, check, what: str):
    """An ``argparse`` type: ``check`` (one of ``attnseq.core.errors``' checks) of ``convert(text)``,
    else the one-line usage error "expected WHAT, got 'TEXT'"."""

    def parse(text: str):
        try:
            return check("value", convert(text))
        except ValueError:  # int()/float() refused the text, or the check its value
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None

    return parse


# A positive integer, else a one-line usage error (the benchmarks' options use it too).
positive_int_option = _option_type(int, positive_int, "a positive integer")
_positive_float = _option_type(float, positive_number, "a positive number")


def _described(registry) -> str:
    """The help text "NAME: what it is; ..." of a registry whose entries are descriptions."""
    return "; ".join(f"{name}: {entry}" for name, entry in registry.items())


def _model_names(text: str) -> tuple[str, ...]:
    from attnseq.experiments.compare import parse_model_names

    try:
        return parse_model_names(text)
    except AttnseqError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_variant_options(p: argparse.ArgumentParser) -> None:
    """The attention model's variants (docs/variants.md); the defaults are the book's model,
    except where GNMT's own differ (``--encoder``, ``--layers``, ``--residual``): the config
    is given None for those when they are not on the command line."""
    from attnseq.layers.bidirectional import MERGES
    from attnseq.layers.scores import SCORES
    from attnseq.models.variants import ENCODERS, GNMT_DEFAULTS, VARIANT_DEFAULTS

    class Given(argparse.Action):
        """Stores the value and notes that it was given (``args.<dest>_given``), so that
        an --encoder the user did not give leaves the choice to the model."""

        def __call__(self, parser, namespace, values, option_string=None):
            setattr(namespace, self.dest, values)
            setattr(namespace, f"{self.dest}_given", True)

    g = p.add_argument_group("attention variants (need --model attention; gnmt takes "
                             "--layers, --dropout, --output-dropout, --score, --bi-merge)")
    g.add_argument("--encoder", choices=list(ENCODERS), default=ENCODERS.default, action=Given,
                   help=_described(ENCODERS) + " (default: %(default)s; gnmt: always "
                        f"{GNMT_DEFAULTS['encoder']})")
    g.add_argument("--bi-merge", choices=list(MERGES), default=MERGES.default,
                   help=f"how --encoder bi combines its directions: {_described(MERGES)} "
                        "(default: %(default)s; every encoder state is H wide, so with "
                        "concat each direction is H/2 wide)")
    g.add_argument("--layers", type=positive_int_option, default=None, metavar="N",
                   help="stacked LSTM layers in encoder and decoder (default: the model's "
                        f"own: {VARIANT_DEFAULTS['num_layers']}, gnmt "
                        f"{GNMT_DEFAULTS['num_layers']})")
    g.add_argument("--residual", action="store_true",
                   help="skip connections around every layer from the second on (gnmt: "
                        "always, from the third)")
    g.add_argument("--dropout", type=float, default=VARIANT_DEFAULTS["dropout"], metavar="P",
                   help="dropout rate between stacked layers, in [0, 1) (default: %(default)s)")
    g.add_argument("--output-dropout", type=float, default=VARIANT_DEFAULTS["output_dropout"],
                   metavar="P",
                   help="dropout rate on the decoder's [context ; state] in front of its "
                        "output affine map, in [0, 1) (default: %(default)s)")
    g.add_argument("--score", choices=list(SCORES), default=SCORES.default,
                   help="attention score function (default: %(default)s)")
    g.add_argument("--input-feeding", action="store_true",
                   help="feed each step's context into the next step's LSTM input (Luong)")


def _add_transformer_options(p: argparse.ArgumentParser) -> None:
    """The Transformer's options (docs/transformer.md); it also takes --layers and
    --dropout (around every sub-layer); the other models ignore these, but for
    --label-smoothing, which every model's loss takes."""
    from attnseq.training.config import ModelConfig
    from attnseq.layers import ACTIVATIONS, NORMS, POSITIONS

    g = p.add_argument_group("transformer (--model transformer; --layers default 2, "
                             "--dropout around every sub-layer)")
    g.add_argument("--d-model", type=positive_int_option, default=ModelConfig.d_model,
                   metavar="D", help="width of every vector (default: %(default)s)")
    g.add_argument("--heads", type=positive_int_option, default=ModelConfig.heads,
                   metavar="H", help="attention heads, dividing --d-model (default: "
                                     "%(default)s)")
    g.add_argument("--d-ff", type=positive_int_option, default=ModelConfig.d_ff, metavar="F",
                   help="inner width of the feed-forward sub-layers (default: %(default)s)")
    g.add_argument("--norm", choices=list(NORMS), default=NORMS.default,
                   help=_described(NORMS) + " (default: %(default)s)")
    g.add_argument("--positions", choices=list(POSITIONS), default=POSITIONS.default,
                   help=_described(POSITIONS) + " (default: %(default)s)")
    g.add_argument("--activation", choices=list(ACTIVATIONS), default=ACTIVATIONS.default,
                   help="of the feed-forward sub-layers (default: %(default)s)")
    g.add_argument("--tie-embeddings", action="store_true",
                   help="the output projection is the target embedding, transposed")
    g.add_argument("--label-smoothing", type=float, default=ModelConfig.label_smoothing,
                   metavar="E", help="smooth the loss's targets by E in [0, 1), any model "
                                     "(default: %(default)s)")


def _model_config(args, model: str):
    """The ``ModelConfig`` that the options of ``train`` (or ``compare``) describe."""
    from attnseq.training.config import ModelConfig

    return ModelConfig(model=model, wordvec_size=args.wordvec_size,
                       hidden_size=args.hidden_size, reverse=not args.no_reverse,
                       encoder=args.encoder if getattr(args, "encoder_given", False) else None,
                       bi_merge=args.bi_merge, num_layers=args.layers,
                       residual=True if args.residual else None,  # None: the model's own
                       dropout=args.dropout, output_dropout=args.output_dropout,
                       score=args.score,
                       input_feeding=args.input_feeding, d_model=args.d_model,
                       heads=args.heads, d_ff=args.d_ff, norm=args.norm,
                       positions=args.positions, activation=args.activation,
                       tie_embeddings=args.tie_embeddings,
                       label_smoothing=args.label_smoothing)


def _add_training_options(p: argparse.ArgumentParser, recipe: str) -> None:
    """Options shared by ``train`` and ``compare``; ``recipe`` is the default ``--recipe``,
    and the options left at None take their values from the chosen recipe."""
    from attnseq.training.batches import BATCHINGS
    from attnseq.training.config import ModelConfig
    from attnseq.experiments.run import DATA_SEED, DATE_SAMPLES, TASKS, TOKENS
    from attnseq.models.init import SCHEMES
    from attnseq.training.optim import SCHEDULES
    from attnseq.training.recipes import RECIPES
    from attnseq.training.trainer import TrainConfig

    p.add_argument("--recipe", choices=list(RECIPES), default=recipe,
                   help="initialisation and training settings (default: "
                   + (f"{recipe}" if recipe else "the model's own: transformer for "
                      "the transformer, default for the others") + "); "
                   + "; ".join(f"{r.name}: {r.summary}" for r in RECIPES.values())
                   + ". The options below override single settings of the recipe")
    p.add_argument("--data", metavar="FILE",
                   help="train on a book-format ('question_answer') or TSV file instead of "
                        "a built-in task (split 90/10)")
    built_in = [name for name, kind in TASKS.items() if kind.summary]
    p.add_argument("--task", choices=built_in, default=None,
                   help="built-in task (default: %s; docs/tasks.md): " % TASKS.default
                        + "; ".join(f"{n}: {TASKS[n].summary}" for n in built_in))
    p.add_argument("--locales", default=None, metavar="LIST",
                   help="comma-separated CLDR locales of --task dates, e.g. en,ko,ja,de,fr,es "
                        "(default: en, the book's US formats; others need the locales extra)")
    p.add_argument("--no-stress", action="store_true",
                   help="--task g2p: drop the vowels' stress digits (AH0 -> AH), leaving "
                        "CMUdict's 39 phonemes, as the published g2p results do")
    p.add_argument("--tokens", choices=list(TOKENS), default=None,
                   help="how --data FILE is read: chars, or words split on whitespace "
                        f"(default: {TOKENS.default})")
    p.add_argument("--samples", type=positive_int_option, default=DATE_SAMPLES,
                   help="number of generated pairs of dates, copy or reverse (default: "
                        "%(default)s, as in the book)")
    p.add_argument("--data-seed", type=int, default=DATA_SEED,
                   help="seed of the generated data and of the train/test split "
                        "(default: %(default)s)")
    p.add_argument("--epochs", type=positive_int_option, default=None,
                   help="passes over the training data (default: the recipe's)")
    p.add_argument("--batch-size", type=positive_int_option, default=None,
                   help="default: the recipe's")
    p.add_argument("--wordvec-size", type=positive_int_option, default=ModelConfig.wordvec_size,
                   help="embedding width D (default: %(default)s)")
    p.add_argument("--hidden-size", type=positive_int_option, default=ModelConfig.hidden_size,
                   help="LSTM width H (default: %(default)s)")
    p.add_argument("--lr", type=_positive_float, default=None,
                   help="Adam's (initial) learning rate (default: the recipe's)")
    p.add_argument("--final-lr", type=_positive_float, default=None,
                   help="let the rate fall linearly from --lr to this over the recipe's "
                        "decay span (default: the recipe's; equal to --lr for a constant "
                        "rate)")
    p.add_argument("--decay-epochs", type=_positive_float, default=None, metavar="E",
                   help="the decay span of --final-lr, in epochs (default: the recipe's, "
                        f"{TrainConfig.decay_epochs:g}); e.g. --epochs for a rate that falls "
                        "over the whole run")
    p.add_argument("--schedule", choices=list(SCHEDULES), default=None,
                   help="learning-rate schedule (default: the recipe's): "
                        + _described(SCHEDULES))
    p.add_argument("--warmup", type=positive_int_option, default=None, metavar="STEPS",
                   help="noam: warm-up steps (default: the recipe's)")
    p.add_argument("--lr-factor", type=_positive_float, default=None, metavar="F",
                   help="noam: the factor of lr = F * d_model^-0.5 * min(step^-0.5, "
                        "step * warmup^-1.5) (default: the recipe's)")
    p.add_argument("--batching", choices=list(BATCHINGS), default=None,
                   help="how an epoch is cut into batches (default: the recipe's, "
                        f"{TrainConfig.batching}): " + _described(BATCHINGS))
    p.add_argument("--clip", type=_positive_float, default=None,
                   help="gradient-norm clipping threshold (default: the recipe's)")
    p.add_argument("--seed", type=int, default=TrainConfig.seed,
                   help="seed of the initial weights and the shuffling (default: %(default)s)")
    p.add_argument("--no-reverse", action="store_true",
                   help="do not reverse the input (the book reverses it for every model)")
    p.add_argument("--init", choices=list(SCHEMES), default=None,
                   help="weight initialisation (default: the recipe's): " + _described(SCHEMES))
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def build_parser() -> argparse.ArgumentParser:
    from attnseq.experiments.compare import DEFAULT_MODELS, DEFAULT_RECIPE
    from attnseq.models import MODELS
    from attnseq.training.recipes import RECIPES

    parser = _Parser(prog="attnseq", description="Attention seq2seq from scratch in NumPy "
                     "(chapter 8 of Deep Learning from Scratch 2).")
    parser.add_argument("--version", action="version", version=f"attnseq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

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
    _add_variant_options(p)
    _add_transformer_options(p)
    _add_training_options(p, None)
    p.add_argument("--out", metavar="DIR", default=None,
                   help="model directory to write (default: runs/MODEL)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("eval", help="exact-match accuracy of a saved model",
                       description="Exact-match accuracy of a saved model on its own test "
                       "split, or on every pair of --data FILE; greedy decoding, or beam "
                       "search with --beam K (its best hypothesis is the answer).")
    p.add_argument("model_dir", metavar="MODEL_DIR")
    p.add_argument("--data", metavar="FILE", help="evaluate on all pairs of this file")
    _add_beam_options(p)
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("convert", help="convert text with a saved model",
                       description="Convert each TEXT (or, with none, each line of standard "
                       "input) and print one output line per input. With --beam K --n-best M "
                       "(M > 1) it prints instead M lines per input, best first, each "
                       "'INPUT<TAB>RANK<TAB>SCORE<TAB>OUTPUT': the input's number (1, 2, ...), "
                       "the rank (1 = best), the score log P / lp + cp (the higher the "
                       "better; see docs/beam.md) with four decimals, and the output.")
    p.add_argument("model_dir", metavar="MODEL_DIR")
    p.add_argument("texts", metavar="TEXT", nargs="*")
    _add_beam_options(p, n_best=True)
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("compare", help="train several models alike and compare them",
                       description="Train several models on the same data, split and seed "
                       "(default: baseline, peeky and attention with the book's settings) and "
                       "write into --out DIR: accuracy.png (the book's Figure 8-26), "
                       "curves.json, curves.csv, table.md and each trained model in "
                       "DIR/MODEL.")
    p.add_argument("--models", type=_model_names, default=DEFAULT_MODELS, metavar="NAMES",
                   help=f"comma-separated, from {MODELS.names()} (default: "
                        f"{','.join(DEFAULT_MODELS)})")
    _add_variant_options(p)
    _add_transformer_options(p)
    _add_training_options(p, DEFAULT_RECIPE)
    p.add_argument("--out", metavar="DIR", default="runs/compare",
                   help="directory to write (default: runs/compare)")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("attention", help="draw an attention model's weights as heatmaps",
                       description="Convert each TEXT with an attention model and draw its "
                       "attention weights (the book's Figure 8-27): input characters along x "
                       "in reading order, output characters along y, one panel per TEXT.")
    p.add_argument("model_dir", metavar="MODEL_DIR")
    p.add_argument("texts", metavar="TEXT", nargs="+")
    p.add_argument("--out", metavar="FILE", required=True,
                   help="image to write: .png (or .svg, .pdf)")
    p.add_argument("--heads-grid", metavar="FILE", default=None,
                   help="transformer only: also draw the first TEXT's attention per layer and "
                        "per head into FILE (greedy decoding): a row per layer of encoder "
                        "self-attention, decoder self-attention and cross-attention, a column "
                        "per head. --out shows the last decoder layer's cross-attention "
                        "averaged over heads")
    _add_beam_options(p)
    p.set_defaults(func=_cmd_attention)

    _add_serve_command(sub)

    p = sub.add_parser("gradcheck", help="check every layer's and model's gradients",
                       description="Compare every layer's and model's backward pass with "
                       "central differences in float64; print the worst relative error of "
                       "each, and fail if any is above --tol.")
    p.add_argument("--tol", type=_positive_float, default=1e-6, help="default: 1e-6")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_gradcheck)

    from attnseq.cli.import_book import add_parser as add_import_book_parser
    add_import_book_parser(sub)

    from attnseq.cli.ntm import add_parser as add_ntm_parser  # the NTM's command group
    add_ntm_parser(sub, positive_int_option, _positive_float)
    return parser


def _training_setup(args, model: str):
    """(task, model config, train config) from the options of ``_add_training_options``."""
    from attnseq.experiments.run import Task
    from attnseq.training.recipes import default_recipe, get_recipe

    changes = {"seed": args.seed}
    for option, field in (("epochs", "epochs"), ("batch_size", "batch_size"), ("lr", "lr"),
                          ("final_lr", "final_lr"), ("decay_epochs", "decay_epochs"),
                          ("clip", "max_grad_norm"),
                          ("schedule", "schedule"), ("warmup", "warmup"),
                          ("lr_factor", "lr_factor"), ("batching", "batching")):
        if getattr(args, option) is not None:
            changes[field] = getattr(args, option)
    recipe = args.recipe or default_recipe(model)
    model_config, train_config = get_recipe(recipe).apply(_model_config(args, model),
                                                          **changes)
    if args.init is not None:
        model_config = replace(model_config, init=args.init)
    return _task(args), model_config, train_config


def _task(args):
    """The ``Task`` of --data/--task/--locales/--tokens, refusing options that do not go
    together."""
    from attnseq.experiments.run import TASKS, TOKENS, Task

    if args.data and args.task:
        raise AttnseqError("give --data FILE or --task, not both")
    if args.tokens and not args.data:
        raise AttnseqError("--tokens needs --data FILE (built-in tasks choose their tokens)")
    task = args.task or TASKS.default
    if args.locales is not None and (args.data or task != "dates"):
        raise AttnseqError("--locales needs --task dates")
    if args.no_stress and (args.data or task != "g2p"):
        raise AttnseqError("--no-stress needs --task g2p")
    if args.data:
        return Task.from_file(args.data, args.data_seed, args.tokens or TOKENS.default)
    if task == "dates":
        locales = "en" if args.locales is None else args.locales
        return Task.dates(args.samples, args.data_seed, locales.split(","))
    if task == "g2p":
        return Task.g2p(stress=not args.no_stress)
    return Task.sequences(task, args.samples, args.data_seed)


def _described_task(args) -> str:
    """'file F', 'generated dates', 'generated dates in en, ko', 'task g2p' for messages."""
    if args.data:
        return f"file {args.data}"
    if (args.task or "dates") == "dates":
        return "generated dates" + (f" in {args.locales}" if args.locales else "")
    return f"task {args.task}" + (" without stress" if args.no_stress else "")


def _cmd_train(args) -> int:
    from attnseq.experiments.run import run

    task, model_config, train_config = _training_setup(args, args.model)
    out = args.out or f"runs/{args.model}"
    print(f"training {args.model} on {len(task.train)} pairs, testing on {len(task.test)} "
          f"({_described_task(args)}); saving to {out}")
    run(task, model_config, train_config, out=out, progress=not args.no_progress)
    print(f"saved the model to {out}")
    return 0


def _add_beam_options(p: argparse.ArgumentParser, n_best: bool = False) -> None:
    """The beam-search options of ``convert``, ``eval`` and ``attention`` (docs/beam.md)."""
    g = p.add_argument_group("beam search (default: greedy decoding)")
    g.add_argument("--beam", type=positive_int_option, default=None, metavar="K",
                   help="decode by beam search with K beams (--beam 1 is greedy)")
    if n_best:
        g.add_argument("--n-best", type=positive_int_option, default=1, metavar="M",
                       help="print the M best hypotheses of each input with their scores, "
                            "M <= K (default: 1, the output alone)")
    g.add_argument("--alpha", type=float, default=0.0, metavar="A",
                   help="length penalty lp = ((5 + |Y|) / 6)^A, A >= 0 (default: 0, none)")
    g.add_argument("--beta", type=float, default=0.0, metavar="B",
                   help="coverage penalty B * sum over input positions of log(min(attention "
                        "received, 1)), B >= 0; needs an attention model (default: 0, none)")
    g.add_argument("--min-length", type=int, default=0, metavar="N",
                   help="no end token before output token N (default: 0)")
    g.add_argument("--max-length", type=positive_int_option, default=None, metavar="N",
                   help="at most N output tokens, the end token included (default: the "
                        "model's longest answer plus one)")


def _beam_search(args, conv):
    """The ``BeamSearch`` that the beam options ask for, or None (greedy) without --beam."""
    n_best = getattr(args, "n_best", 1)
    if args.beam is None:
        given = [name for name, on in (("--n-best", n_best != 1), ("--alpha", args.alpha),
                                       ("--beta", args.beta), ("--min-length", args.min_length),
                                       ("--max-length", args.max_length is not None)) if on]
        if given:
            raise AttnseqError(f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} "
                               "--beam K")
        return None
    return conv.beam(beam=args.beam, n_best=n_best, alpha=args.alpha, beta=args.beta,
                     min_length=args.min_length,
                     max_length=args.max_length or conv.output_len)


def _described_search(search) -> str:
    """' (beam 5, alpha 0.6, ...)': the settings of a search that differ from greedy's."""
    if search is None:
        return ""
    extra = [f"{name} {getattr(search, field)}" for name, field in (
        ("alpha", "alpha"), ("beta", "beta"), ("min length", "min_length")) if getattr(
        search, field)]
    return f" (beam {', '.join([str(search.beam), *extra])})"


def _cmd_eval(args) -> int:
    from attnseq.experiments.converter import Converter
    from attnseq.tasks.files import load_pairs
    from attnseq.tasks.evaluate import (accepted_scores, error_rate, format_rows, has_formats,
                                  per_format)
    from attnseq.experiments.run import Task

    conv = Converter.load(args.model_dir)
    search = _beam_search(args, conv)
    source = conv.meta.get("data", {})
    if args.data:  # split into tokens as the model's vocabulary does
        pairs, where = load_pairs(args.data), args.data
        accepted = {}
    else:
        task = Task.from_source(source)
        pairs, where, accepted = task.test, "its test split", task.accepted
    where += _described_search(search)
    predictions, correct = conv.predict(pairs, search=search)
    print(f"exact match on {where}: {int(correct.sum())}/{len(pairs)} = "
          f"{100 * correct.mean():.2f}%")
    name = "phoneme" if isinstance(source, dict) and source.get("kind") == "g2p" else "token"
    if conv.vocab.level == "word":
        print(f"{name} error rate (edit distance / reference length): "
              f"{100 * error_rate(predictions, [p[1] for p in pairs]):.2f}%")
    if accepted:  # questions with several right answers (a word's listed pronunciations)
        right, rate = accepted_scores(predictions, pairs, accepted)
        print(f"exact match of any accepted answer ({len(accepted)} questions have several): "
              f"{right}/{len(pairs)} = {100 * right / len(pairs):.2f}%")
        print(f"{name} error rate to the nearest accepted answer: {100 * rate:.2f}%")
    for by, heading in (("locale", "locale"), ("fmt", "date format")):
        if has_formats(pairs, by):
            print(f"per {heading}, worst first:")
            for line in format_rows(per_format(correct, pairs, predictions, by=by), heading):
                print("  " + line)
    return 0


def _cmd_convert(args) -> int:
    from attnseq.experiments.converter import Converter

    conv = Converter.load(args.model_dir)
    search = _beam_search(args, conv)
    if args.texts:
        texts = args.texts
    else:
        texts = [line.rstrip("\r\n") for line in sys.stdin]
        if not texts:
            raise AttnseqError("no input: give TEXT arguments or lines on standard input")
    try:
        if search is not None and search.n_best > 1:
            for n, alternatives in enumerate(conv.alternatives(texts, search), 1):
                for rank, (out, score) in enumerate(alternatives, 1):
                    print(f"{n}\t{rank}\t{score:.4f}\t{out}")
            return 0
        outputs = conv.convert(texts, search=search)
    except AttnseqError:
        _locate_bad_input(conv, texts, "argument" if args.texts else "line")
        raise
    for out in outputs:
        print(out)
    return 0


def _locate_bad_input(conv, texts, kind: str) -> None:
    """Raise the error of the first text ``conv`` cannot encode, saying which one it is."""
    for i, text in enumerate(texts, 1):
        if not text.strip():
            raise AttnseqError(f"{kind} {i}: empty input")
        try:
            conv.encode_questions([text])
        except AttnseqError as exc:
            raise AttnseqError(f"{kind} {i}: {exc}") from None


def _cmd_compare(args) -> int:
    from attnseq.experiments.compare import compare, results_table

    task, model_config, train_config = _training_setup(args, args.models[0])
    print(f"comparing {', '.join(args.models)} on {len(task.train)} pairs, testing on "
          f"{len(task.test)} ({_described_task(args)}); "
          f"writing to {args.out}")
    histories = compare(task, args.models, model_config, train_config, args.out,
                        progress=not args.no_progress)
    print(results_table(histories))
    print(f"wrote accuracy.png, curves.json, curves.csv, table.md and the models to {args.out}")
    return 0


def _cmd_attention(args) -> int:
    from attnseq.experiments.converter import Converter
    from attnseq.experiments.viz import attention_figure, heads_figure, save_figure

    conv = Converter.load(args.model_dir)
    heads = conv.attention_heads(args.texts[:1]) if args.heads_grid else None  # refuse early
    fig, maps = attention_figure(conv, args.texts, search=_beam_search(args, conv))
    save_figure(fig, args.out)
    if heads:
        save_figure(heads_figure(heads[0], f"{args.texts[0]!r}"), args.heads_grid)
        print(f"wrote {args.heads_grid}")
    for text, m in zip(args.texts, maps, strict=True):
        print(f"{text} -> {conv.vocab.join(m.outputs)}")
    print(f"wrote {args.out}")
    return 0


def _add_serve_command(sub) -> None:
    p = sub.add_parser("serve", help="explore models' attention in the browser",
                       description="Serve the attention explorer: a local web page that "
                       "converts what you type with each MODEL_DIR's model and shows the "
                       "outputs, their attention heatmaps (per layer and head for a "
                       "Transformer) and beam-search alternatives, beside a JSON API "
                       "(POST /api/convert). Needs the serve extra: pip install "
                       "'attnseq[serve]'. Ctrl-C stops it.")
    p.add_argument("model_dirs", metavar="MODEL_DIR", nargs="+")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=_port, default=8000,
                   help="TCP port, 0 for any free one (default: %(default)s)")
    p.set_defaults(func=_cmd_serve)


def _port_number(name: str, value: int) -> int:
    if not 0 <= value <= 65535:
        raise ValueError(f"{name} must be from 0 to 65535")
    return value


# A TCP port number, else a one-line usage error.
_port = _option_type(int, _port_number, "a port from 0 to 65535")


def _cmd_serve(args) -> int:
    from attnseq.serve import missing_dependency

    missing = missing_dependency()
    if missing:
        raise AttnseqError(f"serve needs {missing}, which is not installed: "
                           "pip install 'attnseq[serve]'")
    from attnseq.serve.explorer import load_explorers
    from attnseq.serve.server import serve

    serve(load_explorers(args.model_dirs), args.host, args.port)
    return 0


def _cmd_gradcheck(args) -> int:
    from attnseq.gradcheck.cases import all_cases
    from attnseq.gradcheck.checker import check

    worst_all = 0.0
    cases = all_cases(args.seed)
    width = max(len(case.name) for case in cases)  # names in one column
    for case in cases:
        errors = check(case)
        worst = max(errors.values(), default=0.0)
        worst_all = max(worst_all, worst)
        status = "ok" if worst < args.tol else "FAIL"
        print(f"{case.name:<{width}} worst relative error {worst:.2e}  {status}")
    print(f"worst overall {worst_all:.2e} (tolerance {args.tol:.0e})")
    return 0 if worst_all < args.tol else 1


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except AttnseqError as exc:
        print(f"attnseq {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"attnseq {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``attnseq convert ... | head``): stop quietly, as cat does.
        # Point stdout at devnull so that the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
