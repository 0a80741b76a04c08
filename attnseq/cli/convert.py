"""``attnseq convert``: convert text with a saved model, one output line per input."""

from __future__ import annotations

import sys

from attnseq.cli.options import add_beam_options, beam_search
from attnseq.core.errors import AttnseqError


def add_parser(sub) -> None:
    p = sub.add_parser("convert", help="convert text with a saved model",
                       description="Convert each TEXT (or, with none, each line of standard "
                       "input) and print one output line per input. With --beam K --n-best M "
                       "(M > 1) it prints instead M lines per input, best first, each "
                       "'INPUT<TAB>RANK<TAB>SCORE<TAB>OUTPUT': the input's number (1, 2, ...), "
                       "the rank (1 = best), the score log P / lp + cp (the higher the "
                       "better; see docs/beam.md) with four decimals, and the output.")
    p.add_argument("model_dir", metavar="MODEL_DIR")
    p.add_argument("texts", metavar="TEXT", nargs="*")
    add_beam_options(p, n_best=True)
    p.add_argument("--locale", default=None, metavar="LOCALE",
                   help="the locale hint of a model trained with hints (e.g. en_US, en_GB, "
                        "de): the order in which numeric dates are read; default: none, "
                        "the model's default order (docs/dates-wild.md)")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.experiments.converter import Converter

    conv = Converter.load(args.model_dir)
    search = beam_search(args, conv)
    locale = conv.hint(args.locale)
    if args.texts:
        texts = args.texts
    else:
        texts = [line.rstrip("\r\n") for line in sys.stdin]
        if not texts:
            raise AttnseqError("no input: give TEXT arguments or lines on standard input")
    try:
        if search is not None and search.n_best > 1:
            for n, alternatives in enumerate(conv.alternatives(texts, search,
                                                               locale=locale), 1):
                for rank, (out, score) in enumerate(alternatives, 1):
                    print(f"{n}\t{rank}\t{score:.4f}\t{out}")
            return 0
        outputs = conv.convert(texts, search=search, locale=locale)
    except AttnseqError:
        _locate_bad_input(conv, texts, "argument" if args.texts else "line", locale)
        raise
    for out in outputs:
        print(out)
    return 0


def _locate_bad_input(conv, texts, kind: str, locale: str | None = None) -> None:
    """Raise the error of the first text ``conv`` cannot encode, saying which one it is."""
    for i, text in enumerate(texts, 1):
        if not text.strip():
            raise AttnseqError(f"{kind} {i}: empty input")
        try:
            conv.encode_questions([text], locale)
        except AttnseqError as exc:
            raise AttnseqError(f"{kind} {i}: {exc}") from None
