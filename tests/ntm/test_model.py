"""The Neural Turing Machine: its steps against the layers run by hand, the protocol, the
config's checks, and that a small one learns to copy short sequences.
(The central-difference checks of the whole machine are rows of attnseq/gradcheck/cases.py.)"""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.fast.cell import lstm_step
from attnseq.ntm import copytask
from attnseq.ntm.addressing import Addressing
from attnseq.ntm.memory import MemoryRead, MemoryWrite
from attnseq.ntm.model import NTM, NTMConfig

SMALL = NTMConfig(inputs=3, outputs=2, hidden_size=5, memory_rows=6, memory_width=4)


def small(dtype=np.float64, **options):
    model = NTM(NTMConfig(**{**SMALL.to_dict(), **options}), dtype=dtype, seed=3)
    rng = np.random.default_rng(4)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * 0.5
    return model


def test_forward_is_the_papers_loop_written_out():
    """Controller, both heads and the output, step by step, from the layers themselves."""
    model = small()
    xs = np.random.default_rng(5).standard_normal((2, 4, 3))
    Wx, Wh, b, W_head, b_head, W_out, b_out = model.params
    Mem = np.full((2, 6, 4), 1e-6)
    h = c = np.zeros((2, 5))
    r = np.zeros((2, 4))
    w_r = np.zeros((2, 6))
    w_r[:, 0] = 1.0
    w_w = w_r.copy()
    expected = []
    for t in range(4):
        _, c, _, h = lstm_step(Wx, Wh, b, np.concatenate([xs[:, t], r], axis=1), h, c)
        p = h @ W_head + b_head
        w_r = Addressing(4).forward(p[:, :10], Mem, w_r)
        r = MemoryRead().forward(w_r, Mem)
        w_w = Addressing(4).forward(p[:, 10:20], Mem, w_w)
        Mem = MemoryWrite().forward(Mem, w_w, p[:, 20:24], p[:, 24:])
        expected.append(1 / (1 + np.exp(-(np.concatenate([h, r], axis=1) @ W_out + b_out))))
    np.testing.assert_allclose(model.predict(xs), np.stack(expected, axis=1), rtol=1e-12)
    np.testing.assert_allclose(model.write_weights[:, -1], w_w, rtol=1e-12)


def test_the_loss_is_the_bce_of_the_output_phase_only():
    model = small()
    rng = np.random.default_rng(6)
    xs, ts = rng.standard_normal((2, 5, 3)), rng.integers(0, 2, (2, 2, 2)).astype(float)
    y = model.predict(xs)[:, -2:]
    bce = -(ts * np.log(y) + (1 - ts) * np.log(1 - y)).sum() / 2
    assert model.forward(xs, ts) == pytest.approx(bce, rel=1e-10)


@pytest.mark.parametrize("controller_only", [False, True])
def test_backward_writes_every_gradient_in_place(model_backward_twice, controller_only):
    model = small(controller_only=controller_only)
    rng = np.random.default_rng(7)
    model_backward_twice(model, rng.standard_normal((2, 5, 3)),
                         rng.integers(0, 2, (2, 2, 2)).astype(float))


def test_weightings_stay_on_the_simplex_in_float32():
    model = NTM(NTMConfig(memory_rows=16, memory_width=5, hidden_size=8), seed=1)
    xs = np.random.default_rng(8).integers(0, 2, (3, 9, 9)).astype(np.float32)
    ys = model.predict(xs)
    assert ys.dtype == np.float32 and model.read_weights.dtype == np.float32
    for w in (model.read_weights, model.write_weights):
        assert np.all(w >= 0)
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-5)


def test_the_baseline_has_no_memory():
    ntm, lstm = NTM(NTMConfig()), NTM(NTMConfig(controller_only=True))
    assert [p.shape for p in lstm.params] == [(9, 400), (100, 400), (400,), (100, 8), (8,)]
    assert ntm.params[0].shape == (29, 400)  # the input and the last read
    assert sum(p.size for p in ntm.params) > sum(p.size for p in lstm.params)


@pytest.mark.parametrize("option, value, message", [
    ("memory_rows", 0, "memory_rows must be a positive integer, got 0"),
    ("hidden_size", 2.0, "hidden_size must be a positive integer, got 2.0"),
    ("controller_only", 1, "controller_only must be true or false, got 1"),
    ("memory_init", 0.0, "memory_init must be a positive number, got 0.0"),
])
def test_bad_configs_are_refused(option, value, message):
    with pytest.raises(AttnseqError, match=f"^{message}$"):
        NTMConfig(**{option: value})


def test_a_small_ntm_learns_to_copy_short_sequences():
    """Lengths 1-3 on an 8 × 6 memory: a guess gets 12 of the 24 bits of a length-3
    sequence wrong; after 8 000 sequences (a few seconds) the machine gets fewer than 1.5."""
    model = NTM(NTMConfig(hidden_size=20, memory_rows=8, memory_width=6), seed=0)
    config = copytask.CopyConfig(sequences=8000, lr=2e-2, max_length=3)
    history = copytask.train(model, config, progress=False)
    assert history[0]["bit_errors"] > 4.0
    assert copytask.evaluate(model, 3)["bit_errors"] < 1.5
