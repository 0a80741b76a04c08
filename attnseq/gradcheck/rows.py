"""The rows of the gradient-check table: what a check builds, what it feeds, what it checks.

A ``LayerRow`` says how to build a layer in float64 and what to feed it, in the spirit of
Chainer's ``check_backward``: ``inputs`` are float arrays drawn N(0, 1) with the shapes given
and passed to ``forward`` by name; ``wrt`` names, in order, the input gradients ``backward``
returns (matched one to one: a layer that returns more or fewer fails the check); ``fixed``
are the other arguments of ``forward`` (ids, masks), drawn once; ``state`` are float inputs
given to ``set_state`` instead, whose gradients the layer leaves in ``dh`` (and ``dc``);
``final_h`` adds the layer's final state to its outputs (``backward`` then takes its
gradient second); ``reseed`` holds dropout masks fixed. Every float input must be checked:
a row that leaves one out of ``wrt`` and ``state`` is refused when the table is built.

A ``ModelRow`` is a model of ``attnseq.models.MODELS`` with options: its loss on a small
batch against every parameter. An ``NTMRow``, the NTM's loss over a few copy-task steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from attnseq.models import MODELS

N, T, TE, D, H, V = 3, 4, 5, 3, 4, 7  # batch, steps, encoder steps, widths, vocabulary


@dataclass(frozen=True)
class LayerRow:
    """One layer's check; see the module docstring."""

    name: str
    make: Callable  # rng -> layer, float64
    inputs: Mapping[str, tuple] = field(default_factory=dict)
    wrt: tuple = ()
    fixed: Mapping[str, Callable] = field(default_factory=dict)  # name -> (rng -> array)
    state: tuple = ()
    final_h: bool = False
    reseed: int | None = None

    def __post_init__(self):
        unchecked = set(self.inputs) - set(self.wrt) - set(self.state)
        unknown = (set(self.wrt) | set(self.state)) - set(self.inputs)
        if unchecked or unknown or set(self.wrt) & set(self.state) or len(self.state) > 2:
            raise ValueError(f"gradient row {self.name}: inputs {sorted(self.inputs)} must be "
                             f"split between wrt {self.wrt} and state {self.state}")


@dataclass(frozen=True)
class ModelRow:
    """A model's loss against every parameter; dropout masks held fixed."""

    name: str
    model: str  # a name of ``attnseq.models.MODELS``
    options: Mapping = field(default_factory=dict)
    hidden: int = 5
    scale: float = 0.5  # of the random weights (the score's: twice this)

    def build(self, **kwargs):
        """The row's model over a vocabulary of 9 (the LSTM models with D = 4, H = hidden;
        the Transformer takes its widths from its options)."""
        cls = MODELS[self.model]
        if self.model == "transformer":
            return cls(9, **kwargs, **self.options)
        return cls(9, 4, self.hidden, **kwargs, **self.options)


@dataclass(frozen=True)
class NTMRow:
    """The NTM's loss over a few steps of a small copy task, against every parameter."""

    name: str
    options: Mapping = field(default_factory=dict)
