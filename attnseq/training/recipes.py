"""Training recipes: how a model is initialised and trained, as one named choice.

A recipe fixes the settings that decide how fast training converges but leave the model
itself alone: the initialisation scheme (a model config's ``init``) and the training
hyper-parameters (``TrainConfig``). Two are offered:

* ``"default"`` converges fastest in wall time on the book's date task (the measurements that
  chose it are in docs/performance.md): embeddings drawn from N(0, 1/D) and the LSTMs'
  forget-gate bias at 1 (``init="default"``), batch 64, Adam whose rate falls linearly from
  5e-3 to 1e-3 over the first epoch, clipping at 5.0, four epochs;
* ``"book"`` is the book's experiment: embeddings drawn as randn/100, batch 128, Adam at a
  constant 1e-3, clipping at 5.0, ten epochs;
* ``"transformer"`` is the Transformer's (docs/transformer.md): batch 64, Adam whose rate
  falls linearly from 2e-3 to 1e-4 over its four epochs, clipping at 5.0; ``attnseq train
  --model transformer`` uses it unless ``--recipe`` says otherwise (``default_recipe``). (It
  replaced the Noam schedule, still ``--schedule noam``, whose rate was still high in the
  last epoch: one of its five runs, seed 1, ended at 87.9%, docs/transformer.md.)
* ``"wild"`` is sized for dates as people write them (``--task dates-wild``,
  docs/dates-wild.md): a larger model (D=64, H=384, a bidirectional encoder; its ``model``
  settings, which the command line's options override), batch 128, Adam whose rate falls
  linearly from 3e-3 to 2e-4 over its twelve epochs, clipping at 5.0.

``TrainConfig()`` and ``Seq2seqConfig()`` on their own are the default recipe's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from attnseq.core.registry import Registry
from attnseq.models.config import FamilyConfig
from attnseq.training.trainer import TrainConfig

BOOK_TRAIN = TrainConfig(epochs=10, batch_size=128, lr=1e-3, max_grad_norm=5.0,
                         final_lr=None)
DEFAULT_TRAIN = TrainConfig()
TRANSFORMER_TRAIN = TrainConfig(epochs=4, batch_size=64, lr=2e-3, max_grad_norm=5.0,
                                final_lr=1e-4, decay_epochs=4)
WILD_TRAIN = TrainConfig(epochs=12, batch_size=128, lr=3e-3, max_grad_norm=5.0, final_lr=2e-4,
                         decay_epochs=12)
WILD_MODEL = (("wordvec_size", 64), ("hidden_size", 384), ("encoder", "bi"))


@dataclass(frozen=True)
class Recipe:
    """An initialisation scheme and the training settings that go with it."""

    name: str
    init: str  # the model config's init
    train: TrainConfig
    summary: str  # one line, for --help and reports
    # model settings the recipe sizes (those a model config has), unless the caller gives them
    model: tuple[tuple[str, Any], ...] = ()

    def apply(self, model_config: FamilyConfig, **train_changes) -> tuple[FamilyConfig,
                                                                         TrainConfig]:
        """``model_config`` with this recipe's init, and this recipe's TrainConfig with
        ``train_changes`` (e.g. ``seed=3``) applied."""
        return replace(model_config, init=self.init), replace(self.train, **train_changes)

    def sized(self, model_config: FamilyConfig, given=()) -> FamilyConfig:
        """``model_config`` with the recipe's ``model`` settings that it has, but those
        named in ``given`` (options the user set)."""
        changes: dict[str, Any] = {k: v for k, v in self.model
                   if k not in given and hasattr(model_config, k)}
        return replace(model_config, **changes)


def _epochs(n: float) -> str:
    return "epoch" if n == 1 else f"{n:g} epochs"


RECIPES = Registry("recipe", {
    "default": Recipe("default", "default", DEFAULT_TRAIN,
                      f"embeddings ~ N(0, 1/D) and forget-gate bias 1, batch "
                      f"{DEFAULT_TRAIN.batch_size}, Adam lr "
                      f"{DEFAULT_TRAIN.lr:g} falling linearly to {DEFAULT_TRAIN.final_lr:g} "
                      f"over the first {_epochs(DEFAULT_TRAIN.decay_epochs)}, "
                      f"clip {DEFAULT_TRAIN.max_grad_norm:g}, {DEFAULT_TRAIN.epochs} epochs"),
    "book": Recipe("book", "book", BOOK_TRAIN,
                   "the book's: embeddings randn/100, batch 128, Adam lr 0.001, clip 5, "
                   "10 epochs"),
    "transformer": Recipe("transformer", "default", TRANSFORMER_TRAIN,
                          f"batch {TRANSFORMER_TRAIN.batch_size}, Adam lr "
                          f"{TRANSFORMER_TRAIN.lr:g} falling linearly to "
                          f"{TRANSFORMER_TRAIN.final_lr:g} over "
                          f"{_epochs(TRANSFORMER_TRAIN.decay_epochs)}, clip "
                          f"{TRANSFORMER_TRAIN.max_grad_norm:g}, "
                          f"{TRANSFORMER_TRAIN.epochs} epochs; the transformer's default"),
    "wild": Recipe("wild", "default", WILD_TRAIN,
                   f"for --task dates-wild: D={dict(WILD_MODEL)['wordvec_size']}, "
                   f"H={dict(WILD_MODEL)['hidden_size']}, a bidirectional encoder, batch "
                   f"{WILD_TRAIN.batch_size}, Adam lr {WILD_TRAIN.lr:g} falling linearly to "
                   f"{WILD_TRAIN.final_lr:g} over {_epochs(WILD_TRAIN.decay_epochs)}, clip "
                   f"{WILD_TRAIN.max_grad_norm:g}", WILD_MODEL),
}, default="default")

# The models whose own recipe is not the default one.
_MODEL_RECIPES = MappingProxyType({"transformer": "transformer"})


def default_recipe(model: str) -> str:
    """The recipe that trains ``model`` when none is named: its own, or the default."""
    return _MODEL_RECIPES.get(model, RECIPES.default)


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; an unknown name is an ``AttnseqError`` listing the names."""
    return RECIPES.lookup(name)
