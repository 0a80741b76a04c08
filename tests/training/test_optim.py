"""Optimisers against plain reference formulas; in-place updates; clipping; no temporaries."""

import math
import tracemalloc

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.training.optim import (
    SGD,
    Adam,
    LinearDecay,
    NoamDecay,
    build_optimizer,
    clip_grads,
    grad_norm,
)


def make_lists(rng, dtype=np.float64):
    shapes = [(3, 4), (4,), (2, 3, 5)]
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return params, grads


def reference_adam(params, grads_per_step, lr, b1, b2, eps):
    """Kingma & Ba with explicit bias-corrected moments (eps added to sqrt(v_hat) * c)."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step, start=1):
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = v[i] / (1 - b2 ** t)
            # the book's form: eps is added to sqrt(v), not to sqrt(v_hat)
            c = math.sqrt(1 - b2 ** t)
            params[i] = params[i] - lr * m_hat * c / (np.sqrt(v_hat) * c + eps)
    return params


def test_sgd_step_is_the_formula():
    rng = np.random.default_rng(0)
    params, grads = make_lists(rng)
    ids = [id(p) for p in params]
    expected = [p - 0.1 * g for p, g in zip(params, grads)]
    opt = SGD(lr=0.1)
    opt.update(params, grads)
    opt.lr = 0.05
    expected = [e - 0.05 * g for e, g in zip(expected, grads)]
    opt.update(params, grads)
    assert [id(p) for p in params] == ids
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-14)


@pytest.mark.parametrize("b1,b2,eps", [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3)])
def test_adam_matches_reference_in_place(b1, b2, eps):
    rng = np.random.default_rng(1)
    params, _ = make_lists(rng)
    steps = [make_lists(rng)[1] for _ in range(6)]
    expected = reference_adam(params, steps, 0.01, b1, b2, eps)
    views = [p[...] for p in params]  # other holders of the same memory must see the update
    ids = [id(p) for p in params]
    opt = Adam(lr=0.01, beta1=b1, beta2=b2, eps=eps)
    for grads in steps:
        opt.update(params, grads)
    assert opt.t == 6
    assert [id(p) for p in params] == ids
    for p, view, e in zip(params, views, expected):
        np.testing.assert_allclose(p, e, rtol=1e-10, atol=1e-13)
        np.testing.assert_array_equal(view, p)


def test_adam_lr_change_takes_effect():
    rng = np.random.default_rng(2)
    params, grads = make_lists(rng)
    a = [p.copy() for p in params]
    opt_a, opt_b = Adam(lr=0.01), Adam(lr=0.01)
    opt_a.update(params, grads)
    opt_b.lr = 0.02
    opt_b.update(a, grads)
    # the first Adam step is about -lr * sign(g): doubling lr doubles it
    p0, _ = make_lists(np.random.default_rng(2))
    np.testing.assert_allclose(a[0] - p0[0], 2 * (params[0] - p0[0]), rtol=1e-6)


def test_adam_state_keeps_param_dtype_and_float32_works():
    rng = np.random.default_rng(3)
    params, grads = make_lists(rng, np.float32)
    opt = Adam()
    opt.update(params, grads)
    assert all(p.dtype == np.float32 for p in params)
    assert all(m.dtype == np.float32 and v.dtype == np.float32 for m, v in zip(opt.m, opt.v))


def test_updates_allocate_nothing_after_the_first_step():
    rng = np.random.default_rng(4)
    params = [rng.standard_normal((256, 1024)).astype(np.float32) for _ in range(2)]
    grads = [rng.standard_normal((256, 1024)).astype(np.float32) for _ in range(2)]
    for opt in (Adam(), SGD()):
        opt.update(params, grads)  # allocates the state
        tracemalloc.start()
        opt.update(params, grads)
        clip_grads(grads, 1.0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 64 * 1024, f"{type(opt).__name__}: {peak} bytes allocated in one step"


def test_clip_grads_scales_to_max_norm_and_returns_pre_clip_norm():
    rng = np.random.default_rng(5)
    _, grads = make_lists(rng)
    before = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    copies = [g.copy() for g in grads]
    assert clip_grads(grads, 1.0) == pytest.approx(before, rel=1e-12)
    assert grad_norm(grads) == pytest.approx(1.0, abs=1e-5)
    for g, c in zip(grads, copies):  # same direction
        np.testing.assert_allclose(g, c * (1.0 / (before + 1e-6)), rtol=1e-12)


def test_clip_grads_leaves_small_grads_unchanged():
    rng = np.random.default_rng(6)
    _, grads = make_lists(rng)
    copies = [g.copy() for g in grads]
    norm = grad_norm(grads)
    assert clip_grads(grads, norm * 1.01) == pytest.approx(norm)
    for g, c in zip(grads, copies):
        np.testing.assert_array_equal(g, c)


def test_clip_grads_without_a_threshold_only_measures():
    rng = np.random.default_rng(7)
    _, grads = make_lists(rng)
    copies = [g.copy() for g in grads]
    assert clip_grads(grads, None) == grad_norm(copies)
    for g, c in zip(grads, copies, strict=True):
        np.testing.assert_array_equal(g, c)


@pytest.mark.parametrize("make", [
    lambda: SGD(lr=0), lambda: SGD(lr=-1), lambda: Adam(lr=float("nan")),
    lambda: Adam(lr=True), lambda: Adam(beta1=1.0), lambda: Adam(beta2=-0.1),
    lambda: Adam(eps=0), lambda: build_optimizer("rmsprop", 0.1),
    lambda: clip_grads([np.ones(2)], 0), lambda: clip_grads([np.ones(2)], float("nan")),
])
def test_bad_arguments_raise(make):
    with pytest.raises(ValueError):
        make()


def test_lr_setter_validates_and_mismatched_lists_raise():
    opt = Adam()
    with pytest.raises(ValueError):
        opt.lr = 0.0
    with pytest.raises(ValueError):
        opt.update([np.ones(2)], [])
    opt.update([np.ones(2)], [np.ones(2)])
    with pytest.raises(ValueError):
        opt.update([np.ones(2), np.ones(3)], [np.ones(2), np.ones(3)])


def test_linear_decay_falls_by_examples_then_holds():
    schedule = LinearDecay(0.5, 0.1, span=100)
    assert schedule(0) == 0.5
    assert schedule(25) == pytest.approx(0.4)
    assert schedule(50) == pytest.approx(0.3)
    assert schedule(100) == pytest.approx(0.1)
    assert schedule(10_000) == pytest.approx(0.1)
    rising = LinearDecay(0.1, 0.3, span=4)  # a "decay" upward is allowed: the formula holds
    assert [rising(k) for k in range(6)] == pytest.approx([0.1, 0.15, 0.2, 0.25, 0.3, 0.3])


def test_a_noam_schedule_whose_first_rate_underflows_is_refused():
    assert NoamDecay(256, 4000, 1e-300)(1) > 0
    with pytest.raises(AttnseqError) as info:
        NoamDecay(256, 4000, 1e-320)
    assert str(info.value) == ("lr_factor 9.99989e-321 with warmup 4000 and d_model 256 gives "
                               "a learning rate of 0 at the first step")


def test_linear_decay_never_reaches_zero_when_lr_dwarfs_final_lr():
    """1e30 + (1e-3 - 1e30) is 0.0 in floating point: the schedule must not say so."""
    schedule = LinearDecay(1e30, 1e-3, span=270)
    assert 1e30 + (1e-3 - 1e30) * 1.0 == 0.0  # the trap
    rates = [schedule(seen) for seen in range(0, 400)]
    assert min(rates) >= 1e-3 and schedule(270) == schedule(10**9) == 1e-3
    assert rates == sorted(rates, reverse=True)


@pytest.mark.parametrize("args,message", [
    ((0.0, 0.1, 10), "lr must be a positive number, got 0.0"),
    ((0.1, -1.0, 10), "final_lr must be a positive number, got -1.0"),
    ((0.1, 0.01, 0), "span must be a positive integer, got 0"),
    ((0.1, 0.01, 2.5), "span must be a positive integer, got 2.5"),
])
def test_linear_decay_bad_arguments(args, message):
    with pytest.raises(ValueError) as info:
        LinearDecay(*args)
    assert str(info.value) == message


def test_noam_schedule_warms_up_then_falls_as_one_over_root_step():
    from attnseq.training.optim import NoamDecay

    noam = NoamDecay(d_model=64, warmup=100, factor=2.0)
    assert noam(1) == pytest.approx(2.0 * 64 ** -0.5 * 100 ** -1.5)
    assert noam(50) == pytest.approx(50 * noam(1))  # linear during the warm-up
    peak = 2.0 * (64 * 100) ** -0.5
    assert noam(100) == pytest.approx(peak) and max(noam(s) for s in range(1, 1000)) == noam(100)
    assert noam(400) == pytest.approx(peak / 2)  # step^-1/2 after it
    with pytest.raises(AttnseqError, match=r"^warmup must be a positive integer, got 0$"):
        NoamDecay(64, 0)


def test_a_noam_trainer_sets_the_rate_of_every_step():
    from attnseq.models import Transformer
    from attnseq.training.trainer import TrainConfig, Trainer

    model = Transformer(9, seed=0, pad_id=0, d_model=8, heads=2, d_ff=8, num_layers=1)
    trainer = Trainer.from_config(model, TrainConfig(schedule="noam", warmup=10,
                                                     lr_factor=3.0, batch_size=2))
    xs = np.array([[0, 3, 4], [5, 6, 7]])
    ts = np.array([[1, 3, 2], [1, 4, 2]])
    for step in (1, 2, 3):
        trainer.step(xs, ts)
        assert trainer.optimizer.lr == pytest.approx(3.0 * 8 ** -0.5 * step * 10 ** -1.5)
    assert trainer.steps == 3
