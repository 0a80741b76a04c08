"""Divergence: how a training run that blows up is stopped, in one line, with nothing saved.

A learning rate far too large (``--lr 1e30``) drives the loss to inf or nan within a few
steps; before that, for an epoch or so, the loss can stay finite while the weights reach
1e30. Three things keep such a run from doing harm:

- ``Trainer.step`` refuses a loss that is not finite before any update (``Diverged``);
- after each epoch, before the evaluation and before any callback (a save), the weights are
  checked (``check_weights``): nan, inf or a value beyond ``LARGEST_WEIGHT`` is a divergence,
  so no save ever replaces a model with one that diverged;
- the steps, and the evaluation that follows an epoch, run with NumPy's floating-point
  warnings off (``quiet``): their results are checked, and a diverging run's dozens of
  "overflow encountered" warnings would only bury the one line that says what happened.
  This is a context around those blocks, never a global filter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from attnseq.core.backend import xp
from attnseq.core.errors import AttnseqError

# The largest weight a saved model may hold: the square root of float32's largest number
# (3.4e38), so that no product of two weights overflows.
LARGEST_WEIGHT = 2.0**64


class Diverged(AttnseqError):
    """A training step's loss was not finite (nan or inf), or, with ``weights``, the weights
    after an epoch were not (or beyond ``LARGEST_WEIGHT``); ``loss`` is the loss (the
    step's, or the epoch's mean)."""

    def __init__(self, loss: float, where: str = "", *, weights: bool = False):
        what = "weights are nan, inf or beyond 2**64" if weights else f"loss is {loss}"
        super().__init__(f"training diverged: {what}{where}; try a smaller lr")
        self.loss = loss


def check_weights(params: Sequence, loss: float = math.nan, where: str = "") -> None:
    """Raise ``Diverged`` (weights) when any array of ``params`` holds nan, inf or a value
    beyond ``LARGEST_WEIGHT``; ``loss`` and ``where`` (" at epoch 3") go into the error."""
    for p in params:
        largest = float(xp.abs(p).max()) if p.size else 0.0  # nan when p holds a nan
        if not largest < LARGEST_WEIGHT:
            raise Diverged(loss, where, weights=True)


def quiet():
    """A context with NumPy's floating-point warnings off, for a block whose results are
    checked: a step (its loss), an epoch's evaluation and callbacks (the weights were
    checked before them; a decoding whose float32 sums overflow still picks a token). NumPy's
    own setting: a device backend's kernels do not warn."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")
