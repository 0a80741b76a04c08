"""The ``attnseq`` command: one module per subcommand; each parses, calls the library, prints.

Every user error (bad option, bad data, bad model directory) ends as one line on stderr and
exit code 2, with nothing overwritten; so do a MemoryError and an OSError (a full disk, a
file that vanished) anywhere in a command. ``--help`` works on every subcommand, and a
command's options and its positional arguments may come in any order
(``convert M --beam 3 TEXT`` as ``convert M TEXT --beam 3``). Every choice the
options offer, and every default, is read from the library (its registries, the model configs,
``TrainConfig``): the parser repeats none of them, so a name added to a registry is offered
and accepted here with no edit to the command line. This module holds the top-level parser
and the dispatch; each command module has ``add_parser(sub)`` and ``run(args) -> int``, and
imports the library inside its functions, so that ``attnseq --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys

from attnseq import __version__
from attnseq.cli import (
    attention,
    compare,
    convert,
    eval,
    gradcheck,
    import_book,
    models,
    ntm,
    serve,
    train,
)
from attnseq.core.errors import AttnseqError

# The subcommands, in the order ``attnseq --help`` lists them.
COMMANDS = (train, eval, convert, models, compare, attention, serve, gradcheck, import_book,
            ntm)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``attnseq train: error: ... (see --help)``;
    and a command's positional arguments may follow its options (argparse's intermixed
    parsing, for every parser without subcommands: it cannot take them)."""

    _intermixing = False  # True while parse_known_intermixed_args runs its own passes

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_known_args(self, args=None, namespace=None):
        if self._subparsers is not None or self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True  # its passes call this method again: let them through
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="attnseq", description="Attention seq2seq from scratch in NumPy "
                     "(chapter 8 of Deep Learning from Scratch 2).")
    parser.add_argument("--version", action="version", version=f"attnseq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    try:
        parser = build_parser()  # imports the library's registries, and so its backend
    except AttnseqError as exc:  # ATTNSEQ_BACKEND names no backend, or one not installed
        print(f"attnseq: error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    # "attnseq ntm train: error: ...": the command as the user typed it
    args.command = " ".join(filter(None, (args.command, getattr(args, "ntm_command", None))))
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
    except MemoryError:
        print(f"attnseq {args.command}: error: out of memory; try smaller sizes (the limits: "
              "docs/reliability.md)", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"attnseq {args.command}: error: {_os_error(exc)}", file=sys.stderr)
        return 2


def _os_error(exc: OSError) -> str:
    """An OSError in one line: "STRERROR: FILENAME" (the name quoted, so that a newline in
    it cannot break the line), or its text with its line breaks escaped."""
    if exc.strerror and exc.filename is not None:
        return f"{exc.strerror}: {str(exc.filename)!r}"
    return str(exc).replace("\r", "\\r").replace("\n", "\\n")
