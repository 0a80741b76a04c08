"""Every model keeps the decoder protocol (``attnseq.decoding.protocol``): its decoding state
holds arrays only, each batch-first, and rows selected and reordered mid-decoding go on
exactly as they would have: what beam search needs to follow its backpointers."""

import numpy as np
import pytest

from attnseq.decoding import EQUAL_ROWS, select
from attnseq.models import GNMT, MODELS, AttentionSeq2seq, Transformer

V, PAD, START = 9, 0, 1

MODEL_CASES = {
    **{name: (cls, {}) for name, cls in MODELS.items()},
    "attention[bi,layers=2,residual]": (AttentionSeq2seq, {"encoder": "bi", "num_layers": 2,
                                                           "residual": True}),
    "attention[input-feeding,additive]": (AttentionSeq2seq, {"input_feeding": True,
                                                             "score": "additive"}),
    "gnmt[layers=4,dropout,general]": (GNMT, {"num_layers": 4, "dropout": 0.3,
                                              "score": "general"}),
    "transformer[book]": (Transformer, {"impl": "book"}),
}


def build(cls, options, **kwargs):
    """A model of the case: D = 4, H = 6 for the LSTM models; the Transformer's own widths."""
    if cls is Transformer:
        return cls(V, **kwargs, **options)
    return cls(V, 4, 6, **kwargs, **options)


def batch(rng, N=6, Te=7):
    """Reversed inputs of unlike lengths: padding (0) in front, so attention drops columns."""
    xs = rng.integers(2, V, (N, Te))
    for n, pad in enumerate([3, 4, 2, 5, 3, 4][:N]):
        xs[n, :pad] = PAD
    return xs


def assert_batch_first(state, N):
    assert isinstance(state, dict) and state
    for key, value in state.items():
        assert isinstance(value, np.ndarray), f"state[{key!r}] is not an array"
        assert value.shape[0] == N, f"state[{key!r}] has {value.shape[0]} rows, not {N}"


@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_state_is_arrays_only_and_batch_first(name):
    cls, options = MODEL_CASES[name]
    rng = np.random.default_rng(0)
    model = build(cls, options, dtype=np.float64, seed=0, pad_id=PAD)
    xs = batch(rng)
    state = model.start(xs)
    assert_batch_first(state, len(xs))
    tokens = np.full(len(xs), START)
    for _ in range(3):
        logits, state = model.step(tokens, state)
        assert logits.shape == (len(xs), V)
        assert_batch_first(state, len(xs))
        tokens = logits.argmax(axis=1)


@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_selected_rows_decode_on_as_before(name):
    cls, options = MODEL_CASES[name]
    rng = np.random.default_rng(1)
    model = build(cls, options, dtype=np.float64, seed=1, pad_id=PAD)
    for p in model.params:  # unit-scale weights, so that rows' logits differ clearly
        p[...] = rng.standard_normal(p.shape) * 0.5
    xs = batch(rng)
    state = model.start(xs)
    tokens = np.full(len(xs), START)
    for _ in range(2):
        logits, state = model.step(tokens, state)
        tokens = logits.argmax(axis=1)
    # reordered, repeated, dropped; the second set as beam search makes them, many copies of
    # few rows, so that the LSTMs compute each copied state's product once
    for rows in (np.array([4, 0, 0, 5, 2]), np.repeat([4, 0, 5, 2], 10)):
        continue_selected(model, state, tokens, rows)


def continue_selected(model, state, tokens, rows):
    """Three more steps of ``rows`` selected from ``state`` equal those rows of the whole."""
    picked, picked_tokens = select(state, rows), tokens[rows]
    for _ in range(3):
        logits, state = model.step(tokens, state)
        picked_logits, picked = model.step(picked_tokens, picked)
        assert EQUAL_ROWS not in picked  # a step's rows differ again
        np.testing.assert_allclose(picked_logits, logits[rows], rtol=1e-12, atol=1e-12)
        if "attention" in state:
            np.testing.assert_allclose(picked["attention"], state["attention"][rows],
                                       rtol=1e-12, atol=1e-12)
        tokens, picked_tokens = logits.argmax(axis=1), picked_logits.argmax(axis=1)
        assert np.array_equal(picked_tokens, tokens[rows])
