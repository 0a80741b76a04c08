"""Score functions: the vectorised layers against per-step loops and the written-out formulas."""

import math

import numpy as np
import pytest

from attnseq.layers import (
    SCORES,
    AdditiveScore,
    Attention,
    DotScore,
    GeneralScore,
    ScaledDotScore,
    TimeAttention,
)

N, Td, Te, H, A = 3, 4, 6, 5, 7


def make(name, rng):
    if name == "general":
        return GeneralScore(rng.standard_normal((H, H)))
    if name == "additive":
        return AdditiveScore(rng.standard_normal((H, A)), rng.standard_normal((H, A)),
                             rng.standard_normal(A))
    return SCORES[name]()


def written_out(score, hs_enc, hs_dec):
    """S[n, t, u] one pair at a time, from each score's formula."""
    S = np.zeros((N, hs_dec.shape[1], Te))
    for n in range(N):
        for t in range(hs_dec.shape[1]):
            h = hs_dec[n, t]
            for u in range(Te):
                hs = hs_enc[n, u]
                if isinstance(score, ScaledDotScore):
                    S[n, t, u] = h @ hs / math.sqrt(H)
                elif isinstance(score, DotScore):
                    S[n, t, u] = h @ hs
                elif isinstance(score, GeneralScore):
                    S[n, t, u] = h @ score.params[0] @ hs
                else:
                    W1, W2, v = score.params
                    S[n, t, u] = v @ np.tanh(hs @ W1 + h @ W2)
    return S


def padding_mask():
    mask = np.ones((N, Te), dtype=bool)
    mask[0, :2] = False
    mask[2, :4] = False
    return mask


def inputs(seed, last=H):
    """hs_enc (N, Te, H), hs_dec (N, Td, H) and an upstream gradient (N, Td, last)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, Te, H)), rng.standard_normal((N, Td, H)),
            rng.standard_normal((N, Td, last)))


@pytest.mark.parametrize("name", list(SCORES))
def test_scores_equal_the_formula_pair_by_pair(name):
    hs_enc, hs_dec, _ = inputs(0)
    score = make(name, np.random.default_rng(1))
    np.testing.assert_allclose(score.forward(hs_enc, hs_dec), written_out(score, hs_enc, hs_dec),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(SCORES))
def test_all_steps_at_once_equal_one_step_at_a_time(name):
    hs_enc, hs_dec, dS = inputs(2, last=Te)
    score = make(name, np.random.default_rng(3))
    S = score.forward(hs_enc, hs_dec)
    dhs_enc, dhs_dec = score.backward(dS)
    grads = [g.copy() for g in score.grads]

    step = score.shared()
    ref_enc, ref_grads = np.zeros_like(hs_enc), [np.zeros_like(g) for g in grads]
    for t in range(Td):
        s_t = step.forward(hs_enc, hs_dec[:, t : t + 1])
        np.testing.assert_allclose(S[:, t : t + 1], s_t, rtol=1e-12, atol=1e-13)
        d_enc, d_dec = step.backward(dS[:, t : t + 1])
        ref_enc += d_enc
        np.testing.assert_allclose(dhs_dec[:, t : t + 1], d_dec, rtol=1e-10, atol=1e-12)
        for r, g in zip(ref_grads, step.grads, strict=True):
            r += g
    np.testing.assert_allclose(dhs_enc, ref_enc, rtol=1e-10, atol=1e-12)
    for g, r in zip(grads, ref_grads, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(SCORES))
@pytest.mark.parametrize("masked", [False, True])
def test_time_attention_equals_a_loop_of_one_step_attentions(name, masked):
    """The book's TimeAttention loop (one Attention per step, sharing the score's weights)."""
    hs_enc, hs_dec, dC = inputs(4)
    mask = padding_mask() if masked else None
    layer = TimeAttention(make(name, np.random.default_rng(5)))
    C = layer.forward(hs_enc, hs_dec, mask)
    dhs_enc, dhs_dec = layer.backward(dC)

    master = Attention(layer.score)
    ref_enc, ref_grads = np.zeros_like(hs_enc), [np.zeros_like(g) for g in layer.grads]
    for t in range(Td):
        step = master.shared()
        np.testing.assert_allclose(step.forward(hs_enc, hs_dec[:, t], mask), C[:, t],
                                   rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(step.attention_weight, layer.attention_weights[:, t],
                                   rtol=1e-12, atol=1e-14)
        d_enc, d_dec = step.backward(dC[:, t])
        ref_enc += d_enc
        np.testing.assert_allclose(dhs_dec[:, t], d_dec, rtol=1e-10, atol=1e-12)
        for r, g in zip(ref_grads, step.grads, strict=True):
            r += g
    np.testing.assert_allclose(dhs_enc, ref_enc, rtol=1e-10, atol=1e-12)
    for g, r in zip(layer.grads, ref_grads, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)
    if masked:
        assert np.all(layer.attention_weights[~np.broadcast_to(mask[:, None], (N, Td, Te))] == 0)


def test_scaled_is_dot_over_root_h():
    hs_enc, hs_dec, dS = inputs(6, last=Te)
    dot, scaled = DotScore(), ScaledDotScore()
    np.testing.assert_allclose(scaled.forward(hs_enc, hs_dec),
                               dot.forward(hs_enc, hs_dec) / math.sqrt(H), rtol=1e-14)
    for a, b in zip(scaled.backward(dS), dot.backward(dS / math.sqrt(H)), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_general_with_identity_is_dot():
    hs_enc, hs_dec, _ = inputs(7)
    np.testing.assert_allclose(GeneralScore(np.eye(H)).forward(hs_enc, hs_dec),
                               DotScore().forward(hs_enc, hs_dec), rtol=1e-14)


def test_default_attention_layers_use_the_dot_score():
    assert isinstance(TimeAttention().score, DotScore) and TimeAttention().params == []
    assert isinstance(Attention().score, DotScore)


@pytest.mark.parametrize("name", list(SCORES))
def test_shared_copies_share_params_not_grads(name):
    score = make(name, np.random.default_rng(8))
    copy = score.shared()
    assert type(copy) is type(score)
    assert all(p is q for p, q in zip(score.params, copy.params, strict=True))
    assert all(g is not h for g, h in zip(score.grads, copy.grads, strict=True))


@pytest.mark.parametrize("name", list(SCORES))
def test_layer_protocol(backward_twice, name):
    rng = np.random.default_rng(9)
    hs_enc, hs_dec, _ = inputs(10)
    backward_twice(make(name, rng), [hs_enc, hs_dec], [rng.standard_normal((N, Td, Te))])


@pytest.mark.parametrize("name", list(SCORES))
def test_float32_stays_float32(name):
    rng = np.random.default_rng(11)
    score = make(name, rng)
    score = type(score)(*[p.astype(np.float32) for p in score.params])
    hs_enc, hs_dec, _ = (a.astype(np.float32) for a in inputs(12))
    S = score.forward(hs_enc, hs_dec)
    assert S.dtype == np.float32
    assert all(d.dtype == np.float32 for d in score.backward(np.ones_like(S)))
