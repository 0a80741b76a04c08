"""``attnseq eval``: a saved model's exact match (and error rates) on a test set."""

from __future__ import annotations

from attnseq.cli.options import add_beam_options, beam_search, described_search, path_option


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="exact-match accuracy of a saved model",
                       description="Exact-match accuracy of a saved model on its own test "
                       "split, or on every pair of --data FILE; greedy decoding, or beam "
                       "search with --beam K (its best hypothesis is the answer).")
    p.add_argument("model_dir", metavar="MODEL_DIR", type=path_option)
    p.add_argument("--data", metavar="FILE", type=path_option,
                   help="evaluate on all pairs of this file")
    add_beam_options(p)
    p.add_argument("--locale", default=None, metavar="LOCALE",
                   help="give every question this locale hint (a model trained with hints, "
                        "docs/dates-wild.md); default: each test pair's own, none for --data")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.experiments.converter import Converter
    from attnseq.experiments.run import Task
    from attnseq.tasks.evaluate import (
        accepted_scores,
        error_rate,
        format_rows,
        has_formats,
        per_format,
    )
    from attnseq.tasks.files import load_pairs

    conv = Converter.load(args.model_dir)
    search = beam_search(args, conv)
    locale = conv.hint(args.locale)
    source = conv.meta.get("data", {})
    if args.data:  # split into tokens as the model's vocabulary does
        pairs, where = load_pairs(args.data), args.data
        accepted = {}
    else:
        task = Task.from_source(source)
        pairs, where, accepted = task.test, "its test split", task.accepted
    where += described_search(search) + (f", locale hint {locale}" if locale else "")
    predictions, correct = conv.predict(pairs, search=search, locale=locale)
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
    for by, heading in (("locale", "locale"), ("fmt", "date format"), ("added", "addition"),
                        ("hint", "locale hint")):
        if has_formats(pairs, by) and not (locale and by == "hint"):
            print(f"per {heading}, worst first:")
            for line in format_rows(per_format(correct, pairs, predictions, by=by), heading):
                print("  " + line)
    return 0
