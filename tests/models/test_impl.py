"""The two layer sets (attnseq.models.impl): a model built from the book's layers and one built
from the fast set, from the same seed, hold the same weights, compute the same losses and
gradients, train alike step for step and decode alike, greedily and by beam search."""

import numpy as np
import pytest

from attnseq import fast
from attnseq.core.errors import AttnseqError
from attnseq.decoding import BeamSearch
from attnseq.fast.shared_rows import prefix_order
from attnseq.layers.base import walk
from attnseq.models import MODELS
from attnseq.models.impl import IMPLS

PAD, START, END, V = 0, 1, 2, 11
TE, TD = 7, 6

VARIANTS = [
    ("baseline", {}),
    ("peeky", {}),
    ("attention", {}),
    ("attention", {"encoder": "bi", "num_layers": 2, "residual": True, "score": "general"}),
    ("attention", {"num_layers": 2, "dropout": 0.3, "output_dropout": 0.2}),
    ("attention", {"input_feeding": True}),
    ("gnmt", {"num_layers": 3, "dropout": 0.2}),
]
IDS = [f"{name}{options}" for name, options in VARIANTS]


def batch(seed: int, n: int = 12):
    """Inputs padded in front (as reversed inputs are), several rows sharing a prefix, and
    targets [start, answer, end] padded: (xs (n, TE), ts (n, 1 + TD))."""
    rng = np.random.default_rng(seed)
    xs = rng.integers(3, V, (n, TE)).astype(np.int32)
    xs[: n // 2, :3] = PAD
    xs[1] = xs[0]  # a repeated row
    ts = np.full((n, 1 + TD), PAD, dtype=np.int32)
    ts[:, 0] = START
    for row in ts:
        length = int(rng.integers(2, TD))
        row[1:length] = rng.integers(3, V, length - 1)
        row[length] = END
    return xs, ts


def pair(name, options, dtype=np.float64, seed=3):
    make = MODELS[name]
    return tuple(make(V, 5, 6, dtype=dtype, seed=seed, pad_id=PAD, impl=impl, **options)
                 for impl in ("book", "fast"))


def test_the_registry_names_both_sets_and_refuses_others():
    assert list(IMPLS) == ["book", "fast"] and IMPLS.default == "fast"
    with pytest.raises(AttnseqError, match="^impl must be one of book, fast, got 'quick'$"):
        MODELS["attention"](V, 5, 6, impl="quick")


@pytest.mark.parametrize("name, options", VARIANTS, ids=IDS)
def test_the_book_model_holds_no_fast_layer_and_the_same_weights(name, options):
    book, fast_model = pair(name, options)
    kinds = {type(layer).__module__ for layer in walk(book)}
    assert not any(kind.startswith(fast.__name__) for kind in kinds), kinds
    assert any(type(layer).__module__.startswith(fast.__name__) for layer in walk(fast_model))
    assert len(book.params) == len(fast_model.params)
    for p, q in zip(book.params, fast_model.params, strict=True):
        assert p.shape == q.shape and np.array_equal(p, q)


@pytest.mark.parametrize("name, options", VARIANTS, ids=IDS)
def test_training_steps_agree(name, options):
    """Five SGD steps from the same weights (float64, the same dropout masks): the same
    losses, gradients and weights after every step. Both models take the batch's rows as
    given (the trainer, not the model, puts them in ``row_order``), so with the same masks
    the same rows drop out."""
    book, fast_model = pair(name, options)
    for step in range(5):
        xs, ts = batch(seed=step)
        losses = []
        for model in (book, fast_model):
            for layer in walk(model):  # the same masks in both models
                if hasattr(layer, "rng") and hasattr(layer, "training"):
                    layer.rng = np.random.default_rng(100 + step)
            losses.append(model.forward(xs, ts))
            model.backward()
        assert losses[0] == pytest.approx(losses[1], rel=1e-12)
        for g, h in zip(book.grads, fast_model.grads, strict=True):
            np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-12)
        for model in (book, fast_model):
            for p, g in zip(model.params, model.grads, strict=True):
                p -= 0.5 * g
    for p, q in zip(book.params, fast_model.params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-9, atol=1e-12)


def test_dropout_draws_new_masks_at_every_forward_so_the_check_above_syncs_them():
    book, _ = pair("attention", {"num_layers": 2, "dropout": 0.3})
    xs, ts = batch(seed=0)
    assert book.forward(xs, ts) != book.forward(xs, ts)


@pytest.mark.parametrize("name, options", VARIANTS, ids=IDS)
def test_decoding_agrees(name, options):
    book, fast_model = pair(name, options, seed=8)
    for model in (book, fast_model):
        for p in model.params:  # unit-scale weights: distinct, decisive logits
            p[...] = np.random.default_rng(p.size).standard_normal(p.shape)
    xs, _ = batch(seed=5)
    greedy = [m.generate(xs, START, TD) for m in (book, fast_model)]
    np.testing.assert_array_equal(greedy[0], greedy[1])
    search = BeamSearch(END, beam=3, n_best=2, alpha=0.5)
    beams = [search.search(m, xs, START, TD) for m in (book, fast_model)]
    for hyps_book, hyps_fast in zip(*beams, strict=True):
        assert [h.tokens.tolist() for h in hyps_book] == [h.tokens.tolist() for h in hyps_fast]
        np.testing.assert_allclose([h.score for h in hyps_book],
                                   [h.score for h in hyps_fast], rtol=1e-9)


def test_only_the_fast_set_reorders_a_batchs_rows():
    book, fast_model = pair("attention", {})
    xs, _ = batch(4)
    assert book.row_order(xs) is None
    np.testing.assert_array_equal(fast_model.row_order(xs), prefix_order(xs))
