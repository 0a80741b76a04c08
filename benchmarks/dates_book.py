"""The built-in date model on the book's own dates: exact match of the date normaliser over
the 50 000 dates of the book's task (train and test splits together, seed 1984).

    python -m benchmarks.dates_book [--model dates] [--locale en] [--samples 50000]

The book's formats are US English; without a hint the model reads an ambiguous numeric date
in its default order (docs/dates-wild.md), with ``--locale en`` as the US writes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from attnseq.core.errors import AttnseqError
from attnseq.core.option_types import positive_int_option


def exact_match(normalise: Callable[[list[str]], list], pairs: Sequence) -> dict:
    """{"right", "total", "abstained", "wrong" (up to 8 examples)} of ``normalise`` (texts ->
    ISO dates or None) on (question, answer, ...) pairs."""
    answers = normalise([pair[0] for pair in pairs])
    wrong = [(pair[0], pair[1], got) for pair, got in zip(pairs, answers, strict=True)
             if got != pair[1]]
    return {"right": len(pairs) - len(wrong), "total": len(pairs),
            "abstained": sum(got is None for got in answers), "wrong": wrong[:8]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.dates_book", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="dates", help="a model directory or a built-in model "
                                                     "(default: dates)")
    p.add_argument("--locale", default=None, help="the locale hint (default: none)")
    p.add_argument("--samples", type=positive_int_option, default=50_000,
                   help="how many of the book's dates (default: all 50 000)")
    args = p.parse_args(argv)
    try:
        from attnseq.dates.builtin import load
        from attnseq.dates.normalise import DateNormaliser
        from attnseq.tasks.dataset import date_dataset

        normaliser = DateNormaliser(load(args.model), locale=args.locale)
    except AttnseqError as exc:
        print(f"{p.prog}: error: {exc}", file=sys.stderr)
        return 2
    data = date_dataset(50_000, seed=1984)
    pairs = (list(data.train) + list(data.test))[:args.samples]
    start = time.perf_counter()
    result = exact_match(normaliser.normalise, pairs)
    seconds = time.perf_counter() - start
    print(f"{args.model}, hint {args.locale or 'none'}: {result['right']}/{result['total']} = "
          f"{100 * result['right'] / result['total']:.3f}% exact match, "
          f"{result['abstained']} abstained, {seconds:.0f} s")
    for question, answer, got in result["wrong"]:
        print(f"  {question!r}: {got} (expected {answer})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
