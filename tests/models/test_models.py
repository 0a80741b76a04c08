"""The chapter's three models: they learn, decode consistently, mask padding, keep the protocol.

The toy task. Every input is a string of 5–8 random digits; the answer is the same digits in
reverse order. Tokens are ids: 0 padding, 1 start, 2 end, 3–12 the digits (13 is never used,
so the vocabulary has 14 ids). Inputs are right-padded with 0 to 8 ids and then reversed
row-wise, as the book does, so the padding comes first and the encoder's last state has just
read the first digit. Targets are ``[start] + answer + [end]`` padded with 0 to 10 ids; the
decoder reads ``ts[:, :-1]`` and predicts ``ts[:, 1:]``.
"""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.models import GNMT, MODELS, AttentionSeq2seq, PeekySeq2seq, Seq2seq, Transformer
from attnseq.training.batches import trim_answers

PAD, START, END, V = 0, 1, 2, 14
TE, TD = 8, 9  # input width, number of decoder steps (answer + end, padded)


def reverse_task(seed: int, n: int = 64):
    """n pairs of the toy task above: (xs (n, TE), ts (n, 1 + TD)), both int32."""
    rng = np.random.default_rng(seed)
    xs = np.full((n, TE), PAD, dtype=np.int32)
    ts = np.full((n, 1 + TD), PAD, dtype=np.int32)
    ts[:, 0] = START
    for i in range(n):
        length = int(rng.integers(5, 9))
        digits = rng.integers(3, 13, length)
        xs[i, :length] = digits
        ts[i, 1 : length + 1] = digits[::-1]
        ts[i, length + 1] = END
    return xs[:, ::-1].copy(), ts


class TinyAdam:
    """Adam (Kingma & Ba) with bias correction, updating the arrays in place."""

    def __init__(self, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = self.v = None
        self.t = 0

    def update(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m += (1 - self.b1) * (g - m)
            v += (1 - self.b2) * (g * g - v)
            m_hat = m / (1 - self.b1 ** self.t)
            v_hat = v / (1 - self.b2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def exact_match(generated, ts):
    """Per row: every non-padding target (the answer and its end id) was generated."""
    targets = ts[:, 1:]
    return np.all((generated == targets) | (targets == PAD), axis=1)


def randomised(model, seed=0, scale=1.0):
    """Overwrite every parameter in place with N(0, scale²): an untrained model whose outputs
    vary from step to step (the book's tiny initial embeddings make them nearly constant)."""
    rng = np.random.default_rng(seed)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * scale
    return model


def teacher_forced(model, xs, ts_in):
    """Scores (N, Td, V) of the decoder reading ``ts_in`` (N, Td), as training computes them."""
    return model.decoder.forward(ts_in, model.encoder.forward(xs), model.mask(xs))


def own_inputs(generated):
    """The decoder inputs that reproduce a greedy run: the start id, then its own outputs."""
    start = np.full((generated.shape[0], 1), START, dtype=generated.dtype)
    return np.concatenate([start, generated[:, :-1]], axis=1)


MODEL_CLASSES = [Seq2seq, PeekySeq2seq, AttentionSeq2seq]
IDS = [cls.__name__ for cls in MODEL_CLASSES]


@pytest.fixture(scope="module", params=MODEL_CLASSES, ids=IDS)
def trained(request):
    """Each model trained (float32) on 64 fixed pairs until every one decodes exactly."""
    xs, ts = reverse_task(seed=0)
    model = request.param(V, 16, 64, seed=0, pad_id=PAD)
    opt = TinyAdam(lr=0.01)
    accuracy = 0.0
    for it in range(1, 1501):
        model.forward(xs, ts)
        model.backward()
        opt.update(model.params, model.grads)
        if it % 20 == 0:
            accuracy = exact_match(model.generate(xs, START, TD), ts).mean()
            if accuracy == 1.0:
                break
    return model, xs, ts, accuracy


# --------------------------------------------------------------------------- learning


def test_toy_task_is_well_formed():
    xs, ts = reverse_task(seed=0)
    for x, t in zip(xs, ts):
        digits = x[x != PAD][::-1]  # undo the reversal, drop padding
        n = len(digits)
        assert 5 <= n <= 8 and np.all(x[: TE - n] == PAD)
        assert list(t[1 : n + 1]) == list(digits[::-1]) and t[n + 1] == END
        assert np.all(t[n + 2 :] == PAD)


def test_overfits_to_exact_match(trained):
    model, xs, ts, accuracy = trained
    assert accuracy == 1.0
    assert np.all(exact_match(model.generate(xs, START, TD), ts))


def test_trained_teacher_forcing_agrees_with_generate(trained):
    model, xs, ts, _ = trained
    generated = model.generate(xs, START, TD)
    predicted = teacher_forced(model, xs, ts[:, :-1]).argmax(axis=2)
    real = ts[:, 1:] != PAD
    # Where greedy decoding reproduced the targets, its inputs were the teacher's inputs, so
    # the teacher-forced argmax must be the same token.
    assert np.array_equal(predicted[real], generated[real])
    assert np.array_equal(predicted[real], ts[:, 1:][real])


def test_trained_loss_is_small(trained):
    model, xs, ts, _ = trained
    assert model.forward(xs, ts) < 0.5


# --------------------------------------------------------------------------- decoding


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=IDS)
@pytest.mark.parametrize("random_params", [False, True], ids=["book-init", "randomised"])
def test_generate_equals_teacher_forcing_on_its_own_output(cls, random_params):
    xs, _ = reverse_task(seed=1, n=16)
    model = cls(V, 8, 16, dtype=np.float64, seed=3, pad_id=PAD)
    if random_params:
        randomised(model, seed=3)
    generated = model.generate(xs, START, TD)
    assert generated.shape == (16, TD)
    scores = teacher_forced(model, xs, own_inputs(generated))
    assert np.array_equal(scores.argmax(axis=2), generated)

    # The step logits themselves agree with the batched forward, not only their argmax.
    state = model.start(xs)
    tokens = np.full(16, START)
    for t in range(TD):
        logits, state = model.step(tokens, state)
        np.testing.assert_allclose(logits, scores[:, t], rtol=1e-10, atol=1e-12)
        tokens = generated[:, t]
    if random_params:  # the checks above had varied tokens to compare
        assert len(np.unique(generated)) > 3
        assert len({tuple(row) for row in generated}) > 3


def test_trained_generate_equals_teacher_forcing_on_its_own_output(trained):
    model, xs, _, _ = trained
    generated = model.generate(xs, START, TD + 3)  # past the end id too
    scores = teacher_forced(model, xs, own_inputs(generated))
    assert np.array_equal(scores.argmax(axis=2), generated)


def test_generate_output_type_and_lengths():
    xs, _ = reverse_task(seed=2, n=5)
    xs_before = xs.copy()
    for cls in MODEL_CLASSES:
        model = cls(V, 4, 5, seed=0, pad_id=PAD)
        ids = model.generate(xs, START, 7)
        assert isinstance(ids, np.ndarray) and ids.shape == (5, 7)
        assert np.issubdtype(ids.dtype, np.integer)
        assert np.all((ids >= 0) & (ids < V))
        assert model.generate(xs, START, 0).shape == (5, 0)
    assert np.array_equal(xs, xs_before)


@pytest.mark.parametrize("random_params", [False, True], ids=["book-init", "randomised"])
def test_attention_weights_from_generate(random_params):
    xs, _ = reverse_task(seed=3, n=12)
    model = AttentionSeq2seq(V, 6, 8, dtype=np.float64, seed=5, pad_id=PAD)
    if random_params:
        randomised(model, seed=6)
    ids, weights = model.generate(xs, START, TD, return_attention=True)
    assert np.array_equal(ids, model.generate(xs, START, TD))
    assert weights.shape == (12, TD, TE)
    np.testing.assert_allclose(weights.sum(axis=2), 1.0, rtol=1e-12)
    padded = np.broadcast_to((xs == PAD)[:, None, :], weights.shape)
    assert padded.any() and np.all(weights[padded] == 0.0)
    assert np.all(weights[~padded] > 0.0)

    teacher_forced(model, xs, own_inputs(ids))
    np.testing.assert_allclose(weights, model.decoder.attention.attention_weights,
                               rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("options", [{}, {"input_feeding": True}, {"score": "additive"}],
                         ids=["book", "input-feeding", "additive"])
def test_decoding_short_rows_alone_skips_shared_padding_without_changing_anything(options):
    xs, _ = reverse_task(seed=4, n=40)
    lengths = (xs != PAD).sum(axis=1)
    short, full = xs[lengths <= 6][:5], xs[lengths == TE][:1]
    assert len(short) == 5 and len(full) == 1
    model = randomised(AttentionSeq2seq(V, 6, 8, dtype=np.float64, seed=1, pad_id=PAD,
                                        **options), seed=2, scale=0.5)
    state = model.start(short)  # reversed rows: their padding leads, 2+ columns in all rows
    assert state["enc_hs"].shape[1] == TE - 2
    np.testing.assert_array_equal(state["attention_columns"], np.tile(np.arange(2, TE), (5, 1)))
    ids, weights = model.generate(short, START, TD, return_attention=True)
    # beside a full-length row no column can be dropped: the reference, row for row
    ref_ids, ref_weights = model.generate(np.concatenate([short, full]), START, TD,
                                          return_attention=True)
    assert np.array_equal(ids, ref_ids[:5])
    np.testing.assert_allclose(weights, ref_weights[:5], rtol=1e-12, atol=1e-15)
    assert np.all(weights[:, :, :2] == 0.0)


def test_trained_attention_weights_match_teacher_forcing():
    model = AttentionSeq2seq(V, 16, 32, seed=0, pad_id=PAD)  # float32
    xs, ts = reverse_task(seed=0, n=8)
    ids, weights = model.generate(xs, START, TD, return_attention=True)
    assert weights.dtype == np.float32
    teacher_forced(model, xs, own_inputs(ids))
    np.testing.assert_allclose(weights, model.decoder.attention.attention_weights, atol=1e-5)


def test_attention_without_pad_id_looks_at_padding():
    xs, _ = reverse_task(seed=3, n=12)
    model = AttentionSeq2seq(V, 6, 8, dtype=np.float64, seed=5)  # no pad_id: no mask
    assert model.mask(xs) is None
    _, weights = model.generate(xs, START, TD, return_attention=True)
    padded = np.broadcast_to((xs == PAD)[:, None, :], weights.shape)
    assert np.all(weights[padded] > 0.0)


def test_attention_generate_length_zero():
    xs, _ = reverse_task(seed=4, n=3)
    ids, weights = AttentionSeq2seq(V, 4, 5, seed=0, pad_id=PAD).generate(
        xs, START, 0, return_attention=True)
    assert ids.shape == (3, 0) and weights.shape == (3, 0, TE)


# --------------------------------------------------------------------------- loss and padding


def plain_masked_loss(scores, targets):
    """Mean of -log softmax(scores[n, t])[targets[n, t]] over the non-padding targets."""
    total, count = 0.0, 0
    for n in range(targets.shape[0]):
        for t in range(targets.shape[1]):
            if targets[n, t] == PAD:
                continue
            row = scores[n, t]
            total += np.log(np.exp(row - row.max()).sum()) + row.max() - row[targets[n, t]]
            count += 1
    return total / count


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=IDS)
def test_loss_ignores_padded_targets(cls):
    xs, ts = reverse_task(seed=5, n=10)
    model = randomised(cls(V, 6, 8, dtype=np.float64, seed=1, pad_id=PAD), seed=2)
    loss = model.forward(xs, ts)
    scores = teacher_forced(model, xs, ts[:, :-1])
    assert loss == pytest.approx(plain_masked_loss(scores, ts[:, 1:]), rel=1e-12)

    unmasked = cls(V, 6, 8, dtype=np.float64, seed=1)  # the same model, padding counted
    for p, q in zip(unmasked.params, model.params, strict=True):
        p[...] = q
    if cls is not AttentionSeq2seq:  # (attention also changes: it no longer masks the input)
        assert np.array_equal(teacher_forced(unmasked, xs, ts[:, :-1]), scores)
    assert unmasked.forward(xs, ts) != pytest.approx(loss, rel=1e-6)


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=IDS)
def test_loss_and_grads_do_not_depend_on_the_order_of_rows(cls):
    """forward puts a batch's rows in the encoder's prefix order; any order of the same rows
    gives the same loss and the same gradients."""
    xs, ts = reverse_task(seed=7, n=12)
    model = randomised(cls(V, 6, 8, dtype=np.float64, seed=1, pad_id=PAD), seed=3)
    runs = []
    for order in (np.arange(12), np.random.default_rng(0).permutation(12), np.arange(12)[::-1]):
        loss = model.forward(xs[order], ts[order])
        model.backward()
        runs.append((loss, [g.copy() for g in model.grads]))
    (loss0, grads0), *others = runs
    for loss, grads in others:
        assert loss == pytest.approx(loss0, rel=1e-12)
        for g, g0 in zip(grads, grads0, strict=True):
            np.testing.assert_allclose(g, g0, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [*MODEL_CLASSES, GNMT, Transformer],
                         ids=[*IDS, "GNMT", "Transformer"])
def test_columns_of_padding_after_every_answer_change_nothing(cls):
    """What ``trim_answers`` relies on: target columns that are padding in every row add
    nothing to the loss or to any gradient (the loss ignores them; the decoders are causal)."""
    xs, ts = reverse_task(seed=4, n=10)
    wide = np.pad(ts, ((0, 0), (0, 4)), constant_values=PAD)  # four more columns of padding
    narrow = trim_answers(wide, PAD)
    assert narrow.shape[1] == (ts != PAD).sum(axis=1).max() < wide.shape[1]
    widths = () if cls is Transformer else (6, 8)  # the Transformer's are its options
    model = randomised(cls(V, *widths, dtype=np.float64, seed=1, pad_id=PAD), seed=3,
                       scale=0.5)
    runs = []
    for batch in (wide, narrow):
        loss = model.forward(xs, batch)
        model.backward()
        runs.append((loss, [g.copy() for g in model.grads]))
    (loss_wide, grads_wide), (loss_narrow, grads_narrow) = runs
    assert loss_narrow == pytest.approx(loss_wide, rel=1e-12)
    for g, g0 in zip(grads_narrow, grads_wide, strict=True):
        np.testing.assert_allclose(g, g0, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- protocol


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=IDS)
@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_params_grads_and_dtype(cls, dtype):
    model = cls(V, 4, 5, dtype=dtype, seed=0, pad_id=PAD)
    expected = np.float32 if dtype is None else dtype
    assert len(model.params) == len(model.grads) > 0
    for p, g in zip(model.params, model.grads, strict=True):
        assert p.shape == g.shape and p.dtype == g.dtype == expected
    assert len({id(p) for p in model.params}) == len(model.params)
    assert len({id(g) for g in model.grads}) == len(model.grads)

    xs, ts = reverse_task(seed=6, n=4)
    scores = teacher_forced(model, xs, ts[:, :-1])
    assert scores.dtype == expected and scores.shape == (4, TD, V)


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=IDS)
def test_model_lists_are_bound_to_the_layers(cls):
    model = cls(V, 4, 5, seed=0, pad_id=PAD)
    layer_params = [p for part in (model.encoder, model.decoder) for p in part.params]
    assert [id(p) for p in model.params] == [id(p) for p in layer_params]
    layer_grads = [g for part in (model.encoder, model.decoder) for g in part.grads]
    assert [id(g) for g in model.grads] == [id(g) for g in layer_grads]
    # An in-place update through the model's list reaches the layer that uses it.
    xs, ts = reverse_task(seed=7, n=4)
    before = model.forward(xs, ts)
    model.decoder.affine.params[1][...] = 0.0
    model.params[-1][5] += 3.0  # the decoder affine's bias, the last parameter gathered
    assert model.decoder.affine.params[1][5] == 3.0
    assert model.forward(xs, ts) != before


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=IDS)
def test_backward_writes_grads_in_place_and_is_pure(cls, model_backward_twice):
    model = cls(V, 4, 5, dtype=np.float64, seed=0, pad_id=PAD)
    xs, ts = reverse_task(seed=8, n=6)
    model_backward_twice(model, xs, ts)


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=IDS)
def test_seed_reproducible(cls):
    a, b, c = (cls(V, 4, 5, seed=s) for s in (7, 7, 8))
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params, strict=True))
    assert not all(np.array_equal(p, q) for p, q in zip(a.params, c.params, strict=True))
    d, e = cls(V, 4, 5), cls(V, 4, 5)  # no seed: fresh randomness
    assert not np.array_equal(d.params[0], e.params[0])


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=IDS)
@pytest.mark.parametrize("sizes", [(0, 4, 5), (V, -1, 5), (V, 4, 0), (2.5, 4, 5), (V, 4, 5.5)])
def test_bad_sizes_raise(cls, sizes):
    with pytest.raises(ValueError):
        cls(*sizes)


@pytest.mark.parametrize("dtype", [np.int32, np.float16, "complex128"])
def test_bad_dtype_raises(dtype):
    with pytest.raises(ValueError):
        Seq2seq(V, 4, 5, dtype=dtype)


def test_models_registry():
    assert dict(MODELS) == {"baseline": Seq2seq, "peeky": PeekySeq2seq,
                            "attention": AttentionSeq2seq, "gnmt": GNMT,
                            "transformer": Transformer}


@pytest.mark.parametrize("name, value", [("vocab_size", 0), ("wordvec_size", 2.0),
                                         ("hidden_size", -1), ("hidden_size", True)])
def test_sizes_must_be_positive_integers(name, value):
    sizes = {"vocab_size": V, "wordvec_size": 4, "hidden_size": 6, name: value}
    for cls in MODELS.values():
        with pytest.raises(AttnseqError) as info:
            if cls is not Transformer:
                cls(sizes["vocab_size"], sizes["wordvec_size"], sizes["hidden_size"])
            elif name == "vocab_size":  # its other widths are its options (d_model, d_ff)
                cls(value)
            else:
                cls(V, d_model=value)
        own = name if cls is not Transformer or name == "vocab_size" else "d_model"
        assert str(info.value) == f"{own} must be a positive integer, got {value!r}"
