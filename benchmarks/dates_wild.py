"""Issue 26's wild dates: attnseq, dateparser and dateutil on dates as people write them.

``python -m benchmarks.dates_wild [--model dates|DIR] [--data FILE] [--repeats N]
[--json OUT]``

The test set, ``benchmarks/data/dates_wild.tsv``, is hand-written (benchmarks/README.md):
news datelines, log lines, e-mail headers, forms, receipts, historical texts and chat in 15
languages, each with its ISO answer, its language, the locale hint a numeric reading needs,
its source and its causes (what makes it hard). Every system converts every row, and is scored
by exact match of the date; a row it refuses or abstains on is counted apart, and an answer
that is not a real calendar date is counted as invalid. Rows are converted in one call per
system (attnseq batched; the parsers have no batch, so one row at a time), timed after an
untimed warm-up on a row of each language, the systems taking turns, the best of
``--repeats``; on one core: BLAS is held to one thread while they run, so attnseq decodes on
one thread too (``OPENBLAS_NUM_THREADS=1`` as well keeps the BLAS from starting idle threads
at all). The peers get what they can use: dateparser the row's language and, from its hint,
``DATE_ORDER``; dateutil ``dayfirst`` (and ``yearfirst``) from the hint, without and with
``fuzzy``. attnseq gets the hint as ``--locale`` (where its model was taught it), all rows
in one call (``DateNormaliser.normalise(texts, hints)``: the hints share its batches).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

from attnseq.core.errors import AttnseqError
from attnseq.core.option_types import positive_int_option
from attnseq.decoding.threads import one_blas_thread

DATA = Path(__file__).resolve().parent / "data" / "dates_wild.tsv"
COLUMNS = ("text", "answer", "language", "hint", "source", "causes")
LANGUAGES = ("en", "ko", "ja", "zh", "de", "fr", "es", "it", "pt", "ru", "nl", "pl", "tr",
             "ar", "hi")
CAUSES = ("time", "zone", "filler", "ordinal", "weekday", "day-first", "month-first",
          "year-range", "two-digit-year", "compact", "year-first", "unknown-char", "long")
SOURCES = ("news", "email", "log", "form", "receipt", "history", "chat", "letter", "document")
# How a writer with each hint orders a numeric date: month first in the US, year first in
# East Asia, day first in the other locales of the set.
HINT_ORDERS = MappingProxyType({"en_US": "MDY", "en_GB": "DMY", "ko": "YMD", "ja": "YMD",
                                "zh": "YMD", **{lang: "DMY" for lang in LANGUAGES
                                                if lang not in ("en", "ko", "ja", "zh")}})
# The headline columns, as in the table.
GROUPS = (("English", ("en",)), ("de/fr/es/ja", ("de", "fr", "es", "ja")),
          ("all languages", LANGUAGES))
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

# rows -> an answer per row (None: refused or abstained)
Convert = Callable[[Sequence["Row"]], list[str | None]]


@dataclass(frozen=True)
class Row:
    """One hand-written date: its text, ISO answer, language, hint, source and causes."""

    text: str
    answer: str
    language: str
    hint: str
    source: str
    causes: tuple[str, ...]


def load_rows(path: Path = DATA) -> list[Row]:
    """The rows of a test-set file: UTF-8, tab-separated, the header line ``COLUMNS``, and
    in each row a language, hint, source and causes of the fixed lists."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AttnseqError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise AttnseqError(f"{path} is not UTF-8 text") from None
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise AttnseqError(f"{path}: the first line must name the columns "
                           f"{', '.join(COLUMNS)} (tab-separated)")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise AttnseqError(f"{path}:{number}: expected {len(COLUMNS)} tab-separated "
                               f"columns, got {len(cells)}")
        text, answer, language, hint, source, causes = cells
        row = Row(text, answer, language, hint, source,
                  tuple(c for c in causes.split(",") if c))
        for what, value, known in [("language", row.language, LANGUAGES),
                                   ("hint", row.hint, ("", *HINT_ORDERS)),
                                   ("source", row.source, SOURCES),
                                   *[("cause", c, CAUSES) for c in row.causes]]:
            if value not in known:
                raise AttnseqError(f"{path}:{number}: unknown {what} {value!r}")
        rows.append(row)
    return rows


def is_iso_date(text) -> bool:
    """Is ``text`` a real calendar date written YYYY-MM-DD?"""
    if not isinstance(text, str) or not ISO.fullmatch(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def score(rows: Sequence[Row], outputs: Sequence) -> dict:
    """Exact match of ``outputs`` (None: refused or abstained) against the rows' answers, in
    all and per language and per cause, with the refusals and the invalid answers."""
    right = [out == row.answer for row, out in zip(rows, outputs, strict=True)]
    by_language = {lang: [0, 0] for lang in LANGUAGES}
    by_cause = {cause: [0, 0] for cause in CAUSES}
    for row, ok in zip(rows, right, strict=True):
        for tally in [by_language[row.language]] + [by_cause[c] for c in row.causes]:
            tally[0] += ok
            tally[1] += 1
    return {"rows": len(rows), "right": sum(right),
            "refused": sum(out is None for out in outputs),
            "invalid": sum(out is not None and not is_iso_date(out) for out in outputs),
            "by_language": by_language, "by_cause": by_cause}


def group_accuracy(result: dict, languages: Sequence[str]) -> float:
    """Exact match over the rows of ``languages`` (NaN when there are none)."""
    right = sum(result["by_language"][lang][0] for lang in languages)
    total = sum(result["by_language"][lang][1] for lang in languages)
    return right / total if total else float("nan")


def measure(systems: dict[str, Convert], rows: Sequence[Row], repeats: int) -> dict:
    """Score every system, and time it: after an untimed warm-up call on the first row of
    each language (dateparser loads a language's data when it first meets it), the systems
    take turns, ``repeats`` timed passes over all rows each, so that a slow stretch of a
    shared machine slows them all; a system's fastest pass gives its dates per second."""
    firsts = list({row.language: row for row in reversed(rows)}.values())
    for convert in systems.values():
        convert(firsts)
    best = dict.fromkeys(systems, float("inf"))
    outputs: dict[str, list[str | None]] = {}
    for _ in range(repeats):
        for name, convert in systems.items():
            start = time.perf_counter()
            outputs[name] = convert(rows)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: {**score(rows, outputs[name]), "seconds": best[name],
                   "dates_per_second": len(rows) / best[name], "outputs": outputs[name]}
            for name in systems}


# -- the systems ----------------------------------------------------------------------------
def attnseq_convert(converter, rows: Sequence[Row]) -> list[str | None]:
    """attnseq's one call: the date normaliser (``attnseq.dates``: greedy decoding, then beam
    search re-ranked to real dates on the weekday the text names where greedy's answer will
    not do, else an abstention) over the rows, each row with its hint where the model was
    taught it (the hint ``en_US`` is the model's ``en``), all in the same batches; a row it
    cannot encode or abstains on gets None."""
    from attnseq.dates.normalise import DateNormaliser

    return DateNormaliser.normalise_each(converter, [row.text for row in rows],
                                         [model_hint(converter, row.hint) for row in rows])


def model_hint(converter, hint: str) -> str | None:
    """The row's hint as the model knows it (``en_US`` may be its ``en``), or None where the
    row has none or the model was taught neither."""
    for name in (hint, hint.split("_")[0]) if hint else ():
        try:
            return converter.hint(name)
        except AttnseqError:
            continue
    return None


def dateparser_convert(rows: Sequence[Row]) -> list[str | None]:
    """``dateparser.parse`` with the row's language and the hint's ``DATE_ORDER``."""
    import dateparser

    outputs: list[str | None] = []
    for row in rows:
        settings = {"DATE_ORDER": HINT_ORDERS[row.hint]} if row.hint else {}
        parsed = dateparser.parse(row.text, languages=[row.language], settings=settings)
        outputs.append(None if parsed is None else parsed.date().isoformat())
    return outputs


def dateutil_convert(rows: Sequence[Row], fuzzy: bool) -> list[str | None]:
    """``dateutil.parser.parse`` with ``dayfirst``/``yearfirst`` from the hint. What it does
    not find in a text it takes from today's date, as it does for its users."""
    from dateutil import parser

    outputs: list[str | None] = []
    with warnings.catch_warnings():  # a zone it does not know: only the date is scored
        warnings.simplefilter("ignore", parser.UnknownTimezoneWarning)
        for row in rows:
            order = HINT_ORDERS.get(row.hint, "")
            try:
                parsed = parser.parse(row.text, dayfirst=order == "DMY",
                                      yearfirst=order == "YMD", fuzzy=fuzzy)
            except (ValueError, OverflowError):  # dateutil's ParserError is a ValueError
                outputs.append(None)
                continue
            outputs.append(parsed.date().isoformat())
    return outputs


def peers() -> tuple[dict[str, Convert], list[str]]:
    """The peers that are installed, by name, and the packages of those that are not."""
    found: dict[str, Convert] = {}
    missing = []
    try:
        import dateparser  # noqa: F401
        found["dateparser"] = dateparser_convert
    except ImportError:
        missing.append("dateparser")
    try:
        import dateutil.parser  # noqa: F401
        found["dateutil"] = lambda rows: dateutil_convert(rows, fuzzy=False)
        found["dateutil (fuzzy)"] = lambda rows: dateutil_convert(rows, fuzzy=True)
    except ImportError:
        missing.append("python-dateutil")
    return found, missing


# -- the report -----------------------------------------------------------------------------
def percent(value: float) -> str:
    return "—" if value != value else f"{100 * value:.1f}%"  # NaN: no rows


def table(results: dict[str, dict]) -> str:
    """The headline: per system its accuracy per group, refusals, invalid answers, speed."""
    lines = ["| system | " + " | ".join(name for name, _ in GROUPS)
             + " | refused/abstained | invalid | dates/s |",
             "|---|" + "---:|" * (len(GROUPS) + 3)]
    for name, r in results.items():
        cells = [percent(group_accuracy(r, langs)) for _, langs in GROUPS]
        cells += [f"{r['refused']} ({percent(r['refused'] / r['rows'])})", f"{r['invalid']}",
                  f"{r['dates_per_second']:,.0f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def breakdown(results: dict[str, dict], key: str, names: Sequence[str]) -> str:
    """Exact match per language or per cause (``key``), a column per system."""
    label = "language" if key == "by_language" else "cause"
    lines = [f"| {label} | rows | " + " | ".join(results) + " |",
             "|---|---:|" + "---:|" * len(results)]
    for name in names:
        total = next(iter(results.values()))[key][name][1]
        cells = [percent(r[key][name][0] / total if total else float("nan"))
                 for r in results.values()]
        lines.append(f"| {name} | {total} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.dates_wild", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="dates", metavar="dates|DIR",
                   help="the attnseq model to measure: a model directory, or else a built-in "
                        "model's name (default: dates, the built-in one)")
    p.add_argument("--data", type=Path, default=DATA, metavar="FILE",
                   help="the test set (default: benchmarks/data/dates_wild.tsv)")
    p.add_argument("--repeats", type=positive_int_option, default=5,
                   help="timed passes per system, taking turns, the fastest kept (default: 5)")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results here")
    args = p.parse_args(argv)
    try:
        from attnseq.dates.builtin import load

        rows = load_rows(args.data)
        converter = load(args.model)  # a model directory, or else a built-in model's name
    except AttnseqError as exc:
        print(f"{p.prog}: error: {exc}", file=sys.stderr)
        return 2
    systems: dict[str, Convert] = {"attnseq": lambda rows: attnseq_convert(converter, rows)}
    found, missing = peers()
    systems.update(found)
    if missing:
        print(f"not installed, left out: {', '.join(missing)} "
              "(pip install 'attnseq[bench]')", file=sys.stderr)
    with one_blas_thread():  # one core: attnseq then decodes on one thread too
        results = measure(systems, rows, args.repeats)
    print(f"{len(rows)} dates in {len({r.language for r in rows})} languages "
          f"({args.data.name}); attnseq model {args.model}; one BLAS thread")
    print(table(results))
    print()
    print(breakdown(results, "by_language", LANGUAGES))
    print()
    print(breakdown(results, "by_cause", CAUSES))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
            {"model": args.model, "data": str(args.data),
             "rows": [asdict(row) for row in rows], "systems": results},
            indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
