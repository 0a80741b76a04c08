"""The Transformer: cached decoding equals the full forward, beam 1 is greedy, it learns,
and everything built for the LSTM models (convert, checkpoints, attention) works with it."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.decoding import BeamSearch, greedy, input_attention
from attnseq.decoding.threads import one_blas_thread
from attnseq.experiments.converter import Converter
from attnseq.models import Transformer
from attnseq.models.config import Seq2seqConfig, TransformerConfig
from attnseq.tasks import date_vocab, generate_dates
from attnseq.tasks.vocab import Vocab
from attnseq.training.trainer import STOP, TrainConfig, Trainer

V, PAD, START = 9, 0, 1
SMALL = {"d_model": 8, "heads": 2, "d_ff": 16, "max_len": 12}


def inputs(rng, N=4, Te=7):
    xs = rng.integers(2, V, (N, Te))
    for n, pad in enumerate([3, 0, 2, 5][:N]):
        xs[n, :pad] = PAD
    return xs


@pytest.mark.parametrize("options", [{}, {"norm": "post", "tie_embeddings": True,
                                          "positions": "learned", "activation": "gelu"}])
def test_cached_steps_give_the_full_forwards_logits(options):
    rng = np.random.default_rng(0)
    model = Transformer(V, dtype=np.float64, seed=0, pad_id=PAD, **SMALL, **options)
    for p in model.params:
        p[...] += rng.standard_normal(p.shape) * 0.3
    xs, ys = inputs(rng), rng.integers(2, V, (4, 6))
    ys[:, 0] = START
    state = model.start(xs)
    stepped = []
    for t in range(ys.shape[1]):
        logits, state = model.step(ys[:, t], state)
        stepped.append(logits)
        assert state["k0"].shape == (4, 2, t + 1, 4)  # one more cached position per step
    mask = model.mask(xs)
    full = model.decoder.forward(ys, model.encoder.forward(xs, mask), mask)
    np.testing.assert_allclose(np.stack(stepped, axis=1), full, rtol=1e-10, atol=1e-12)
    cross = model.decoder.layers[-1].cross_mha.weights  # (N, h, Td, Te)
    np.testing.assert_allclose(state["attention"], cross[:, :, -1].mean(axis=1), atol=1e-12)
    assert np.all(state["attention"][xs == PAD] == 0.0)


@pytest.mark.parametrize("options", [{}, {"norm": "post", "positions": "learned"}])
def test_decoding_encodes_only_the_columns_some_row_reads(options):
    """Columns that are padding in every row are left out of decoding's encoder pass (at
    their own positions): same logits as the full forward, the weights put back in place."""
    rng = np.random.default_rng(3)
    model = Transformer(V, dtype=np.float64, seed=0, pad_id=PAD, **SMALL, **options)
    for p in model.params:
        p[...] += rng.standard_normal(p.shape) * 0.3
    xs, ys = inputs(rng), rng.integers(2, V, (4, 5))
    xs[:, :2] = PAD  # reversed inputs: padding first, here two columns in every row
    xs[:, -1] = PAD  # and one at the end
    ys[:, 0] = START
    state = model.start(xs)
    assert state["cross_k0"].shape[2] == 4
    np.testing.assert_array_equal(state["attention_columns"], np.tile(np.arange(2, 6), (4, 1)))
    logits, weights = [], []
    for t in range(ys.shape[1]):
        out, state = model.step(ys[:, t], state)
        logits.append(out)
        weights.append(input_attention(state["attention"][:, None], state, xs.shape[1])[:, 0])
    mask = model.mask(xs)
    full = model.decoder.forward(ys, model.encoder.forward(xs, mask), mask)
    np.testing.assert_allclose(np.stack(logits, axis=1), full, rtol=1e-10, atol=1e-12)
    cross = model.decoder.layers[-1].cross_mha.weights.mean(axis=1)  # (N, Td, Te)
    np.testing.assert_allclose(np.stack(weights, axis=1), cross, atol=1e-12)


TWIN_OPTIONS = [{}, {"norm": "post", "tie_embeddings": True},
                {"positions": "learned", "activation": "gelu", "num_layers": 2}]


def twins(options, seed=0):
    """The book's and the fast Transformer over the same weights (float64)."""
    book = Transformer(V, impl="book", dtype=np.float64, seed=seed, pad_id=PAD, **SMALL,
                       **options)
    fast = Transformer(V, impl="fast", dtype=np.float64, seed=seed, pad_id=PAD, **SMALL,
                       **options)
    rng = np.random.default_rng(seed + 10)
    assert [p.shape for p in book.params] == [p.shape for p in fast.params]
    for mine, theirs in zip(book.params, fast.params, strict=True):
        mine[...] += rng.standard_normal(mine.shape) * 0.3
        theirs[...] = mine
    return book, fast


@pytest.mark.parametrize("options", TWIN_OPTIONS)
def test_book_and_fast_give_the_same_loss_and_every_gradient(options):
    """The fast set (packed encoder rows, BLAS sums, in-place softmax) is only an
    optimisation of the paper's layers: the same loss and gradients from the same weights."""
    rng = np.random.default_rng(4)
    xs, ts = inputs(rng), rng.integers(2, V, (4, 6))
    book, fast = twins(options)
    loss = book.forward(xs, ts)
    np.testing.assert_allclose(fast.forward(xs, ts), loss, rtol=1e-12)
    mask = xs != PAD
    assert fast.encoder.layers[0].mha.cache[4].rows == mask.sum()  # the real rows only
    book.backward()
    fast.backward()
    for mine, theirs in zip(fast.grads, book.grads, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("options", TWIN_OPTIONS)
def test_book_and_fast_decode_alike_greedy_and_beam(options):
    rng = np.random.default_rng(5)
    xs = inputs(rng)
    book, fast = twins(options, seed=2)
    np.testing.assert_array_equal(greedy(fast, xs, START, 6), greedy(book, xs, START, 6))
    search = BeamSearch(end_id=2, beam=3)
    for mine, theirs in zip(search.search(fast, xs, START, 6), search.search(book, xs, START, 6),
                            strict=True):
        assert [list(h.tokens) for h in mine] == [list(h.tokens) for h in theirs]
        np.testing.assert_allclose([h.score for h in mine], [h.score for h in theirs],
                                   rtol=1e-10)
    assert book.start(xs)["cross_k0"].shape == fast.start(xs)["cross_k0"].shape


def test_weights_of_one_impl_load_into_the_other(tmp_path):
    book, fast = (Transformer(V, impl=impl, seed=seed, **SMALL)
                  for impl, seed in (("book", 3), ("fast", 4)))
    assert not np.array_equal(book.params[0], fast.params[0])
    np.savez(tmp_path / "w.npz", *book.params)
    with np.load(tmp_path / "w.npz", allow_pickle=False) as saved:
        for k, p in enumerate(fast.params):
            p[...] = saved[f"arr_{k}"]
    for mine, theirs in zip(fast.params, book.params, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    with pytest.raises(AttnseqError, match=r"^impl must be one of book, fast, got 'slow'$"):
        Transformer(V, impl="slow")


def test_beam_of_one_is_greedy():
    rng = np.random.default_rng(1)
    model = Transformer(V, seed=1, pad_id=PAD, **SMALL)
    for p in model.params:
        p[...] += (rng.standard_normal(p.shape) * 0.5).astype(p.dtype)
    xs = inputs(rng)
    ids = greedy(model, xs, START, 6)
    hyps = BeamSearch(end_id=2, beam=1).search(model, xs, START, 6)
    for row, (best,) in zip(ids, hyps, strict=True):
        tokens = list(best.tokens)
        assert tokens == list(row[:len(tokens)])


def test_heads_weights_are_kept_and_bad_options_refused():
    with pytest.raises(AttnseqError, match=r"^heads \(3\) must divide d_model \(8\)$"):
        Transformer(V, d_model=8, heads=3)
    with pytest.raises(AttnseqError, match=r"^num_layers must be a positive integer, got 0$"):
        Transformer(V, num_layers=0)
    with pytest.raises(AttnseqError, match=r"^dropout must be a number in \[0, 1\), got -0.1$"):
        Transformer(V, dropout=-0.1)


def test_tied_embeddings_share_one_matrix():
    model = Transformer(V, seed=0, tie_embeddings=True, **SMALL)
    untied = Transformer(V, seed=0, **SMALL)
    assert len(model.params) == len(untied.params) - 1
    E = model.decoder.embedding.params[0]
    assert np.shares_memory(model.decoder.affine.params[0], E)


def digits_converter(seed=0, **options):
    vocab = Vocab.from_texts(["0123456789"])
    config = TransformerConfig(question_len=6, answer_len=6, d_model=32,
                         heads=4, d_ff=64, num_layers=1, **options)
    return Converter.create(config, vocab, seed=seed)


def test_overfits_a_small_set_and_survives_a_checkpoint(reverse_pairs, train_until_exact,
                                                         tmp_path):
    pairs = reverse_pairs(0, 24)
    conv = digits_converter()
    history = train_until_exact(conv, pairs, epochs=400)
    assert conv.accuracy(pairs) == 1.0, history[-1]
    conv.save(tmp_path / "m")
    loaded = Converter.load(tmp_path / "m")
    assert loaded.config.model == "transformer"
    assert loaded.convert([p[0] for p in pairs]) == [p[1] for p in pairs]
    # the per-head maps, in reading order, padding dropped
    (heads,) = loaded.attention_heads([pairs[0][0]])
    n_in, n_out = len(pairs[0][0]), len(pairs[0][1])
    assert heads["inputs"] == list(pairs[0][0]) and heads["outputs"] == list(pairs[0][1])
    assert [a.shape for a in heads["encoder"]] == [(4, n_in, n_in)]
    assert [a.shape for a in heads["decoder"]] == [(4, n_out, n_out)]
    assert [a.shape for a in heads["cross"]] == [(4, n_out, n_in)]
    np.testing.assert_allclose(heads["cross"][0].sum(axis=2), 1.0, rtol=1e-5)
    # the head-averaged view of Figure 8-27 is the last layer's cross-attention, averaged
    ((_, _, weights),) = loaded.attention([pairs[0][0]])
    np.testing.assert_allclose(weights, heads["cross"][-1].mean(axis=0), atol=1e-6)


def test_attention_heads_needs_a_transformer():
    vocab = Vocab.from_texts(["0123456789"])
    conv = Converter.create(Seq2seqConfig(model="attention", hidden_size=4, wordvec_size=3,
                                        question_len=6, answer_len=6), vocab, seed=0)
    with pytest.raises(AttnseqError, match=r"^a 'attention' model has no per-head "
                                           r"attention$"):
        conv.attention_heads(["123"])


def test_learns_a_narrow_date_format():
    """Trained for seconds on one format ('1984/09/25'), it converts dates it never saw."""
    pairs = generate_dates(400, seed=0, formats=["yyyy_mm_dd_slash"])
    train, test = pairs[:300], pairs[300:]
    config = TransformerConfig(question_len=max(len(p.question) for p in pairs),
                         answer_len=10, d_model=32, heads=4, d_ff=64, num_layers=1)
    conv = Converter.create(config, date_vocab(), seed=0)
    xs, ts = conv.encode(train)
    trainer = Trainer.from_config(conv.model, TrainConfig(
        epochs=60, batch_size=30, schedule="noam", warmup=50, lr_factor=1.0))
    # measured: 99% of the unseen dates after 15 epochs (evaluated every 5th), in 2 s on one
    # BLAS thread; matrices this small only lose time to more threads on a busy machine
    with one_blas_thread():
        trainer.fit(xs, ts, eval_fn=lambda epoch: {"accuracy": conv.accuracy(test)
                                                   if epoch % 5 == 0 else 0.0},
                    callbacks=[lambda epoch, r: STOP if r["accuracy"] >= 0.99 else None],
                    progress=False)
    assert conv.accuracy(test) >= 0.99
