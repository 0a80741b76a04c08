"""The layer tree (attnseq.layers.base): walk, train_mode and eval_mode derive from the
attributes, for the book's layers, the fast ones and whole models."""

import numpy as np
import pytest

from attnseq.layers import Affine, Layer, TimeDropout
from attnseq.layers.base import eval_mode, walk
from attnseq.layers.dropout import dropouts_in
from attnseq.models import MODELS


class Pair(Layer):
    """Two children, one of them also held in a list and a dict: each is visited once."""

    def __init__(self):
        super().__init__()
        self.first = Affine(np.zeros((2, 3)), np.zeros(3))
        self.drops = [TimeDropout(0.5, 0), TimeDropout(0.2, 1)]
        self.named = {"again": self.first, "not a layer": np.zeros(4)}


def test_walk_visits_every_layer_once_parents_first_in_attribute_order():
    root = Pair()
    seen = list(walk(root))
    assert seen == [root, root.first, *root.drops]


@pytest.mark.parametrize("name, options", [
    ("attention", {"num_layers": 2, "dropout": 0.3, "output_dropout": 0.2}),
    ("gnmt", {"dropout": 0.2, "output_dropout": 0.1}),
    ("transformer", {"dropout": 0.1, "d_model": 8, "heads": 2, "d_ff": 8}),
])
def test_train_mode_and_eval_mode_reach_every_dropout_of_a_model(name, options):
    sizes = () if name == "transformer" else (4, 6)
    model = MODELS[name](9, *sizes, seed=0, **options)
    drops = dropouts_in(model)
    assert len(drops) >= 3 and all(d.training for d in drops)
    model.train_mode(False)
    assert not model.training and not any(d.training for d in drops)
    model.train_mode(True)
    with pytest.raises(RuntimeError, match="inside"):
        with eval_mode(model):
            assert not any(d.training for d in drops)
            raise RuntimeError("inside")
    assert model.training and all(d.training for d in drops)  # put back, even after a raise
