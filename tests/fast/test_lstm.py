"""The fast LSTMs against the reference: ``FastTimeLSTM`` equals ``TimeLSTM``, and
``EmbeddingLSTM`` equals an ``Embedding`` followed by a ``TimeLSTM``, in outputs and in every
gradient, whatever rows share (their float64 gradient checks are in test_gradcheck.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attnseq.fast import EmbeddingLSTM, FastTimeLSTM
from attnseq.fast.shared_rows import PrefixPlan
from attnseq.layers import Embedding, TimeLSTM

D, H, V = 3, 4, 6
TIGHT = {"rtol": 1e-11, "atol": 1e-13}


def lstm_weights(rng, d=D, dtype=np.float64):
    return [rng.standard_normal(s).astype(dtype) for s in [(d, 4 * H), (H, 4 * H), (4 * H,)]]


def copies(arrays):
    return [a.copy() for a in arrays]


def assert_all_close(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e, **TIGHT)


@pytest.mark.parametrize("N, T", [(3, 5), (1, 1), (4, 1), (1, 6)])
@pytest.mark.parametrize("stateful", [False, True])
def test_fast_time_lstm_equals_time_lstm(N, T, stateful):
    rng = np.random.default_rng(N * 10 + T)
    weights = lstm_weights(rng)
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    fast, ref = FastTimeLSTM(*copies(weights), stateful), TimeLSTM(*copies(weights), stateful)
    if stateful:
        h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        fast.set_state(h0, c0)
        ref.set_state(h0, c0)
    np.testing.assert_allclose(fast.forward(xs), ref.forward(xs), **TIGHT)
    np.testing.assert_allclose(fast.backward(dhs), ref.backward(dhs), **TIGHT)
    assert_all_close(fast.grads, ref.grads)
    assert_all_close([fast.dh, fast.dc], [ref.dh, ref.dc])
    if stateful:
        assert_all_close([fast.h, fast.c], [ref.h, ref.c])


def test_fast_time_lstm_step_equals_time_lstm_step_with_or_without_keys():
    rng = np.random.default_rng(1)
    weights = lstm_weights(rng)
    tokens = np.array([2, 0, 2, 2, 1, 0] * 6)  # 36 rows: enough for the projection to dedupe
    x = rng.standard_normal((3, D))[tokens]
    h, c = rng.standard_normal((36, H)), rng.standard_normal((36, H))
    expected = TimeLSTM(*weights).step(x, h, c)
    fast = FastTimeLSTM(*weights)
    assert_all_close(fast.step(x, h, c), expected)
    assert_all_close(fast.step(x, h, c, tokens), expected)


def reference_pair(weights):
    """The reference composite: an Embedding and a TimeLSTM over its output."""
    W, Wx, Wh, b = copies(weights)
    return Embedding(W), TimeLSTM(Wx, Wh, b, stateful=True)


def check_embedding_lstm(ids, seed=3, h0=None):
    """EmbeddingLSTM on ids (N, T) equals Embedding + TimeLSTM: outputs, the embedding's and
    the LSTM's gradients (and, from a set state h0, the state's); returns the layer."""
    rng = np.random.default_rng(seed)
    ids = np.asarray(ids)
    N, T = ids.shape
    weights = [rng.standard_normal((V, D))] + lstm_weights(rng)
    layer = EmbeddingLSTM(*copies(weights), stateful=h0 is not None)
    embed, lstm = reference_pair(weights)
    if h0 is not None:
        layer.set_state(h0)
        lstm.set_state(h0)
    ids_before = ids.copy()
    hs = layer.forward(ids)
    np.testing.assert_allclose(hs, lstm.forward(embed.forward(ids)), **TIGHT)
    dhs = rng.standard_normal((N, T, H))
    assert layer.backward(dhs) is None
    embed.backward(lstm.backward(dhs))
    assert_all_close(layer.grads, embed.grads + lstm.grads)
    if h0 is not None:
        assert_all_close([layer.dh, layer.dc, layer.h, layer.c], [lstm.dh, lstm.dc, lstm.h, lstm.c])
    np.testing.assert_array_equal(ids, ids_before)
    return layer


@pytest.mark.parametrize("lead", [[3, 0, 5, 7, 2, 3], [0, 0, 0, 0, 0, 0], [7, 7, 7, 7, 7, 7],
                                  [1, 6, 2, 5, 3, 4]])
def test_embedding_lstm_shares_padding_exactly(lead):
    """Reversed inputs: padding (id 0) in front of each row, varied real inputs after."""
    lead = np.array(lead)
    ids = 1 + np.arange(6 * 7).reshape(6, 7) % (V - 1)
    ids[np.arange(7)[None, :] < lead[:, None]] = 0
    check_embedding_lstm(ids)


def test_embedding_lstm_shares_common_first_inputs_with_both_kinds_of_step():
    ids = np.array([[0, 0, 1, 2, 3],
                    [0, 0, 1, 2, 4],
                    [0, 1, 1, 2, 3],
                    [0, 0, 1, 5, 3],
                    [0, 0, 1, 2, 3],  # the same as row 0: shares every step
                    [5, 0, 1, 2, 3],
                    [4, 4, 1, 2, 3],  # a shared run that is not the last: a gathered step
                    [4, 4, 1, 2, 5]])
    steps = PrefixPlan.for_keys(ids).steps
    assert any(s.gathered for s in steps) and any(not s.gathered and s.count < 8 for s in steps)
    check_embedding_lstm(ids)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.integers(1, 6).flatmap(
    lambda t: st.lists(st.lists(st.integers(0, 2), min_size=t, max_size=t),
                       min_size=n, max_size=n))))
def test_embedding_lstm_with_any_ids_equals_the_reference(ids):
    check_embedding_lstm(ids)


def test_embedding_lstm_computes_each_shared_prefix_once():
    ids = np.tile([1, 2, 3, 0], (5, 1))  # five equal rows
    layer = check_embedding_lstm(ids)
    tanh_cs = layer.lstm.cache[4]  # one row per computed (step, row) pair
    assert tanh_cs.shape == (4, H)


def test_embedding_lstm_from_a_set_state_shares_nothing_but_is_exact():
    rng = np.random.default_rng(8)
    ids = np.zeros((3, 4), dtype=int)  # equal rows: only the initial states tell them apart
    layer = check_embedding_lstm(ids, h0=rng.standard_normal((3, H)))
    assert layer.lstm.cache[4].shape == (12, H)


def test_embedding_lstm_step_equals_the_reference_step():
    rng = np.random.default_rng(9)
    weights = [rng.standard_normal((V, D))] + lstm_weights(rng)
    tokens = rng.integers(0, V, 40)
    h, c = rng.standard_normal((40, H)), rng.standard_normal((40, H))
    embed, lstm = reference_pair(weights)
    assert_all_close(EmbeddingLSTM(*weights).step(tokens, h, c),
                     lstm.step(embed.params[0][tokens], h, c))


def test_backward_is_pure(backward_twice):
    rng = np.random.default_rng(10)
    fast = FastTimeLSTM(*lstm_weights(rng))
    backward_twice(fast, [rng.standard_normal((3, 5, D))], [rng.standard_normal((3, 5, H))])
    layer = EmbeddingLSTM(rng.standard_normal((V, D)), *lstm_weights(rng))
    ids = np.array([[0, 0, 1, 2], [0, 0, 1, 3], [0, 4, 4, 4]])
    backward_twice(layer, [ids], [rng.standard_normal((3, 4, H))])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    rng = np.random.default_rng(11)
    layer = EmbeddingLSTM(rng.standard_normal((V, D)).astype(dtype), *lstm_weights(rng, D, dtype))
    hs = layer.forward(np.array([[0, 1, 2], [0, 1, 3]]))
    layer.backward(np.ones_like(hs))
    assert hs.dtype == dtype and all(g.dtype == dtype for g in layer.grads)
    fast = FastTimeLSTM(*lstm_weights(rng, D, dtype))
    dxs = fast.backward(np.ones_like(fast.forward(rng.standard_normal((2, 3, D)).astype(dtype))))
    assert dxs.dtype == dtype and all(g.dtype == dtype for g in fast.grads)


def test_step_computes_the_product_of_equal_states_once():
    rng = np.random.default_rng(12)
    weights = lstm_weights(rng)
    parents = rng.standard_normal((3, H)), rng.standard_normal((3, H))
    same = np.repeat([2, 0, 1], 12)  # 36 rows: copies of three states, as select makes them
    h, c = parents[0][same], parents[1][same]
    x = rng.standard_normal((36, D))
    expected = TimeLSTM(*weights).step(x, h, c)
    rows = []

    class Spy(np.ndarray):
        def __matmul__(self, other):
            rows.append(self.shape[0])
            return np.asarray(self) @ other

    fast = FastTimeLSTM(*weights)
    assert_all_close(fast.step(x, h.view(Spy), c, equal_rows=same), expected)
    assert rows == [3]  # one product per distinct state
    assert_all_close(fast.step(x, h, c, equal_rows=np.arange(36)), expected)  # all distinct


def test_fast_lstm_step_equals_the_books_lstm_step():
    """FastLSTM (one step on the gate-major cell) against the book's LSTM: outputs, input
    gradients and weight gradients."""
    from attnseq.fast import FastLSTM
    from attnseq.layers import LSTM

    rng = np.random.default_rng(21)
    weights = lstm_weights(rng)
    x, h, c = rng.standard_normal((5, D)), rng.standard_normal((5, H)), rng.standard_normal((5, H))
    dh, dc = rng.standard_normal((5, H)), rng.standard_normal((5, H))
    fast, book = FastLSTM(*copies(weights)), LSTM(*copies(weights))
    assert_all_close(fast.forward(x, h, c), book.forward(x, h, c))
    assert_all_close(fast.backward(dh, dc), book.backward(dh, dc))
    assert_all_close(fast.grads, book.grads)
