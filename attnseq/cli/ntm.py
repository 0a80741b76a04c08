"""``attnseq ntm train|eval|plot``: the Neural Turing Machine on the copy task.

``attnseq.cli.build_parser`` calls ``add_parser``; ``run`` runs the subcommand given. Like the
rest of the command line it parses, calls the library (``attnseq.ntm.copytask``,
``attnseq.ntm.viz``) and prints; a user error is one line and exit code 2 (``AttnseqError``,
reported by ``attnseq.cli.main``), and the library is imported inside each command so that
``attnseq --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys

from attnseq.cli.options import limited_int_option, non_negative_int_option, path_option
from attnseq.cli.options import positive_float_option as positive_float
from attnseq.cli.options import positive_int_option as positive_int
from attnseq.cli.outputs import output_dir
from attnseq.core.limits import BATCH_SIZE, MEMORY_ROWS, MEMORY_WIDTH, NTM_LENGTH, WIDTH

TASKS = ("copy",)  # the paper's first task, the one attnseq has


def add_parser(sub) -> None:
    """Add the ``ntm`` command group to ``sub`` (``attnseq.cli.build_parser``'s subparsers)."""
    from attnseq.ntm.copytask import CopyConfig
    from attnseq.ntm.model import NTMConfig
    from attnseq.training.optim import OPTIMIZERS

    group = sub.add_parser("ntm", help="the Neural Turing Machine on the copy task",
                           description="Train, evaluate and look inside a Neural Turing "
                           "Machine (Graves et al. 2014) on the copy task; see docs/ntm.md.")
    commands = group.add_subparsers(dest="ntm_command", metavar="COMMAND",
                                    parser_class=type(group))
    commands.required = True
    group.set_defaults(func=run)

    p = commands.add_parser("train", help="train on the copy task and save the model",
                            description="Train an NTM (or, with --controller-only, its "
                            "LSTM alone) on random 8-bit sequences of lengths drawn from "
                            "--min-length..--max-length, a fresh batch each step; the "
                            "progress bar shows the cost (BCE in bits) and the bit errors "
                            "per sequence. Saves weights.npz + config.json to --out.")
    p.add_argument("--task", choices=TASKS, default=TASKS[0], help="default: %(default)s")
    p.add_argument("--controller-only", action="store_true",
                   help="the baseline: the LSTM controller without memory")
    for flag, kind, config, field, what in (
            ("--sequences", positive_int, CopyConfig, "sequences", "training sequences"),
            ("--batch-size", limited_int_option(BATCH_SIZE), CopyConfig, "batch_size",
             "sequences per step"),
            ("--lr", positive_float, CopyConfig, "lr", "learning rate"),
            ("--clip", positive_float, CopyConfig, "max_grad_norm",
             "gradient-norm clipping threshold"),
            ("--min-length", limited_int_option(NTM_LENGTH), CopyConfig, "min_length",
             "shortest sequence"),
            ("--max-length", limited_int_option(NTM_LENGTH), CopyConfig, "max_length",
             "longest sequence"),
            ("--hidden-size", limited_int_option(WIDTH), NTMConfig, "hidden_size",
             "controller LSTM width"),
            ("--memory-rows", limited_int_option(MEMORY_ROWS), NTMConfig, "memory_rows",
             "memory rows N"),
            ("--memory-width", limited_int_option(MEMORY_WIDTH), NTMConfig, "memory_width",
             "memory width M")):
        p.add_argument(flag, type=kind, default=getattr(config, field),
                       help=f"{what} (default: %(default)s)")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default=CopyConfig.optimizer,
                   help="default: %(default)s")
    p.add_argument("--stop-below", type=positive_float, default=None, metavar="ERRORS",
                   help="stop once the bit errors per sequence over 1000 sequences are "
                        "below this (default: train all --sequences)")
    p.add_argument("--seed", type=non_negative_int_option, default=CopyConfig.seed,
                   help="seed of the weights and the data (default: %(default)s)")
    p.add_argument("--out", metavar="DIR", type=path_option, default=None,
                   help="model directory to write (default: runs/ntm, runs/ntm-lstm); a "
                        "symbolic link is followed")
    p.add_argument("--no-progress", action="store_true",
                   help="hide the progress bar (off a terminal it gives way to a line per "
                        "1000 sequences)")
    p.set_defaults(ntm_func=_cmd_train)

    p = _on_saved_model(commands, "eval", _cmd_eval, "bit errors per sequence at given lengths",
                        "Run a saved NTM on fresh copy sequences of each --length and print "
                        "the mean bit errors (outputs rounded at 0.5) and cost (bits) per "
                        "sequence.")
    p.add_argument("--length", type=limited_int_option(NTM_LENGTH), nargs="+", default=[20],
                   metavar="L",
                   help="one or more lengths (default: 20)")
    p.add_argument("--sequences", type=positive_int, default=256,
                   help="sequences per length (default: %(default)s)")

    p = _on_saved_model(commands, "plot", _cmd_plot,
                        "draw inputs, outputs and the heads' weightings",
                        "Copy one random sequence of --length with a saved NTM and draw its "
                        "inputs, outputs and the write and read weightings over time (the "
                        "paper's Figure 6).")
    p.add_argument("--length", type=limited_int_option(NTM_LENGTH), default=30,
                   help="default: %(default)s")
    p.add_argument("--out", metavar="FILE", type=path_option, required=True,
                   help="image to write: .png (or .svg, .pdf)")


def run(args: argparse.Namespace) -> int:
    """Run the ``ntm`` subcommand that ``args`` name."""
    return args.ntm_func(args)


def _on_saved_model(commands, name: str, func, summary: str, description: str):
    """A command that runs a saved model (MODEL) on data drawn from --seed."""
    from attnseq.ntm.copytask import EVAL_SEED

    p = commands.add_parser(name, help=summary, description=description)
    p.add_argument("model_dir", metavar="MODEL", type=path_option)
    p.add_argument("--seed", type=non_negative_int_option, default=EVAL_SEED,
                   help="data seed (default: %(default)s)")
    p.set_defaults(ntm_func=func)
    return p


def _cmd_train(args: argparse.Namespace) -> int:
    from attnseq.ntm import copytask
    from attnseq.ntm.model import NTM, NTMConfig
    from attnseq.training.divergence import check_weights

    # before training, not after
    out = output_dir(args.out or ("runs/ntm-lstm" if args.controller_only else "runs/ntm"))
    config = copytask.CopyConfig(sequences=args.sequences, batch_size=args.batch_size,
                                 lr=args.lr, optimizer=args.optimizer, max_grad_norm=args.clip,
                                 min_length=args.min_length, max_length=args.max_length,
                                 seed=args.seed, stop_below=args.stop_below)
    model = NTM(NTMConfig(hidden_size=args.hidden_size, memory_rows=args.memory_rows,
                          memory_width=args.memory_width,
                          controller_only=args.controller_only), seed=args.seed)
    what = "the LSTM controller alone" if args.controller_only else "an NTM"
    print(f"training {what} on {args.sequences} copy sequences of lengths "
          f"{args.min_length}-{args.max_length}; saving to {out}")
    # a bar on a terminal; in a log (a pipe, a file) a line per record instead of the bar's
    # carriage-return updates
    bar = not args.no_progress and sys.stderr.isatty()
    history = copytask.train(model, config, progress=bar,
                             on_record=None if bar or args.no_progress else _log_record)
    check_weights(model.params)  # never save weights that diverged
    copytask.save(out, model, config, history)
    last = history[-1]
    print(f"last {min(last['sequences'], config.log_every)} sequences: cost "
          f"{last['cost_bits']:.3f} bits, {last['bit_errors']:.3f} bit errors per sequence "
          f"({last['sequences']} sequences, {last['seconds']:.0f} s)")
    print(f"saved the model to {out}")
    return 0


def _log_record(history: list[dict]) -> None:
    """One line on stderr for the newest record of the history."""
    r = history[-1]
    print(f"{r['sequences']} sequences: cost {r['cost_bits']:.3f} bits, {r['bit_errors']:.3f} "
          f"bit errors per sequence, {r['seconds']:.0f} s", file=sys.stderr, flush=True)


def _cmd_eval(args: argparse.Namespace) -> int:
    from attnseq.ntm import copytask

    model, _ = copytask.load(args.model_dir)
    print("length  bit errors/seq  cost bits/seq")
    for length in args.length:
        r = copytask.evaluate(model, length, args.sequences, seed=args.seed)
        print(f"{length:>6}  {r['bit_errors']:>14.3f}  {r['cost_bits']:>13.3f}")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    import numpy

    from attnseq.core.backend import to_numpy
    from attnseq.core.errors import AttnseqError
    from attnseq.experiments.viz import save_figure
    from attnseq.ntm import copytask
    from attnseq.ntm.bits import copy_batch
    from attnseq.ntm.viz import copy_figure

    model, _ = copytask.load(args.model_dir)
    if model.config.controller_only:
        raise AttnseqError(f"{args.model_dir} is an LSTM without memory: no weightings to plot")
    xs, ts = copy_batch(numpy.random.default_rng(args.seed), 1, args.length)
    ys = to_numpy(model.predict(xs))
    errors = int(copytask.bit_errors(ys[:, -args.length:], ts)[0])
    fig = copy_figure(xs[0], ys[0], to_numpy(model.write_weights[0]),
                      to_numpy(model.read_weights[0]),
                      f"copy, length {args.length}: {errors} bit errors")
    save_figure(fig, args.out)
    print(f"length {args.length}: {errors} bit errors; wrote {args.out}")
    return 0
