"""A model's config from a saved "model" entry, or from options that several models share.

``config_from_dict`` reads the "model" entry of a model directory's config.json: the tagged
form, ``{"family": "seq2seq", ...}`` with every field of that family's config, and the flat
form attnseq wrote before the families, one set of fields for every model
(``{"model": "peeky", "wordvec_size": ..., "d_model": ..., ...}``), whose fields added after
the first saved models may be missing. ``model_config`` builds a model's config from options
meant for any model (the command line's, or ``compare``'s, which trains several models alike):
each model takes its family's fields, and what a field leaves out is that model's default.

Both refuse a size above its limit (``attnseq.core.limits.CONFIG_LIMITS``: widths, layers,
lengths) before the config exists, so before any model is built: a ``config.json`` that says
``"hidden_size": 1000000000`` is one line, not a MemoryError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

import numpy

from attnseq.core.errors import AttnseqError
from attnseq.core.limits import CONFIG_LIMITS
from attnseq.models import MODELS
from attnseq.models.config import FAMILIES, FamilyConfig

_INTEGERS = (int, numpy.integer)  # a config's sizes may be NumPy integers too

# The fields the flat form always holds; the others were added later and default when absent.
_FLAT_REQUIRED = ("model", "wordvec_size", "hidden_size", "reverse", "question_len",
                  "answer_len", "init")


def field_names(cls) -> list[str]:
    """The fields of a family's config, in order."""
    return [f.name for f in fields(cls)]


def option_names() -> list[str]:
    """Every family's fields, each once, in the families' order: the flat form's keys, and
    the options that ``model_config`` takes."""
    names = ["model"]
    for cls in FAMILIES.values():
        names += [name for name in field_names(cls) if name not in names]
    return names


def family_of(model: str):
    """The config class of model ``model`` (a name of ``MODELS``)."""
    MODELS.check(model)
    return next(cls for cls in FAMILIES.values() if model in cls.models)


def model_config(model: str, options: Mapping) -> FamilyConfig:
    """The config of model ``model`` with ``options`` (field -> value) of any family.

    The fields of ``model``'s family take their value from ``options`` where it has one, else
    their default (for some fields the model's own: GNMT's three layers, the Transformer's
    two). Another family's fields are ignored, but for those whose value this family fixes:
    a different value is refused ("score='general' needs model 'attention', not
    'transformer'"). A name no family has is refused.
    """
    _refuse_unknown(options)
    cls = family_of(model)
    own = set(field_names(cls))
    for name, value in options.items():
        if name not in own and name in cls.fixed and value != cls.fixed[name]:
            raise AttnseqError(f"{name}={value!r} needs model 'attention', not {model!r}")
    taken = {name: value for name, value in options.items() if name in own}
    if "model" in own:
        taken["model"] = model
    _refuse_too_large(taken)
    return cls(**taken)


def config_from_dict(d) -> FamilyConfig:
    """The config a saved "model" entry holds, tagged or flat; a key that is unknown or
    missing, or a value of the wrong kind, is an ``AttnseqError`` naming it."""
    if not isinstance(d, dict):
        raise AttnseqError("model config must be a JSON object")
    if "family" not in d:
        return _from_flat(d)
    family = d["family"]
    cls = FAMILIES.lookup(family if isinstance(family, str) else repr(family))
    rest = {k: v for k, v in d.items() if k != "family"}
    names = field_names(cls)
    _refuse_keys(sorted(set(rest) - set(names)), sorted(set(names) - set(rest)))
    _refuse_too_large(rest)
    return cls(**rest)


def _from_flat(d: dict) -> FamilyConfig:
    """The flat form (format 1): every family's fields in one object, named by "model"."""
    _refuse_keys(sorted(set(d) - set(option_names())), sorted(set(_FLAT_REQUIRED) - set(d)))
    return model_config(d["model"], {k: v for k, v in d.items() if k != "model"})


def _refuse_too_large(values: Mapping) -> None:
    """The limit's one-line error for the first size in ``values`` above its limit; values
    of the wrong kind are left to the config's own checks (and their messages)."""
    for name, limit in CONFIG_LIMITS.items():
        value = values.get(name)
        if isinstance(value, _INTEGERS) and not isinstance(value, bool) and \
                value > limit.maximum:
            limit.check(name, value)


def _refuse_unknown(options: Mapping) -> None:
    unknown = sorted(set(options) - set(option_names()))
    if unknown:
        raise AttnseqError(f"unknown model options: {', '.join(unknown)}")


def _refuse_keys(unknown: list[str], missing: list[str]) -> None:
    if unknown:
        raise AttnseqError(f"unknown model config keys: {', '.join(unknown)}")
    if missing:
        raise AttnseqError(f"missing model config keys: {', '.join(missing)}")
