"""Beam search on hand-built models whose every probability is known: the best sequence found
against all sequences enumerated, the scores recomputed from their definition, the stopping
rule, batching, and the settings refused. (Real models: test_beam_models.py.)"""

import itertools

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.decoding import BeamSearch, beam_search, decode_in_batches, greedy, log_softmax

END, START = 0, 9  # token 0 ends a sequence; the start id is never emitted (V = 3)


class TableModel:
    """A decodable model whose next-token probabilities are ``probs(x, prefix) -> (V,)``, a
    function of the input's first id x and the tokens emitted so far, and whose attention at
    each step is ``attend(x, prefix) -> (Te,)``. Logits are log-probabilities plus a row- and
    step-dependent offset (which the search must not see). ``calls`` counts the steps."""

    def __init__(self, probs, attend=None, pad_id=None):
        self.probs, self.attend, self.calls = probs, attend, 0
        if pad_id is not None:
            self.pad_id = pad_id

    def start(self, xs):
        N = xs.shape[0]
        return {"x": np.asarray(xs)[:, 0].copy(), "prefix": np.full((N, 0), -1),
                "started": np.zeros(N, bool)}

    def step(self, tokens, state):
        # The tokens fed are the start id, then what was emitted: the prefix is all but the first.
        self.calls += 1
        prefix = np.concatenate([state["prefix"], np.asarray(tokens)[:, None]], axis=1) \
            if state["started"].all() else state["prefix"]
        rows = [(int(x), tuple(int(t) for t in p)) for x, p in zip(state["x"], prefix)]
        logits = np.log([self.probs(x, p) for x, p in rows]) + 3.0 * len(rows[0][1]) \
            + np.arange(len(rows))[:, None]
        out = {**state, "prefix": prefix, "started": np.ones(len(rows), bool)}
        if self.attend is not None:
            out["attention"] = np.array([self.attend(x, p) for x, p in rows])
        return logits, out


def random_table(V=3, Te=4, seed=0):
    """probs and attend drawn from a generator seeded by (seed, x, prefix): fixed tables."""
    def probs(x, prefix):
        return np.random.default_rng([seed, x, len(prefix), *prefix]).dirichlet(np.ones(V))

    def attend(x, prefix):
        return np.random.default_rng([seed + 1, x, len(prefix), *prefix]).dirichlet(
            np.ones(Te) * 0.5)
    return probs, attend


def enumerate_scores(probs, attend, x, L, alpha=0.0, beta=0.0, real=None):
    """Every sequence of up to L tokens (ending at the first END, or L tokens without one)
    with its score computed from the definition, best first."""
    out = []
    for n in range(1, L + 1):
        for body in itertools.product(range(1, 3), repeat=n - 1):
            for last in ([END] + ([1, 2] if n == L else [])):
                seq = (*body, last)
                logp = sum(np.log(probs(x, seq[:j])[seq[j]]) for j in range(n))
                lp = ((5 + n) / 6) ** alpha
                cp = 0.0
                if beta:
                    cov = sum(attend(x, seq[:j]) for j in range(n))
                    mask = np.ones_like(cov, bool) if real is None else real
                    cp = beta * np.log(np.minimum(cov, 1.0))[mask].sum()
                out.append((logp / lp + cp, seq))
    return sorted(out, key=lambda s: -s[0])


def greedy_is_not_best(x, prefix):
    """a = 1 is likelier first, but b = 2 is almost surely followed by END: 'b END' (0.36)
    beats everything after 'a' (at most 0.5 * 0.35)."""
    if not prefix:
        return [0.1, 0.5, 0.4]
    return [0.9, 0.05, 0.05] if prefix[-1] == 2 else [0.3, 0.35, 0.35]


def test_beam_finds_the_best_sequence_that_greedy_misses():
    xs = np.zeros((1, 2), dtype=np.int64)
    best = enumerate_scores(greedy_is_not_best, None, 0, 4)[0]
    assert best[1] == (2, END)
    assert greedy(TableModel(greedy_is_not_best), xs, START, 4)[0, 0] == 1
    assert tuple(beam_search(TableModel(greedy_is_not_best), xs, START, 4, end_id=END,
                             beam=1)[0][0].tokens) != best[1]
    hyp = beam_search(TableModel(greedy_is_not_best), xs, START, 4, end_id=END, beam=2)[0][0]
    assert tuple(hyp.tokens) == best[1]
    assert hyp.score == pytest.approx(best[0], rel=1e-12)


@pytest.mark.parametrize("alpha, beta", [(0.0, 0.0), (0.6, 0.0), (0.0, 0.3), (1.5, 0.2)])
@pytest.mark.parametrize("seed", range(4))
def test_a_beam_wide_enough_to_keep_everything_returns_the_enumerated_best(alpha, beta, seed):
    """With K = 2^L no prefix is ever pruned, so only the stopping rule can lose a hypothesis:
    the n best must be the n best of all sequences, scores and tokens."""
    L, Te = 4, 4
    probs, attend = random_table(Te=Te, seed=seed)
    xs = np.array([[3, 1, 1, 0], [5, 0, 1, 1]])
    model = TableModel(probs, attend, pad_id=0)
    found = beam_search(model, xs, START, L, end_id=END, beam=2 ** L, n_best=6, alpha=alpha,
                        beta=beta)
    for x, row, hyps in zip(xs[:, 0], xs, found):
        expected = enumerate_scores(probs, attend, x, L, alpha, beta, real=row != 0)[:6]
        assert [tuple(h.tokens) for h in hyps] == [seq for _, seq in expected]
        np.testing.assert_allclose([h.score for h in hyps], [s for s, _ in expected],
                                   rtol=1e-10)


def test_scores_are_the_log_probs_over_lp_plus_cp():
    L, Te = 5, 4
    probs, attend = random_table(Te=Te, seed=7)
    xs = np.array([[2, 0, 1, 0], [4, 4, 1, 1], [6, 1, 1, 1]])
    real = xs != 0
    hyps = beam_search(TableModel(probs, attend, pad_id=0), xs, START, L, end_id=END, beam=3,
                       n_best=3, alpha=0.7, beta=0.4)
    for n, per_input in enumerate(hyps):
        assert len(per_input) == 3
        scores = [h.score for h in per_input]
        assert scores == sorted(scores, reverse=True)
        for h in per_input:
            seq = tuple(h.tokens)
            expected_logp = [np.log(probs(xs[n, 0], seq[:j])[seq[j]]) for j in range(len(seq))]
            np.testing.assert_allclose(h.log_probs, expected_logp, rtol=1e-12)
            assert (seq[-1] == END) != (len(seq) == L and END not in seq)
            cov = h.attention.sum(axis=0)
            cp = 0.4 * np.log(np.minimum(cov[real[n]], 1.0)).sum()
            lp = ((5 + len(seq)) / 6) ** 0.7
            assert h.score == pytest.approx(h.log_probs.sum() / lp + cp, rel=1e-12)


def late_winner(x, prefix):
    """'END' at once (0.55) is the likeliest sequence; 'a a END' (0.45 * 0.95 * 0.99) wins
    once long sequences are favoured (alpha = 2). 'a END' is poor."""
    if not prefix:
        return [0.55, 0.44, 0.01]
    if prefix == (1,):
        return [0.05, 0.94, 0.01]
    return [0.99, 0.005, 0.005]


def test_stopping_waits_for_a_later_better_hypothesis():
    xs = np.zeros((1, 2), dtype=np.int64)
    model = TableModel(late_winner)
    plain = beam_search(model, xs, START, 6, end_id=END, beam=2)[0][0]
    assert tuple(plain.tokens) == (END,)
    # With alpha 0 no alive beam can beat 'END' once it has finished: one step only.
    assert model.calls == 1
    model = TableModel(late_winner)
    hyps = beam_search(model, xs, START, 6, end_id=END, beam=2, n_best=2, alpha=2.0)[0]
    assert [tuple(h.tokens) for h in hyps] == [seq for _, seq in
                                              enumerate_scores(late_winner, None, 0, 6, 2.0)[:2]]
    assert tuple(hyps[0].tokens) == (1, 1, END) and tuple(hyps[1].tokens) == (END,)
    # ... and it stopped as soon as 'a a END' could not be beaten, before max_length.
    assert model.calls == 3


def test_min_length_forbids_an_early_end():
    xs = np.zeros((1, 2), dtype=np.int64)
    hyps = beam_search(TableModel(late_winner), xs, START, 6, end_id=END, beam=2, n_best=2,
                       min_length=3)[0]
    assert all(len(h.tokens) >= 3 for h in hyps)
    assert tuple(hyps[0].tokens) == (1, 1, END)


def test_hitting_max_length_returns_unfinished_hypotheses():
    never_ends = lambda x, prefix: [1e-6, 0.6, 0.4 - 1e-6]  # noqa: E731
    hyps = beam_search(TableModel(never_ends), np.zeros((1, 2)), START, 3, end_id=END, beam=2,
                       n_best=2)[0]
    assert [tuple(h.tokens) for h in hyps] == [(1, 1, 1), (1, 1, 2)]
    assert hyps[0].attention is None  # the model has no attention


def test_beam_one_is_greedy_up_to_the_end_token():
    probs, _ = random_table(seed=3)
    xs = np.arange(40)[:, None] * np.ones((1, 3), int)
    g = greedy(TableModel(probs), xs, START, 5)
    b = BeamSearch(END, beam=1)(TableModel(probs), xs, START, 5)
    for row_g, row_b in zip(g, b):
        n = list(row_g).index(END) + 1 if END in row_g else len(row_g)
        assert np.array_equal(row_b[:n], row_g[:n]) and np.all(row_b[n:] == END)


def test_many_inputs_in_batches_equal_each_alone():
    probs, attend = random_table(Te=3, seed=11)
    xs = np.random.default_rng(0).integers(0, 50, (30, 3))
    search = BeamSearch(END, beam=3, n_best=2, alpha=0.5, beta=0.1)
    together = search.search(TableModel(probs, attend), xs, START, 5)
    for row, hyps in zip(xs, together):
        alone = search.search(TableModel(probs, attend), row[None], START, 5)[0]
        # The toy's logits carry a per-row offset: scores agree to rounding, tokens exactly.
        assert [tuple(h.tokens) for h in hyps] == [tuple(h.tokens) for h in alone]
        np.testing.assert_allclose([h.score for h in hyps], [h.score for h in alone],
                                   rtol=1e-12)
    ids = decode_in_batches(TableModel(probs, attend), xs, START, 5, batch_size=7, workers=2,
                            decode=search)
    assert np.array_equal(ids, search(TableModel(probs, attend), xs, START, 5))


def test_log_softmax_is_stable_and_normalised():
    logits = np.array([[1000.0, 999.0, -1000.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    out = log_softmax(logits)
    assert np.all(np.isfinite(out)) and out.dtype == np.float64
    np.testing.assert_allclose(np.exp(out).sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(out[0, :2], [-np.log1p(np.exp(-1.0)), -np.log1p(np.e)])


@pytest.mark.parametrize("settings, message", [
    ({"beam": 0}, "beam must be a positive integer, got 0"),
    ({"beam": 2, "n_best": 3}, "n_best must be at most the beam width 2, got 3"),
    ({"alpha": -0.1}, "alpha must be a non-negative number, got -0.1"),
    ({"beta": float("nan")}, "beta must be a non-negative number, got nan"),
    ({"min_length": -1}, "min_length must be a non-negative integer, got -1"),
    ({"max_length": 0}, "max_length must be a positive integer, got 0"),
    ({"min_length": 5, "max_length": 4}, "min_length must be at most max_length 4, got 5"),
])
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(AttnseqError) as info:
        BeamSearch(END, **settings)
    assert str(info.value) == message


def test_bad_lengths_at_search_time():
    model = TableModel(greedy_is_not_best)
    with pytest.raises(AttnseqError, match="^min_length must be at most max_length 3, got 4$"):
        BeamSearch(END, min_length=4).search(model, np.zeros((1, 2)), START, 3)
    with pytest.raises(AttnseqError, match="^length must be a positive integer, got 0$"):
        BeamSearch(END).search(model, np.zeros((1, 2)), START, 0)
    with pytest.raises(AttnseqError, match=r"^beta \(the coverage penalty\) needs a model "
                                           "with attention$"):
        BeamSearch(END, beta=0.2).search(model, np.zeros((1, 2)), START, 3)
