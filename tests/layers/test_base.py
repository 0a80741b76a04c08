"""The layer tree (attnseq.layers.base): children, walk, a composite's params and grads
(collect), train_mode and eval_mode derive from the attributes, for the book's layers, the fast
ones and whole models."""

import numpy as np
import pytest

from attnseq.layers import Affine, GeneralScore, Layer, TimeAttention, TimeDropout
from attnseq.layers.attention import Attention
from attnseq.layers.base import children, eval_mode, gather, walk
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


class Composite(Layer):
    """Children set in the order second, first (not alphabetical, not the order of a list
    written elsewhere), one of them repeated in a list, a copy on the attention's score."""

    def __init__(self, rng):
        super().__init__()
        self.second = Affine(rng.standard_normal((3, 2)), rng.standard_normal(2))
        self.first = TimeAttention(GeneralScore(rng.standard_normal((4, 4))))
        self.again = [self.second, TimeDropout(0.5, 0)]
        self.step = Attention(self.first.score.shared())  # a decoding step's copy
        self.collect()


def test_collect_concatenates_the_childrens_params_in_attribute_order():
    layer = Composite(np.random.default_rng(0))
    assert children(layer) == [layer.second, layer.first, layer.again[1], layer.step]
    expected = [*layer.second.params, *layer.first.params]
    assert len(layer.params) == 3
    assert all(p is q for p, q in zip(layer.params, expected, strict=True))
    expected_grads = [*layer.second.grads, *layer.first.grads]
    assert all(g is h for g, h in zip(layer.grads, expected_grads, strict=True))


def test_a_shared_parameter_copy_is_skipped_and_is_a_copy_itself():
    layer = Composite(np.random.default_rng(0))
    (W,) = layer.first.params
    assert layer.step.shares_params and layer.step.score.shares_params
    assert not layer.shares_params and not layer.first.shares_params
    # the copy runs on W with a gradient array of its own, which layer does not train
    assert layer.step.params[0] is W and layer.step.grads[0] is not layer.first.grads[0]
    assert not any(g is layer.step.grads[0] for g in layer.grads)


def test_gather_refuses_an_unmarked_shared_parameter_with_another_gradient():
    score = GeneralScore(np.ones((4, 4)))
    unmarked = GeneralScore(*score.params)  # the same W, its own gradient, not declared
    with pytest.raises(ValueError, match="^a shared parameter must share its gradient array"):
        gather([score, unmarked])

    class Unmarked(Layer):
        def __init__(self):
            super().__init__()
            self.score, self.copy = score, unmarked
            self.collect()

    with pytest.raises(ValueError, match="^a shared parameter must share its gradient array"):
        Unmarked()
