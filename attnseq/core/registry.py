"""Named choices: the one place where the names of models, scores, encoders, recipes, ... live.

A ``Registry`` is a read-only mapping from a name to what the name stands for (a class, a
recipe, a one-line description), with the name that is chosen when none is given. Configs,
layers and the command line all read the same registry: its names are the command line's
``choices``, its default the option's default, its lookup the check that refuses an unknown
name. Adding a score function or a model is then one edit, the registry's entry, and every
place that offers the choice offers the new name too.

An unknown name is an ``AttnseqError`` with a one-line message in one of two forms, chosen per
registry: ``UNKNOWN`` ("unknown model 'x'; choose from baseline, peeky, attention") or
``ONE_OF`` ("score must be one of dot, scaled, general, additive, got 'x'"). The ``kind`` in
the message is the registry's unless a caller names the option it checks (a bidirectional
layer's ``merge`` and the model's ``bi_merge`` share one registry).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from attnseq.core.errors import AttnseqError

UNKNOWN = "unknown {kind} {name!r}; choose from {choices}"
ONE_OF = "{kind} must be one of {choices}, got {name!r}"


class Registry(Mapping):
    """Registry(kind, entries, default=NAME, message=UNKNOWN): name -> entry, in entry order.

    ``kind`` says what the names are ("model", "score"); ``default`` must be one of them.
    Iterating gives the names in the order given, which is the order the command line and the
    error messages list them in.
    """

    def __init__(self, kind: str, entries: Mapping[str, Any], *, default: str,
                 message: str = UNKNOWN):
        self._entries = MappingProxyType(dict(entries))
        if default not in self._entries:
            raise ValueError(f"the default {kind} {default!r} is not among "
                             f"{', '.join(self._entries)}")
        self.kind = kind
        self.default = default
        self._message = message

    def __getitem__(self, name: str):
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {', '.join(self._entries)}, default={self.default!r})"

    def names(self) -> str:
        """The names as the messages list them: "baseline, peeky, attention"."""
        return ", ".join(self._entries)

    def check(self, name, option: str | None = None) -> str:
        """``name`` when it is one of the registry's, else an ``AttnseqError`` whose message
        calls it ``option`` (default: the registry's ``kind``)."""
        try:
            known = name in self._entries
        except TypeError:  # an unhashable value, e.g. a list from a hand-edited JSON config
            known = False
        if not known:
            raise AttnseqError(self._message.format(kind=option or self.kind, name=name,
                                                    choices=self.names()))
        return name

    def lookup(self, name, option: str | None = None):
        """The entry called ``name``, refused like ``check`` when there is none."""
        return self._entries[self.check(name, option)]
