"""The options that several commands share: option types, the model configs' fields as
options, and the beam-search options.

A model option is a field of a family's config (``attnseq.models.config``) whose metadata
gives its help: ``add_config_options`` adds it (``--hidden-size`` from ``hidden_size``, the
choices of the registry its metadata names, the dataclass's default), and ``given_options``
reads back the ones the user gave, so that ``config_from_args`` builds the config from those
alone and every other field keeps its model's default. No option or default is repeated here.
The library is imported inside the functions, so that importing the command line stays fast.
"""

from __future__ import annotations

import argparse

from attnseq.core.errors import AttnseqError, non_negative_int
from attnseq.core.limits import BEAM, BEAM_STEPS, CONFIG_LIMITS, SEQUENCE_LENGTH, Limit
from attnseq.core.option_types import option_type, positive_float_option, positive_int_option

__all__ = ["positive_float_option", "positive_int_option"]

# A seed, a count that may be 0: "expected a non-negative integer, got '-1'".
non_negative_int_option = option_type(int, non_negative_int, "a non-negative integer")


def limited_int_option(limit: Limit, minimum: int = 1):
    """An ``argparse`` type: an integer from ``minimum`` to ``limit``'s maximum
    (``attnseq.core.limits``), else a one-line usage error that gives the limit's reason."""
    what = {0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1  # not an integer: the same message as one below the minimum
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        if value > limit.maximum:
            raise argparse.ArgumentTypeError(f"expected at most {limit.maximum}, got {text!r} "
                                             f"({limit.reason})")
        return value

    return parse


def path_option(text: str) -> str:
    """An ``argparse`` type: a path, refusing the empty one (which would mean the current
    directory to some calls and a default to others)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a path, got {text!r}")
    return text


def described(registry) -> str:
    """The help text "NAME: what it is; ..." of a registry whose entries are descriptions."""
    return "; ".join(f"{name}: {entry}" for name, entry in registry.items())


def model_names(text: str) -> tuple[str, ...]:
    """``--models``' type: comma-separated model names."""
    from attnseq.experiments.compare import parse_model_names

    try:
        return parse_model_names(text)
    except AttnseqError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Given(argparse.Action):
    """Stores the value (or, for a flag, its ``const``) and notes that it was given
    (``args.<dest>_given``): an option the user did not give leaves its field to the model."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)
        setattr(namespace, f"{self.dest}_given", True)


def _option_fields():
    """{field name: dataclass field} of every family's fields that are options, the first
    family's where two share a name."""
    from dataclasses import fields

    from attnseq.models.config import FAMILIES

    found = {}
    for cls in FAMILIES.values():
        for f in fields(cls):
            if "help" in f.metadata:
                found.setdefault(f.name, (f, cls))
    return found


def add_config_options(group, names) -> None:
    """Add the config fields ``names`` to ``group`` as options (see the module docstring)."""
    from typing import get_type_hints

    known = _option_fields()
    for name in names:
        f, cls = known[name]
        meta = f.metadata
        kind = get_type_hints(cls)[name]
        default = meta.get("cli_default", f.default)
        flag = meta.get("flag", "--" + name.replace("_", "-"))
        text = meta["help"]
        if "choices" in meta:
            text = text.replace("{described}", described(meta["choices"]))
        if bool in getattr(kind, "__args__", (kind,)):  # a flag: sets the field when given
            negate = meta.get("negate", False)
            group.add_argument(flag, dest=name, action=_Given, nargs=0, const=not negate,
                               default=negate, help=text)
            continue
        extra = {"metavar": meta["metavar"]} if "metavar" in meta else {}
        if "choices" in meta:
            extra["choices"] = list(meta["choices"])
        elif name in CONFIG_LIMITS:
            extra["type"] = limited_int_option(CONFIG_LIMITS[name])
        elif int in getattr(kind, "__args__", (kind,)):
            extra["type"] = positive_int_option
        else:
            extra["type"] = float
        group.add_argument(flag, dest=name, action=_Given, default=default, help=text, **extra)


def add_model_options(p: argparse.ArgumentParser) -> None:
    """The option groups of the attention model's variants (docs/variants.md) and of the
    Transformer (docs/transformer.md), as ``train`` and ``compare`` take them."""
    from attnseq.models.transformer.options import TRANSFORMER_DEFAULTS
    from attnseq.models.variants import VARIANT_DEFAULTS

    g = p.add_argument_group("attention variants (need --model attention; gnmt takes "
                             "--layers, --dropout, --output-dropout, --score, --bi-merge)")
    add_config_options(g, VARIANT_DEFAULTS)
    g = p.add_argument_group("transformer (--model transformer; --layers default 2, "
                             "--dropout around every sub-layer)")
    add_config_options(g, [*(k for k in TRANSFORMER_DEFAULTS if k not in VARIANT_DEFAULTS),
                           "label_smoothing"])


def given_options(args) -> dict:
    """{field: value} of the config options given on the command line."""
    return {name: getattr(args, name) for name in _option_fields()
            if getattr(args, f"{name}_given", False)}


def config_from_args(args, model: str):
    """The config of ``model`` that the options of ``train`` (or ``compare``) describe."""
    from attnseq.models.config_entry import model_config

    return model_config(model, given_options(args))


def add_beam_options(p: argparse.ArgumentParser, n_best: bool = False) -> None:
    """The beam-search options of ``convert``, ``eval`` and ``attention`` (docs/beam.md)."""
    g = p.add_argument_group("beam search (default: greedy decoding)")
    g.add_argument("--beam", type=limited_int_option(BEAM), default=None, metavar="K",
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
    g.add_argument("--min-length", type=non_negative_int_option, default=0, metavar="N",
                   help="no end token before output token N (default: 0)")
    g.add_argument("--max-length", type=limited_int_option(SEQUENCE_LENGTH), default=None,
                   metavar="N",
                   help="at most N output tokens, the end token included (default: the "
                        "model's longest answer plus one)")


def beam_search(args, conv):
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
                     min_length=args.min_length, max_length=beam_length(args, conv, args.beam))


def beam_length(args, conv, beam: int) -> int:
    """--max-length, or the model's longest answer: checked against ``BEAM_STEPS`` with the
    ``beam`` width K, since beam search keeps K hypotheses' rows and backpointers at every
    one of the steps; refused before decoding."""
    max_length = args.max_length or conv.output_len
    BEAM_STEPS.check("--beam times --max-length", beam * max_length)
    return max_length


def described_search(search) -> str:
    """' (beam 5, alpha 0.6, ...)': the settings of a search that differ from greedy's."""
    if search is None:
        return ""
    extra = [f"{name} {getattr(search, field)}" for name, field in (
        ("alpha", "alpha"), ("beta", "beta"), ("min length", "min_length")) if getattr(
        search, field)]
    return f" (beam {', '.join([str(search.beam), *extra])})"
