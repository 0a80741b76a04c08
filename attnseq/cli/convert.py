"""``attnseq convert``: convert text with a saved or built-in model, one output line per input;
with no TEXT, a filter from standard input to standard output in bounded memory."""

from __future__ import annotations

import sys

from attnseq.cli.options import add_beam_options, beam_length, beam_search, path_option
from attnseq.core.errors import AttnseqError
from attnseq.core.option_types import option_type, positive_int_option


def _probability(name: str, value) -> float:
    from attnseq.dates.normalise import probability

    return probability(name, value)


probability_option = option_type(float, _probability, "a probability in [0, 1]")


def add_parser(sub) -> None:
    p = sub.add_parser("convert", help="convert text with a saved or built-in model",
                       description="Convert each TEXT (or, with none, each line of standard "
                       "input, read and written a chunk at a time) and print one output line "
                       "per input. MODEL is a model directory, or else the name of a built-in "
                       "model (attnseq models). A built-in date model, or any model with "
                       "--dates, prints the best answer of beam search that is a valid date "
                       "(docs/dates.md), or abstains. With --beam K --n-best M (M > 1) it "
                       "prints instead M lines per input, best first, each "
                       "'N<TAB>RANK<TAB>SCORE<TAB>OUTPUT': N the input's number (1, 2, ...), "
                       "the rank (1 = best), the score log P / lp + cp (the higher the "
                       "better; see docs/beam.md) with four decimals, and the output.")
    p.add_argument("model_dir", metavar="MODEL", type=path_option)
    p.add_argument("texts", metavar="TEXT", nargs="*")
    add_beam_options(p, n_best=True)
    g = p.add_argument_group("dates and streams (docs/dates.md)")
    g.add_argument("--dates", action="store_true",
                   help="answer with valid dates only, as the built-in date models do: the "
                        "best of --beam K (default 5) hypotheses that is a real date (years "
                        "1000-2999) on the weekday the input names, else abstain")
    g.add_argument("--min-confidence", type=probability_option, default=None, metavar="P",
                   help="abstain when the date's probability P(answer | input) is below P")
    g.add_argument("--on-error", choices=("fail", "skip", "empty"), default="fail",
                   help="a line the model refuses or abstains on: fail (exit 2, naming the "
                        "line), skip it, or print an empty line (empty field with --field) "
                        "so that outputs stay aligned with inputs (default: %(default)s)")
    g.add_argument("--field", type=positive_int_option, default=None, metavar="N",
                   help="convert field N (1 = first) of each CSV/TSV line and print the "
                        "line with it replaced")
    g.add_argument("--delimiter", default=None, metavar="C",
                   help="the field delimiter of --field, one character (default: ',')")
    p.add_argument("--locale", default=None, metavar="LOCALE",
                   help="the locale hint of a model trained with hints (e.g. en_US, en_GB, "
                        "de): the order in which numeric dates are read; default: none, "
                        "the model's default order (docs/dates-wild.md)")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.dates.builtin import resolve
    from attnseq.dates.stream import Fields, converted, stream
    from attnseq.experiments.converter import Converter

    if args.delimiter is not None and args.field is None:
        raise AttnseqError("--delimiter needs --field N")
    fields = Fields(args.field, args.delimiter or ",") if args.field is not None else None
    conv = Converter.load(resolve(args.model_dir))
    locale = conv.hint(args.locale)
    lines, what = _inputs(args)
    dates = args.dates or "builtin" in conv.meta  # the built-in models are date models
    if args.n_best > 1:
        if fields is not None or args.on_error != "fail" or dates:
            raise AttnseqError("--n-best M (M > 1) lists a plain model's raw hypotheses: not "
                               "with --field, --on-error, --dates or a built-in date model")
        return _print_alternatives(args, conv, lines, what, locale)
    if dates:
        convert = _normaliser(args, conv, locale).outcomes
    elif args.min_confidence is not None:
        raise AttnseqError("--min-confidence needs a date model: a built-in one, or --dates")
    else:
        convert = converted(conv, beam_search(args, conv), locale)
    # TEXT arguments are one chunk: a bad one stops the command before anything is printed
    size = {"chunk_size": len(args.texts)} if args.texts else {}
    for out in stream(lines, convert, on_error=args.on_error, fields=fields, what=what,
                      **size):
        if out:
            sys.stdout.write("\n".join(out) + "\n")
        sys.stdout.flush()
    _check_some_input(lines)
    return 0


class _Lines:
    """Standard input's lines without their line ends, read lazily; counts them."""

    def __init__(self, source):
        self.source, self.count = source, 0

    def __iter__(self):
        for line in self.source:
            self.count += 1
            yield line.rstrip("\r\n")


def _inputs(args):
    """(the lines to convert, what a line is called in errors)."""
    if args.texts:
        return args.texts, "argument"
    return _Lines(sys.stdin), "line"


def _check_some_input(lines) -> None:
    if isinstance(lines, _Lines) and lines.count == 0:
        raise AttnseqError("no input: give TEXT arguments or lines on standard input")


def _normaliser(args, conv, locale):
    """The ``DateNormaliser`` that the options ask for."""
    from attnseq.dates.normalise import DateNormaliser

    beam = args.beam or 5
    return DateNormaliser(conv, beam=beam, min_confidence=args.min_confidence or 0.0,
                          locale=locale, alpha=args.alpha, beta=args.beta,
                          min_length=args.min_length, max_length=beam_length(args, conv, beam))


def _print_alternatives(args, conv, lines, what: str, locale) -> int:
    """--n-best M: M lines per input (the parser's description), a chunk at a time."""
    from attnseq.dates.stream import CHUNK, chunks, refusals

    search = beam_search(args, conv)
    first = 1
    for chunk in chunks(lines, len(args.texts) or CHUNK):
        bad = refusals(conv, chunk, locale)
        if bad:
            k = min(bad)
            raise AttnseqError(f"{what} {first + k}: {bad[k]}")
        for n, alternatives in enumerate(conv.alternatives(chunk, search, locale=locale),
                                         first):
            for rank, (out, score) in enumerate(alternatives, 1):
                print(f"{n}\t{rank}\t{score:.4f}\t{out}")
        sys.stdout.flush()
        first += len(chunk)
    _check_some_input(lines)
    return 0
