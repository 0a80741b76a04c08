"""Greedy decoding over a fake model whose every step is known in advance; the state helpers
of the decoder protocol; batching. (Every real model is checked against the protocol in
tests/models/test_decoder_protocol.py.)"""

import numpy as np
import pytest

from attnseq.core.backend import INDEX_DTYPE
from attnseq.core.errors import AttnseqError
from attnseq.decoding import (
    EQUAL_ROWS,
    batch_rows,
    decode_in_batches,
    greedy,
    input_attention,
    log_softmax,
    scored_greedy,
    select,
    stepped,
)
from attnseq.decoding.greedy import chosen_log_softmax

V, TE = 10, 4


class FakeModel:
    """A model whose logits are a fixed function of the previous token, the row and the step.

    step t of row n, given token k, puts its largest logit on ``(3k + n + t) % V`` (and smaller,
    distinct logits everywhere else, so the argmax is unique). Its attention weights at step t
    are a one-hot on position ``t % TE``. It records what it was called with.
    """

    def __init__(self):
        self.started_with = None
        self.calls = []

    def start(self, xs):
        self.started_with = np.array(xs, copy=True)
        return {"t": 0, "rows": np.arange(xs.shape[0])}

    def step(self, tokens, state):
        self.calls.append(np.array(tokens, copy=True))
        t, rows = state["t"], state["rows"]
        best = (3 * tokens + rows + t) % V
        logits = -((np.arange(V)[None, :] - best[:, None]) % V).astype(np.float64)
        attention = np.zeros((rows.size, TE))
        attention[:, t % TE] = 1.0
        return logits, {"t": t + 1, "rows": rows, "attention": attention}


def expected_chain(n_rows, start_id, length):
    """The argmax chain, computed row by row and step by step."""
    out = np.zeros((n_rows, length), dtype=np.int64)
    for n in range(n_rows):
        token = start_id
        for t in range(length):
            token = (3 * token + n + t) % V
            out[n, t] = token
    return out


def test_greedy_follows_the_argmax_chain():
    xs = np.arange(12).reshape(3, TE)
    model = FakeModel()
    ids = greedy(model, xs, start_id=7, length=6)
    assert isinstance(ids, np.ndarray) and ids.dtype == INDEX_DTYPE
    assert np.array_equal(ids, expected_chain(3, 7, 6))
    assert np.array_equal(model.started_with, xs)
    # step t was fed the start id, then its own previous output
    assert len(model.calls) == 6
    assert np.all(model.calls[0] == 7)
    for t in range(1, 6):
        assert np.array_equal(model.calls[t], ids[:, t - 1])


def test_greedy_length_zero():
    xs = np.zeros((2, TE), dtype=np.int64)
    model = FakeModel()
    ids = greedy(model, xs, start_id=1, length=0)
    assert ids.shape == (2, 0) and model.calls == []
    ids, weights = greedy(FakeModel(), xs, start_id=1, length=0, return_attention=True)
    assert ids.shape == (2, 0) and weights.shape == (2, 0, TE)


def test_greedy_returns_attention_of_every_step():
    xs = np.ones((5, TE), dtype=np.int64)
    ids, weights = greedy(FakeModel(), xs, start_id=2, length=7, return_attention=True)
    assert np.array_equal(ids, expected_chain(5, 2, 7))
    assert weights.shape == (5, 7, TE)
    for t in range(7):
        expected = np.zeros((5, TE))
        expected[:, t % TE] = 1.0
        assert np.array_equal(weights[:, t], expected)


def test_greedy_does_not_modify_xs():
    xs = np.arange(8).reshape(2, TE)
    before = xs.copy()
    greedy(FakeModel(), xs, start_id=0, length=3)
    assert np.array_equal(xs, before)


def test_greedy_needs_no_attention_unless_asked():
    class NoAttention(FakeModel):
        def step(self, tokens, state):
            logits, new = super().step(tokens, state)
            del new["attention"]
            return logits, new

    xs = np.zeros((2, TE), dtype=np.int64)
    ids = greedy(NoAttention(), xs, start_id=0, length=3)
    assert np.array_equal(ids, expected_chain(2, 0, 3))


def test_greedy_puts_weights_over_attention_columns_back_in_place():
    class Trimmed(FakeModel):  # attends over input columns 1..2 only, as its state says
        def step(self, tokens, state):
            logits, new = super().step(tokens, state)
            new["attention"] = np.tile([0.25, 0.75], (new["rows"].size, 1))
            new["attention_columns"] = np.tile([1, 2], (new["rows"].size, 1))
            return logits, new

    xs = np.ones((3, TE), dtype=np.int64)
    _, weights = greedy(Trimmed(), xs, start_id=0, length=2, return_attention=True)
    assert weights.shape == (3, 2, TE)
    assert np.array_equal(weights, np.tile([0.0, 0.25, 0.75, 0.0], (3, 2, 1)))


def test_input_attention_follows_each_rows_columns():
    weights = np.array([[[0.5, 0.5]], [[0.1, 0.9]]])  # (N=2, L=1, K=2)
    state = {"attention_columns": np.array([[0, 3], [1, 2]])}
    np.testing.assert_array_equal(input_attention(weights, state, 4),
                                  [[[0.5, 0.0, 0.0, 0.5]], [[0.0, 0.1, 0.9, 0.0]]])
    assert input_attention(weights, {}, 2) is weights


def test_select_takes_rows_in_the_order_given_repeats_allowed():
    state = {"h": np.arange(6.0).reshape(3, 2), "mask": np.array([True, False, True])}
    picked = select(state, np.array([2, 0, 0]))
    assert set(picked) == {"h", "mask", EQUAL_ROWS}
    np.testing.assert_array_equal(picked[EQUAL_ROWS], [2, 0, 0])  # rows 1 and 2 are equal
    np.testing.assert_array_equal(picked["h"], [[4.0, 5.0], [0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(picked["mask"], [True, True, True])
    np.testing.assert_array_equal(state["h"], np.arange(6.0).reshape(3, 2))  # untouched
    again = select(picked, np.array([1, 1]))  # a new selection says which rows it copied
    np.testing.assert_array_equal(again[EQUAL_ROWS], [1, 1])


def test_stepped_drops_the_equal_rows_mark():
    state = select({"h": np.zeros((2, 3)), "enc_hs": np.ones((2, 4, 3))}, np.array([0, 0]))
    new = stepped(state, h=np.ones((2, 3)))
    assert set(new) == {"h", "enc_hs"} and new["enc_hs"] is state["enc_hs"]
    np.testing.assert_array_equal(new["h"], np.ones((2, 3)))


def test_decode_in_batches_groups_like_inputs_and_lengths():
    class Echo:  # answers each row with its own first token, and records every batch
        def __init__(self, pad_id):
            self.pad_id, self.batches = pad_id, []

        def generate(self, xs, start_id, length):
            self.batches.append(xs[:, 0].tolist())
            return np.repeat(xs[:, :1], length, axis=1)

    PAD = 0
    xs = np.array([[5, 7, 7], [4, PAD, PAD], [3, 7, PAD], [2, PAD, PAD], [1, 7, 7]])
    padded = Echo(PAD)
    ids = decode_in_batches(padded, xs, start_id=9, length=2, batch_size=2, workers=1)
    assert ids.tolist() == [[5, 5], [4, 4], [3, 3], [2, 2], [1, 1]]  # in the input's order
    # batches by padding count, then by the ids, column by column
    assert padded.batches == [[1, 5], [3, 2], [4]]
    plain = Echo(None)
    assert np.array_equal(decode_in_batches(plain, xs, 9, 2, batch_size=2, workers=1), ids)
    assert plain.batches == [[1, 2], [3, 4], [5]]


def test_decode_in_batches_puts_a_batchs_rows_in_the_models_row_order():
    class Ordered:  # prefers its rows largest first token first, as a fast encoder might
        pad_id = None

        def __init__(self):
            self.batches = []

        def row_order(self, xs):
            return np.argsort(-xs[:, 0], kind="stable")

        def generate(self, xs, start_id, length):
            self.batches.append(xs[:, 0].tolist())
            return np.repeat(xs[:, :1], length, axis=1)

    class Unordered(Ordered):  # a model whose layers read a batch as it comes (the book's)
        def row_order(self, xs):
            return None

    xs = np.array([[5, 7], [4, 1], [3, 7], [2, 2], [1, 7]])
    ordered, unordered = Ordered(), Unordered()
    ids = decode_in_batches(ordered, xs, start_id=9, length=1, batch_size=2, workers=1)
    assert ids[:, 0].tolist() == [5, 4, 3, 2, 1]  # in the input's order
    assert ordered.batches == [[2, 1], [4, 3], [5]]
    assert np.array_equal(decode_in_batches(unordered, xs, 9, 1, batch_size=2, workers=1), ids)
    assert unordered.batches == [[1, 2], [3, 4], [5]]


def test_scored_greedy_writes_greedys_ids_with_their_log_probability():
    end_id, length, xs = 4, 6, np.zeros((5, TE), dtype=INDEX_DTYPE)
    ids, log_p = scored_greedy(FakeModel(), xs, 1, length, end_id)
    np.testing.assert_array_equal(ids, greedy(FakeModel(), xs, 1, length))
    model, expected = FakeModel(), []
    for n in range(len(xs)):  # row by row: log softmax of each step up to the first end
        state, token, total = {"t": 0, "rows": np.array([n])}, 1, 0.0
        for t in range(length):
            logits, state = model.step(np.array([token]), state)
            token = int(np.argmax(logits[0]))
            assert token == ids[n, t]
            total += logits[0, token] - np.log(np.exp(logits[0]).sum())
            if token == end_id:
                break
        expected.append(total)
    assert (ids == end_id).any(axis=1).sum() >= 2  # some rows end early, some never
    assert not (ids == end_id).any(axis=1).all()
    np.testing.assert_allclose(log_p, expected, rtol=1e-12)


def test_batch_rows_holds_each_row_once_in_batches_of_like_inputs():
    class Padded:
        pad_id = 0

    xs = np.array([[5, 7, 7], [4, 0, 0], [3, 7, 0], [2, 0, 0], [1, 7, 7]])
    batches = batch_rows(Padded(), xs, 2)
    assert [b.tolist() for b in batches] == [[4, 0], [2, 3], [1]]
    assert sorted(np.concatenate(batches).tolist()) == list(range(5))
    with pytest.raises(AttnseqError, match=r"^batch_size must be a positive integer, got 0$"):
        batch_rows(Padded(), xs, 0)


def test_chosen_log_softmax_is_log_softmax_at_the_chosen_tokens():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 9)) * 30 + np.array([[0], [500], [-500], [0], [1e4], [0]])
    rows, tokens = np.arange(6), rng.integers(9, size=6)
    want = log_softmax(logits)[rows, tokens]
    np.testing.assert_allclose(chosen_log_softmax(logits, rows, tokens), want, rtol=1e-12)
    got32 = chosen_log_softmax(logits.astype(np.float32), rows, tokens)
    assert got32.dtype == np.float64 and np.isfinite(got32).all()
    np.testing.assert_allclose(got32, log_softmax(logits.astype(np.float32))[rows, tokens],
                               rtol=1e-5, atol=1e-5)
