"""``attnseq models``: the built-in models, with their size on disk and measured accuracy."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="list the built-in models",
                       description="List the models shipped in the package, which "
                       "'attnseq convert NAME' uses when no directory NAME exists: per model "
                       "its name, its size on disk, and the accuracy stored in its config "
                       "when it was built (docs/dates.md).")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.dates.builtin import builtin_models

    for model in builtin_models():
        info = model.info
        accuracy = info.get("accuracy")
        score = (f"{100 * accuracy:.2f}% exact match on {info.get('measured_on', '?')}"
                 if isinstance(accuracy, float) else "accuracy not measured")
        print(f"{model.name}\t{model.size / 1e6:.2f} MB\t{score}")
    return 0
