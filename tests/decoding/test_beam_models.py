"""Beam search on the real models: beam 1 is greedy, a hypothesis' log-probabilities and
attention are what a teacher-forced forward pass on it computes, many inputs searched
together give what each gives alone, and what the search copies to the host."""

import numpy as np
import pytest

from attnseq.decoding import BeamSearch, beam, greedy, hypotheses, log_softmax
from attnseq.models import AttentionSeq2seq, PeekySeq2seq, Seq2seq

V, TE, PAD, START, END = 12, 7, 0, 1, 2

MODELS = {
    "baseline": lambda: Seq2seq(V, 6, 8, dtype=np.float64, seed=0, pad_id=PAD),
    "peeky": lambda: PeekySeq2seq(V, 6, 8, dtype=np.float64, seed=0, pad_id=PAD),
    "attention": lambda: AttentionSeq2seq(V, 6, 8, dtype=np.float64, seed=0, pad_id=PAD),
    "input-feeding": lambda: AttentionSeq2seq(V, 6, 8, dtype=np.float64, seed=0, pad_id=PAD,
                                              input_feeding=True),
    "bi-2-layers": lambda: AttentionSeq2seq(V, 6, 8, dtype=np.float64, seed=0, pad_id=PAD,
                                            encoder="bi", num_layers=2, residual=True),
}
WITH_ATTENTION = ["attention", "input-feeding", "bi-2-layers"]


def randomised(model, seed, end_bias=1.5):
    """Parameters from N(0, 0.8²): an untrained model whose steps differ; the output bias of
    the end token is raised so that some sequences end before the last step."""
    rng = np.random.default_rng(seed)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * 0.8
    model.decoder.affine.params[1][END] += end_bias
    return model


def inputs(n, seed=0):
    """xs (n, TE): real ids 3.. of lengths 2..TE, padding in front (as reversed inputs are)."""
    rng = np.random.default_rng(seed)
    xs = rng.integers(3, V, (n, TE)).astype(np.int32)
    for row, length in zip(xs, rng.integers(2, TE + 1, n)):
        row[: TE - length] = PAD
    return xs


def teacher_forced(model, xs, tokens):
    """Log-probabilities (T, V) and, for an attention model, weights (T, TE) of one input
    xs (1, TE) reading the start id and then ``tokens`` (T,) as training does."""
    ts_in = np.concatenate([[START], tokens[:-1]])[None].astype(np.int32)
    enc_hs = model.encoder.forward(xs)
    extra = (model.encoder.final_h,) if isinstance(model, AttentionSeq2seq) else ()
    scores = model.decoder.forward(ts_in, enc_hs, model.mask(xs), *extra)
    decoder = model.decoder
    weights = getattr(decoder, "attention_weights", None)
    if weights is None and hasattr(decoder, "attention"):
        weights = decoder.attention.attention_weights
    return log_softmax(scores[0]), None if weights is None else weights[0]


@pytest.mark.parametrize("name", MODELS)
def test_beam_one_is_greedy_up_to_the_end_token(name):
    model = randomised(MODELS[name](), seed=1)
    xs = inputs(40, seed=2)
    g = greedy(model, xs, START, 6)
    b = BeamSearch(END, beam=1)(model, xs, START, 6)
    assert (g == END).any(), "no row ends: the test would not see the end token"
    for row_g, row_b in zip(g, b):
        n = list(row_g).index(END) + 1 if END in row_g else len(row_g)
        assert np.array_equal(row_b[:n], row_g[:n])


@pytest.mark.parametrize("name", MODELS)
def test_hypotheses_are_what_teacher_forcing_computes(name):
    model = randomised(MODELS[name](), seed=3)
    xs = inputs(6, seed=4)
    search = BeamSearch(END, beam=4, n_best=4, alpha=0.6, beta=0.2 if name in WITH_ATTENTION
                        else 0.0)
    for n, hyps in enumerate(search.search(model, xs, START, 6)):
        assert len(hyps) == 4
        for h in hyps:
            log_probs, weights = teacher_forced(model, xs[n:n + 1], h.tokens)
            np.testing.assert_allclose(h.log_probs, log_probs[np.arange(len(h.tokens)),
                                                              h.tokens], rtol=1e-9)
            if name not in WITH_ATTENTION:
                assert h.attention is None
                continue
            np.testing.assert_allclose(h.attention, weights, rtol=1e-9, atol=1e-15)
            real = xs[n] != PAD
            cp = 0.2 * np.log(np.minimum(weights.sum(axis=0)[real], 1.0)).sum()
            lp = ((5 + len(h.tokens)) / 6) ** 0.6
            assert h.score == pytest.approx(log_probs[np.arange(len(h.tokens)),
                                                      h.tokens].sum() / lp + cp, rel=1e-9)


@pytest.mark.parametrize("name", ["baseline", "attention", "input-feeding"])
def test_many_inputs_together_equal_each_alone(name):
    """Alone, an input's attention runs over fewer columns (no shared padding): the same
    hypotheses, scores and attention over the input positions."""
    model = randomised(MODELS[name](), seed=5)
    xs = inputs(12, seed=6)
    search = BeamSearch(END, beam=3, n_best=3, alpha=0.4, beta=0.1 if name != "baseline"
                        else 0.0)
    together = search.search(model, xs, START, 6)
    for n, hyps in enumerate(together):
        alone = search.search(model, xs[n:n + 1], START, 6)[0]
        assert [h.tokens.tolist() for h in hyps] == [h.tokens.tolist() for h in alone]
        np.testing.assert_allclose([h.score for h in hyps], [h.score for h in alone],
                                   rtol=1e-10)
        for a, b in zip(hyps, alone):
            if a.attention is not None:
                np.testing.assert_allclose(a.attention, b.attention, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("name", ["attention", "input-feeding"])
def test_inputs_that_are_done_leave_the_batch_with_their_own_state(name):
    """Inputs whose best hypothesis can no longer be beaten stop at different steps; what
    the model's state passes through unchanged (encoder states, masks) must leave with them,
    and the rest must still decode as alone, with the teacher-forced attention."""
    model = randomised(MODELS[name](), seed=12, end_bias=1.0)
    rows_stepped = []
    step = model.step
    model.step = lambda tokens, state: (rows_stepped.append(len(tokens)), step(tokens, state))[1]
    xs = inputs(10, seed=12)
    search = BeamSearch(END, beam=3, beta=0.3)
    together = search.search(model, xs, START, 8)
    assert len(set(rows_stepped[1:])) > 2, "no input left early: the test would see nothing"
    for n, (hyp,) in enumerate(together):
        (alone,) = search.search(model, xs[n:n + 1], START, 8)[0]
        assert hyp.tokens.tolist() == alone.tokens.tolist()
        np.testing.assert_allclose(hyp.attention, alone.attention, rtol=1e-9, atol=1e-15)
        _, weights = teacher_forced(model, xs[n:n + 1], hyp.tokens)
        np.testing.assert_allclose(hyp.attention, weights, rtol=1e-9, atol=1e-15)


def test_float32_models_search_too():
    model = randomised(AttentionSeq2seq(V, 6, 8, seed=0, pad_id=PAD), seed=7)
    hyps = BeamSearch(END, beam=5, n_best=2, alpha=0.6, beta=0.2).search(model, inputs(3),
                                                                         START, 6)
    assert all(len(h) == 2 and h[0].score >= h[1].score for h in hyps)
    assert all(np.all(np.isfinite(h.log_probs)) for hs in hyps for h in hs)


@pytest.mark.parametrize("name", WITH_ATTENTION)
def test_encoder_states_stay_once_per_input_and_change_nothing(name):
    """The attention models name their encoder states as ``input_keys``: beam search steps K
    rows per input against one copy of them, and finds exactly what it finds when it copies
    them to every row."""
    model = randomised(MODELS[name](), seed=5)
    xs = inputs(6, seed=5)
    xs[:, 0] = PAD  # padding in every row: attention drops that column (attention_columns)
    search = BeamSearch(END, beam=3, n_best=2, alpha=0.6, beta=0.2)
    seen = []
    step = model.step

    def watched(tokens, state):
        seen.append((len(tokens), len(state["enc_hs"])))
        return step(tokens, state)

    model.step = watched
    grouped = search.search(model, xs, START, 6)
    assert set(model.input_keys) == {"enc_hs", "mask", "attention_columns"}
    assert seen[0] == (6, 6) and any(rows == 3 * inputs_ for rows, inputs_ in seen[1:])
    assert "attention_columns" in model.start(xs)
    assert all(inputs_ < rows for rows, inputs_ in seen[1:])
    model.input_keys = ()  # every entry per row: the encoder states copied K times
    seen.clear()
    copied = search.search(model, xs, START, 6)
    assert all(rows == inputs_ for rows, inputs_ in seen)
    for mine, ref in zip(grouped, copied, strict=True):
        for a, b in zip(mine, ref, strict=True):
            np.testing.assert_array_equal(a.tokens, b.tokens)
            assert a.score == pytest.approx(b.score, rel=1e-12)
            np.testing.assert_allclose(a.attention, b.attention, rtol=1e-12, atol=1e-15)


def test_the_search_copies_a_few_bools_per_step_and_its_results_once(monkeypatch):
    """What would cross from a device to the host is what ``to_numpy`` copies: in a step, at
    most one array of bools (the inputs done, any beam ended: 2 per input), none in the last;
    the finished piles once, at the end (one array for the best ids)."""
    copies = []

    def recorder(where):
        def to_numpy(a):
            copies.append((where, a.dtype, a.size))
            return np.asarray(a)
        return to_numpy

    monkeypatch.setattr(beam, "to_numpy", recorder("step"))
    monkeypatch.setattr(hypotheses, "to_numpy", recorder("end"))
    model = randomised(MODELS["bi-2-layers"](), seed=1)
    N, M, L = 30, 2, 6
    search = BeamSearch(END, beam=4, n_best=M, alpha=0.6, beta=0.2)
    found = search.search(model, inputs(N, seed=3), START, L)
    assert len(found) == N and all(len(hyps) == M for hyps in found)
    steps = [(dtype, size) for where, dtype, size in copies if where == "step"]
    assert 1 <= len(steps) <= L - 1
    assert all(dtype == np.bool_ and size <= 2 * N for dtype, size in steps)
    assert sorted(size for where, _, size in copies if where == "end") == sorted(
        [N * M, N * M * L, N * M * L, N * M, N * M * L * TE])  # scores, tokens, ... attention
    copies.clear()
    ids = search(model, inputs(N, seed=3), START, L)
    assert [(dtype, size) for where, dtype, size in copies if where == "end"] == [
        (ids.dtype, N * L)]
